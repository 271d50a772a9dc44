/**
 * What a batch of watched-file events (`workspace/didChangeWatchedFiles`) does to the workspace
 * projects: each event is applied to the project whose folder holds it (its disk cache, its list of
 * known files, its configuration, baseline or tsconfig, a schema source's text), and per project the
 * server learns what to analyse again — every open document after a schema, configuration, baseline
 * or tsconfig change (`schema`) or after files came or went (`paths`), else the open documents that
 * import a changed helper (`helpers`). An open file's events are left to its buffer.
 */
import { fileURLToPath } from 'node:url';
import { type FileEvent, FileChangeType } from 'vscode-languageserver/node';
import { SUPPRESSIONS_FILE, isAnalyzable, isLibrarySchemaFile } from '../engine';
import { CONFIG_FILE, type WorkspaceProject } from './workspace';

export interface Touched {
  schema: boolean;
  helpers: string[];
  paths: boolean;
}

/** The path of a `file:` URI, else undefined. */
export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

/** Applies the events to their projects; what each touched project must analyse again. */
export function applyWatchedChanges(projects: readonly WorkspaceProject[], changes: readonly FileEvent[]): Map<WorkspaceProject, Touched> {
  const touched = new Map<WorkspaceProject, Touched>();
  for (const ch of changes) {
    const abs = uriToPath(ch.uri);
    if (!abs) continue;
    const ws = projects.find((p) => p.rel(abs) !== undefined);
    const rel = ws?.rel(abs);
    if (!ws || !rel) continue;
    const t = touched.get(ws) ?? { schema: false, helpers: [], paths: false };
    // A file created or deleted: who calls a function (callers scans every file) may change anywhere.
    if (ch.type !== FileChangeType.Changed && isAnalyzable(rel)) t.paths = true;
    touched.set(ws, t);
    ws.forgetDisk(rel);
    if (ch.type === FileChangeType.Deleted) ws.known.delete(rel);
    else if (isAnalyzable(rel) || isLibrarySchemaFile(rel) || rel === 'package.json' || rel.endsWith('/package.json')) ws.known.add(rel);
    if (rel === 'tsconfig.json' || rel.endsWith('/tsconfig.json')) {
      // Import resolution may change anywhere: drop derived data, re-analyse everything open.
      ws.project.setConfig(ws.project.config);
      t.schema = true;
      continue;
    }
    if (rel === SUPPRESSIONS_FILE) {
      if (ws.loadBaseline()) t.schema = true;
      continue;
    }
    if (rel === CONFIG_FILE) {
      // Also when open: an event for an open config file is its save, and a saved bad config deserves the popup.
      if (ws.loadConfigFile()) t.schema = true;
      continue;
    }
    // The editor's buffer wins over the disk while the file is open.
    if (ws.open.has(rel)) continue;
    const text = ch.type === FileChangeType.Deleted ? undefined : ws.readDisk(rel);
    const wasSchema = ws.isSchema(rel);
    if ((text !== undefined && ws.isSchema(rel, text)) || wasSchema) {
      const changed = text === undefined ? ws.project.deleteFile(rel) : ws.project.setFile(rel, text);
      t.schema ||= changed;
    } else if (isAnalyzable(rel)) t.helpers.push(rel);
  }
  return touched;
}
