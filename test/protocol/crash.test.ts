/**
 * An exception inside the engine must not take the server down: the server
 * runs in-process here (over in-memory streams, the same JSON-RPC as stdio)
 * so the engine can be made to throw for one file.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import type { PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { Project } from '../../engine';
import { QuerylensServer } from '../../server/main';
import { tempWorkspace, uriOf } from './client';

describe('language server: an engine exception for one file', function () {
  this.timeout(30000);
  const original = Project.prototype.analyze;
  let root: string;

  before(() => {
    Project.prototype.analyze = function (this: Project, p: string, only?: readonly string[]) {
      if (p.endsWith('crash.sql')) throw new Error('engine exploded');
      return original.call(this, p, only);
    };
  });
  after(() => {
    Project.prototype.analyze = original;
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('is logged, becomes a problem on that file, and the server serves the next file', async () => {
    root = tempWorkspace({});
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    const serverConn = createConnection(ProposedFeatures.all, new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
    new QuerylensServer(serverConn).listen();
    const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
    const published: PublishDiagnosticsParams[] = [];
    const logs: string[] = [];
    client.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => void published.push(p));
    client.onNotification('window/logMessage', (p: { message: string }) => void logs.push(p.message));
    client.listen();
    const wait = async <T>(f: () => T | undefined): Promise<T> => {
      for (let i = 0; i < 200; i++) {
        const v = f();
        if (v !== undefined) return v;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`timed out; logs: ${logs.join(' | ')}`);
    };
    try {
      await client.sendRequest('initialize', { processId: null, rootUri: uriOf(root), capabilities: {}, initializationOptions: { debounceMs: 0 } });
      await client.sendNotification('initialized', {});
      const crash = uriOf(path.join(root, 'crash.sql'));
      await client.sendNotification('textDocument/didOpen', { textDocument: { uri: crash, languageId: 'sql', version: 1, text: 'SELECT * FROM users;' } });
      const p = await wait(() => published.find((x) => x.uri === crash));
      // Visible on the file: an empty list would read as "no findings".
      assert.deepEqual(
        p.diagnostics.map((d) => [d.code, d.message]),
        [['rule-crash', 'querylens could not analyse this file: engine exploded']],
      );
      assert.ok(logs.some((l) => /analysis of crash\.sql failed: Error: engine exploded/.test(l)), logs.join('\n'));
      const fine = uriOf(path.join(root, 'fine.sql'));
      // No schema here: a comma join with no predicate is a finding whatever the tables are.
      await client.sendNotification('textDocument/didOpen', { textDocument: { uri: fine, languageId: 'sql', version: 1, text: 'SELECT a.id FROM a, b;' } });
      const q = await wait(() => published.find((x) => x.uri === fine));
      assert.ok(q.diagnostics.some((d) => d.code === 'cartesian-join'), JSON.stringify(q.diagnostics));
      // Hover on the crashing file answers empty rather than failing the request.
      assert.equal(await client.sendRequest('textDocument/hover', { textDocument: { uri: crash }, position: { line: 0, character: 8 } }), null);
    } finally {
      client.dispose();
      serverConn.dispose();
    }
  });
});
