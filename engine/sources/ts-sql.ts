/**
 * SQL in TypeScript: string and template literals that reach a SQL client.
 * (Implemented in the "Finding SQL in TypeScript" work item.)
 */
import type * as ts from 'typescript';
import type { SqlSite } from './types';

export function tsSqlSites(path: string, text: string, sf: ts.SourceFile): SqlSite[] {
  void path;
  void text;
  void sf;
  return [];
}
