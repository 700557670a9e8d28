'use strict';
// The mysql2 family against a real MariaDB primary and replica (test/harness/mariadb.js),
// for a callback Pool, a promise Pool and a promise Connection: execute() returns rows;
// the caller's mistakes (syntax, missing table, bad data, unique violation) leave a
// threshold-1 circuit closed; killing the primary (SIGKILL) opens it, and what mysql2
// raises in flight and while it is down are connection errors, so idempotent reads run
// again on the replica; the family check reports unhealthy within its deadline;
// probe() gives a target the native probe reaches; disconnect() closes the client, and
// a process that uses it exits by itself.
const fs = require('fs');
const path = require('path');
const { once } = require('events');
const { spawn } = require('child_process');
const mysql = require('mysql2');
const mysqlPromise = require('mysql2/promise');
const { startMariaDb } = require('../harness/mariadb');
const { waitFor, portState } = require('../harness/servers');
const { Orchestrator, probes } = require('../..');
const { isConnectionError } = require('../../lib/classify');
const { familyOf } = require('../../lib/clients');
const family = require('../../lib/clients/mysql2');

jest.setTimeout(90000);

let m;
const open = new Set();

beforeAll(async () => {
  m = await startMariaDb({ replica: true });
}, 120000);

afterAll(async () => {
  for (const c of open) {
    try {
      await family.forceClose(c);
    } catch {
      // closed already
    }
  }
  if (m) await m.stop();
});

const FLAVOURS = {
  'callback Pool': async (url) => mysql.createPool({ uri: url, connectTimeout: 2000 }),
  'promise Pool': async (url) => mysqlPromise.createPool({ uri: url, connectTimeout: 2000 }),
  'promise Connection': async (url) => mysqlPromise.createConnection({ uri: url, connectTimeout: 2000 }),
};

async function client(flavour, url) {
  const c = await FLAVOURS[flavour](url);
  c.on('error', () => {}); // a connection the server dropped: the calls report it
  open.add(c);
  return c;
}

/** One query through either flavour: its rows. */
function query(c, sql, values) {
  if (c.constructor.name.startsWith('Promise')) return c.query(sql, values).then(([rows]) => rows);
  return new Promise((resolve, reject) => c.query(sql, values, (err, rows) => (err ? reject(err) : resolve(rows))));
}

function isClosed(c) {
  const core = c.pool || c.connection || c;
  return core.config.connectionConfig ? core._closed === true : core._closing === true || core.state === 'error';
}

let killedPid = null;
const primaryPid = () => Number(fs.readFileSync(path.join(m.dir, 'primary.pid'), 'utf8'));
const stateOf = (pid) => {
  try {
    return /^\S+ \(.*\) (\S)/.exec(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))[1];
  } catch {
    return null;
  }
};
const running = (pid) => !['Z', 'X', null].includes(stateOf(pid));

async function killPrimary() {
  const pid = primaryPid();
  killedPid = pid;
  process.kill(pid, 'SIGKILL');
  await waitFor(async () => (await portState(m.primary.port)) === 'refused', { timeout: 10000, what: 'the killed primary\'s port to refuse' });
}

async function ensurePrimaryUp() {
  if ((await portState(m.primary.port)) !== 'refused') return;
  await m.stopServer('primary'); // forgets the killed process
  await m.startServer('primary');
  // The new server's pid in the pid file (the frozen-server test signals that pid).
  await waitFor(() => primaryPid() !== killedPid && running(primaryPid()), { timeout: 10000, what: 'the restarted primary\'s pid file' });
}

afterEach(ensurePrimaryUp);

describe.each(Object.keys(FLAVOURS))('%s', (flavour) => {
  const id = Object.keys(FLAVOURS).indexOf(flavour) * 10 + 1000;

  test('execute() returns rows; the caller\'s mistakes leave a threshold-1 circuit closed; check and probe are healthy', async () => {
    const primary = await client(flavour, m.primary.url);
    expect(familyOf(primary)).toBe(family);
    const db = new Orchestrator({
      connections: { primary },
      circuitBreaker: { threshold: 1 },
      healthCheck: { interval: '1h', checks: { primary: (c, { signal }) => family.check(c, { signal }) } },
    });
    await db.connect();
    try {
      expect(db.health().primary.status).toBe('healthy');
      await db.execute('primary', (c) => query(c, 'INSERT INTO items (id, name) VALUES (?, ?)', [id, flavour]));
      expect(await db.execute('primary', (c) => query(c, 'SELECT name FROM items WHERE id = ?', [id]))).toEqual([{ name: flavour }]);

      const mistakes = [
        ['SELEC 1', 'ER_PARSE_ERROR'],
        ['SELECT * FROM no_such_table', 'ER_NO_SUCH_TABLE'],
        ['SELECT no_such_column FROM items', 'ER_BAD_FIELD_ERROR'],
        [`INSERT INTO items (id, name) VALUES (${id}, 'again')`, 'ER_DUP_ENTRY'],
        ["INSERT INTO items (id, name) VALUES ('not a number', 'x')", 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD'],
        [`INSERT INTO items (name) VALUES ('${'x'.repeat(200)}')`, 'ER_DATA_TOO_LONG'],
      ];
      for (const [sql, code] of mistakes) {
        const error = await db.execute('primary', (c) => query(c, sql)).then(() => null, (e) => e);
        expect(error && error.code).toBe(code);
        expect(isConnectionError(error)).toBe(false);
        expect(db.getStats().primary.circuit).toBe('closed');
      }

      expect(await family.check(primary, {})).toEqual({ status: 'healthy', latencyMs: expect.any(Number) });
      const target = family.probe(primary);
      expect(target).toEqual({ kind: 'mysql', fields: expect.objectContaining({ host: '127.0.0.1', port: m.primary.port, user: m.primary.user }) });
      const probe = probes.mysql(target.fields, { timeout: '5s' });
      expect(await probe(primary, { signal: new AbortController().signal })).toEqual(expect.objectContaining({ status: 'healthy', role: 'primary' }));
      probe.close();
    } finally {
      await db.disconnect();
    }
    expect(isClosed(primary)).toBe(true);
  });

  test('primary killed: connection errors in flight and while down, the circuit opens, idempotent reads run on the replica; the check answers', async () => {
    const primary = await client(flavour, m.primary.url);
    const replica = await client(flavour, m.replica.url);
    await query(primary, 'SELECT 1'); // connected before the kill
    const db = new Orchestrator({
      connections: { primary, replica },
      failover: { primary: 'replica' },
      circuitBreaker: { threshold: 1, resetTimeout: '1h' },
      closeTimeout: '1s',
    });
    db.on('error', () => {});
    const opened = once(db, 'circuit:open');
    await db.connect();
    try {
      const ranOn = [];
      const inFlight = db.execute('primary', (c) => {
        ranOn.push(c === primary ? 'primary' : 'replica');
        return query(c, c === primary ? 'SELECT SLEEP(20) AS n' : 'SELECT 2 AS n');
      }, { idempotent: true });
      await waitFor(async () => (await m.sql('primary', "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(20)%'")) === '1',
        { timeout: 10000, what: 'the SLEEP to run on the primary' });
      await killPrimary();

      expect(await inFlight).toEqual([{ n: 2 }]);
      expect(ranOn).toEqual(['primary', 'replica']);
      const [event] = await opened;
      expect(event.name).toBe('primary');

      const whileDown = await query(primary, 'SELECT 1').then(() => null, (e) => e);
      expect(whileDown).not.toBeNull(); // an Error of Node's realm: toBeInstanceOf(Error) cannot tell
      expect(isConnectionError(whileDown)).toBe(true);

      const deadline = AbortSignal.timeout(5000);
      const result = await family.check(primary, { signal: deadline });
      expect(deadline.aborted).toBe(false);
      expect(result).toEqual({ status: 'unhealthy', latencyMs: expect.any(Number), error: expect.any(String) });
    } finally {
      const started = Date.now();
      await db.disconnect();
      expect(Date.now() - started).toBeLessThan(2000 * 2);
    }
    expect(isClosed(primary)).toBe(true);
    expect(isClosed(replica)).toBe(true);
  });

  test('frozen primary: QUIT gets no answer, the sockets are destroyed within 2 x closeTimeout', async () => {
    const primary = await client(flavour, m.primary.url);
    await query(primary, 'SELECT 1');
    const core = primary.pool || primary.connection || primary;
    const sockets = core.config.connectionConfig ? core._allConnections.toArray().map((c) => c.stream) : [core.stream];
    expect(sockets.length).toBeGreaterThan(0);
    const db = new Orchestrator({ connections: { primary }, closeTimeout: '1s' });
    const errors = [];
    db.on('error', (e) => errors.push(e));
    await db.connect();
    const pid = primaryPid();
    expect(running(pid)).toBe(true);
    process.kill(pid, 'SIGSTOP');
    let took;
    try {
      // A signal is delivered asynchronously: until the server is stopped, it could still answer QUIT.
      await waitFor(() => stateOf(pid) === 'T', { timeout: 5000, interval: 5, what: 'the primary to be stopped' });
      const started = Date.now();
      await db.disconnect();
      took = Date.now() - started;
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(took).toBeGreaterThanOrEqual(900); // the graceful close had its share...
    expect(took).toBeLessThan(2000 * 2); // ...then the forced one
    expect(sockets.every((s) => s.destroyed)).toBe(true);
    expect(errors).toEqual([]);
  });
});

test.each(['callback', 'promise'])('a process with a %s Pool that connects, runs a query and disconnects exits by itself', async (flavour) => {
  const script = `
    const mysql = require(${JSON.stringify(flavour === 'promise' ? 'mysql2/promise' : 'mysql2')});
    const { Orchestrator } = require(${JSON.stringify(path.join(__dirname, '../..'))});
    const pool = mysql.createPool(${JSON.stringify(m.primary.url)});
    const db = new Orchestrator({ connections: { primary: pool } });
    const run = (c) => ${flavour === 'promise' ? "c.query('SELECT 1 AS one').then(([rows]) => rows)"
    : "new Promise((resolve, reject) => c.query('SELECT 1 AS one', (e, rows) => (e ? reject(e) : resolve(rows))))"};
    db.connect()
      .then(() => db.execute('primary', run))
      .then((rows) => { process.stdout.write(JSON.stringify(rows)); return db.disconnect(); })
      .catch((e) => { process.stderr.write(String(e && e.stack)); process.exitCode = 1; });
  `;
  const child = spawn(process.execPath, ['-e', script], { cwd: path.join(__dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(timer);
  expect({ code, signal, err }).toEqual({ code: 0, signal: null, err: '' });
  expect(JSON.parse(out)).toEqual([{ one: 1 }]);
});
