/** The package's version and links, read from package.json (inlined by the bundler). */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import pkg from '../package.json';

const meta = pkg as { version: string; homepage?: string; repository?: string | { url?: string } };

export const VERSION: string = meta.version;

/** The package root: the parent of `cli/` (tsx) and of `dist/` (the bundle) alike. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..');

function repositoryWebUrl(): string | undefined {
  const repo = typeof meta.repository === 'string' ? meta.repository : meta.repository?.url;
  if (!repo) return undefined;
  const m = /github\.com[/:]([^/]+\/[^/.]+)/.exec(repo);
  return m ? `https://github.com/${m[1]}` : undefined;
}

/**
 * Where a rule's documentation page lives: on the repository's web page when
 * package.json names a GitHub repository, else the page shipped in the
 * installed package (`docs/rules/<id>.md`) as a file: URI. SARIF needs an
 * absolute URI here; a relative link would not validate.
 */
export function ruleHelpUri(id: string): string {
  const web = repositoryWebUrl();
  if (web) return `${web}/blob/v${VERSION}/docs/rules/${id}.md`;
  return pathToFileURL(path.join(PACKAGE_ROOT, 'docs', 'rules', `${id}.md`)).href;
}

export function informationUri(): string | undefined {
  return meta.homepage ?? repositoryWebUrl();
}
