'use strict';
// execute(name, fn, { idempotent: true }): one retry on a usable backup after a
// connection-class failure, and only then.
const { Orchestrator, ManualClock, CircuitOpenError, isConnectionError } = require('..');

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

function setup({ replicaDown = false, threshold = 5 } = {}) {
  const calls = [];
  const server = (name, down) => ({
    name,
    down,
    async query() {
      calls.push(name);
      if (this.down) throw refused();
      return name;
    },
  });
  const primary = server('primary', true);
  const replica = server('replica', replicaDown);
  const db = new Orchestrator({
    connections: { primary, replica },
    failover: { primary: 'replica' },
    circuitBreaker: { threshold },
    clock: new ManualClock(),
  });
  return { db, calls, primary, replica };
}

let db;
afterEach(async () => { if (db) await db.disconnect(); db = undefined; });

test('a refused idempotent call runs once more on the backup and resolves there', async () => {
  const s = setup();
  db = s.db;
  await expect(db.execute('primary', (c) => c.query(), { idempotent: true })).resolves.toBe('replica');
  expect(s.calls).toEqual(['primary', 'replica']);
  expect(db.getStats().primary.failures).toBe(1); // the first attempt still counts against the primary
});

test('without idempotent the same failure is rethrown and not retried', async () => {
  const s = setup();
  db = s.db;
  const err = await db.execute('primary', (c) => c.query()).catch((e) => e);
  expect(err.code).toBe('ECONNREFUSED');
  expect(s.calls).toEqual(['primary']);
});

test('a query error is not retried: the server answered', async () => {
  const s = setup();
  db = s.db;
  const syntax = Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' });
  let calls = 0;
  const err = await db.execute('primary', async () => { calls++; throw syntax; }, { idempotent: true }).catch((e) => e);
  expect(err).toBe(syntax);
  expect(calls).toBe(1);
});

test('retries at most once: a failing backup rejects with its own error', async () => {
  const s = setup();
  db = s.db;
  s.replica.down = true;
  const err = await db.execute('primary', (c) => c.query(), { idempotent: true }).catch((e) => e);
  expect(err.code).toBe('ECONNREFUSED');
  expect(s.calls).toEqual(['primary', 'replica']);
});

test('no retry when the backup is not usable (its circuit is open)', async () => {
  const s = setup({ replicaDown: true, threshold: 1 });
  db = s.db;
  await db.execute('replica', (c) => c.query()).catch(() => {}); // opens the replica's circuit
  expect(db.getStats().replica.circuit).toBe('open');
  s.calls.length = 0;
  const err = await db.execute('primary', (c) => c.query(), { idempotent: true }).catch((e) => e);
  expect(err.code).toBe('ECONNREFUSED');
  expect(s.calls).toEqual(['primary']);
});

test('the retry is told which connection it runs on', async () => {
  const s = setup();
  db = s.db;
  const names = [];
  await db.execute('primary', (c, ctx) => { names.push(ctx.name); return c.query(); }, { idempotent: true });
  expect(names).toEqual(['primary', 'replica']);
});

test('idempotent must be a boolean', async () => {
  const s = setup();
  db = s.db;
  await expect(db.execute('primary', (c) => c.query(), { idempotent: 'yes' }))
    .rejects.toMatchObject({ code: 'OMNIDB_INVALID_ARGUMENT', message: expect.stringContaining("'yes'") });
});

test.each([
  ['ECONNRESET', { code: 'ECONNRESET' }, true],
  ['SQLSTATE 08006', { code: '08006' }, true],
  ['57P01 admin shutdown', { code: '57P01' }, true],
  ['pg connection terminated', { message: 'Connection terminated unexpectedly' }, true],
  ['ioredis closed', { message: 'Connection is closed.' }, true],
  ['unique violation', { code: '23505' }, false],
  ['plain error', { message: 'boom' }, false],
])('isConnectionError: %s', (_, props, expected) => {
  expect(isConnectionError(Object.assign(new Error(props.message || 'x'), props))).toBe(expected);
});

describe('failover: false pins a call (writes) to the named connection', () => {
  test('runs on the primary even while the name is failed over, and fails fast when its circuit is open', async () => {
    const s = setup({ threshold: 1 });
    db = s.db;
    await db.execute('primary', (c) => c.query()).catch(() => {}); // opens the primary's circuit
    expect(db.getStats().primary.failoverTo).toBe('replica');
    await expect(db.execute('primary', (c) => c.query())).resolves.toBe('replica'); // reads fail over
    s.calls.length = 0;
    const err = await db.execute('primary', (c) => c.query(), { failover: false }).catch((e) => e);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect(err.message).toContain('Circuit open for "primary"');
    expect(s.calls).toEqual([]); // never called
  });

  test('a pinned call is not retried elsewhere even when marked idempotent', async () => {
    const s = setup();
    db = s.db;
    const err = await db.execute('primary', (c) => c.query(), { failover: false, idempotent: true }).catch((e) => e);
    expect(err.code).toBe('ECONNREFUSED');
    expect(s.calls).toEqual(['primary']);
  });

  test('failover must be a boolean', async () => {
    const s = setup();
    db = s.db;
    await expect(db.execute('primary', (c) => c.query(), { failover: 'no' }))
      .rejects.toMatchObject({ code: 'OMNIDB_INVALID_ARGUMENT', message: expect.stringContaining("'no'") });
  });
});

describe("an error whose properties cannot be read is fn's own error, unchanged", () => {
  const messageGetterThrows = () => Object.defineProperty(new Error('x'), 'message', { get() { throw new Error('message getter'); } });
  const codeGetterThrows = () => Object.defineProperty(new Error('x'), 'code', { get() { throw new Error('code getter'); } });
  const revoked = () => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); return proxy; };
  const everyTrapThrows = () => new Proxy({}, new Proxy({}, { get: () => () => { throw new Error('trap'); } }));

  test.each([
    ['an Error whose message getter throws', messageGetterThrows],
    ['an Error whose code getter throws', codeGetterThrows],
    ['a revoked Proxy', revoked],
    ['a Proxy whose every trap throws', everyTrapThrows],
  ])('%s: an idempotent call rejects with it (no retry: not a connection error)', async (_, make) => {
    const s = setup();
    db = s.db;
    const thrown = make();
    let calls = 0;
    let error;
    try {
      await db.execute('primary', () => { calls += 1; return Promise.reject(thrown); }, { idempotent: true });
    } catch (e) {
      error = e;
    }
    expect(error === thrown).toBe(true); // (toBe would try to print a hostile value on failure)
    expect(calls).toBe(1);
  });

  test.each([
    ['an Error whose code getter throws', codeGetterThrows],
    ['a revoked Proxy', revoked],
  ])('isConnectionError and defaultIsFailure answer for %s instead of throwing', (_, make) => {
    const { defaultIsFailure } = require('..');
    expect(isConnectionError(make())).toBe(false);
    expect(defaultIsFailure(make())).toBe(true);
  });
});
