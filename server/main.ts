/**
 * The language server: `querylens lsp --stdio`. It maps documents to engine
 * calls and findings to diagnostics, hovers and code actions; it holds no
 * rule logic. One engine `Project` per workspace folder lives for the whole
 * session, so parse results and the schema stay cached between keystrokes.
 *
 * Every handler catches, logs to the client's output and returns an empty
 * result: one bad file never takes the server down.
 */
import { pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  type DidChangeConfigurationParams,
  type DidChangeWatchedFilesParams,
  type CodeAction,
  type CodeActionParams,
  type Hover,
  type HoverParams,
  type InitializeParams,
  type InitializeResult,
  ProposedFeatures,
  TextDocumentSyncKind,
  StreamMessageWriter,
  createConnection,
} from 'vscode-languageserver/node';
import { SCHEMA_WATCH_GLOBS, SUPPRESSIONS_FILE, initParser } from '../engine';
import { FIX_ALL_KIND } from './convert';
import { RecoveringMessageReader } from './framing';
import { uriToPath } from './watched-files';
import { CONFIG_FILE, WorkspaceProject } from './workspace';
import { DocumentServer } from './documents';
export { DEFAULT_DEBOUNCE_MS, DEFAULT_MAX_FILE_KB } from './server-state';

export class QuerylensServer extends DocumentServer {
  listen(): void {
    const c = this.connection;
    c.onInitialize(this.guard('initialize', { capabilities: {} } as InitializeResult, (p: InitializeParams) => this.initialize(p)));
    c.onInitialized(this.guard('initialized', undefined, () => this.initialized()));
    c.onHover(this.guard('hover', null as Hover | null, (p: HoverParams) => this.hover(p)));
    c.onRequest('querylens/lintWorkspace', this.guard('lintWorkspace', { files: 0, findings: 0 }, () => this.lintWorkspace()));
    // Heap in use on both threads (after a collection when run with --expose-gc): the memory-bound tests read it.
    c.onRequest('querylens/memory', this.guard('memory', { mainHeap: 0, workerHeap: 0, rss: 0 }, async () => {
      (globalThis as { gc?: () => void }).gc?.();
      return { mainHeap: process.memoryUsage().heapUsed, workerHeap: await this.analyzer.workerHeap(), rss: process.memoryUsage().rss };
    }));
    c.onCodeAction(this.guard('codeAction', [] as CodeAction[], (p: CodeActionParams) => this.codeActions(p)));
    c.onDidChangeWatchedFiles(this.guard('didChangeWatchedFiles', undefined, (p: DidChangeWatchedFilesParams) => this.watchedFilesChanged(p)));
    c.onDidChangeConfiguration(this.guard('didChangeConfiguration', undefined, (p: DidChangeConfigurationParams) => this.configurationChanged(p)));
    c.onShutdown(this.guard('shutdown', undefined, () => {
      for (const s of this.states.values()) clearTimeout(s.timer);
      this.analyzer.dispose();
    }));
    this.documents.onDidChangeContent((e) => void this.guard('didChange', undefined, () => this.contentChanged(e.document))());
    this.documents.onDidClose((e) => void this.guard('didClose', undefined, () => this.closed(e.document))());
    this.documents.listen(c);
    c.listen();
  }

  private async initialize(params: InitializeParams): Promise<InitializeResult> {
    const opts = (params.initializationOptions ?? {}) as { trusted?: boolean; debounceMs?: number; logTiming?: boolean; maxFileKB?: number; pollMs?: number; baselined?: unknown };
    this.setBaselinedMode(opts.baselined);
    if (typeof opts.pollMs === 'number' && opts.pollMs >= 50) this.pollMs = opts.pollMs;
    if (typeof opts.maxFileKB === 'number' && opts.maxFileKB > 0) this.maxFileBytes = opts.maxFileKB * 1024;
    this.logTiming = opts.logTiming === true;
    this.trusted = opts.trusted !== false;
    if (typeof opts.debounceMs === 'number' && opts.debounceMs >= 0) this.debounceMs = opts.debounceMs;
    const caps = params.capabilities;
    this.canConfigure = !!caps.workspace?.configuration;
    this.canRegisterWatchers = !!caps.workspace?.didChangeWatchedFiles?.dynamicRegistration;
    this.canRegisterConfig = !!caps.workspace?.didChangeConfiguration?.dynamicRegistration;
    this.canWorkspaceFolders = !!caps.workspace?.workspaceFolders;
    const we = caps.workspace?.workspaceEdit;
    this.editOptions = { documentChanges: !!we?.documentChanges, createFiles: !!we?.resourceOperations?.includes('create') };

    this.settingsLoaded = new Promise((r) => (this.settingsDone = r));
    await initParser();
    if (!this.trusted) {
      this.logger.warn('untrusted workspace: configuration keys that point at databases or executables (database, command, *Path) are ignored');
    }
    const folders =
      params.workspaceFolders?.map((f) => f.uri) ??
      (params.rootUri ? [params.rootUri] : params.rootPath ? [pathToFileURL(params.rootPath).href] : []);
    for (const uri of folders) {
      const root = uriToPath(uri);
      if (root) this.addFolder(root);
    }
    return {
      capabilities: {
        positionEncoding: 'utf-16',
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND], resolveProvider: false },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'querylens', version: SERVER_VERSION },
    };
  }

  /** Returns true when the mode changed. */
  private setBaselinedMode(v: unknown): boolean {
    if (v !== 'hint' && v !== 'hide') return false;
    const changed = v !== this.baselinedMode;
    this.baselinedMode = v;
    return changed;
  }

  private addFolder(root: string): void {
    const ws = new WorkspaceProject(root, this.trusted, this.logger, (m) => this.showError(m));
    try {
      ws.load();
    } catch (e) {
      this.logger.error(`loading ${root} failed: ${(e as Error).stack ?? e}`);
    }
    this.attach(ws);
    this.projects.push(ws);
    // Longest root first, so nested folders win.
    this.projects.sort((a, b) => b.root.length - a.root.length);
  }

  private async initialized(): Promise<void> {
    try {
      await this.pullSettings(false);
    } catch (e) {
      this.logger.error(`reading the querylens settings failed: ${(e as Error)?.message ?? e}; using querylens.config.json and defaults`);
    } finally {
      this.settingsDone();
    }
    const c = this.connection;
    if (this.canRegisterWatchers) {
      await c.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [
          // SQL and the libraries' own schema files (engine SCHEMA_WATCH_GLOBS).
          ...SCHEMA_WATCH_GLOBS.map((globPattern) => ({ globPattern })),
          { globPattern: `**/${CONFIG_FILE}` },
          // Package manifests decide which package owns which schema (monorepos).
          { globPattern: '**/package.json' },
          { globPattern: `**/${SUPPRESSIONS_FILE}` },
          { globPattern: '**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}' },
          // Path aliases decide which helper an import names.
          { globPattern: '**/tsconfig.json' },
        ],
      });
    }
    else this.startPolling();
    if (this.canRegisterConfig) await c.client.register(DidChangeConfigurationNotification.type, { section: 'querylens' });
    if (this.canWorkspaceFolders) {
      c.workspace.onDidChangeWorkspaceFolders(
        this.guard('didChangeWorkspaceFolders', undefined, (e) => {
          for (const f of e.removed) {
            const root = uriToPath(f.uri);
            for (const p of this.projects) if (p.root === root) this.analyzer.close(p);
            this.projects = this.projects.filter((p) => p.root !== root);
          }
          for (const f of e.added) {
            const root = uriToPath(f.uri);
            if (root) this.addFolder(root);
          }
          if (e.added.length) void this.pullSettings(false);
          this.rescheduleAll();
        }),
      );
    }
  }

  /**
   * Without client-side file watching, schema sources and the config file are
   * polled (mtime) every few seconds, so a new migration still re-analyses
   * open documents. Helpers changed on disk are then seen on the next edit.
   */
  private startPolling(): void {
    this.logger.log(`the client cannot watch files: polling schema sources and ${CONFIG_FILE} every ${this.pollMs / 1000} s`);
    for (const ws of this.projects) ws.pollSchemaChanges();
    const timer = setInterval(
      () =>
        void this.guard('poll', undefined, async () => {
          for (const ws of this.projects) {
            const changes = ws.pollSchemaChanges();
            if (changes.length) await this.watchedFilesChanged({ changes: changes.map((c) => ({ uri: pathToFileURL(ws.abs(c.rel)).href, type: c.type })) });
          }
        })(),
      this.pollMs,
    );
    timer.unref();
  }

  /** Reads the `querylens` settings section per folder; re-analyses when anything changed. */
  private async pullSettings(reanalyse: boolean): Promise<void> {
    if (!this.canConfigure) return;
    const all = [...this.projects, ...this.loose.values()];
    const sections = await this.connection.workspace.getConfiguration(
      all.map((ws) => ({ scopeUri: pathToFileURL(ws.root).href, section: 'querylens' })),
    );
    let changed = false;
    all.forEach((ws, i) => {
      const s = sections?.[i] as Record<string, unknown> | null | undefined;
      if (i === 0) this.lastSettings = s ?? undefined;
      if (s && typeof s.debounceMs === 'number' && s.debounceMs >= 0) this.debounceMs = s.debounceMs;
      if (s && typeof s.maxFileKB === 'number' && s.maxFileKB > 0) this.maxFileBytes = s.maxFileKB * 1024;
      if (s) changed = this.setBaselinedMode(s.baselined) || changed;
      changed = ws.setSettings(s) || changed;
    });
    if (changed && reanalyse) this.rescheduleAll();
  }

  /** Pull-model clients are asked again; push-only clients send the settings in the notification. */
  private async configurationChanged(p: DidChangeConfigurationParams): Promise<void> {
    if (this.canConfigure) return this.pullSettings(true);
    const section = (p.settings as Record<string, unknown> | null)?.querylens;
    if (section === undefined) return;
    this.lastSettings = section;
    let changed = typeof section === 'object' && section !== null && this.setBaselinedMode((section as Record<string, unknown>).baselined);
    for (const ws of [...this.projects, ...this.loose.values()]) changed = ws.setSettings(section) || changed;
    if (changed) this.rescheduleAll();
  }
}

// esbuild inlines package.json into the bundle; under tsx it is read from the repository.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SERVER_VERSION: string = require('../package.json').version;

/** Starts the server on the transport named in argv (`--stdio`, `--node-ipc`, `--socket=N`). */
export function startServer(): void {
  // Over stdio, a reader that survives malformed headers and bodies (server/framing.ts).
  const reader = process.argv.includes('--stdio') ? new RecoveringMessageReader(process.stdin) : undefined;
  const connection = reader ? createConnection(ProposedFeatures.all, reader, new StreamMessageWriter(process.stdout)) : createConnection(ProposedFeatures.all);
  if (reader) reader.report = (m) => connection.console.error(m);
  // Nothing escapes the LSP boundary: a stray exception is logged, the server stays up.
  process.on('uncaughtException', (e) => connection.console.error(`uncaught: ${e?.stack ?? e}`));
  process.on('unhandledRejection', (e) => connection.console.error(`unhandled rejection: ${(e as Error)?.stack ?? e}`));
  new QuerylensServer(connection, { worker: true }).listen();
}

if (require.main === module) startServer();