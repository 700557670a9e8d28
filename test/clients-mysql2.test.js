'use strict';
// The mysql2 family (lib/clients/mysql2.js): recognising pools and connections of
// both flavours, probe targets from their options, error classification (mysql2's
// errors are plain Errors with `code`, `errno`, `sqlState`, `fatal`), closing. No
// server: pools connect lazily, connections here go to a port that refuses.
const { once } = require('events');
const mysql = require('mysql2');
const mysqlPromise = require('mysql2/promise');
const { familyOf, classifyError } = require('../lib/clients');
const family = require('../lib/clients/mysql2');
const { defaultIsFailure, isConnectionError } = require('../lib/classify');

const pools = [];
function pool(options = { host: '127.0.0.1', port: 1 }) {
  const p = mysql.createPool(options);
  pools.push(p);
  return p;
}
afterAll(async () => {
  await Promise.all(pools.map((p) => new Promise((resolve) => p.end(resolve))));
});

function mysqlError(code, { errno = 1064, sqlState = 'HY000', fatal } = {}) {
  const error = new Error(`${code}: the server said no`);
  error.code = code;
  error.errno = errno;
  error.sqlState = sqlState;
  if (fatal !== undefined) error.fatal = fatal;
  return error;
}

describe('recognise', () => {
  test('a Pool, its promise() wrapper and a mysql2/promise pool are mysql2', () => {
    const p = pool();
    expect(familyOf(p).name).toBe('mysql2');
    expect(familyOf(p.promise()).name).toBe('mysql2');
    const pp = mysqlPromise.createPool({ host: '127.0.0.1', port: 1 });
    pools.push(pp.pool);
    expect(familyOf(pp).name).toBe('mysql2');
  });

  test('a Connection (callback flavour) is mysql2; it closes at once when it failed', async () => {
    const c = mysql.createConnection({ host: '127.0.0.1', port: 1 });
    const [error] = await once(c, 'error');
    expect(error.code).toBe('ECONNREFUSED');
    expect(familyOf(c).name).toBe('mysql2');
    const result = await family.check(c, {});
    expect(result).toEqual({ status: 'unhealthy', latencyMs: expect.any(Number), error: expect.stringContaining('ECONNREFUSED') });
    await family.close(c);
    expect(c.state).toBe('error');
  });

  test('a promise Connection is read through the callback connection under it', async () => {
    const error = await mysqlPromise.createConnection({ host: '127.0.0.1', port: 1 }).then(() => null, (e) => e);
    expect(error.code).toBe('ECONNREFUSED');
    const c = mysql.createConnection({ host: '127.0.0.1', port: 1 });
    await once(c, 'error');
    const wrapped = new mysqlPromise.PromiseConnection(c, Promise);
    expect(familyOf(wrapped).name).toBe('mysql2');
    expect((await family.check(wrapped, {})).status).toBe('unhealthy'); // not PromiseConnection.ping(), which ignores callbacks
  });

  test('plain objects and look-alikes are not', () => {
    expect(family.recognise({ query() {}, end() {} })).toBe(false);
    expect(family.recognise({ config: {}, getConnection() {} })).toBe(false);
    expect(family.recognise(null)).toBe(false);
  });
});

describe('probe()', () => {
  test('host, port, user, password and database of the pool\'s connections', () => {
    const p = pool({ host: 'db.internal', port: 3307, user: 'app', password: 's3cret', database: 'shop' });
    const target = { kind: 'mysql', fields: { host: 'db.internal', port: 3307, user: 'app', password: 's3cret', database: 'shop' } };
    expect(family.probe(p)).toEqual(target);
    expect(family.probe(p.promise())).toEqual(target);
  });

  test('a URI and a unix socket', () => {
    expect(family.probe(pool({ uri: 'mysql://app:pw@db:3310/app' })).fields).toEqual({ host: 'db', port: 3310, user: 'app', password: 'pw', database: 'app' });
    expect(family.probe(pool({ socketPath: '/run/mysqld/mysqld.sock' })).fields.socketPath).toBe('/run/mysqld/mysqld.sock');
  });

  test('null for TLS, which the native probe does not speak', () => {
    expect(family.probe(pool({ ssl: { rejectUnauthorized: false } }))).toBeNull();
  });
});

describe('classify', () => {
  test.each([
    ['ER_PARSE_ERROR', 1064, '42000'],
    ['ER_NO_SUCH_TABLE', 1146, '42S02'],
    ['ER_BAD_FIELD_ERROR', 1054, '42S22'],
    ['ER_DUP_ENTRY', 1062, '23000'],
    ['ER_TRUNCATED_WRONG_VALUE_FOR_FIELD', 1366, '22007'],
    ['ER_DATA_TOO_LONG', 1406, '22001'],
    ['ER_CHECK_CONSTRAINT_VIOLATED', 3819, 'HY000'],
    ['ER_SIGNAL_EXCEPTION', 1644, '45000'],
  ])('%s is the caller\'s: the circuit does not count it, no retry', (code, errno, sqlState) => {
    const error = mysqlError(code, { errno, sqlState });
    expect(classifyError(error)).toBe('caller');
    expect(defaultIsFailure(error)).toBe(false);
    expect(isConnectionError(error)).toBe(false);
  });

  test.each([
    ['PROTOCOL_CONNECTION_LOST', { fatal: true, errno: undefined, sqlState: undefined }],
    ['PROTOCOL_SEQUENCE_TIMEOUT', { fatal: true }],
    ['ER_CON_COUNT_ERROR', { errno: 1040, sqlState: '08004' }],
    ['ER_SERVER_SHUTDOWN', { errno: 1053, sqlState: '08S01' }],
    ['ER_CONNECTION_KILLED', { errno: 1927, sqlState: '70100' }],
    ['ER_OPTION_PREVENTS_STATEMENT', { errno: 1290 }],
  ])('%s is a connection error: it counts, an idempotent call runs elsewhere', (code, fields) => {
    const error = mysqlError(code, fields);
    expect(classifyError(error)).toBe('connection');
    expect(defaultIsFailure(error)).toBe(true);
    expect(isConnectionError(error)).toBe(true);
  });

  test('a command on a connection that closed, and a closed pool, are connection errors', () => {
    expect(isConnectionError(new Error("Can't add new command when connection is in closed state"))).toBe(true);
    expect(isConnectionError(new Error('Pool is closed.'))).toBe(true);
  });

  test('access denied and lock waits count, and are not retried elsewhere', () => {
    for (const error of [mysqlError('ER_ACCESS_DENIED_ERROR', { errno: 1045, sqlState: '28000' }),
      mysqlError('ER_LOCK_WAIT_TIMEOUT', { errno: 1205 })]) {
      expect(classifyError(error)).toBeNull();
      expect(defaultIsFailure(error)).toBe(true);
      expect(isConnectionError(error)).toBe(false);
    }
  });

  test('wrapped in a cause chain, the mysql2 error decides', () => {
    const wrapped = new Error('insert failed', { cause: mysqlError('ER_DUP_ENTRY', { errno: 1062, sqlState: '23000' }) });
    expect(defaultIsFailure(wrapped)).toBe(false);
  });

  test('odd input does not throw', () => {
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    expect(family.classify(revoked.proxy)).toBeNull();
    expect(family.classify({ code: 42 })).toBeNull();
  });
});

describe('close', () => {
  test('a pool that never connected ends at once; the promise flavour too', async () => {
    const p = pool();
    await family.close(p);
    expect(p._closed).toBe(true);
    const q = pool();
    await family.close(q.promise());
    expect(q._closed).toBe(true);
  });

  test('check() with an aborted signal rejects with its reason', async () => {
    const reason = new Error('stop');
    await expect(family.check(pool(), { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  test('check() of a pool whose server refuses: unhealthy, by itself', async () => {
    const result = await family.check(pool(), {});
    expect(result).toEqual({ status: 'unhealthy', latencyMs: expect.any(Number), error: expect.stringContaining('ECONNREFUSED') });
  });
});
