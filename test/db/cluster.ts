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
 * The server preloads pg_stat_statements; `hasExtension` tells whether an
 * optional extension (hypopg) is installed beside it.
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
  /** How the server was scheduled: 'fifo' (real-time), 'nice' (niceness −10) or 'normal'. */
  scheduling: Scheduling;
  stop(): void;
}

export type Scheduling = 'fifo' | 'nice' | 'normal';

/**
 * Scheduling for the server (and, in the calibration test, the client's main
 * thread): the machine's 2 cores are shared with other suites, and at load
 * averages of 10–20 a sub-millisecond statement measures the scheduler
 * (EXPLAIN ANALYZE said 0.17 ms where the client saw 1–28 ms), not
 * PostgreSQL. The model predicts uncontended latency, so by default, as
 * root, the run uses SCHED_FIFO priority 1 (`chrt -f 1`) for its ≈ 30 s; the
 * kernel's real-time throttling (sched_rt_runtime_us) still leaves 5 % of
 * each core to others, and the other core stays free while we wait on
 * sockets. QUERYLENS_CALIBRATION_SCHED=nice uses niceness −10 instead,
 * =normal changes nothing. Not root: normal.
 */
export function calibrationScheduling(): Scheduling {
  const want = (process.env.QUERYLENS_CALIBRATION_SCHED ?? 'fifo') as Scheduling;
  if (!isRoot) return 'normal';
  if (want === 'fifo' && spawnSync('chrt', ['-f', '1', 'true']).status === 0) return 'fifo';
  if (want === 'fifo' || want === 'nice') return 'nice';
  return 'normal';
}

function schedPrefix(s: Scheduling): string[] {
  if (s === 'fifo') return ['chrt', '-f', '1'];
  if (s === 'nice') return ['nice', '-n', '-10'];
  return [];
}

/** Applies the scheduling to this process's main thread; returns a function restoring it. */
export function scheduleSelf(s: Scheduling): () => void {
  if (s === 'fifo') {
    if (spawnSync('chrt', ['-f', '-p', '1', String(process.pid)]).status === 0) {
      return () => void spawnSync('chrt', ['-o', '-p', '0', String(process.pid)]);
    }
    return () => {};
  }
  if (s === 'nice') {
    const old = os.getPriority();
    os.setPriority(-10);
    return () => os.setPriority(old);
  }
  return () => {};
}

/** Whether the server's installation ships an extension (its control file), e.g. hypopg from postgresql-<v>-hypopg. */
export function hasExtension(name: string): boolean {
  const bin = findPgBin();
  if (!bin) return false;
  const cfg = spawnSync(path.join(bin, 'pg_config'), ['--sharedir'], { encoding: 'utf8' });
  const share = cfg.status === 0 && cfg.stdout.trim() ? cfg.stdout.trim() : path.join('/usr/share/postgresql', path.basename(path.dirname(bin)));
  return fs.existsSync(path.join(share, 'extension', `${name}.control`));
}

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
function runPg(bin: string, args: string[], opts: { timeoutMs?: number; scheduling?: Scheduling } = {}): string {
  const timeout = opts.timeoutMs ?? 60000;
  const o = { encoding: 'utf8' as const, timeout, stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'] };
  // The scheduling is inherited by everything pg_ctl starts (postmaster and backends).
  const nice = schedPrefix(opts.scheduling ?? 'normal');
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

export interface ClusterOptions {
  /**
   * How to schedule the server: the timing benchmark (`npm run calibrate`) asks for
   * `calibrationScheduling()`; the test suites, which assert nothing a busy machine
   * can change, run at normal priority (the default).
   */
  scheduling?: Scheduling;
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
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
      // pg_stat_statements (part of Debian's postgresql-<v> package): the measured workload
      // `querylens stats pull` reads, and statement counts the db suite asserts.
      '-c shared_preload_libraries=pg_stat_statements',
    ].join(' ');
    const scheduling = options.scheduling ?? 'normal';
    runPg(path.join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-o', opts, '-w', '-t', '60', 'start'], { timeoutMs: 90000, scheduling });
    started = true;
    const version = runPg(path.join(bin, 'postgres'), ['--version']).trim();
    return { host: '127.0.0.1', port, socketDir: dir, user: 'postgres', database: 'postgres', version, scheduling, stop };
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
