'use strict';
// Kysely on MySQL (MysqlDialect over a mysql2 pool), and mysql2 with checks: 'auto', against the harness's real MariaDB
// primary and replica: execute() returns rows; the caller's mistakes, wrapped by
// Kysely or not, leave a threshold-1 circuit closed; checks: 'auto' checks it through
// Kysely; killing the primary makes the error in flight a connection error, so an
// idempotent read runs again on the replica; disconnect() destroys Kysely, which ends
// its pool.
const fs = require('fs');
const path = require('path');
const { once } = require('events');
const mysql = require('mysql2');
const { Kysely, MysqlDialect, sql } = require('kysely');
const { startMariaDb } = require('../harness/mariadb');
const { waitFor, portState } = require('../harness/servers');
const { Orchestrator } = require('../..');
const { isConnectionError } = require('../../lib/classify');
const { familyOf } = require('../../lib/clients');

jest.setTimeout(90000);

let m;
beforeAll(async () => {
  m = await startMariaDb({ replica: true });
}, 120000);
afterAll(async () => {
  if (m) await m.stop();
});

function kysely(url) {
  const pool = mysql.createPool({ uri: url, connectTimeout: 2000 });
  pool.on('error', () => {}); // Kysely's pool is the user's: its idle errors are theirs to hear
  return { db: new Kysely({ dialect: new MysqlDialect({ pool }) }), pool };
}

const raw = async (k, text) => (await sql.raw(text).execute(k)).rows;

test('execute() returns rows; the caller\'s mistakes leave the circuit closed; checks: \'auto\' checks it; disconnect() ends the pool', async () => {
  const { db: primary, pool } = kysely(m.primary.url);
  expect(familyOf(primary).name).toBe('kysely');
  const db = new Orchestrator({
    connections: { primary },
    circuitBreaker: { threshold: 1 },
    healthCheck: { interval: '1h', checks: 'auto' },
  });
  await db.connect();
  try {
    expect(db.health().primary.status).toBe('healthy');
    expect(db.metrics().primary.healthCheck.checks).toBeGreaterThanOrEqual(1);
    expect(await db.execute('primary', (k) => raw(k, 'SELECT 41 + 1 AS n'))).toEqual([{ n: 42 }]);
    const mistakes = [
      ['SELEC 1', 'ER_PARSE_ERROR'],
      ['SELECT * FROM no_such_table', 'ER_NO_SUCH_TABLE'],
      ["INSERT INTO items (id, name) VALUES ('not a number', 'x')", 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD'],
      ['INSERT INTO items (id, name) VALUES (1, \'a\'), (1, \'b\')', 'ER_DUP_ENTRY'],
    ];
    for (const [text, code] of mistakes) {
      const error = await db.execute('primary', (k) => raw(k, text)).then(() => null, (e) => e);
      expect(error && error.code).toBe(code);
      expect(isConnectionError(error)).toBe(false);
      expect(db.getStats().primary).toMatchObject({ circuit: 'closed', failures: 0 });
    }
  } finally {
    await db.disconnect();
  }
  expect(pool._closed).toBe(true);
});

test('primary killed: the read in flight is a connection error and runs again on the replica; the circuit opens', async () => {
  const { db: primary } = kysely(m.primary.url);
  const { db: replica } = kysely(m.replica.url);
  await raw(primary, 'SELECT 1'); // connected before the kill
  const db = new Orchestrator({
    connections: { primary, replica },
    failover: { primary: 'replica' },
    circuitBreaker: { threshold: 1, resetTimeout: '1h' },
    closeTimeout: '1s',
  });
  db.on('error', () => {});
  const opened = once(db, 'circuit:open');
  await db.connect();
  const pidFile = path.join(m.dir, 'primary.pid');
  try {
    const ranOn = [];
    const inFlight = db.execute('primary', (k) => {
      ranOn.push(k === primary ? 'primary' : 'replica');
      return raw(k, k === primary ? 'SELECT SLEEP(20) AS n' : 'SELECT 2 AS n');
    }, { idempotent: true });
    await waitFor(async () => (await m.sql('primary', "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(20)%'")) === '1',
      { timeout: 10000, what: 'the SLEEP to run on the primary' });
    process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGKILL');
    await waitFor(async () => (await portState(m.primary.port)) === 'refused', { timeout: 10000, what: 'the killed primary\'s port to refuse' });

    expect(await inFlight).toEqual([{ n: 2 }]);
    expect(ranOn).toEqual(['primary', 'replica']);
    const [event] = await opened;
    expect(event.name).toBe('primary');
    const whileDown = await raw(primary, 'SELECT 1').then(() => null, (e) => e);
    expect(whileDown).not.toBeNull();
    expect(isConnectionError(whileDown)).toBe(true);
  } finally {
    await db.disconnect();
    await m.stopServer('primary'); // forgets the killed process
    await m.startServer('primary');
  }
});

test("a mysql2 pool with checks: 'auto' gets the native MySQL probe, from the pool's own options", async () => {
  const primary = require('mysql2/promise').createPool({ uri: m.primary.url, connectTimeout: 2000 });
  const replica = require('mysql2/promise').createPool({ uri: m.replica.url, connectTimeout: 2000 });
  const db = new Orchestrator({ connections: { primary, replica }, healthCheck: { interval: '1h', checks: 'auto' } });
  await db.connect();
  try {
    const metrics = db.metrics();
    expect(metrics.primary).toMatchObject({ status: 'healthy', role: 'primary' });
    expect(metrics.replica).toMatchObject({ status: 'healthy', role: 'replica' });
  } finally {
    await db.disconnect();
  }
});
