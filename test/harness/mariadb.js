'use strict';
/**
 * Real-database test harness, MySQL side: a throwaway MariaDB primary and a replica of it
 * (binlog replication with GTIDs), each on a port the OS picked, in one temp dir that is
 * removed again.
 *
 *   const { startMariaDb } = require('./test/harness/mariadb');
 *   const m = await startMariaDb({ replica: true, password: 's3cret' });
 *   m.primary.url     // mysql://omnidb:s3cret@127.0.0.1:PORT/omnidb_test  (SLAVE MONITOR + the test db)
 *   m.primary.limitedUrl // mysql://limited:s3cret@...  (no privilege to read the replica status)
 *   m.replica.url     // the same on the replica (read_only, replicating from the primary)
 *   await m.sql('primary', 'SELECT 1');          // the mariadb client, as root, over the unix socket
 *   const lock = await m.holdReadLock('replica'); // FLUSH TABLES WITH READ LOCK until lock.release()
 *   await m.stopServer('primary'); await m.startServer('primary');
 *   await m.stop();
 *
 * The data dir is made once (mariadb-install-db) and copied for the replica. As root the
 * servers run as the `mysql` OS user (mariadbd --user; override with OMNIDB_MYSQL_OS_USER);
 * as anyone else, as that user. Leaks are guarded as in servers.js: stop() (idempotent),
 * an 'exit' hook, and servers.js's detached watchdog, which stops every process whose
 * working directory is in the dir (mariadbd runs in its data dir) if the owner dies.
 * Environment: OMNIDB_MARIADBD (path to mariadbd), OMNIDB_HARNESS_DEBUG=1.
 */

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { cleanupDir, freePort, portState, waitFor, HarnessError, HOST } = require('./servers');

const DATABASE = 'omnidb_test';
const APP_USER = 'omnidb';
const LIMITED_USER = 'limited';
const REPL_USER = 'repl';
const DEFAULT_PASSWORD = 'omnidb';
const DIR_PREFIX = 'omnidb-my-';
const DEFAULT_TIMEOUT = 60000;
const HINT = 'run `bash scripts/bootstrap.sh` as root (it apt-installs mariadb-server and libmariadb-dev)';

const debug = (...a) => {
  if (process.env.OMNIDB_HARNESS_DEBUG) process.stderr.write(`[mariadb harness ${new Date().toISOString()}] ${a.join(' ')}\n`);
};

function findExecutable(names, extraDirs = []) {
  const dirs = [...extraDirs, ...(process.env.PATH || '').split(path.delimiter), '/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];
  for (const d of dirs) {
    for (const n of names) {
      const f = path.join(d, n);
      try {
        fs.accessSync(f, fs.constants.X_OK);
        if (fs.statSync(f).isFile()) return f;
      } catch {
        /* next */
      }
    }
  }
  return null;
}

function findMariaDbBinaries() {
  const server = process.env.OMNIDB_MARIADBD || findExecutable(['mariadbd', 'mysqld']);
  const install = findExecutable(['mariadb-install-db', 'mysql_install_db']);
  const client = findExecutable(['mariadb', 'mysql']);
  const missing = [['mariadbd', server], ['mariadb-install-db', install], ['mariadb (client)', client]].filter(([, f]) => !f).map(([n]) => n);
  if (missing.length) throw new HarnessError(`missing ${missing.join(', ')}: ${HINT}`, 'EHARNESS_NO_BINARIES');
  return { server, install, client };
}

/** null: run as ourselves; else { name, uid, gid } (root runs the servers as that user). */
function osIdentity() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const name = process.env.OMNIDB_MYSQL_OS_USER || 'mysql';
  const id = (flag) => {
    const r = spawnSync('id', [flag, name], { encoding: 'utf8' });
    return r.status === 0 ? Number(r.stdout.trim()) : NaN;
  };
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new HarnessError(`running as root but there is no '${name}' OS user to run MariaDB as: ${HINT}, or set OMNIDB_MYSQL_OS_USER`);
  }
  return { name, uid, gid };
}

function run(file, args, { timeout = DEFAULT_TIMEOUT, input, what } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new HarnessError(`${what || path.basename(file)}: could not run ${file}: ${e.message}`));
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new HarnessError(`${what || path.basename(file)} failed (${code === null ? sig : `exit ${code}`}): ${`${err}${out}`.trim()}`));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

function readPid(file) {
  try {
    return Number(fs.readFileSync(file, 'utf8').trim()) || null;
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
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

const live = new Set(); // dirs of clusters this process started and has not stopped
let hooked = false;
function installExitHook() {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const dir of live) cleanupDir(dir);
  });
}

function spawnWatchdog(dir) {
  try {
    const child = spawn(process.execPath, [path.join(__dirname, 'servers.js'), '__watchdog', String(process.pid), dir], {
      detached: true, stdio: 'ignore', cwd: '/', env: { ...process.env, OMNIDB_HARNESS_DEBUG: '' },
    });
    child.on('error', () => {});
    child.unref();
    return child;
  } catch {
    return null;
  }
}

const mysqlUrl = (user, password, port) =>
  `mysql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${HOST}:${port}/${DATABASE}`;
const sqlString = (s) => `'${String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * Starts a MariaDB primary (+ a replica of it) on free ports.
 * @param {object} [options]
 * @param {boolean} [options.replica=true]
 * @param {string}  [options.password] password of the `omnidb` and `limited` users (default 'omnidb')
 * @param {number}  [options.timeout=60000] bound for each wait (ms)
 * @param {number}  [options.maxConnections=200]
 */
async function startMariaDb(options = {}) {
  const { replica: withReplica = true, password = DEFAULT_PASSWORD, timeout = DEFAULT_TIMEOUT, maxConnections = 200 } = options;
  const bins = findMariaDbBinaries();
  const ident = osIdentity();
  const t0 = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
  if (ident) fs.chownSync(dir, ident.uid, ident.gid);
  fs.writeFileSync(path.join(dir, 'cluster.json'), JSON.stringify({ ownerPid: process.pid, created: new Date().toISOString() }));
  live.add(dir);
  installExitHook();
  const watchdog = spawnWatchdog(dir);
  let stopping = null;
  const locks = new Set(); // mariadb clients holding a read lock (holdReadLock)

  const mkServer = (name, serverId, port) => ({
    name,
    serverId,
    host: HOST,
    port,
    database: DATABASE,
    user: APP_USER,
    password,
    url: mysqlUrl(APP_USER, password, port),
    limitedUrl: mysqlUrl(LIMITED_USER, password, port),
    dataDir: path.join(dir, name),
    socket: path.join(dir, `${name}.sock`),
    pidFile: path.join(dir, `${name}.pid`),
    logFile: path.join(dir, `${name}.log`),
    child: null,
  });

  const sql = (server, text, { timeout: t = timeout } = {}) =>
    run(bins.client, ['--no-defaults', '-uroot', `--socket=${server.socket}`, '-N', '-B', '-e', text], { timeout: t, what: `SQL on the ${server.name}` })
      .then((out) => out.trim());

  const start = async (server) => {
    const args = [
      '--no-defaults', `--datadir=${server.dataDir}`, `--port=${server.port}`, `--bind-address=${HOST}`,
      `--socket=${server.socket}`, `--pid-file=${server.pidFile}`, `--log-error=${server.logFile}`,
      '--skip-name-resolve', `--server-id=${server.serverId}`, '--innodb-buffer-pool-size=16M',
      '--innodb-flush-log-at-trx-commit=0', '--innodb-doublewrite=0', '--sync-binlog=0', '--performance-schema=OFF',
      '--skip-slave-start', `--max-connections=${maxConnections}`,
    ];
    if (server.name === 'primary') args.push('--log-bin=mariadb-bin', '--binlog-format=ROW');
    else args.push('--read-only=ON', '--relay-log=relay-bin');
    if (ident) args.push(`--user=${ident.name}`);
    debug(`starting ${server.name} on ${server.port}`);
    const child = spawn(bins.server, args, { cwd: dir, stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
    server.child = child;
    let exited = null;
    child.once('exit', (code, sig) => {
      exited = code === null ? sig : `exit ${code}`;
      if (server.child === child) server.child = null;
    });
    await waitFor(async (left) => {
      if (exited) throw new HarnessError(`mariadbd (${server.name}) ${exited}`);
      await sql(server, 'SELECT 1', { timeout: Math.max(Math.min(left, 5000), 500) });
      return true;
    }, { timeout, interval: 50, what: `the MariaDB ${server.name} on port ${server.port} to answer`, logFile: server.logFile });
  };

  const stopServer = async (server) => {
    const pid = (server.child && server.child.pid) || readPid(server.pidFile);
    if (!isAlive(pid)) return;
    process.kill(pid, 'SIGTERM');
    await waitFor(() => !isAlive(pid), { timeout, interval: 20, what: `the MariaDB ${server.name} to shut down`, logFile: server.logFile });
    server.child = null;
  };

  const usedPorts = new Set();
  const nextPort = async () => {
    for (;;) {
      const p = await freePort();
      if (!usedPorts.has(p)) {
        usedPorts.add(p);
        return p;
      }
    }
  };
  const primary = mkServer('primary', 1, await nextPort());
  const replica = withReplica ? mkServer('replica', 2, await nextPort()) : null;

  try {
    const installArgs = ['--no-defaults', `--datadir=${primary.dataDir}`, '--auth-root-authentication-method=normal',
      '--skip-test-db', '--skip-name-resolve'];
    if (ident) installArgs.push(`--user=${ident.name}`);
    await run(bins.install, installArgs, { timeout, what: 'mariadb-install-db' });
    if (replica) {
      const cp = spawnSync('cp', ['-a', primary.dataDir, replica.dataDir]);
      if (cp.status !== 0) throw new HarnessError(`copying the data dir for the replica failed: ${cp.stderr}`);
    }
    await Promise.all([start(primary), replica && start(replica)]);
    const pw = sqlString(password);
    await sql(primary, [
      "DELETE FROM mysql.global_priv WHERE user = ''", 'FLUSH PRIVILEGES',
      `CREATE DATABASE ${DATABASE}`,
      `CREATE TABLE ${DATABASE}.items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100))`,
      `CREATE USER '${APP_USER}'@'%' IDENTIFIED BY ${pw}`,
      `GRANT ALL ON ${DATABASE}.* TO '${APP_USER}'@'%'`,
      `GRANT SLAVE MONITOR ON *.* TO '${APP_USER}'@'%'`,
      `CREATE USER '${LIMITED_USER}'@'%' IDENTIFIED BY ${pw}`,
      `GRANT SELECT ON ${DATABASE}.* TO '${LIMITED_USER}'@'%'`,
      `CREATE USER '${REPL_USER}'@'%' IDENTIFIED BY '${REPL_USER}'`,
      `GRANT REPLICATION SLAVE ON *.* TO '${REPL_USER}'@'%'`,
    ].join(';\n'));
    if (replica) {
      await sql(replica, `CHANGE MASTER TO MASTER_HOST='${HOST}', MASTER_PORT=${primary.port}, MASTER_USER='${REPL_USER}', ` +
        `MASTER_PASSWORD='${REPL_USER}', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE`);
      await waitFor(async () => (await sql(replica, `SELECT COUNT(*) FROM mysql.user WHERE user = '${REPL_USER}'`)) === '1',
        { timeout, interval: 50, what: 'the replica to replay the primary\'s users', logFile: replica.logFile });
    }
  } catch (err) {
    live.delete(dir);
    cleanupDir(dir);
    if (watchdog) try { process.kill(watchdog.pid, 'SIGTERM'); } catch { /* gone */ }
    throw err;
  }
  debug(`MariaDB up in ${Date.now() - t0} ms: ${dir}`);

  const serverOf = (name) => {
    const s = name === 'primary' ? primary : name === 'replica' ? replica : null;
    if (!s) throw new HarnessError(`no ${name} in this MariaDB cluster`);
    return s;
  };
  const ensureUsable = () => {
    if (stopping) throw new HarnessError(`MariaDB cluster ${dir} was stopped`);
  };
  const strip = (s) => ({ name: s.name, host: s.host, port: s.port, database: s.database, user: s.user,
    password: s.password, url: s.url, limitedUrl: s.limitedUrl, socket: s.socket, logFile: s.logFile });

  return {
    dir,
    primary: strip(primary),
    replica: replica && strip(replica),
    startedInMs: Date.now() - t0,

    /** Runs SQL as root on 'primary' or 'replica'; resolves to the tab-separated output, trimmed. */
    sql(name, text) {
      ensureUsable();
      return sql(serverOf(name), text);
    },

    /** FLUSH TABLES WITH READ LOCK on a server, held until `release()` (replication stalls behind it). */
    async holdReadLock(name) {
      ensureUsable();
      const server = serverOf(name);
      const child = spawn(bins.client, ['--no-defaults', '-uroot', `--socket=${server.socket}`, '-N', '-B', '--unbuffered'],
        { stdio: ['pipe', 'pipe', 'ignore'] });
      child.on('error', () => {});
      locks.add(child);
      let exited = false;
      child.once('exit', () => {
        exited = true;
        locks.delete(child);
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stdin.write("FLUSH TABLES WITH READ LOCK; SELECT 'locked';\n");
      const release = () => new Promise((resolve) => {
        if (exited) {
          resolve();
          return;
        }
        child.once('exit', resolve);
        child.stdin.end();
      });
      try {
        await waitFor(() => out.includes('locked'), { timeout, interval: 10, what: `the read lock on the ${name}` });
      } catch (err) {
        child.kill('SIGKILL');
        await release();
        throw err;
      }
      return { release };
    },

    /** Shuts a server down (SIGTERM) and waits until its port refuses connections. */
    async stopServer(name) {
      ensureUsable();
      const server = serverOf(name);
      await stopServer(server);
      await waitFor(async () => (await portState(server.port)) === 'refused', { timeout, what: `port ${server.port} to refuse` });
    },

    /** Starts a stopped server again on the same port (a replica resumes replicating). */
    async startServer(name) {
      ensureUsable();
      const server = serverOf(name);
      await start(server);
      if (name === 'replica') await sql(server, 'START SLAVE');
    },

    /** Stops both servers and removes the temp dir. Idempotent. */
    stop() {
      if (!stopping) {
        stopping = (async () => {
          for (const child of locks) child.kill('SIGKILL');
          const results = await Promise.allSettled([primary, replica].filter(Boolean).map(stopServer));
          cleanupDir(dir);
          live.delete(dir);
          if (watchdog) try { process.kill(watchdog.pid, 'SIGTERM'); } catch { /* gone */ }
          const failed = results.find((r) => r.status === 'rejected');
          if (failed) throw failed.reason;
        })();
      }
      return stopping;
    },
  };
}

module.exports = { startMariaDb, findMariaDbBinaries, DATABASE, APP_USER, LIMITED_USER };
