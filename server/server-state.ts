/**
 * The language server's state and the lookups every layer shares: open documents, projects
 * (per folder, and loose ones for files outside every folder), per-document analysis state,
 * the analyzer and the settings read at start. server/documents.ts builds on it (analysis and
 * diagnostics), server/main.ts on that (the LSP lifecycle and settings).
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Connection } from 'vscode-languageserver/node';
import { MessageType, TextDocuments } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { EditOptions, FileResolver } from './convert';
import type { LastAnalysis } from './actions';
import { type Analyzer, InProcessAnalyzer, WorkerAnalyzer, workerEntry } from './analyzer';
import { uriToPath } from './watched-files';
import { type Logger, WorkspaceProject } from './workspace';

export const DEFAULT_DEBOUNCE_MS = 150;
/**
 * Documents larger than this are not analysed while editing (the CLI still
 * lints them). Analysis is synchronous and grows faster than linearly with
 * file size (a 450 KB generated module takes seconds), and the server must
 * stay responsive; the engine's own MAX_FILE_BYTES is the CLI's bound.
 */
export const DEFAULT_MAX_FILE_KB = 512;
/** Above this analysis time, a document's next run waits as long as its last one took. */
export const SLOW_ANALYSIS_MS = 500;
/** Polling interval for clients that cannot watch files (initializationOptions.pollMs). */
export const DEFAULT_POLL_MS = 3000;

/** Where an open document lives: its project and its project-relative path. */
export interface Located {
  ws: WorkspaceProject;
  rel: string;
}

export interface DocState {
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

export abstract class ServerState {
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
  protected projects: WorkspaceProject[] = [];
  /** Files outside every workspace folder, and untitled buffers, go to per-root loose projects. */
  protected loose = new Map<string, WorkspaceProject>();
  protected states = new Map<string, DocState>();
  protected debounceMs = DEFAULT_DEBOUNCE_MS;
  protected maxFileBytes = DEFAULT_MAX_FILE_KB * 1024;
  protected pollMs = DEFAULT_POLL_MS;
  /** Findings accepted by querylens-suppressions.json: shown as hints, or not at all (`baselined` setting). */
  protected baselinedMode: 'hint' | 'hide' = 'hint';
  /** Log each analysis with wall and CPU time (initializationOptions.logTiming; the bench reads it). */
  protected logTiming = false;
  protected trusted = true;
  protected canConfigure = false;
  protected canRegisterWatchers = false;
  protected canRegisterConfig = false;
  protected canWorkspaceFolders = false;
  protected editOptions: Omit<EditOptions, 'versionOf'> = { documentChanges: false, createFiles: false };
  /** Settles once the first settings pull is done (or failed): analysis waits for it, so nothing runs on half a config. */
  protected settingsLoaded: Promise<void> = Promise.resolve();
  protected settingsDone: () => void = () => {};
  /** The most recent settings section, for projects created later (files outside every folder). */
  protected lastSettings: unknown;
  protected readonly logger: Logger;

  protected readonly analyzer: Analyzer;

  /**
   * `worker: true` runs analyses in the analysis worker (the language server as started by
   * `querylens lsp`); without it they run on this thread (tests that patch the engine in process).
   */
  constructor(
    protected readonly connection: Connection,
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
  protected attach(ws: WorkspaceProject): void {
    this.analyzer.open(ws);
    ws.mirrorTo((m) => this.analyzer.post(m));
  }

  /** Wraps a handler: errors are logged and become `empty`. */
  protected guard<P extends unknown[], R>(name: string, empty: R, fn: (...args: P) => R | Promise<R>): (...args: P) => Promise<R> {
    return async (...args: P) => {
      try {
        return await fn(...args);
      } catch (e) {
        this.logger.error(`${name} failed: ${(e as Error)?.stack ?? e}`);
        return empty;
      }
    };
  }

  protected showError(message: string): void {
    void this.connection.sendNotification('window/showMessage', { type: MessageType.Warning, message });
  }

  protected locate(doc: TextDocument): Located | undefined {
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
  protected looseProject(dir: string): WorkspaceProject {
    let ws = this.loose.get(dir);
    if (!ws) {
      ws = new WorkspaceProject(dir, this.trusted, this.logger, (m) => this.showError(m));
      if (this.lastSettings !== undefined) ws.setSettings(this.lastSettings);
      this.attach(ws);
      this.loose.set(dir, ws);
    }
    return ws;
  }

  protected state(uri: string): DocState {
    let s = this.states.get(uri);
    if (!s) this.states.set(uri, (s = { gen: 0 }));
    return s;
  }

  protected openDocsOf(ws: WorkspaceProject): TextDocument[] {
    return this.documents.all().filter((d) => this.locate(d)?.ws === ws);
  }

  protected openUri(ws: WorkspaceProject, rel: string): string | undefined {
    if (!ws.open.has(rel)) return undefined;
    return this.documents.all().find((d) => {
      const at = this.locate(d);
      return at?.ws === ws && at.rel === rel;
    })?.uri;
  }

  protected resolver(doc: TextDocument, ws: WorkspaceProject, rel: string): FileResolver {
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
}
