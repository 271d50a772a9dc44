/**
 * ORM call sites → QuerySite (see query-sites.ts for the contract).
 * Owned by the "ORM call sites and n-plus-one" work item.
 */
import type { ProjectServices } from '../context';
import type { QuerySite } from './query-sites';

/** Every query-running (or query-building) call in a TypeScript file, raw SQL calls included. */
export function fileQuerySites(project: ProjectServices, path: string): QuerySite[] {
  void project;
  void path;
  return [];
}
