/**
 * Documents to diagnostics: edits and watched files schedule analyses (debounced, one per version,
 * run in the analyzer), results become diagnostics, hovers and code actions; `querylens/lintWorkspace`
 * does the same for files that are not open. No rule logic: the engine decides, this converts.
 */
import { pathToFileURL } from 'node:url';
import type { CodeAction, CodeActionParams, Diagnostic, DidChangeWatchedFilesParams, Hover, HoverParams } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { type AnalysisResult, LineIndex, MAX_FILE_BYTES, type Problem, isAnalyzable } from '../engine';
import { type EditOptions, type FileResolver, findingToDiagnostic, problemToDiagnostic } from './convert';
import { codeActionsFor, hoverAt } from './actions';
import { importedPaths } from './imports';
import { applyWatchedChanges, uriToPath } from './watched-files';
import { CONFIG_FILE, type WorkspaceProject } from './workspace';
import { type DocState, SLOW_ANALYSIS_MS, ServerState } from './server-state';

export abstract class DocumentServer extends ServerState {
  protected contentChanged(doc: TextDocument): void {
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

  protected closed(doc: TextDocument): void {
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
  protected helperChanged(ws: WorkspaceProject, rel: string, exceptUri?: string): void {
    const dependents = this.openDocsOf(ws).filter((d) => d.uri !== exceptUri && (this.state(d.uri).inputs?.has(rel) || this.importsOf(d, ws).has(rel)));
    for (const d of dependents) this.schedule(d.uri);
  }

  protected importsOf(doc: TextDocument, ws: WorkspaceProject): Set<string> {
    const s = this.state(doc.uri);
    if (s.imports?.version !== doc.version) {
      const rel = ws.rel(uriToPath(doc.uri) ?? '') ?? '';
      s.imports = { version: doc.version, paths: importedPaths(rel, doc.getText()) };
    }
    return s.imports.paths;
  }

  protected rescheduleAll(ws?: WorkspaceProject): void {
    for (const d of this.documents.all()) {
      if (!ws || this.locate(d)?.ws === ws) this.schedule(d.uri);
    }
  }

  protected async watchedFilesChanged(params: DidChangeWatchedFilesParams): Promise<void> {
    const touched = applyWatchedChanges(this.projects, params.changes);
    for (const [ws, t] of touched) {
      // The worker lists the project's files from the walk's list: it follows creations and deletions.
      if (t.paths) ws.project.setPathsOnDisk(ws.known);
      if (t.schema || t.paths) this.rescheduleAll(ws);
      if (!t.schema) for (const h of t.helpers) this.helperChanged(ws, h);
    }
  }

  protected schedule(uri: string): void {
    const s = this.state(uri);
    clearTimeout(s.timer);
    // Something this document depends on changed (its text, the schema, a helper): the cached analysis is stale even at the same version.
    s.last = undefined;
    s.gen++;
    const delay = s.lastMs !== undefined && s.lastMs > SLOW_ANALYSIS_MS ? Math.max(this.debounceMs, Math.min(s.lastMs, 5000)) : this.debounceMs;
    s.timer = setTimeout(() => void this.guard('diagnostics', undefined, () => this.publish(uri))(), delay);
  }

  protected async publish(uri: string): Promise<void> {
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
  protected async analysis(doc: TextDocument): Promise<DocState['last'] | undefined> {
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

  protected async runAnalysis(ws: WorkspaceProject, rel: string, version: number, s: DocState): Promise<AnalysisResult> {
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
  protected fromLintCache(ws: WorkspaceProject, rel: string): { result: AnalysisResult; inputs: string[] } | undefined {
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

  protected toDiagnostics(doc: TextDocument, last: NonNullable<DocState['last']>): Diagnostic[] {
    const at = this.locate(doc)!;
    const resolver = this.resolver(doc, at.ws, at.rel);
    return this.diagnosticsOf(at.ws, at.rel, doc.getText(), last.result, last.lines, last.version, resolver);
  }

  /** Findings and problems of one file as diagnostics; baselined findings become hints or go. */
  protected diagnosticsOf(ws: WorkspaceProject, rel: string, text: string, result: AnalysisResult, lines: LineIndex, version: number, resolver: FileResolver): Diagnostic[] {
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
  protected async lintWorkspace(): Promise<{ files: number; findings: number }> {
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

  protected async hover(params: HoverParams): Promise<Hover | null> {
    const doc = this.documents.get(params.textDocument.uri);
    const last = doc && (await this.analysis(doc));
    return last ? hoverAt(last, params.position) : null;
  }

  protected async codeActions(params: CodeActionParams): Promise<CodeAction[]> {
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
