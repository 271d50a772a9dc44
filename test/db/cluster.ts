/**
 * A throw-away PostgreSQL cluster for the calibration suite: `initdb` into a
 * temporary directory, `pg_ctl start` on a free loopback port with the unix
 * socket in that directory, durability off (fsync, synchronous_commit,
 * full_page_writes: nothing here needs to survive a crash), and `stop()`
 * that stops the server and removes the directory. PostgreSQL refuses to run
 * as root, so when this process is root the server runs as the `postgres`
 * user (created by the distribution package) through `runuser` (or `su`).
 *
 * Binaries: $PG_BIN, else the newest /usr/lib/postgresql/<v>/bin, else PATH.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface Cluster {
  host: string;
  port: number;
  socketDir: string;
  user: string;
  database: string;
  version: string;
  /** Niceness the server runs at (negative: raised priority, see startCluster). */
  niceness: number;
  stop(): void;
}

/**
 * Niceness for the server (and, in the calibration test, the client): the
 * machine's 2 cores are shared with other suites, and at load averages of
 * 10–20 medians measure the scheduler more than PostgreSQL. Raising the
 * priority of this short run (≈ 30 s) keeps measurements near uncontended,
 * which is what the model predicts. Only root may raise it;
 * QUERYLENS_CALIBRATION_NICE=0 turns it off.
 */
export const CALIBRATION_NICENESS = Number(process.env.QUERYLENS_CALIBRATION_NICE ?? -10);

export function findPgBin(): string | undefined {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const base = '/usr/lib/postgresql';
  if (fs.existsSync(base)) {
    const versions = fs
      .readdirSync(base)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(path.join(base, v, 'bin'));
  }
  for (const c of candidates) if (fs.existsSync(path.join(c, 'initdb'))) return c;
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return path.dirname(which.stdout.trim());
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const RUN_AS = 'postgres';

/** Runs a PostgreSQL binary, as the `postgres` user when we are root. */
function runPg(bin: string, args: string[], opts: { timeoutMs?: number; niceness?: number } = {}): string {
  const timeout = opts.timeoutMs ?? 60000;
  const o = { encoding: 'utf8' as const, timeout, stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'] };
  // The niceness is inherited by everything pg_ctl starts (postmaster and backends).
  const nice = opts.niceness ? ['nice', '-n', String(opts.niceness)] : [];
  if (!isRoot) return execFileSync(bin, args, o);
  const hasRunuser = spawnSync('sh', ['-c', 'command -v runuser'], { encoding: 'utf8' }).status === 0;
  if (hasRunuser) {
    const argv = [...nice, 'runuser', '-u', RUN_AS, '--', bin, ...args];
    return execFileSync(argv[0], argv.slice(1), o);
  }
  const cmd = [bin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const argv = [...nice, 'su', RUN_AS, '-s', '/bin/sh', '-c', cmd];
  return execFileSync(argv[0], argv.slice(1), o);
}

function userExists(name: string): boolean {
  return spawnSync('id', ['-u', name]).status === 0;
}

export async function startCluster(): Promise<Cluster> {
  const bin = findPgBin();
  if (!bin) throw new Error('PostgreSQL binaries not found: install postgresql (apt-get install -y postgresql) or set PG_BIN');
  if (isRoot && !userExists(RUN_AS)) {
    // The distribution package creates it; create a system user if someone removed it.
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/bin/sh', RUN_AS]);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-pg-'));
  fs.chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', RUN_AS], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', RUN_AS], { encoding: 'utf8' }).trim());
    fs.chownSync(dir, uid, gid);
  }
  let started = false;
  const stop = () => {
    if (started) {
      try {
        runPg(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { timeoutMs: 30000 });
      } catch {
        // Already down, or never fully up: the directory goes anyway.
      }
      started = false;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // Stop the server even when the test process dies between start and the after-hook.
  process.once('exit', stop);
  try {
    runPg(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--locale=C'], { timeoutMs: 120000 });
    const port = await freePort();
    const opts = [
      `-p ${port}`,
      `-k ${dir}`,
      `-c listen_addresses=127.0.0.1`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c shared_buffers=256MB',
      // The machine is shared (2 cores): one core per query keeps runs comparable.
      // The model's scan rate is per core; see engine/model/params.ts.
      '-c max_parallel_workers_per_gather=0',
      '-c jit=off',
    ].join(' ');
    const niceness = isRoot && CALIBRATION_NICENESS < 0 ? CALIBRATION_NICENESS : 0;
    runPg(path.join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-o', opts, '-w', '-t', '60', 'start'], { timeoutMs: 90000, niceness });
    started = true;
    const version = runPg(path.join(bin, 'postgres'), ['--version']).trim();
    return { host: '127.0.0.1', port, socketDir: dir, user: 'postgres', database: 'postgres', version, niceness, stop };
  } catch (e) {
    let serverLog = '';
    try {
      serverLog = fs.readFileSync(log, 'utf8').slice(-2000);
    } catch {
      // No log yet.
    }
    stop();
    process.removeListener('exit', stop);
    const err = e as Error & { stderr?: string };
    throw new Error(`could not start PostgreSQL: ${err.message}\n${err.stderr ?? ''}\n${serverLog}`);
  }
}
