/**
 * The VS Code extension: starts the querylens language server (dist/server.js,
 * the same engine the CLI runs) for TypeScript, JavaScript and SQL documents,
 * and adds what only an editor has: commands, an output channel with the
 * server trace, and a status-bar item for the active file. Everything else
 * (diagnostics, hovers, code actions) comes from the server over LSP.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

const LANGUAGES = ['typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'sql'];

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('querylens', { log: true });
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.map((language) => ({ scheme: 'file', language })),
    // The server also pulls `querylens.*` with workspace/configuration; this
    // makes it hear about changes.
    synchronize: {
      configurationSection: 'querylens',
      // The server registers watchers for the libraries' schema files itself (dynamic registration).
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{querylens.config.json,*.sql}'),
    },
    // Restricted mode: in an untrusted workspace the server ignores
    // configuration keys that point at databases or executables. A function,
    // so that a restart after the user grants trust sends the new value.
    initializationOptions: () => ({ trusted: vscode.workspace.isTrusted }),
    outputChannel: output,
    traceOutputChannel: traceChannel(output, context),
  };
  client = new LanguageClient('querylens', 'querylens', serverOptions, clientOptions);

  const status = vscode.window.createStatusBarItem('querylens.status', vscode.StatusBarAlignment.Left, 50);
  status.name = 'querylens';
  status.command = 'workbench.actions.view.problems';
  const refresh = () => updateStatus(status);
  // The server says, per document, when its queries are read without a schema (querylens/schemaStatus).
  const missingSchema = new Map<string, string>();

  context.subscriptions.push(
    output,
    status,
    vscode.commands.registerCommand('querylens.showOutput', () => output.show(true)),
    vscode.commands.registerCommand('querylens.restartServer', async () => {
      output.appendLine('Restarting the querylens server.');
      await client?.restart();
    }),
    vscode.commands.registerCommand('querylens.lintWorkspace', async () => {
      await lintWorkspace(output);
      await vscode.commands.executeCommand('workbench.actions.view.problems');
    }),
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) output.appendLine(`querylens server started (workspace trusted: ${vscode.workspace.isTrusted}).`);
      if (e.newState === State.Stopped) refresh();
    }),
    vscode.languages.onDidChangeDiagnostics(refresh),
    vscode.window.onDidChangeActiveTextEditor(refresh),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void client?.restart()),
  );
  refresh();
  await client.start();
  context.subscriptions.push(
    client.onNotification('querylens/schemaStatus', (p: { uri: string; missingSchema: string | null }) => {
      if (p.missingSchema) missingSchema.set(p.uri, p.missingSchema);
      else missingSchema.delete(p.uri);
      schemaNotes = missingSchema;
      refresh();
    }),
  );
}

export function deactivate(): Thenable<void> | undefined {
  return client?.stop();
}

/**
 * vscode-languageclient traces only when its trace channel's log level is
 * Trace; `querylens.trace.server` is what users are told to set, so this view
 * of the output channel reports Trace while the setting is not "off" and
 * writes the trace into the same channel.
 */
function traceChannel(output: vscode.LogOutputChannel, context: vscode.ExtensionContext): vscode.LogOutputChannel {
  const changed = new vscode.EventEmitter<vscode.LogLevel>();
  const level = () =>
    vscode.workspace.getConfiguration('querylens').get<string>('trace.server', 'off') === 'off' ? output.logLevel : vscode.LogLevel.Trace;
  context.subscriptions.push(
    changed,
    output.onDidChangeLogLevel(() => changed.fire(level())),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('querylens.trace.server') && changed.fire(level())),
  );
  return {
    name: output.name,
    get logLevel() {
      return level();
    },
    onDidChangeLogLevel: changed.event,
    trace: (message, ...args) => output.info(`[trace] ${message}`, ...args),
    debug: (message, ...args) => output.debug(message, ...args),
    info: (message, ...args) => output.info(message, ...args),
    warn: (message, ...args) => output.warn(message, ...args),
    error: (message, ...args) => output.error(message, ...args),
    append: (value) => output.append(value),
    appendLine: (value) => output.appendLine(value),
    replace: (value) => output.replace(value),
    clear: () => output.clear(),
    show: (preserveFocus?: boolean | vscode.ViewColumn) => output.show(preserveFocus as boolean | undefined),
    hide: () => output.hide(),
    dispose: () => undefined,
  };
}

/**
 * Asks the server to analyse every file of the workspace (`querylens/lintWorkspace`).
 * A server without that request still analyses what is open, so opening the
 * workspace's files (without showing them) gets the same diagnostics.
 */
async function lintWorkspace(output: vscode.OutputChannel): Promise<void> {
  if (!client) return;
  try {
    await client.sendRequest('querylens/lintWorkspace');
    return;
  } catch (err) {
    output.appendLine(`querylens/lintWorkspace failed (${(err as Error).message}); opening the workspace's files instead.`);
  }
  const files = await vscode.workspace.findFiles('**/*.{ts,tsx,js,jsx,mts,cts,mjs,cjs,sql}', '{**/node_modules/**,**/dist/**,**/*.d.ts}', 2000);
  for (const uri of files) await vscode.workspace.openTextDocument(uri);
}

/** Missing-schema explanations by document URI, as the server last sent them. */
let schemaNotes: ReadonlyMap<string, string> = new Map();

/** "querylens: 3 problems, ≈ 420 ms" for the active file, summed from the server's estimates. */
function updateStatus(status: vscode.StatusBarItem): void {
  const doc = vscode.window.activeTextEditor?.document;
  if (!doc || !LANGUAGES.includes(doc.languageId)) {
    status.hide();
    return;
  }
  // Findings accepted in querylens-suppressions.json show as hints but are not counted.
  const ours = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'querylens' && !(d as { data?: { baselined?: boolean } }).data?.baselined);
  let ms = 0;
  let estimated = 0;
  for (const d of ours) {
    const current = (d as { data?: { estimate?: { currentMs?: unknown } } }).data?.estimate?.currentMs;
    if (typeof current === 'number' && Number.isFinite(current)) {
      ms += current;
      estimated++;
    }
  }
  const count = `${ours.length} ${ours.length === 1 ? 'problem' : 'problems'}`;
  const cost = estimated > 0 ? `, ≈ ${formatMs(ms)}` : '';
  const noSchema = schemaNotes.get(doc.uri.toString());
  status.text = ours.length === 0 ? (noSchema ? '$(warning) querylens: no schema' : '$(check) querylens') : `$(database) querylens: ${count}${cost}${noSchema ? ' (no schema)' : ''}`;
  status.tooltip =
    (ours.length === 0
      ? 'querylens: no query-performance problems in this file'
      : `querylens: ${count} in this file` + (estimated > 0 ? `; estimated ${formatMs(ms)} per call summed over ${estimated} estimate(s)` : '')) + (noSchema ? `\n\n${noSchema}` : '');
  status.show();
}

function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10000 ? 0 : 1)} s`;
  return `${ms >= 10 ? Math.round(ms) : ms.toFixed(1)} ms`;
}
