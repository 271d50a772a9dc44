/**
 * A worker thread of `querylens lint --concurrency N` (cli/pool.ts): one
 * `LintSession` (cli/session.ts) per thread, driven by messages. Every reply
 * is plain data (structured clone); a step that throws answers `failed`, and
 * the pool runs those files on the main thread instead.
 */
import { parentPort } from 'node:worker_threads';
import { initParser } from '../engine';
import { type AnalysisOut, type FileTask, LintSession, type SessionInit, type UsageOut } from './session';
import type { FileUsage } from '../engine';

export type ToWorker =
  | { type: 'init'; init: SessionInit }
  | { type: 'usage'; id: number; tasks: FileTask[] }
  | { type: 'seed'; entries: [string, FileUsage | null][] }
  | { type: 'analyze'; id: number; tasks: FileTask[] };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'usage'; id: number; out: UsageOut[] }
  | { type: 'analyze'; id: number; out: AnalysisOut[] }
  | { type: 'failed'; id: number; message: string };

if (parentPort) {
  const port = parentPort;
  let session: LintSession | undefined;
  const ready = initParser();
  port.on('message', (msg: ToWorker) => {
    void ready.then(() => {
      try {
        switch (msg.type) {
          case 'init':
            session = new LintSession(msg.init);
            port.postMessage({ type: 'ready' } satisfies FromWorker);
            return;
          case 'seed':
            session?.seedUsage(msg.entries);
            return;
          case 'usage':
            port.postMessage({ type: 'usage', id: msg.id, out: session!.usage(msg.tasks) } satisfies FromWorker);
            return;
          case 'analyze':
            port.postMessage({ type: 'analyze', id: msg.id, out: session!.analyze(msg.tasks) } satisfies FromWorker);
            return;
        }
      } catch (e) {
        const id = 'id' in msg ? msg.id : -1;
        port.postMessage({ type: 'failed', id, message: (e as Error)?.stack ?? String(e) } satisfies FromWorker);
      }
    });
  });
}
