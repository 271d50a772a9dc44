/**
 * What the extension does in a real VS Code: it activates on a TypeScript file,
 * registers its commands, and the server's findings arrive as diagnostics with
 * hovers and code actions. The workspace is test/editor/workspace (copied).
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('querylens in VS Code', () => {
  let doc: vscode.TextDocument;
  let diagnostics: vscode.Diagnostic[];

  before(async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'no workspace folder');
    doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'src', 'orders.ts'));
    await vscode.window.showTextDocument(doc);
  });

  it('activates and registers its commands', async () => {
    const ext = vscode.extensions.getExtension('querylens.querylens');
    assert.ok(ext, 'extension querylens.querylens not installed');
    await waitFor('activation', () => (ext.isActive ? true : undefined));
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['querylens.lintWorkspace', 'querylens.showOutput', 'querylens.restartServer']) assert.ok(commands.includes(c), c);
  });

  it('publishes querylens diagnostics for SELECT * and the query in a loop', async () => {
    diagnostics = await waitFor('querylens diagnostics', () => {
      const ours = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'querylens');
      return ours.length > 0 ? ours : undefined;
    });
    const selectStar = doc.getText().indexOf('SELECT *');
    assert.ok(
      diagnostics.some((d) => d.range.contains(doc.positionAt(selectStar + 1))),
      `no diagnostic on SELECT *: ${diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}`,
    );
  });

  it('shows a hover with the estimate on a finding', async () => {
    const at = diagnostics[0].range.start.translate(0, 1);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, at);
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /ms/);
  });

  it('offers "disable for this line" as a code action and applies it', async () => {
    const d = diagnostics[0];
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, d.range);
    const disable = actions.find((a) => /disable/i.test(a.title));
    assert.ok(disable?.edit, `no disable action: ${actions.map((a) => a.title).join('; ')}`);
    assert.ok(await vscode.workspace.applyEdit(disable.edit));
    assert.match(doc.getText(), /querylens-disable/);
  });
});
