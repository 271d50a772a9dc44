/**
 * The language server: `querylens lsp --stdio`. It maps documents to engine
 * calls and findings to diagnostics, hovers and code actions; it holds no
 * rule logic. One engine `Project` per workspace folder lives for the whole
 * session, so parse results and the schema stay cached between keystrokes.
 *
 * Every handler catches, logs to the client's output and returns an empty
 * result: one bad file never takes the server down.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type CodeAction,
  CodeActionKind,
  type CodeActionParams,
  type Connection,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  type Diagnostic,
  type DidChangeConfigurationParams,
  type DidChangeWatchedFilesParams,
  type Hover,
  type HoverParams,
  type InitializeParams,
  type InitializeResult,
  MessageType,
  ProposedFeatures,
  TextDocumentSyncKind,
  TextDocuments,
  StreamMessageWriter,
  createConnection,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { type AnalysisResult, LineIndex, MAX_FILE_BYTES, type Problem, SCHEMA_WATCH_GLOBS, SUPPRESSIONS_FILE, initParser, isAnalyzable } from '../engine';
import { type EditOptions, FIX_ALL_KIND, type FileResolver, findingToDiagnostic, problemToDiagnostic } from './convert';
import { type LastAnalysis, codeActionsFor, hoverAt } from './actions';
import { type Analyzer, InProcessAnalyzer, WorkerAnalyzer, workerEntry } from './analyzer';
import { RecoveringMessageReader } from './framing';
import { importedPaths } from './imports';
import { applyWatchedChanges, uriToPath } from './watched-files';
import { CONFIG_FILE, type Logger, WorkspaceProject } from './workspace';

export const DEFAULT_DEBOUNCE_MS = 150;
/**
 * Documents larger than this are not analysed while editing (the CLI still
 * lints them). Analysis is synchronous and grows faster than linearly with
 * file size (a 450 KB generated module takes seconds), and the server must
 * stay responsive; the engine's own MAX_FILE_BYTES is the CLI's bound.
 */
export const DEFAULT_MAX_FILE_KB = 512;
/** Above this analysis time, a document's next run waits as long as its last one took. */
const SLOW_ANALYSIS_MS = 500;
/** Polling interval for clients that cannot watch files (initializationOptions.pollMs). */
const DEFAULT_POLL_MS = 3000;

/** Where an open document lives: its project and its project-relative path. */
interface Located {
  ws: WorkspaceProject;
  rel: string;
}

interface DocState {
  timer?: NodeJS.Timeout;
  /** Wall time of the last analysis: a slow document is not re-analysed on every keystroke. */
  lastMs?: number;
  excludedLogged?: boolean;
  /** The last analysis, for hover and code actions on the same version. */
  last?: LastAnalysis;
  /** The analysis under way (in the worker), shared by whoever asks for the same version meanwhile. */
  pending?: { version: number; gen: number; promise: Promise<DocState['last']> };
  /** Bumped whenever something this document depends on changes: a result computed before is stale. */
  gen: number;
  /** Import specifiers of this version, resolved to project paths. */
  imports?: { version: number; paths: Set<string> };
  /** What the last analysis read (a caller's file, for a loop bounded by what its callers pass): a change to one re-analyses. */
  inputs?: ReadonlySet<string>;
}

const UNTITLED_EXT: Record<string, string> = {
  sql: '.sql',
  typescript: '.ts',
  typescriptreact: '.tsx',
  javascript: '.js',
  javascriptreact: '.jsx',
};

export class QuerylensServer {
  /**
   * Open documents. A didChange whose version is not newer than the document's is stale (sent
   * out of order) and ignored; a change that cannot be applied is logged and leaves the text as it was.
   */
  readonly documents = new TextDocuments<TextDocument>({
    create: (uri, languageId, version, text) => TextDocument.create(uri, languageId, version, text),
    update: (doc, changes, version) => {
      if (!(version > doc.version)) {
        this.logger.warn(`${doc.uri}: didChange version ${version} is not newer than ${doc.version}; ignored`);
        return doc;
      }
      try {
        return TextDocument.update(doc, changes, version);
      } catch (e) {
        this.logger.error(`${doc.uri}: didChange v${version} could not be applied (${(e as Error)?.message ?? e}); text kept`);
        return doc;
      }
    },
  });
  private projects: WorkspaceProject[] = [];
  /** Files outside every workspace folder, and untitled buffers, go to per-root loose projects. */
  private loose = new Map<string, WorkspaceProject>();
  private states = new Map<string, DocState>();
  private debounceMs = DEFAULT_DEBOUNCE_MS;
  private maxFileBytes = DEFAULT_MAX_FILE_KB * 1024;
  private pollMs = DEFAULT_POLL_MS;
  /** Findings accepted by querylens-suppressions.json: shown as hints, or not at all (`baselined` setting). */
  private baselinedMode: 'hint' | 'hide' = 'hint';
  /** Log each analysis with wall and CPU time (initializationOptions.logTiming; the bench reads it). */
  private logTiming = false;
  private trusted = true;
  private canConfigure = false;
  private canRegisterWatchers = false;
  private canRegisterConfig = false;
  private canWorkspaceFolders = false;
  private editOptions: Omit<EditOptions, 'versionOf'> = { documentChanges: false, createFiles: false };
  /** Settles once the first settings pull is done (or failed): analysis waits for it, so nothing runs on half a config. */
  private settingsLoaded: Promise<void> = Promise.resolve();
  private settingsDone: () => void = () => {};
  /** The most recent settings section, for projects created later (files outside every folder). */
  private lastSettings: unknown;
  private readonly logger: Logger;

  private readonly analyzer: Analyzer;

  /**
   * `worker: true` runs analyses in the analysis worker (the language server as started by
   * `querylens lsp`); without it they run on this thread (tests that patch the engine in process).
   */
  constructor(
    private readonly connection: Connection,
    opts: { worker?: boolean } = {},
  ) {
    this.logger = {
      log: (m) => connection.console.log(m),
      warn: (m) => connection.console.warn(m),
      error: (m) => connection.console.error(m),
    };
    let analyzer: Analyzer = new InProcessAnalyzer();
    const entry = opts.worker ? workerEntry() : undefined;
    if (entry) {
      try {
        analyzer = new WorkerAnalyzer(entry, (m) => this.logger.error(m));
      } catch (e) {
        this.logger.error(`analysis worker not started (${(e as Error)?.message ?? e}); analysing on the main thread`);
      }
    }
    this.analyzer = analyzer;
  }

  /** A project's state is mirrored to the analyzer from its creation on. */
  private attach(ws: WorkspaceProject): void {
    this.analyzer.open(ws);
    ws.mirrorTo((m) => this.analyzer.post(m));
  }

  /** Wraps a handler: errors are logged and become `empty`. */
  private guard<P extends unknown[], R>(name: string, empty: R, fn: (...args: P) => R | Promise<R>): (...args: P) => Promise<R> {
    return async (...args: P) => {
      try {
        return await fn(...args);
      } catch (e) {
        this.logger.error(`${name} failed: ${(e as Error)?.stack ?? e}`);
        return empty;
      }
    };
  }

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

  // --- lifecycle -----------------------------------------------------------

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

  private showError(message: string): void {
    void this.connection.sendNotification('window/showMessage', { type: MessageType.Warning, message });
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

  // --- documents -----------------------------------------------------------

  private locate(doc: TextDocument): Located | undefined {
    const abs = uriToPath(doc.uri);
    if (abs) {
      for (const ws of this.projects) {
        const rel = ws.rel(abs);
        if (rel) return { ws, rel };
      }
      const dir = path.dirname(abs);
      return { ws: this.looseProject(dir), rel: path.basename(abs) };
    }
    // An untitled buffer: analysable by language id, alone.
    const ext = UNTITLED_EXT[doc.languageId];
    if (!ext) return undefined;
    const name = doc.uri.replace(/[^A-Za-z0-9_-]+/g, '_') + ext;
    return { ws: this.looseProject('(untitled)'), rel: name };
  }

  /** A project for files outside every folder: not walked, defaults plus settings. */
  private looseProject(dir: string): WorkspaceProject {
    let ws = this.loose.get(dir);
    if (!ws) {
      ws = new WorkspaceProject(dir, this.trusted, this.logger, (m) => this.showError(m));
      if (this.lastSettings !== undefined) ws.setSettings(this.lastSettings);
      this.attach(ws);
      this.loose.set(dir, ws);
    }
    return ws;
  }

  private state(uri: string): DocState {
    let s = this.states.get(uri);
    if (!s) this.states.set(uri, (s = { gen: 0 }));
    return s;
  }

  private contentChanged(doc: TextDocument): void {
    const at = this.locate(doc);
    if (!at) return;
    const { ws, rel } = at;
    ws.open.add(rel);
    const text = doc.getText();
    if (rel === CONFIG_FILE) {
      // Typing in the config file: log errors only (no popup per keystroke); the saved file is re-read via the watcher.
      if (ws.setFileConfigText(text)) this.rescheduleAll(ws);
      return;
    }
    // A schema source by path or by content, before or after this edit (a pgTable typed or deleted).
    const wasSchema = ws.isSchema(rel);
    if (ws.isSchema(rel, text) || wasSchema) {
      if (ws.project.setFile(rel, text)) {
        this.rescheduleAll(ws);
        return;
      }
    } else if (isAnalyzable(rel)) {
      const prev = ws.project.fileText(rel);
      ws.project.setFile(rel, text);
      if (prev !== text) this.helperChanged(ws, rel, doc.uri);
    }
    this.schedule(doc.uri);
  }

  private closed(doc: TextDocument): void {
    const s = this.states.get(doc.uri);
    clearTimeout(s?.timer);
    this.states.delete(doc.uri);
    void this.connection.sendDiagnostics({ uri: doc.uri, diagnostics: [] });
    const at = this.locate(doc);
    if (!at) return;
    const { ws, rel } = at;
    ws.open.delete(rel);
    // The disk version takes over from the buffer.
    ws.forgetDisk(rel);
    if (rel === CONFIG_FILE) {
      if (ws.loadConfigFile()) this.rescheduleAll(ws);
    } else if (ws.isSchema(rel)) {
      const disk = ws.readDisk(rel);
      const changed = disk === undefined ? ws.project.deleteFile(rel) : ws.project.setFile(rel, disk);
      if (changed) this.rescheduleAll(ws);
    } else {
      const buffer = doc.getText();
      ws.project.deleteFile(rel);
      if (ws.readDisk(rel) !== buffer) this.helperChanged(ws, rel, doc.uri);
    }
  }

  /**
   * A TypeScript file changed: open documents whose last analysis read it
   * (a helper they import, a caller of their functions) or that import it are
   * analysed again. What was derived from it (memos, SQL sites, schemas that read it) is dropped by the
   * project itself (Project.setFile, Project.forget); nothing else is.
   */
  private helperChanged(ws: WorkspaceProject, rel: string, exceptUri?: string): void {
    const dependents = this.openDocsOf(ws).filter((d) => d.uri !== exceptUri && (this.state(d.uri).inputs?.has(rel) || this.importsOf(d, ws).has(rel)));
    for (const d of dependents) this.schedule(d.uri);
  }

  private openDocsOf(ws: WorkspaceProject): TextDocument[] {
    return this.documents.all().filter((d) => this.locate(d)?.ws === ws);
  }

  private importsOf(doc: TextDocument, ws: WorkspaceProject): Set<string> {
    const s = this.state(doc.uri);
    if (s.imports?.version !== doc.version) {
      const rel = ws.rel(uriToPath(doc.uri) ?? '') ?? '';
      s.imports = { version: doc.version, paths: importedPaths(rel, doc.getText()) };
    }
    return s.imports.paths;
  }

  private rescheduleAll(ws?: WorkspaceProject): void {
    for (const d of this.documents.all()) {
      if (!ws || this.locate(d)?.ws === ws) this.schedule(d.uri);
    }
  }

  private async watchedFilesChanged(params: DidChangeWatchedFilesParams): Promise<void> {
    const touched = applyWatchedChanges(this.projects, params.changes);
    for (const [ws, t] of touched) {
      // The worker lists the project's files from the walk's list: it follows creations and deletions.
      if (t.paths) ws.project.setPathsOnDisk(ws.known);
      if (t.schema || t.paths) this.rescheduleAll(ws);
      if (!t.schema) for (const h of t.helpers) this.helperChanged(ws, h);
    }
  }

  // --- diagnostics ---------------------------------------------------------

  private schedule(uri: string): void {
    const s = this.state(uri);
    clearTimeout(s.timer);
    // Something this document depends on changed (its text, the schema, a helper): the cached analysis is stale even at the same version.
    s.last = undefined;
    s.gen++;
    const delay = s.lastMs !== undefined && s.lastMs > SLOW_ANALYSIS_MS ? Math.max(this.debounceMs, Math.min(s.lastMs, 5000)) : this.debounceMs;
    s.timer = setTimeout(() => void this.guard('diagnostics', undefined, () => this.publish(uri))(), delay);
  }

  private async publish(uri: string): Promise<void> {
    await this.settingsLoaded;
    const doc = this.documents.get(uri);
    if (!doc) return;
    const version = doc.version;
    const last = await this.analysis(doc);
    // Let queued messages (a newer didChange) arrive before deciding the result is current.
    await new Promise((r) => setImmediate(r));
    const now = this.documents.get(uri);
    if (!now || now.version !== version) return;
    let diagnostics: Diagnostic[] = [];
    try {
      if (last) diagnostics = this.toDiagnostics(doc, last);
    } catch (e) {
      // A finding the adapter cannot convert must not leave stale squiggles behind: publish none, log why.
      this.logger.error(`converting diagnostics of ${uri} failed: ${(e as Error)?.stack ?? e}`);
    }
    await this.connection.sendDiagnostics({ uri, version, diagnostics });
    // The status bar says when the file's queries are read without a schema (the CLI's missing-schema problem).
    await this.connection.sendNotification('querylens/schemaStatus', { uri, version, missingSchema: last?.result.missingSchema ?? null });
  }

  /**
   * Analysis of the document's current version (cached per version; one analysis under way per
   * version, shared). Runs in the analyzer (the worker): this thread goes on answering meanwhile.
   * Undefined for excluded files. A failure is a problem on the file, never an empty list.
   */
  private async analysis(doc: TextDocument): Promise<DocState['last'] | undefined> {
    const s = this.state(doc.uri);
    if (s.last?.version === doc.version) return s.last;
    if (s.pending?.version === doc.version && s.pending.gen === s.gen) return s.pending.promise;
    const at = this.locate(doc);
    if (!at) return undefined;
    const { ws, rel } = at;
    const why = ws.excluded(rel);
    if (why) {
      if (!s.excludedLogged) this.logger.log(`${rel}: not linted (${why})`);
      s.excludedLogged = true;
      return undefined;
    }
    const text = doc.getText();
    const version = doc.version;
    if (text.length > this.maxFileBytes && text.length <= MAX_FILE_BYTES) {
      // Between the editing bound and the engine's: say why, cheaply. (Above MAX_FILE_BYTES the engine reports its own skip.)
      const result: AnalysisResult = {
        findings: [],
        problems: [
          {
            kind: 'skipped-file',
            file: rel,
            message: `larger than ${Math.round(this.maxFileBytes / 1024)} KB: not analysed while editing (querylens lint still checks it; raise querylens.maxFileKB to analyse it here)`,
          },
        ],
      };
      s.last = { version, result, lines: new LineIndex(text) };
      return s.last;
    }
    if (ws.project.fileText(rel) !== text) ws.project.setFile(rel, text);
    const gen = s.gen;
    const promise = this.runAnalysis(ws, rel, version, s).then((result) => {
      const last = { version, result, lines: new LineIndex(text) };
      if (s.gen === gen && this.documents.get(doc.uri)?.version === version) s.last = last;
      if (s.pending?.promise === promise) s.pending = undefined;
      return last;
    });
    s.pending = { version, gen, promise };
    return promise;
  }

  private async runAnalysis(ws: WorkspaceProject, rel: string, version: number, s: DocState): Promise<AnalysisResult> {
    let result: AnalysisResult;
    const cached = this.fromLintCache(ws, rel);
    if (cached) {
      s.inputs = new Set(cached.inputs);
      return cached.result;
    }
    try {
      const timed = await this.analyzer.analyze(ws, rel);
      s.inputs = new Set(timed.inputs);
      result = timed.result;
      s.lastMs = timed.ms;
      if (this.logTiming) this.logger.log(`timing: analysed ${rel} v${version} in ${timed.ms.toFixed(1)} ms wall, ${timed.cpuMs.toFixed(1)} ms cpu`);
      if (timed.ms > 1000) this.logger.warn(`analysis of ${rel} took ${Math.round(timed.ms)} ms`);
    } catch (e) {
      const err = e as Error;
      this.logger.error(`analysis of ${rel} failed: ${err?.stack ?? e}`);
      // Visible on the file: an empty list would read as "no findings".
      const first = (err?.message ?? String(e)).split('\n')[0];
      result = { findings: [], problems: [{ kind: 'rule-crash', file: rel, message: `querylens could not analyse this file: ${first}` }] };
    }
    result = {
      findings: result.findings.filter((f) => f.file === rel),
      problems: result.problems.filter((p) => p.file === rel),
      ...(result.missingSchema ? { missingSchema: result.missingSchema } : {}),
    };
    for (const p of result.problems) if (p.kind === 'rule-crash') this.logger.error(`${rel}: ${p.message}`);
    return result;
  }

  /** The result `querylens lint --cache` left for this file's current text and inputs (server/warm-cache.ts), if any. */
  private fromLintCache(ws: WorkspaceProject, rel: string): { result: AnalysisResult; inputs: string[] } | undefined {
    let cached: { result: AnalysisResult; inputs: string[] } | undefined;
    try {
      cached = ws.cachedResult(rel);
    } catch (e) {
      this.logger.warn(`lint cache not used for ${rel}: ${(e as Error)?.message ?? e}`);
    }
    if (!cached) return undefined;
    if (this.logTiming) this.logger.log(`timing: ${rel} from the lint cache`);
    const { result, inputs } = cached;
    return { result: { findings: result.findings.filter((f) => f.file === rel), problems: result.problems.filter((p) => p.file === rel) }, inputs };
  }

  private resolver(doc: TextDocument, ws: WorkspaceProject, rel: string): FileResolver {
    return {
      uri: (p) => (p === rel ? doc.uri : (this.openUri(ws, p) ?? pathToFileURL(ws.abs(p)).href)),
      text: (p) => {
        if (p === rel) return doc.getText();
        const open = this.openUri(ws, p);
        if (open) return this.documents.get(open)?.getText();
        return ws.readDisk(p);
      },
    };
  }

  private openUri(ws: WorkspaceProject, rel: string): string | undefined {
    if (!ws.open.has(rel)) return undefined;
    return this.documents.all().find((d) => {
      const at = this.locate(d);
      return at?.ws === ws && at.rel === rel;
    })?.uri;
  }

  private toDiagnostics(doc: TextDocument, last: NonNullable<DocState['last']>): Diagnostic[] {
    const at = this.locate(doc)!;
    const resolver = this.resolver(doc, at.ws, at.rel);
    return this.diagnosticsOf(at.ws, at.rel, doc.getText(), last.result, last.lines, last.version, resolver);
  }

  /** Findings and problems of one file as diagnostics; baselined findings become hints or go. */
  private diagnosticsOf(ws: WorkspaceProject, rel: string, text: string, result: AnalysisResult, lines: LineIndex, version: number, resolver: FileResolver): Diagnostic[] {
    const accepted = ws.baselined(rel, text, result.findings);
    const out: Diagnostic[] = [];
    for (const f of result.findings) {
      const baselined = accepted.has(f);
      if (baselined && this.baselinedMode === 'hide') continue;
      out.push(findingToDiagnostic(f, lines, version, resolver, { baselined }));
    }
    for (const p of result.problems) out.push(problemToDiagnostic(p as Problem, lines));
    return out;
  }

  /**
   * `querylens/lintWorkspace` (the extension's "Lint workspace" command): analyses every file of
   * every folder that is not open, from disk, and publishes its diagnostics (open documents keep
   * their own, current ones). Yields between files so that edits are not held up.
   */
  private async lintWorkspace(): Promise<{ files: number; findings: number }> {
    await this.settingsLoaded;
    let files = 0;
    let findings = 0;
    for (const ws of this.projects) {
      for (const rel of [...ws.known].sort()) {
        if (!isAnalyzable(rel) || ws.excluded(rel) || this.openUri(ws, rel)) continue;
        const text = ws.readDisk(rel);
        if (text === undefined) continue;
        let result: AnalysisResult;
        try {
          const cached = this.fromLintCache(ws, rel);
          if (cached) result = cached.result;
          else {
            const timed = await this.analyzer.analyze(ws, rel);
            result = timed.result;
          }
        } catch (e) {
          result = { findings: [], problems: [{ kind: 'rule-crash', file: rel, message: `querylens could not analyse this file: ${(e as Error)?.message?.split('\n')[0] ?? e}` }] };
        }
        const lines = new LineIndex(text);
        const uri = pathToFileURL(ws.abs(rel)).href;
        const resolver = {
          uri: (p: string) => this.openUri(ws, p) ?? pathToFileURL(ws.abs(p)).href,
          text: (p: string) => (p === rel ? text : ws.readDisk(p)),
        };
        const diagnostics = this.diagnosticsOf(ws, rel, text, result, lines, 0, resolver);
        await this.connection.sendDiagnostics({ uri, diagnostics });
        files++;
        findings += result.findings.length;
        await new Promise((r) => setImmediate(r));
      }
    }
    this.logger.log(`lint workspace: ${files} files not open, ${findings} findings`);
    return { files, findings };
  }

  // --- hover and code actions ----------------------------------------------

  private async hover(params: HoverParams): Promise<Hover | null> {
    const doc = this.documents.get(params.textDocument.uri);
    const last = doc && (await this.analysis(doc));
    return last ? hoverAt(last, params.position) : null;
  }

  private async codeActions(params: CodeActionParams): Promise<CodeAction[]> {
    const doc = this.documents.get(params.textDocument.uri);
    const at = doc && this.locate(doc);
    if (!doc || !at) return [];
    const opts: EditOptions = {
      ...this.editOptions,
      versionOf: (p) => {
        const u = this.openUri(at.ws, p);
        return u ? (this.documents.get(u)?.version ?? null) : null;
      },
    };
    return codeActionsFor(params, doc.version, () => this.analysis(doc), this.resolver(doc, at.ws, at.rel), opts);
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
