/**
 * A real LSP client for protocol tests and the bench: spawns the server
 * process over stdio and speaks JSON-RPC to it with vscode-jsonrpc.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type MessageConnection, StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import type {
  CodeAction,
  Diagnostic,
  InitializeResult,
  PublishDiagnosticsParams,
  TextDocumentEdit,
  TextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';

export const REPO = path.resolve(__dirname, '../..');

/**
 * How the server is started: the published bin, `querylens lsp --stdio`
 * (the CLI hands over to dist/server.js). QUERYLENS_LSP_CMD overrides (a
 * JSON array: command then arguments), e.g. to run `node dist/server.js --stdio`.
 */
export function serverCommand(): string[] {
  if (process.env.QUERYLENS_LSP_CMD) return JSON.parse(process.env.QUERYLENS_LSP_CMD) as string[];
  return [process.execPath, path.join(REPO, 'bin/querylens.js'), 'lsp', '--stdio'];
}

/**
 * Builds the bundles the server command runs (dist/cli.js, which loads
 * dist/server.js), with scripts/build.mjs's options, so the tests exercise
 * the current source. The extension bundle is left alone: an editor test may
 * be running it.
 */
export function buildBundles(): void {
  const script = `
    const { build } = require('esbuild');
    const common = { ...require('./scripts/esbuild-options.cjs'), logLevel: 'error' };
    Promise.all([
      build({ ...common, entryPoints: ['server/main.ts'], outfile: 'dist/server.js' }),
      build({ ...common, entryPoints: ['server/analysis-worker.ts'], outfile: 'dist/analysis-worker.js' }),
      build({ ...common, entryPoints: ['cli/lint-worker.ts'], outfile: 'dist/lint-worker.js' }).catch(() => undefined),
      build({ ...common, entryPoints: ['cli/main.ts'], outfile: 'dist/cli.js' }).catch((e) => {
        // The CLI entry may be mid-edit by its owner; the server bundle alone still runs (node dist/server.js --stdio).
        console.error('dist/cli.js not rebuilt: ' + e.message);
      }),
    ]).catch((e) => { console.error(e.message); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building dist/server.js failed: ${r.stderr}`);
}

export function uriOf(file: string): string {
  return pathToFileURL(file).href;
}

export function tempWorkspace(files: Record<string, string>): string {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-lsp-')));
  for (const [rel, text] of Object.entries(files)) writeFile(root, rel, text);
  return root;
}

export function writeFile(root: string, rel: string, text: string): void {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, text);
}

export interface ClientOptions {
  root: string;
  initializationOptions?: Record<string, unknown>;
  /** The `querylens` settings section returned to workspace/configuration. */
  settings?: Record<string, unknown>;
  /** Advertise dynamic registration of file watchers (default true). */
  watchers?: boolean;
  /** Workspace folders (default: just root). */
  folders?: string[];
  /** Extra Node.js flags for the server process (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

export class LspClient {
  readonly conn: MessageConnection;
  readonly proc: ChildProcess;
  readonly diagnostics: PublishDiagnosticsParams[] = [];
  readonly messages: { type: number; message: string }[] = [];
  readonly logs: string[] = [];
  readonly registrations: { method: string; registerOptions?: unknown }[] = [];
  stderr = '';
  private waiters: (() => void)[] = [];
  private versions = new Map<string, number>();
  readonly texts = new Map<string, string>();

  constructor(private readonly opts: ClientOptions) {
    const [cmd, ...args] = serverCommand();
    if (opts.nodeArgs && cmd === process.execPath) args.unshift(...opts.nodeArgs);
    this.proc = spawn(cmd, args, { cwd: opts.root, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr!.on('data', (d) => (this.stderr += String(d)));
    this.conn = createMessageConnection(new StreamMessageReader(this.proc.stdout!), new StreamMessageWriter(this.proc.stdin!));
    this.conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.diagnostics.push(p);
      this.wake();
    });
    this.conn.onNotification('window/showMessage', (p: { type: number; message: string }) => {
      this.messages.push(p);
      this.wake();
    });
    this.conn.onNotification('window/logMessage', (p: { message: string }) => {
      this.logs.push(p.message);
      this.wake();
    });
    this.conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => opts.settings ?? {}));
    this.conn.onRequest('client/registerCapability', (p: { registrations: { method: string; registerOptions?: unknown }[] }) => {
      this.registrations.push(...p.registrations);
      this.wake();
      return null;
    });
    this.conn.onRequest('client/unregisterCapability', () => null);
    this.conn.onRequest('window/workDoneProgress/create', () => null);
    this.conn.listen();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once `check` returns a value (re-checked on every server message), or rejects after `ms`. */
  waitFor<T>(what: string, check: () => T | undefined, ms = 15000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}; stderr: ${this.stderr.slice(-2000)}; log: ${this.logs.slice(-5).join(' | ')}`)), ms);
      const probe = () => {
        let v: T | undefined;
        try {
          v = check();
        } catch (e) {
          clearTimeout(timer);
          reject(e);
          return;
        }
        if (v !== undefined) {
          clearTimeout(timer);
          resolve(v);
        } else this.waiters.push(probe);
      };
      probe();
    });
  }

  async initialize(): Promise<InitializeResult> {
    const rootUri = uriOf(this.opts.root);
    const res = (await this.conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri,
      workspaceFolders: (this.opts.folders ?? [this.opts.root]).map((f) => ({ uri: uriOf(f), name: path.basename(f) })),
      initializationOptions: this.opts.initializationOptions ?? {},
      capabilities: {
        workspace: {
          configuration: true,
          workspaceFolders: true,
          didChangeWatchedFiles: { dynamicRegistration: this.opts.watchers !== false },
          didChangeConfiguration: { dynamicRegistration: true },
          workspaceEdit: { documentChanges: true, resourceOperations: ['create', 'rename', 'delete'] },
        },
        textDocument: {
          publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true, dataSupport: true },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source', 'source.fixAll'] } }, isPreferredSupport: true, dataSupport: true },
          synchronization: { didSave: true },
        },
      },
    })) as InitializeResult;
    await this.conn.sendNotification('initialized', {});
    return res;
  }

  async open(file: string, text: string, languageId = file.endsWith('.sql') ? 'sql' : 'typescript'): Promise<string> {
    const uri = uriOf(file);
    this.versions.set(uri, 1);
    this.texts.set(uri, text);
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    return uri;
  }

  /** Replaces the whole text; returns the new version. */
  async change(uri: string, text: string): Promise<number> {
    const v = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, v);
    this.texts.set(uri, text);
    await this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [{ text }] });
    return v;
  }

  /** An incremental edit (as editors send while typing); returns the new version. */
  async edit(uri: string, edit: TextEdit): Promise<number> {
    const v = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, v);
    const doc = TextDocument.create(uri, 'typescript', v - 1, this.texts.get(uri) ?? '');
    this.texts.set(uri, TextDocument.applyEdits(doc, [edit]));
    await this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [{ range: edit.range, text: edit.newText }] });
    return v;
  }

  async close(uri: string): Promise<void> {
    await this.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  version(uri: string): number {
    return this.versions.get(uri) ?? 0;
  }

  /** The first diagnostics published for `uri` at its current version (or the given one) after index `since`. */
  diagnosticsFor(uri: string, opts: { version?: number; since?: number; ms?: number; where?: (d: Diagnostic[]) => boolean } = {}): Promise<Diagnostic[]> {
    const version = opts.version ?? this.version(uri);
    const since = opts.since ?? 0;
    return this.waitFor(
      `diagnostics for ${path.basename(uri)} v${version}`,
      () => {
        for (let i = this.diagnostics.length - 1; i >= since; i--) {
          const p = this.diagnostics[i];
          if (p.uri === uri && p.version === version && (!opts.where || opts.where(p.diagnostics))) return p.diagnostics;
        }
        return undefined;
      },
      opts.ms,
    );
  }

  async shutdown(): Promise<void> {
    try {
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      await this.conn.sendNotification('exit');
    } catch {
      // The process may already be gone.
    }
    await new Promise<void>((r) => {
      if (this.proc.exitCode !== null) return r();
      const t = setTimeout(() => {
        this.proc.kill();
        r();
      }, 2000);
      this.proc.once('exit', () => {
        clearTimeout(t);
        r();
      });
    });
    this.conn.dispose();
  }
}

/** Applies a WorkspaceEdit's edits for `uri` to `text` (TextDocumentEdit or changes form). */
export function applyWorkspaceEdit(edit: WorkspaceEdit, uri: string, text: string): string {
  const edits: TextEdit[] = [];
  for (const dc of edit.documentChanges ?? []) {
    if ('textDocument' in dc && (dc as TextDocumentEdit).textDocument.uri === uri) edits.push(...((dc as TextDocumentEdit).edits as TextEdit[]));
  }
  edits.push(...(edit.changes?.[uri] ?? []));
  return TextDocument.applyEdits(TextDocument.create(uri, 'typescript', 0, text), edits);
}

export function actionsOf(x: (CodeAction | { command: string })[] | null): CodeAction[] {
  return (x ?? []).filter((a): a is CodeAction => 'title' in a && !('arguments' in a && typeof (a as { command: unknown }).command === 'string'));
}
