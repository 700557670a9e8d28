'use strict';
/**
 * Real-database test harness: a throwaway PostgreSQL primary, a streaming replica of it, and
 * a Redis server, each on a port the OS picked, all under one temp dir that is removed again.
 *
 *   const { startCluster } = require('./test/harness/servers');
 *   const c = await startCluster({ replica: true, redis: true, password: 's3cret' });
 *   c.primary.url   // postgres://postgres@127.0.0.1:PORT/omnidb_test   (superuser, trust)
 *   c.primary.authUrl // postgres://omnidb:s3cret@127.0.0.1:PORT/omnidb_test (scram-sha-256)
 *   c.replica.url, c.redis.url
 *   await c.killPrimary(); await c.restartPrimary(); c.freeze('redis'); c.thaw('redis');
 *   await c.restartPrimaryAsStandby(); await c.promotePrimary(); await c.isInRecovery('primary');
 *   await c.stop();
 *
 * CLI:  node test/harness/servers.js start [--no-replica] [--no-redis] [--password PW]
 *                                         [--state FILE] [--json]
 *       node test/harness/servers.js stop [--state FILE] [--orphans]
 * `start` leaves the servers running after it exits and prints `export NAME=value` lines
 * (eval-able) or, with --json, the state; `stop` stops what `start` started.
 *
 * Leaks are guarded three ways: stop() (idempotent), process hooks (exit, SIGINT, SIGTERM,
 * SIGHUP; 'exit' also runs on a fatal uncaught exception or unhandled rejection), and a
 * detached watchdog process per cluster that cleans up if the owning process dies without
 * running any of those (SIGKILL, a Jest worker killed on timeout; note that inside Jest the
 * `process` object is a sandbox copy whose events never fire, so there the watchdog and
 * afterAll are what count).
 *
 * PostgreSQL refuses to run as root: as root, initdb/pg_ctl/pg_basebackup run as the
 * `postgres` OS user (override with OMNIDB_PG_OS_USER); as anyone else, as that user.
 * Environment: OMNIDB_PG_BIN (dir with initdb, pg_ctl, ...), OMNIDB_REDIS_SERVER (path),
 * OMNIDB_HARNESS_DEBUG=1 (progress on stderr), OMNIDB_HARNESS_KEEP=1 (keep the temp dir
 * when startCluster fails, for a post-mortem).
 */

const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');
const { spawn, spawnSync } = require('child_process');

const HOST = '127.0.0.1';
const DATABASE = 'omnidb_test';
const SUPERUSER = 'postgres';
const APP_USER = 'omnidb';
const DEFAULT_PASSWORD = 'omnidb';
const DIR_PREFIX = 'omnidb-pg-';
const DEFAULT_TIMEOUT = 30000;
const BOOTSTRAP_HINT = 'run `bash scripts/bootstrap.sh` (it apt-installs postgresql and redis-server)';
const PG_TOOLS = ['initdb', 'pg_ctl', 'postgres', 'pg_basebackup', 'psql'];

class HarnessError extends Error {
  constructor(message, code = 'EHARNESS') {
    super(`omnidb test harness: ${message}`);
    this.name = 'HarnessError';
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------
// small utilities

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const now = () => Number(process.hrtime.bigint() / 1000000n);
const debug = (...a) => {
  if (process.env.OMNIDB_HARNESS_DEBUG) process.stderr.write(`[harness ${new Date().toISOString()}] ${a.join(' ')}\n`);
};

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The last `lines` lines of a log file, framed for an error message ('' if unreadable). */
function logTail(file, lines = 25) {
  if (!file) return '';
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, 16384);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      const text = buf.toString('utf8').split('\n').slice(-lines - 1).join('\n').trimEnd();
      return `\n--- last lines of ${file} ---\n${text || '(empty)'}\n--- end of log ---`;
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    return `\n(no log: ${file}: ${e.code || e.message})`;
  }
}

/**
 * Polls `check(remainingMs)` (sync or async; truthy = done) every `interval` ms for at most
 * `timeout` ms; a check should bound its own work by remainingMs.
 */
async function waitFor(check, { timeout = DEFAULT_TIMEOUT, interval = 25, what = 'condition', logFile } = {}) {
  const deadline = now() + timeout;
  let lastError;
  for (;;) {
    try {
      const v = await check(Math.max(deadline - now(), 0));
      if (v) return v;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (now() >= deadline) {
      const why = lastError ? ` (last error: ${String(lastError.message || lastError).split('\n')[0]})` : '';
      throw new HarnessError(`timed out after ${timeout} ms waiting for ${what}${why}${logTail(logFile)}`, 'EHARNESS_TIMEOUT');
    }
    await sleep(interval);
  }
}

// ---------------------------------------------------------------------------------------
// processes (Linux /proc aware: PID 1 in some containers never reaps, so a dead postmaster
// can linger as a zombie and `kill(pid, 0)` alone would call it alive)

function procStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], ppid: Number(rest[1]) };
  } catch {
    return null;
  }
}

function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (e.code !== 'EPERM') return false;
  }
  const st = procStat(pid);
  return !(st && (st.state === 'Z' || st.state === 'X'));
}

function processName(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null; // no /proc: cannot tell
  }
}

/** True if pid is alive and (when /proc can tell) runs `name`: guards against reused pids. */
function isProcess(pid, name) {
  if (!isAlive(pid)) return false;
  const comm = processName(pid);
  return comm === null || comm.startsWith(name);
}

function childrenOf(pid) {
  const kids = [];
  let entries = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return kids;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const st = procStat(e);
    if (st && st.ppid === pid && st.state !== 'Z') kids.push(Number(e));
  }
  return kids;
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------
// binaries and identity

let cachedBins;
function findBinaries({ redis = true } = {}) {
  if (!cachedBins) {
    const dirs = [];
    if (process.env.OMNIDB_PG_BIN) dirs.push(process.env.OMNIDB_PG_BIN);
    for (const root of ['/usr/lib/postgresql', '/usr/local/lib/postgresql', '/usr/pgsql']) {
      let versions = [];
      try {
        versions = fs.readdirSync(root);
      } catch {
        continue;
      }
      versions.sort((a, b) => parseFloat(b) - parseFloat(a)); // newest first
      for (const v of versions) dirs.push(path.join(root, v, 'bin'));
    }
    for (const d of (process.env.PATH || '').split(path.delimiter)) if (d) dirs.push(d);
    const pgBin = dirs.find((d) => PG_TOOLS.every((t) => isExecutable(path.join(d, t)))) || null;

    const redisCandidates = [process.env.OMNIDB_REDIS_SERVER]
      .concat((process.env.PATH || '').split(path.delimiter).map((d) => d && path.join(d, 'redis-server')))
      .concat(['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/usr/sbin/redis-server']);
    const redisServer = redisCandidates.find((f) => f && isExecutable(f)) || null;
    cachedBins = { pgBin, redisServer };
  }
  const missing = [];
  if (!cachedBins.pgBin) missing.push(`PostgreSQL server binaries (${PG_TOOLS.join(', ')}; looked in /usr/lib/postgresql/*/bin, $OMNIDB_PG_BIN and $PATH)`);
  if (redis && !cachedBins.redisServer) missing.push('redis-server (looked in $OMNIDB_REDIS_SERVER, $PATH, /usr/bin, /usr/local/bin)');
  if (missing.length) {
    // Don't cache a failure: bootstrap may install them while this process runs.
    cachedBins = undefined;
    throw new HarnessError(`missing ${missing.join(' and ')}: ${BOOTSTRAP_HINT}`, 'EHARNESS_NO_BINARIES');
  }
  return cachedBins;
}

let cachedIdentity;
/** null: run PostgreSQL tools as ourselves. Otherwise { name, uid, gid } to run them as. */
function pgIdentity() {
  if (cachedIdentity !== undefined) return cachedIdentity;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return (cachedIdentity = null);
  const name = process.env.OMNIDB_PG_OS_USER || 'postgres';
  const id = (flag) => {
    const r = spawnSync('id', [flag, name], { encoding: 'utf8' });
    return r.status === 0 ? Number(r.stdout.trim()) : NaN;
  };
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new HarnessError(
      `running as root, and PostgreSQL refuses to run as root, but there is no '${name}' OS user to run it as: ` +
        `${BOOTSTRAP_HINT} (the postgresql package creates that user), set OMNIDB_PG_OS_USER, or run as a non-root user`,
      'EHARNESS_NO_PG_USER',
    );
  }
  return (cachedIdentity = { name, uid, gid });
}

/** Environment for PostgreSQL tools: none of the caller's PG* variables, C locale. */
function pgEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^PG/.test(k)) env[k] = v;
  env.LC_ALL = 'C';
  env.LANG = 'C';
  return Object.assign(env, extra);
}

const inflight = new Set(); // initdb/pg_ctl/psql/... children still running

/**
 * Runs a program to completion with a hard timeout. Rejects with its output and, if given,
 * the tail of `logFile`. `asPg`: run as the PostgreSQL OS user when we are root.
 */
function run(file, args, { timeout = DEFAULT_TIMEOUT, input, asPg = false, cwd, env, what, logFile } = {}) {
  return new Promise((resolve, reject) => {
    const opts = { cwd, env: env || pgEnv(), stdio: ['pipe', 'pipe', 'pipe'] };
    const ident = asPg ? pgIdentity() : null;
    if (ident) Object.assign(opts, { uid: ident.uid, gid: ident.gid });
    const label = what || path.basename(file);
    let child;
    try {
      child = spawn(file, args, opts);
    } catch (e) {
      reject(new HarnessError(`${label}: could not run ${file}: ${e.message}`));
      return;
    }
    inflight.add(child);
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeout);
    child.on('error', (e) => {
      clearTimeout(timer);
      inflight.delete(child);
      reject(new HarnessError(`${label}: could not run ${file}: ${e.message}`));
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      inflight.delete(child);
      const output = `${err}${out}`.trim();
      const cmd = [path.basename(file), ...args].join(' ');
      if (timedOut) {
        reject(new HarnessError(`${label}: \`${cmd}\` timed out after ${timeout} ms${output ? `\n${output}` : ''}${logTail(logFile)}`, 'EHARNESS_TIMEOUT'));
      } else if (code !== 0) {
        const e = new HarnessError(`${label}: \`${cmd}\` failed (${code === null ? sig : `exit ${code}`})${output ? `\n${output}` : ''}${logTail(logFile)}`);
        e.output = output;
        reject(e);
      } else {
        resolve({ stdout: out, stderr: err });
      }
    });
    child.stdin.on('error', () => {}); // EPIPE if it exits before reading
    child.stdin.end(input === undefined ? undefined : input);
  });
}

// ---------------------------------------------------------------------------------------
// ports

/** A port the OS says is free on 127.0.0.1 (listen on 0, read it, close). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function freePorts(n, exclude = new Set()) {
  const ports = [];
  for (let tries = 0; ports.length < n; tries++) {
    if (tries > 50) throw new HarnessError('could not get distinct free ports from the OS');
    const p = await freePort();
    if (!exclude.has(p) && !ports.includes(p)) ports.push(p);
  }
  return ports;
}

/** 'open' | 'refused' | 'timeout' | error code, for a TCP connect to 127.0.0.1:port. */
function portState(port, { host = HOST, timeout = 1000 } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (state) => {
      sock.destroy();
      resolve(state);
    };
    sock.setTimeout(timeout, () => done('timeout'));
    sock.once('connect', () => done('open'));
    sock.once('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : e.code || 'error'));
  });
}

const bindFailed = (text) => /could not bind|Address already in use|could not create any TCP\/IP sockets|Could not create server TCP listening socket/i.test(text);

// ---------------------------------------------------------------------------------------
// PostgreSQL

function readPostmasterPid(dataDir) {
  try {
    const lines = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    const shm = (lines[6] || '').trim().split(/\s+/).map(Number);
    return { pid: Number(lines[0]) || null, shmId: Number.isInteger(shm[1]) ? shm[1] : null };
  } catch {
    return { pid: null, shmId: null };
  }
}

/**
 * After a postmaster was killed (SIGKILL), its small SysV segment and postmaster.pid stay
 * behind; a restart cleans them up, but a cluster that is thrown away would leak the
 * segment. Remove it (ipcrm marks it; the kernel frees it when nothing is attached).
 */
function removeStaleShm(dataDir) {
  const { pid, shmId } = readPostmasterPid(dataDir);
  if (!pid || isAlive(pid) || shmId === null || shmId < 0) return;
  spawnSync('ipcrm', ['-m', String(shmId)], { stdio: 'ignore' });
}

/**
 * A postmaster that died without shutting down (SIGKILL) leaves postmaster.pid and the
 * socket lock file behind. PostgreSQL treats them as stale only if `kill(pid, 0)` fails, but
 * where PID 1 does not reap orphans (some containers, this project's VMs) the dead
 * postmaster stays a zombie, kill() succeeds, and a restart fails with 'lock file
 * "postmaster.pid" already exists'. So once the pid is really dead, remove them (and the
 * SysV segment they name) ourselves; PostgreSQL then runs its normal crash recovery.
 */
function clearStaleLocks(dataDir, socketDir, port) {
  const { pid } = readPostmasterPid(dataDir);
  if (!pid || isAlive(pid)) return;
  removeStaleShm(dataDir);
  fs.rmSync(path.join(dataDir, 'postmaster.pid'), { force: true });
  if (!socketDir) return;
  const lock = path.join(socketDir, `.s.PGSQL.${port}.lock`);
  if (Number(readFileOr(lock, '').split('\n')[0]) === pid) {
    fs.rmSync(lock, { force: true });
    fs.rmSync(path.join(socketDir, `.s.PGSQL.${port}`), { force: true });
  }
}

function pgConf({ socketDir }) {
  return `
# ---- omnidb test harness -------------------------------------------------
listen_addresses = '${HOST}'
unix_socket_directories = '${socketDir.replace(/'/g, "''")}'
max_connections = 100
shared_buffers = '32MB'
dynamic_shared_memory_type = mmap     # segments live in the data dir: nothing leaks into /dev/shm
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
wal_keep_size = '128MB'               # lets the replica catch up after a primary restart
hot_standby = on
wal_retrieve_retry_interval = '200ms' # the replica reconnects quickly after a primary restart
fsync = off
synchronous_commit = off
full_page_writes = off
jit = off
password_encryption = 'scram-sha-256'
log_line_prefix = '%m [%p] %q%u@%d '
`;
}

// `tls`: TCP connections only over TLS (hostssl lines, and no host line: a plaintext
// attempt finds no entry and is refused "... no encryption").
function pgHba({ tls = false } = {}) {
  const tcp = tls ? 'hostssl' : 'host   ';
  return `# omnidb test harness
# TYPE  DATABASE     USER       ADDRESS         METHOD
local   all          all                        trust
local   replication  all                        trust
${tcp} replication  all        ${HOST}/32    trust
${tcp} all          ${SUPERUSER}   ${HOST}/32    trust
${tcp} all          ${APP_USER}     ${HOST}/32    scram-sha-256
`;
}

const PG_TLS_CONF = `
# ---- omnidb test harness: TLS (startCluster({ tls: true })) ---------------
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
`;

/**
 * A throwaway CA, a server certificate it signed (SAN DNS:localhost, IP:127.0.0.1) and a
 * second, unrelated CA (for "wrong CA" tests), made with the openssl CLI in `dir`/tls.
 * Returns { dir, ca, caFile, otherCa, otherCaFile, serverCertFile, serverKeyFile } (PEM texts, paths).
 */
async function makeTestCertificates(dir, { timeout = DEFAULT_TIMEOUT } = {}) {
  const tlsDir = path.join(dir, 'tls');
  fs.mkdirSync(tlsDir, { mode: 0o700 });
  const f = (name) => path.join(tlsDir, name);
  const ssl = (args, what) => run('openssl', args, { cwd: tlsDir, timeout, what: `openssl: ${what}`, env: pgEnv({ OPENSSL_CONF: '/dev/null' }) });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const makeCa = (name, cn) => ssl(['req', '-x509', ...ecKey, '-keyout', f(`${name}.key`), '-out', f(`${name}.crt`), '-days', '2',
    '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], `the ${cn}`);
  await Promise.all([makeCa('ca', 'omnidb test CA'), makeCa('other-ca', 'omnidb other test CA'),
    ssl(['req', '-new', ...ecKey, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost'], 'the server key and request')]);
  fs.writeFileSync(f('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' +
    'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  await ssl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-set_serial', '1',
    '-days', '2', '-extfile', f('server.ext'), '-out', f('server.crt')], 'signing the server certificate');
  return {
    dir: tlsDir,
    ca: fs.readFileSync(f('ca.crt'), 'utf8'),
    caFile: f('ca.crt'),
    otherCa: fs.readFileSync(f('other-ca.crt'), 'utf8'),
    otherCaFile: f('other-ca.crt'),
    serverCertFile: f('server.crt'),
    serverKeyFile: f('server.key'),
  };
}

/** The server's certificate and key into a data dir, owned by the PostgreSQL OS user, 0600. */
function installServerCertificate(tls, dataDir, ident) {
  for (const [from, to] of [[tls.serverCertFile, 'server.crt'], [tls.serverKeyFile, 'server.key']]) {
    const file = path.join(dataDir, to);
    fs.copyFileSync(from, file);
    fs.chmodSync(file, 0o600);
    if (ident) fs.chownSync(file, ident.uid, ident.gid);
  }
}

const standbySignal = (server) => path.join(server.dataDir, 'standby.signal');

const sqlString = (s) => `'${String(s).replace(/'/g, "''")}'`;
const pgUrl = (user, password, port) =>
  `postgres://${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ''}@${HOST}:${port}/${DATABASE}`;

// ---------------------------------------------------------------------------------------
// the cluster

const live = new Set(); // internal states of clusters started by this module instance
let hooksInstalled = false;

function installProcessHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const cleanupAll = () => {
    for (const st of [...live]) {
      try {
        cleanupStateSync(st);
      } catch {
        /* best effort on the way out */
      }
    }
    for (const child of inflight) signal(child.pid, 'SIGKILL'); // tools that ran elsewhere
  };
  // 'exit' also runs on a fatal uncaught exception / unhandled rejection (Node emits it
  // before dying), so no 'uncaughtException' listener is needed, and none is added: one
  // would change how the process handles errors for everyone else.
  process.on('exit', cleanupAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    const handler = () => {
      cleanupAll();
      if (process.listenerCount(sig) === 1) {
        // We were the only listener: die of the signal as if we had not been here.
        process.removeListener(sig, handler);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, handler);
  }
}

function spawnWatchdog(dir) {
  try {
    const child = spawn(process.execPath, [__filename, '__watchdog', String(process.pid), dir], {
      detached: true,
      stdio: 'ignore',
      cwd: '/',
      env: { ...process.env, OMNIDB_HARNESS_DEBUG: '' },
    });
    child.on('error', () => {});
    child.unref();
    return child;
  } catch {
    return null;
  }
}

function cleanupStateSync(st) {
  live.delete(st);
  st.stopped = true;
  if (st.redis && st.redis.child) signal(st.redis.child.pid, 'SIGKILL');
  cleanupDirSync(st.dir);
  if (st.watchdog) signal(st.watchdog.pid, 'SIGTERM');
}

/** Pids whose working directory is `dir` or below it (Linux; [] where /proc can't tell). */
function processesIn(dir) {
  const found = [];
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return found;
  }
  const below = dir + path.sep;
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    let cwd;
    try {
      cwd = fs.readlinkSync(`/proc/${e}/cwd`).replace(/ \(deleted\)$/, '');
    } catch {
      continue; // gone, or not ours to inspect
    }
    if (cwd === dir || cwd.startsWith(below)) found.push(Number(e));
  }
  return found;
}

/**
 * How to stop a process found in a harness dir: a postmaster gets SIGQUIT (what
 * `pg_ctl stop -m immediate` sends); a single-user/bootstrap backend (initdb's) SIGTERM, since
 * SIGQUIT would make it skip its cleanup and leak its /dev/shm segments; Redis SIGKILL (it
 * holds nothing we keep); tools (initdb, pg_ctl, pg_basebackup, psql) SIGTERM.
 */
function stopSignalFor(pid) {
  const comm = processName(pid) || '';
  if (comm.startsWith('postgres') || comm.startsWith('postmaster')) {
    let args = [];
    try {
      args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      /* no /proc: assume a postmaster */
    }
    return args.some((a) => a === '--boot' || a === '--single' || a === '--check') ? 'SIGTERM' : 'SIGQUIT';
  }
  return comm.startsWith('redis') ? 'SIGKILL' : 'SIGTERM';
}

/**
 * Synchronously stops everything that runs under a harness dir and removes the dir. Works
 * from any process (the exit hook, the watchdog, the CLI) because it only looks at the dir:
 * each data dir's postmaster.pid, redis.pid, and (Linux) every process whose working
 * directory is inside it: the servers, and tools caught mid-run by an interrupted start.
 */
function cleanupDirSync(dir, { timeoutMs = 5000 } = {}) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  const dataDirs = entries.filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name));
  const targets = new Map(); // pid -> signal
  const redisPid = Number(readFileOr(path.join(dir, 'redis.pid'), ''));
  if (redisPid && isProcess(redisPid, 'redis-server')) targets.set(redisPid, 'SIGKILL');
  for (const d of dataDirs) {
    const { pid } = readPostmasterPid(d);
    if (pid && isProcess(pid, 'postgres')) targets.set(pid, stopSignalFor(pid));
  }
  for (const pid of processesIn(dir)) if (!targets.has(pid) && isAlive(pid)) targets.set(pid, stopSignalFor(pid));
  // Signal only the top of each tree: a postmaster takes its backends down on SIGQUIT, and
  // initdb its bootstrap backend on SIGTERM (which, signalled itself, would skip its cleanup
  // and leak its shared memory). Wait for the whole trees all the same.
  const waitList = new Set(targets.keys());
  for (const [pid, sig] of targets) if (sig === 'SIGQUIT') for (const k of childrenOf(pid)) waitList.add(k);
  const parents = new Map([...targets.keys()].map((pid) => [pid, (procStat(pid) || {}).ppid]));
  for (const [pid, ppid] of parents) if (targets.has(ppid)) targets.delete(pid);
  for (const pid of waitList) signal(pid, 'SIGCONT'); // in case it was frozen
  for (const [pid, sig] of targets) signal(pid, sig);
  const deadline = now() + timeoutMs;
  while ([...waitList].some(isAlive) && now() < deadline) sleepSync(10);
  const stubborn = [...waitList].filter(isAlive);
  for (const pid of stubborn) signal(pid, 'SIGKILL');
  const killDeadline = now() + 2000;
  while (stubborn.some(isAlive) && now() < killDeadline) sleepSync(10);
  for (const d of dataDirs) removeStaleShm(d);
  rmDirSync(dir);
}

function rmDirSync(dir) {
  // rm(1) is several times faster than fs.rmSync on a data dir (~400 ms for two of them).
  spawnSync('rm', ['-rf', '--', dir], { stdio: 'ignore', timeout: 30000 });
  for (let i = 0; i < 5 && fs.existsSync(dir); i++) {
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 });
      if (!fs.existsSync(dir)) return;
    } catch {
      /* a server may still be unlinking its files: retry */
    }
    sleepSync(20);
  }
}

function fileSize(file) {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** What was appended to a log since `offset`. */
function readFrom(file, offset) {
  try {
    return fs.readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

function readFileOr(file, fallback) {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return fallback;
  }
}

/**
 * Starts a PostgreSQL primary (+ streaming replica) and Redis on free ports.
 * @param {object} [options]
 * @param {boolean} [options.replica=true]
 * @param {boolean} [options.redis=true]
 * @param {string}  [options.password] password of the `omnidb` role (scram-sha-256 over TCP;
 *                  default 'omnidb') and, when given, Redis `requirepass`.
 * @param {number}  [options.timeout=30000] bound for each wait (ms).
 * @param {boolean} [options.detached=false] no process hooks, no watchdog: the servers
 *                  outlive this process (the CLI's `start`).
 */
async function startCluster(options = {}) {
  const { replica: withReplica = true, redis: withRedis = true, password, timeout = DEFAULT_TIMEOUT, detached = false, tls: withTls = false } = options;
  const t0 = now();
  const bins = findBinaries({ redis: withRedis });
  const ident = pgIdentity();
  const pgBin = (tool) => path.join(bins.pgBin, tool);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
  if (ident) fs.chownSync(dir, ident.uid, ident.gid);
  fs.writeFileSync(path.join(dir, 'cluster.json'), JSON.stringify({ ownerPid: detached ? null : process.pid, created: new Date().toISOString() }));
  // Unix sockets only where the path fits in sun_path (108 bytes); TCP is what tests use.
  const socketDir = dir.length + 20 < 100 ? dir : '';

  const st = { dir, stopped: false, stopping: null, frozen: new Map(), timings: {}, watchdog: null, redis: null };
  if (!detached) {
    live.add(st);
    installProcessHooks();
    st.watchdog = spawnWatchdog(dir);
  }
  const step = async (name, fn) => {
    const t = now();
    debug(`${name}...`);
    const r = await fn();
    st.timings[name] = now() - t;
    debug(`${name} done in ${st.timings[name]} ms`);
    return r;
  };
  const ensureUsable = () => {
    if (st.stopped || st.stopping) throw new HarnessError(`cluster ${dir} was stopped`);
  };

  const usedPorts = new Set();
  for (const other of live) for (const s of [other.primary, other.replica, other.redis]) if (s) usedPorts.add(s.port);
  const nextPort = async () => {
    const [p] = await freePorts(1, usedPorts);
    usedPorts.add(p);
    return p;
  };

  // ---- PostgreSQL helpers (closures over this cluster) ----------------------------------
  const mkServer = (name, port) => ({
    name,
    host: HOST,
    port,
    database: DATABASE,
    user: SUPERUSER,
    url: pgUrl(SUPERUSER, null, port),
    authUrl: pgUrl(APP_USER, password || DEFAULT_PASSWORD, port),
    dataDir: path.join(dir, name),
    logFile: path.join(dir, `${name}.log`),
    socketDir: socketDir || null,
    pid: null,
  });

  const psql = (server, sql, { db = DATABASE, user = SUPERUSER, timeout: t = timeout } = {}) =>
    run(pgBin('psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', HOST, '-p', String(server.port), '-U', user, '-d', db, '-f', '-'], {
      input: sql,
      cwd: dir,
      timeout: t,
      env: pgEnv({ PGCONNECT_TIMEOUT: '5' }),
      what: `psql on the ${server.name}`,
    }).then((r) => r.stdout.trim());

  // One check never runs past the wait's deadline (but gets at least 250 ms to spawn psql).
  const checkTimeout = (left) => Math.max(250, Math.min(5000, left));

  const pgReady = (server) =>
    waitFor(async (left) => (await psql(server, 'SELECT 1', { db: 'postgres', timeout: checkTimeout(left) })) === '1', {
      timeout,
      what: `the ${server.name} PostgreSQL to accept connections on ${HOST}:${server.port}`,
      logFile: server.logFile,
    });

  const pgCtlStart = async (server, { retryPorts }) => {
    for (let attempt = 1; ; attempt++) {
      clearStaleLocks(server.dataDir, socketDir, server.port);
      const logStart = fileSize(server.logFile);
      try {
        await run(pgBin('pg_ctl'), ['-w', '-t', String(Math.ceil(timeout / 1000)), '-D', server.dataDir, '-l', server.logFile, '-o', `-p ${server.port}`, 'start'], {
          asPg: true,
          cwd: dir,
          timeout: timeout + 5000,
          env: pgEnv({ HOME: dir }),
          what: `starting the ${server.name} PostgreSQL on port ${server.port}`,
          logFile: server.logFile,
        });
        break;
      } catch (e) {
        if (!(retryPorts && attempt < 3 && bindFailed(readFrom(server.logFile, logStart)))) throw e;
        const port = await nextPort(); // someone took the port between our probe and bind
        debug(`${server.name}: port ${server.port} taken, retrying on ${port}`);
        Object.assign(server, { port, url: pgUrl(SUPERUSER, null, port), authUrl: pgUrl(APP_USER, password || DEFAULT_PASSWORD, port) });
      }
    }
    await pgReady(server);
    server.pid = readPostmasterPid(server.dataDir).pid;
  };

  const stopPg = async (server, { timeout: t = 10000 } = {}) => {
    const { pid } = readPostmasterPid(server.dataDir);
    if (pid && isProcess(pid, 'postgres')) {
      const pids = [pid, ...childrenOf(pid)];
      for (const p of pids) signal(p, 'SIGCONT');
      signal(pid, 'SIGQUIT'); // what `pg_ctl stop -m immediate` sends, without its 100 ms polling
      try {
        await waitFor(() => !pids.some(isAlive), { timeout: t, interval: 10, what: `the ${server.name} PostgreSQL (pid ${pid}) to exit`, logFile: server.logFile });
      } catch {
        for (const p of pids) signal(p, 'SIGKILL');
        await waitFor(() => !pids.some(isAlive), { timeout: 3000, interval: 10, what: `the ${server.name} PostgreSQL to die of SIGKILL` });
      }
    }
    removeStaleShm(server.dataDir);
  };

  const streaming = async (left = 5000) =>
    Number(await psql(st.primary, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'", { db: 'postgres', timeout: checkTimeout(left) })) > 0;

  // ---- Redis ------------------------------------------------------------------------------
  const redisPing = (port) =>
    new Promise((resolve) => {
      const sock = net.connect({ host: HOST, port });
      let buf = '';
      const done = (v) => {
        sock.destroy();
        resolve(v);
      };
      sock.setTimeout(1000, () => done(false));
      sock.on('connect', () => sock.write('PING\r\n'));
      sock.on('data', (d) => {
        buf += d;
        if (buf.includes('\r\n')) done(/^(\+PONG|-NOAUTH)/.test(buf));
      });
      sock.on('error', () => done(false));
    });

  const spawnRedis = async (server, { retryPorts }) => {
    for (let attempt = 1; ; attempt++) {
      const args = ['--port', String(server.port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir, '--logfile', server.logFile];
      if (server.password) args.push('--requirepass', server.password);
      const logStart = fileSize(server.logFile);
      const child = spawn(bins.redisServer, args, { cwd: dir, stdio: 'ignore', detached });
      server.child = child;
      let exited = null;
      child.on('error', (e) => (exited = `could not run ${bins.redisServer}: ${e.message}`));
      child.on('exit', (code, sig) => {
        exited = exited || `redis-server exited (${code === null ? sig : `exit ${code}`})`;
        if (server.child === child) {
          server.child = null;
          server.pid = null;
          try {
            if (Number(readFileOr(server.pidFile, '')) === child.pid) fs.unlinkSync(server.pidFile);
          } catch {
            /* dir already gone */
          }
        }
      });
      child.unref(); // a forgotten cluster must not keep the process alive: 'exit' cleans up
      if (child.pid) {
        server.pid = child.pid;
        fs.writeFileSync(server.pidFile, String(child.pid));
      }
      try {
        await waitFor(
          async () => {
            if (exited) throw Object.assign(new Error(exited), { fatal: true });
            return redisPing(server.port);
          },
          { timeout, what: `redis-server to answer PING on ${HOST}:${server.port}`, logFile: server.logFile },
        );
        return;
      } catch (e) {
        signal(child.pid, 'SIGKILL');
        if (!(retryPorts && attempt < 3 && bindFailed(readFrom(server.logFile, logStart)))) {
          if (exited) throw new HarnessError(`redis-server on port ${server.port}: ${exited}${logTail(server.logFile)}`);
          throw e;
        }
        const port = await nextPort(); // someone took the port between our probe and bind
        debug(`redis: port ${server.port} taken, retrying on ${port}`);
        server.port = port;
        server.url = redisUrl(port, server.password);
      }
    }
  };
  const redisUrl = (port, pw) => `redis://${pw ? `:${encodeURIComponent(pw)}@` : ''}${HOST}:${port}`;

  const waitExit = (server, child, t) =>
    new Promise((resolve, reject) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => reject(new HarnessError(`redis-server (pid ${child.pid}) did not exit within ${t} ms${logTail(server.logFile)}`, 'EHARNESS_TIMEOUT')), t);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });

  // ---- bring it up ------------------------------------------------------------------------
  try {
    const nPorts = 1 + (withReplica ? 1 : 0) + (withRedis ? 1 : 0);
    const ports = await step('ports', () => freePorts(nPorts, usedPorts));
    ports.forEach((p) => usedPorts.add(p));
    st.primary = mkServer('primary', ports[0]);
    if (withReplica) st.replica = mkServer('replica', ports[1]);
    if (withRedis) {
      const port = ports[nPorts - 1];
      st.redis = {
        name: 'redis',
        host: HOST,
        port,
        url: redisUrl(port, password),
        password: password || null,
        pid: null,
        logFile: path.join(dir, 'redis.log'),
        pidFile: path.join(dir, 'redis.pid'),
        child: null,
      };
    }

    const pgChain = async () => {
      const p = st.primary;
      await step('initdb', () =>
        run(pgBin('initdb'), ['-D', p.dataDir, '-A', 'trust', '-U', SUPERUSER, '-E', 'UTF8', '--locale=C', '-N', '--no-instructions', '--wal-segsize=1'], {
          asPg: true,
          cwd: dir,
          timeout: Math.max(timeout, 60000),
          env: pgEnv({ HOME: dir }),
          what: 'initdb of the primary',
        }),
      );
      fs.appendFileSync(path.join(p.dataDir, 'postgresql.conf'), pgConf({ socketDir }) + (withTls ? PG_TLS_CONF : ''));
      fs.writeFileSync(path.join(p.dataDir, 'pg_hba.conf'), pgHba({ tls: withTls }));
      if (withTls) {
        st.tls = await step('certificates', () => makeTestCertificates(dir, { timeout }));
        installServerCertificate(st.tls, p.dataDir, ident);
      }
      await step('startPrimary', () => pgCtlStart(p, { retryPorts: true }));
      await step('schema', () =>
        psql(
          p,
          `SET password_encryption = 'scram-sha-256';
CREATE ROLE ${APP_USER} LOGIN PASSWORD ${sqlString(password || DEFAULT_PASSWORD)};
GRANT pg_monitor TO ${APP_USER};
CREATE DATABASE ${DATABASE} OWNER ${APP_USER};
\\connect ${DATABASE}
SET ROLE ${APP_USER};
CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, created_at timestamptz DEFAULT now());
`,
          { db: 'postgres' },
        ),
      );
      if (!st.replica) return;
      const r = st.replica;
      await step('basebackup', () =>
        run(pgBin('pg_basebackup'), ['-h', HOST, '-p', String(p.port), '-U', SUPERUSER, '-D', r.dataDir, '-R', '-X', 'stream', '-c', 'fast', '-N'], {
          asPg: true,
          cwd: dir,
          timeout: Math.max(timeout, 60000),
          env: pgEnv({ HOME: dir }),
          what: 'pg_basebackup of the primary into the replica',
          logFile: p.logFile,
        }),
      );
      await step('startReplica', () => pgCtlStart(r, { retryPorts: true }));
      await step('streaming', () =>
        waitFor(async (left) => (await psql(r, 'SELECT pg_is_in_recovery()', { timeout: checkTimeout(left) })) === 't' && (await streaming(left)), {
          timeout,
          what: 'the replica to be in recovery and streaming from the primary (pg_stat_replication)',
          logFile: r.logFile,
        }),
      );
    };
    const redisChain = async () => {
      if (st.redis) await step('redis', () => spawnRedis(st.redis, { retryPorts: true }));
    };
    // allSettled, not all: on a failure, wait for the other branch before tearing down.
    const results = await Promise.allSettled([pgChain(), redisChain()]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    if (process.env.OMNIDB_HARNESS_KEEP) {
      live.delete(st);
      for (const s of [st.primary, st.replica]) if (s) await stopPg(s).catch(() => {});
      if (st.redis && st.redis.child) signal(st.redis.child.pid, 'SIGKILL');
      if (st.watchdog) signal(st.watchdog.pid, 'SIGTERM');
      err.message += `\n(OMNIDB_HARNESS_KEEP: servers stopped, files kept in ${dir})`;
    } else {
      cleanupStateSync(st);
    }
    throw err;
  }
  st.timings.total = now() - t0;
  debug(`cluster up in ${st.timings.total} ms: ${dir}`);

  // ---- the public object --------------------------------------------------------------------
  const pgServer = (name) => {
    const s = name === 'primary' ? st.primary : name === 'replica' ? st.replica : null;
    if (!s) throw new HarnessError(`no ${name} in this cluster`);
    return s;
  };
  const pidsOf = (name) => {
    if (name === 'redis') {
      if (!st.redis || !st.redis.child) throw new HarnessError('redis is not running');
      return [st.redis.child.pid];
    }
    const { pid } = readPostmasterPid(pgServer(name).dataDir);
    if (!pid || !isProcess(pid, 'postgres')) throw new HarnessError(`the ${name} PostgreSQL is not running`);
    return [pid, ...childrenOf(pid)]; // postmaster first: once stopped it forks no more
  };
  const thawSync = (name) => {
    const pids = st.frozen.get(name);
    st.frozen.delete(name);
    if (pids) for (const p of pids) signal(p, 'SIGCONT');
  };

  const cluster = {
    dir,
    primary: st.primary,
    replica: st.replica || null,
    redis: st.redis ? publicRedis(st.redis) : null,
    /** With { tls: true }: TCP to PostgreSQL is TLS only; the CA (PEM `ca`, `caFile`) and an unrelated `otherCa`. */
    tls: st.tls ? { ca: st.tls.ca, caFile: st.tls.caFile, otherCa: st.tls.otherCa, otherCaFile: st.tls.otherCaFile } : null,
    timings: st.timings,

    /** Stops everything and removes the temp dir. Idempotent; safe after a failure. */
    stop() {
      if (!st.stopping) {
        st.stopping = (async () => {
          const t = now();
          live.delete(st);
          for (const name of [...st.frozen.keys()]) thawSync(name);
          const tasks = [];
          if (st.redis && st.redis.child) {
            const child = st.redis.child;
            child.kill('SIGKILL');
            tasks.push(waitExit(st.redis, child, 5000));
          }
          for (const s of [st.primary, st.replica]) if (s) tasks.push(stopPg(s));
          const results = await Promise.allSettled(tasks);
          cleanupDirSync(dir); // kills whatever survived, removes the dir
          if (st.watchdog) signal(st.watchdog.pid, 'SIGTERM');
          st.stopped = true;
          st.timings.stop = now() - t;
          debug(`cluster stopped in ${st.timings.stop} ms`);
          const failed = results.find((r) => r.status === 'rejected');
          if (failed) throw failed.reason;
        })();
      }
      return st.stopping;
    },

    /** Kills the primary's postmaster (default SIGKILL: a crash) and waits until its port refuses. */
    async killPrimary(sig = 'SIGKILL') {
      ensureUsable();
      const p = st.primary;
      thawSync('primary');
      const pids = pidsOf('primary');
      const [pid] = pids;
      signal(pid, sig);
      await waitFor(async () => (await portState(p.port)) === 'refused', {
        timeout,
        interval: 10,
        what: `the primary's port ${p.port} to refuse connections after ${sig} (SIGTERM is a smart shutdown that waits for clients)`,
        logFile: p.logFile,
      });
      // Orphaned backends exit on their own when the postmaster dies; a restart would fail
      // ("pre-existing shared memory block is still in use") while any is alive.
      try {
        await waitFor(() => !pids.some(isAlive), { timeout: 5000, interval: 10, what: 'the primary backends to exit' });
      } catch {
        for (const k of pids) signal(k, 'SIGKILL');
        await waitFor(() => !pids.some(isAlive), { timeout: 3000, interval: 10, what: 'the primary backends to die of SIGKILL' });
      }
    },

    /**
     * Starts the primary again with pg_ctl (stopping it first if it runs) and waits until it
     * answers. Always as a primary: a standby.signal left by restartPrimaryAsStandby() is
     * removed first (PostgreSQL then ends its recovery and accepts writes).
     */
    async restartPrimary() {
      ensureUsable();
      thawSync('primary');
      await stopPg(st.primary);
      fs.rmSync(standbySignal(st.primary), { force: true });
      await pgCtlStart(st.primary, { retryPorts: false });
    },

    /**
     * Restarts the primary as a read-only hot standby that follows nobody: stops it if it runs,
     * creates standby.signal in its data dir (there is no primary_conninfo: it replays its own
     * WAL and then waits), starts it with pg_ctl, and waits until it accepts connections and
     * `pg_is_in_recovery()` is true. Writes to it then fail with SQLSTATE 25006. Undo with
     * promotePrimary() (or restartPrimary()).
     */
    async restartPrimaryAsStandby() {
      ensureUsable();
      const p = st.primary;
      thawSync('primary');
      await stopPg(p);
      const auto = readFileOr(path.join(p.dataDir, 'postgresql.auto.conf'), '');
      if (/^\s*primary_conninfo\s*=\s*'[^']/m.test(auto)) {
        throw new HarnessError(`the primary's postgresql.auto.conf sets primary_conninfo: it would not be a standby of nobody`);
      }
      fs.writeFileSync(standbySignal(p), '');
      if (ident) fs.chownSync(standbySignal(p), ident.uid, ident.gid);
      await pgCtlStart(p, { retryPorts: false });
      await waitFor(async (left) => (await psql(p, 'SELECT pg_is_in_recovery()', { db: 'postgres', timeout: checkTimeout(left) })) === 't', {
        timeout,
        what: 'the primary restarted as a standby to be in recovery',
        logFile: p.logFile,
      });
    },

    /**
     * Promotes the primary when it runs as a standby (`SELECT pg_promote()`) and waits until it
     * is out of recovery (PostgreSQL removes standby.signal itself). A no-op on a primary.
     */
    async promotePrimary() {
      ensureUsable();
      const p = st.primary;
      thawSync('primary');
      if ((await psql(p, 'SELECT pg_is_in_recovery()', { db: 'postgres' })) === 't') {
        await psql(p, 'SELECT pg_promote(true, 30)', { db: 'postgres' });
      }
      await waitFor(async (left) => (await psql(p, 'SELECT pg_is_in_recovery()', { db: 'postgres', timeout: checkTimeout(left) })) === 'f', {
        timeout,
        what: 'the primary to leave recovery after pg_promote()',
        logFile: p.logFile,
      });
    },

    /** Whether 'primary' or 'replica' is in recovery (a standby): `pg_is_in_recovery()`. */
    async isInRecovery(name) {
      ensureUsable();
      return (await psql(pgServer(name), 'SELECT pg_is_in_recovery()', { db: 'postgres' })) === 't';
    },

    /** Waits until the primary has a replica streaming from it (e.g. after restartPrimary). */
    async waitForStreaming({ timeout: t = timeout } = {}) {
      ensureUsable();
      await waitFor(streaming, { timeout: t, interval: 25, what: 'a replica streaming from the primary', logFile: st.replica && st.replica.logFile });
    },

    /** Runs SQL through psql on 'primary' or 'replica'; resolves to its unaligned output. */
    psql(name, sql, opts) {
      ensureUsable();
      return psql(pgServer(name), sql, opts);
    },

    /** Stops Redis (default SIGTERM) and waits until its port refuses connections. */
    async stopRedis(sig = 'SIGTERM') {
      ensureUsable();
      if (!st.redis) throw new HarnessError('no redis in this cluster');
      thawSync('redis');
      const child = st.redis.child;
      if (child) {
        child.kill(sig);
        await waitExit(st.redis, child, timeout);
      }
      await waitFor(async () => (await portState(st.redis.port)) === 'refused', { timeout, what: `redis port ${st.redis.port} to close` });
    },

    /** Starts Redis again on the same port and waits until it answers PING. */
    async startRedis() {
      ensureUsable();
      if (!st.redis) throw new HarnessError('no redis in this cluster');
      if (st.redis.child) throw new HarnessError('redis is already running');
      await spawnRedis(st.redis, { retryPorts: false });
    },

    /** SIGSTOPs a server ('primary' | 'replica' | 'redis'; PostgreSQL: postmaster and all backends). */
    freeze(name) {
      ensureUsable();
      if (st.frozen.has(name)) return;
      const pids = pidsOf(name);
      for (const p of pids) signal(p, 'SIGSTOP');
      st.frozen.set(name, pids);
    },

    /** SIGCONTs what freeze(name) stopped. */
    thaw(name) {
      thawSync(name);
    },
  };
  // keep the public pids current
  Object.defineProperty(cluster.primary, 'pid', { get: () => (st.primary ? livePgPid(st.primary) : null), set() {}, enumerable: true, configurable: true });
  if (st.replica) Object.defineProperty(st.replica, 'pid', { get: () => livePgPid(st.replica), set() {}, enumerable: true, configurable: true });
  return cluster;
}

function livePgPid(server) {
  const { pid } = readPostmasterPid(server.dataDir);
  return pid && isAlive(pid) ? pid : null;
}

function publicRedis(r) {
  const pub = { host: r.host, password: r.password, logFile: r.logFile };
  Object.defineProperty(pub, 'port', { get: () => r.port, enumerable: true });
  Object.defineProperty(pub, 'url', { get: () => r.url, enumerable: true });
  Object.defineProperty(pub, 'pid', { get: () => (r.child ? r.child.pid : null), set() {}, enumerable: true });
  return pub;
}

// ---------------------------------------------------------------------------------------
// watchdog and CLI

function watchdogMain(ownerPid, dir) {
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => {}); // not ours to die of: the owner decides
  process.on('SIGHUP', () => {});
  const tick = () => {
    if (!fs.existsSync(dir)) process.exit(0);
    if (!isAlive(ownerPid)) {
      cleanupDirSync(dir);
      process.exit(0);
    }
    setTimeout(tick, 200);
  };
  tick();
}

function defaultStateFile() {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return path.join(os.tmpdir(), `omnidb-harness-${uid}.json`);
}

function parseArgs(argv) {
  const args = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-replica') args.replica = false;
    else if (a === '--no-redis') args.redis = false;
    else if (a === '--json') args.json = true;
    else if (a === '--orphans') args.orphans = true;
    else if (a === '--password' || a === '--state') args[a.slice(2)] = argv[++i];
    else if (a.startsWith('--password=') || a.startsWith('--state=')) args[a.slice(2, a.indexOf('='))] = a.slice(a.indexOf('=') + 1);
    else args._.push(a);
  }
  return args;
}

const shq = (s) => `'${String(s).replace(/'/g, "'\\''")}'`;

async function cliMain(argv) {
  const args = parseArgs(argv);
  const cmd = args._[0];
  const stateFile = args.state || defaultStateFile();
  if (cmd === 'start') {
    const prev = readFileOr(stateFile, null);
    if (prev && fs.existsSync(JSON.parse(prev).dir || '')) {
      throw new HarnessError(`a cluster from ${stateFile} is still running (${JSON.parse(prev).dir}): run \`node ${path.relative(process.cwd(), __filename)} stop\` first`);
    }
    const c = await startCluster({ replica: args.replica !== false, redis: args.redis !== false, password: args.password, detached: true });
    const state = {
      dir: c.dir,
      primary: { ...c.primary },
      replica: c.replica && { ...c.replica },
      redis: c.redis && { ...c.redis },
      timings: c.timings,
    };
    fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));
    if (args.json) {
      process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
    } else {
      const env = {
        OMNIDB_HARNESS_DIR: c.dir,
        OMNIDB_HARNESS_STATE: stateFile,
        OMNIDB_PG_URL: c.primary.url,
        OMNIDB_PG_AUTH_URL: c.primary.authUrl,
        OMNIDB_PG_REPLICA_URL: c.replica && c.replica.url,
        OMNIDB_REDIS_URL: c.redis && c.redis.url,
      };
      for (const [k, v] of Object.entries(env)) if (v) process.stdout.write(`export ${k}=${shq(v)}\n`);
    }
    process.stderr.write(`harness: cluster up in ${c.timings.total} ms (${c.dir}); stop it with: node ${path.relative(process.cwd(), __filename)} stop\n`);
    return 0;
  }
  if (cmd === 'stop') {
    const stopped = [];
    const raw = readFileOr(stateFile, null);
    if (raw) {
      const { dir } = JSON.parse(raw);
      if (dir && fs.existsSync(dir)) {
        cleanupDirSync(dir);
        stopped.push(dir);
      }
      fs.rmSync(stateFile, { force: true });
    }
    if (args.orphans) {
      // Harness dirs whose owning process is gone (never CLI-started or live ones).
      for (const name of fs.readdirSync(os.tmpdir())) {
        if (!name.startsWith(DIR_PREFIX)) continue;
        const dir = path.join(os.tmpdir(), name);
        let owner;
        try {
          owner = JSON.parse(fs.readFileSync(path.join(dir, 'cluster.json'), 'utf8')).ownerPid;
        } catch {
          continue;
        }
        if (owner && !isAlive(owner)) {
          cleanupDirSync(dir);
          stopped.push(dir);
        }
      }
    }
    process.stderr.write(stopped.length ? `harness: stopped and removed ${stopped.join(', ')}\n` : 'harness: nothing to stop\n');
    return 0;
  }
  process.stderr.write(
    'usage: node test/harness/servers.js start [--no-replica] [--no-redis] [--password PW] [--state FILE] [--json]\n' +
      '       node test/harness/servers.js stop [--state FILE] [--orphans]\n',
  );
  return 2;
}

module.exports = {
  startCluster,
  /** A MariaDB primary + replica (test/harness/mariadb.js; loaded on first use). */
  get startMariaDb() {
    return require('./mariadb').startMariaDb;
  },
  cleanupDir: cleanupDirSync,
  findBinaries,
  freePort,
  portState,
  waitFor,
  HarnessError,
  HOST,
  DATABASE,
  SUPERUSER,
  APP_USER,
  DEFAULT_PASSWORD,
};

if (require.main === module) {
  if (process.argv[2] === '__watchdog') {
    watchdogMain(Number(process.argv[3]), process.argv[4]);
  } else {
    cliMain(process.argv.slice(2)).then(
      (code) => process.exit(code),
      (err) => {
        process.stderr.write(`${err.message}\n`);
        process.exit(1);
      },
    );
  }
}
