'use strict';
// The built-in circuit breaker: thresholds, open, half-open, close, and the classifier.
const { once } = require('events');
const {
  CircuitOpenError, OmniDbError, UnknownConnectionError, defaultIsFailure,
} = require('..');
const {
  useOrchestrators, ManualClock, record, settle, deferred,
} = require('./helpers');

const make = useOrchestrators();

function setup(circuitBreaker = {}, extra = {}) {
  const clock = new ManualClock();
  const client = { id: 'pg' };
  const db = make({ connections: { pg: client, other: { id: 'other' } }, clock, circuitBreaker, ...extra });
  const events = record(db, ['circuit:open', 'circuit:half-open', 'circuit:close']);
  return { db, clock, client, events };
}

const fail = (db, err = new Error('ECONNRESET')) => settle(db.execute('pg', () => Promise.reject(err)));
const succeed = (db) => db.execute('pg', async () => 'ok');

async function openCircuit(db, n) {
  for (let i = 0; i < n; i++) await fail(db);
  expect(db.getStats().pg.circuit).toBe('open');
}

describe('closed → open', () => {
  test('opens after `threshold` consecutive failures with circuit:open { name, reason, timestamp }', async () => {
    const { db, clock, events } = setup({ threshold: 3 });
    await clock.advance('5s');
    await fail(db);
    await fail(db);
    expect(db.getStats().pg).toMatchObject({ circuit: 'closed', failures: 2 });
    expect(events).toHaveLength(0);
    await fail(db);
    expect(db.getStats().pg).toMatchObject({ circuit: 'open', failures: 3 });
    expect(events).toEqual([['circuit:open', { name: 'pg', reason: 'failure-threshold', timestamp: 5000 }]]);
  });

  test('the default threshold is 5', async () => {
    const { db } = setup();
    for (let i = 0; i < 4; i++) await fail(db);
    expect(db.getStats().pg.circuit).toBe('closed');
    await fail(db);
    expect(db.getStats().pg.circuit).toBe('open');
  });

  test('failures must be consecutive: a success in between resets the count', async () => {
    const { db, events } = setup({ threshold: 2 });
    await fail(db);
    await succeed(db);
    await fail(db);
    expect(db.getStats().pg).toMatchObject({ circuit: 'closed', failures: 1 });
    expect(events).toHaveLength(0);
  });

  test('failures on one connection do not affect another', async () => {
    const { db } = setup({ threshold: 1 });
    await fail(db);
    expect(db.getStats().other).toEqual({ status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null });
    await expect(db.execute('other', (c) => c.id)).resolves.toBe('other');
  });

  test('circuit:open is emitted once even if more failures arrive while open', async () => {
    const { db, events } = setup({ threshold: 1 });
    const a = deferred();
    const b = deferred();
    const pa = settle(db.execute('pg', () => a.promise));
    const pb = settle(db.execute('pg', () => b.promise));
    a.reject(new Error('1'));
    b.reject(new Error('2'));
    await pa;
    await pb;
    expect(events.of('circuit:open')).toHaveLength(1);
  });
});

describe('open', () => {
  test('rejects at once without calling fn, with CircuitOpenError naming the connection', async () => {
    const { db } = setup({ threshold: 1 });
    await openCircuit(db, 1);
    const fn = jest.fn();
    const r = await settle(db.execute('pg', fn));
    expect(fn).not.toHaveBeenCalled();
    expect(r.error).toBeInstanceOf(CircuitOpenError);
    expect(r.error).toBeInstanceOf(OmniDbError);
    expect(r.error.code).toBe('OMNIDB_CIRCUIT_OPEN');
    expect(r.error.message).toContain('Connection "pg" is unavailable');
    expect(r.error.message).toContain('Circuit open for "pg"');
  });

  test('rejections while open do not add failures', async () => {
    const { db } = setup({ threshold: 1 });
    await openCircuit(db, 1);
    await settle(db.execute('pg', () => 1));
    await settle(db.execute('pg', () => 1));
    expect(db.getStats().pg.failures).toBe(1);
  });

  test('get() throws CircuitOpenError while open', async () => {
    const { db } = setup({ threshold: 1 });
    await openCircuit(db, 1);
    let err;
    try {
      db.get('pg');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect(err.code).toBe('OMNIDB_CIRCUIT_OPEN');
    expect(err.message).toContain('Circuit open for "pg"');
  });

  test('get() returns the client when closed and undefined for unknown names', async () => {
    const { db, client } = setup();
    expect(db.get('pg')).toBe(client);
    expect(db.get('nope')).toBeUndefined();
    expect(db.get('constructor')).toBeUndefined();
  });
});

describe('open → half-open', () => {
  test('goes half-open after resetTimeout on the clock, with no traffic', async () => {
    const { db, clock, events } = setup({ threshold: 1, resetTimeout: '10s' });
    await openCircuit(db, 1);
    await clock.advance('9999ms');
    expect(db.getStats().pg.circuit).toBe('open');
    expect(events.of('circuit:half-open')).toHaveLength(0);
    await clock.advance('1ms');
    expect(db.getStats().pg.circuit).toBe('half-open');
    expect(events.of('circuit:half-open')).toEqual([{ name: 'pg', timestamp: 10000 }]);
  });

  test('the default resetTimeout is 30s', async () => {
    const { db, clock } = setup({ threshold: 1 });
    await openCircuit(db, 1);
    await clock.advance('29s');
    expect(db.getStats().pg.circuit).toBe('open');
    await clock.advance('1s');
    expect(db.getStats().pg.circuit).toBe('half-open');
  });

  test('on a real timer too: circuit:half-open fires with no traffic and no clock', async () => {
    const db = make({ connections: { pg: {} }, circuitBreaker: { threshold: 1, resetTimeout: '20ms' } });
    const halfOpen = once(db, 'circuit:half-open');
    await settle(db.execute('pg', () => { throw new Error('x'); }));
    expect(db.getStats().pg.circuit).toBe('open');
    const [payload] = await halfOpen;
    expect(payload).toEqual({ name: 'pg', timestamp: expect.any(Number) });
    expect(db.getStats().pg.circuit).toBe('half-open');
  });

  test('get() returns the client while half-open', async () => {
    const { db, clock, client } = setup({ threshold: 1, resetTimeout: '1s' });
    await openCircuit(db, 1);
    await clock.advance('1s');
    expect(db.get('pg')).toBe(client);
  });
});

describe('half-open', () => {
  async function halfOpen(options = {}) {
    const s = setup({ threshold: 1, resetTimeout: '1s', ...options });
    await openCircuit(s.db, 1);
    await s.clock.advance('1s');
    expect(s.db.getStats().pg.circuit).toBe('half-open');
    return s;
  }

  test('halfOpenSuccesses (default 2) consecutive successes close it, with one circuit:close', async () => {
    const { db, events } = await halfOpen();
    await succeed(db);
    expect(db.getStats().pg.circuit).toBe('half-open');
    expect(events.of('circuit:close')).toHaveLength(0);
    await succeed(db);
    expect(db.getStats().pg).toMatchObject({ circuit: 'closed', failures: 0 });
    expect(events.of('circuit:close')).toEqual([{ name: 'pg', reason: 'half-open-success', timestamp: 1000 }]);
    await succeed(db);
    await succeed(db);
    expect(events.of('circuit:close')).toHaveLength(1);
  });

  test('halfOpenSuccesses: 3 needs three', async () => {
    const { db } = await halfOpen({ halfOpenSuccesses: 3 });
    await succeed(db);
    await succeed(db);
    expect(db.getStats().pg.circuit).toBe('half-open');
    await succeed(db);
    expect(db.getStats().pg.circuit).toBe('closed');
  });

  test('a failure reopens it (reason half-open-failure), and it half-opens again later', async () => {
    const { db, clock, events } = await halfOpen();
    await succeed(db);
    await fail(db);
    expect(db.getStats().pg.circuit).toBe('open');
    expect(events.of('circuit:open')).toEqual([
      { name: 'pg', reason: 'failure-threshold', timestamp: 0 },
      { name: 'pg', reason: 'half-open-failure', timestamp: 1000 },
    ]);
    expect(events.of('circuit:close')).toHaveLength(0);
    await clock.advance('1s');
    expect(db.getStats().pg.circuit).toBe('half-open');
    expect(events.of('circuit:half-open')).toHaveLength(2);
  });

  test('successes before a failure do not carry over to the next half-open', async () => {
    const { db, clock } = await halfOpen();
    await succeed(db);
    await fail(db);
    await clock.advance('1s');
    await succeed(db);
    expect(db.getStats().pg.circuit).toBe('half-open');
  });

  test('admits at most halfOpenMaxCalls concurrent trial calls', async () => {
    const { db } = await halfOpen({ halfOpenMaxCalls: 2, halfOpenSuccesses: 2 });
    const t1 = deferred();
    const t2 = deferred();
    const p1 = db.execute('pg', () => t1.promise);
    const p2 = db.execute('pg', () => t2.promise);
    const third = jest.fn();
    const r3 = await settle(db.execute('pg', third));
    expect(third).not.toHaveBeenCalled();
    expect(r3.error).toBeInstanceOf(CircuitOpenError);
    expect(r3.error.message).toContain('Circuit open for "pg"');
    t1.resolve(1);
    await expect(p1).resolves.toBe(1);
    // a slot is free again
    const t4 = deferred();
    const p4 = db.execute('pg', () => t4.promise);
    t2.resolve(2);
    t4.resolve(4);
    await expect(p2).resolves.toBe(2);
    await expect(p4).resolves.toBe(4);
    expect(db.getStats().pg.circuit).toBe('closed');
  });

  test('halfOpenMaxCalls defaults to halfOpenSuccesses', async () => {
    const { db } = await halfOpen({ halfOpenSuccesses: 1 });
    const t1 = deferred();
    const p1 = db.execute('pg', () => t1.promise);
    const r2 = await settle(db.execute('pg', () => 2));
    expect(r2.error).toBeInstanceOf(CircuitOpenError);
    t1.resolve(1);
    await p1;
    expect(db.getStats().pg.circuit).toBe('closed');
  });

  test("a trial aborted by the caller's signal frees its slot without reopening", async () => {
    const { db } = await halfOpen({ halfOpenMaxCalls: 1 });
    const controller = new AbortController();
    const p = settle(db.execute('pg', () => new Promise(() => {}), { signal: controller.signal }));
    controller.abort(new Error('cancel'));
    await p;
    expect(db.getStats().pg.circuit).toBe('half-open');
    await expect(db.execute('pg', async () => 'admitted')).resolves.toBe('admitted');
  });

  test('a trial that times out reopens the circuit', async () => {
    const { db, clock, events } = await halfOpen();
    const p = settle(db.execute('pg', () => new Promise(() => {}), { timeout: '100ms' }));
    await clock.advance('100ms');
    expect((await p).error.code).toBe('OMNIDB_TIMEOUT');
    expect(db.getStats().pg.circuit).toBe('open');
    expect(events.of('circuit:open').map((e) => e.reason)).toEqual(['failure-threshold', 'half-open-failure']);
  });
});

describe('classifier', () => {
  const callerFaults = [
    ['pg syntax error 42601', { code: '42601' }],
    ['pg unique violation 23505', { code: '23505' }],
    ['pg invalid text representation 22P02', { code: '22P02' }],
    ['pg undefined table 42P01', { code: '42P01' }],
    ['mysql2 ER_DUP_ENTRY / 23000', { code: 'ER_DUP_ENTRY', errno: 1062, sqlState: '23000' }],
    ['mysql2 ER_PARSE_ERROR / 42000', { code: 'ER_PARSE_ERROR', errno: 1064, sqlState: '42000' }],
    ['mysql-style sqlState only', { code: 'ER_SOMETHING_NEW', sqlState: '22007' }],
  ];
  const outages = [
    ['ECONNREFUSED', { code: 'ECONNREFUSED' }],
    ['pg connection failure 08006', { code: '08006' }],
    ['pg admin shutdown 57P01', { code: '57P01' }],
    ['pg too many connections 53300', { code: '53300' }],
    ['mysql lost connection', { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }],
    ['a plain Error', {}],
  ];

  test.each(callerFaults)('defaultIsFailure: %s does not count', (_, props) => {
    expect(defaultIsFailure(Object.assign(new Error('x'), props))).toBe(false);
  });

  test.each(outages)('defaultIsFailure: %s counts', (_, props) => {
    expect(defaultIsFailure(Object.assign(new Error('x'), props))).toBe(true);
  });

  test.each([null, undefined, 'string', 42])('defaultIsFailure(%p) counts', (value) => {
    expect(defaultIsFailure(value)).toBe(true);
  });

  test.each(callerFaults)('through execute: %s neither counts nor opens the circuit', async (_, props) => {
    const { db, events } = setup({ threshold: 1 });
    const err = Object.assign(new Error('caller fault'), props);
    const r = await fail(db, err);
    expect(r.error).toBe(err);
    expect(db.getStats().pg).toMatchObject({ circuit: 'closed', failures: 0 });
    expect(events).toHaveLength(0);
  });

  test.each(outages)('through execute: %s opens the circuit', async (_, props) => {
    const { db, events } = setup({ threshold: 1 });
    const err = Object.assign(new Error('outage'), props);
    const r = await fail(db, err);
    expect(r.error).toBe(err);
    expect(db.getStats().pg.circuit).toBe('open');
    expect(events.of('circuit:open')).toHaveLength(1);
  });

  test('a synchronous throw of a caller fault does not count either', async () => {
    const { db } = setup({ threshold: 1 });
    await settle(db.execute('pg', () => { throw Object.assign(new Error('dup'), { code: '23505' }); }));
    expect(db.getStats().pg.circuit).toBe('closed');
  });

  test('a caller fault is proof of life: it clears earlier failures', async () => {
    const { db } = setup({ threshold: 3 });
    await fail(db);
    await fail(db);
    await fail(db, Object.assign(new Error('syntax'), { code: '42601' }));
    expect(db.getStats().pg.failures).toBe(0);
  });

  test('a caller fault during half-open counts as a successful trial', async () => {
    const { db, clock } = setup({ threshold: 1, resetTimeout: '1s', halfOpenSuccesses: 1 });
    await openCircuit(db, 1);
    await clock.advance('1s');
    await fail(db, Object.assign(new Error('dup'), { code: '23505' }));
    expect(db.getStats().pg.circuit).toBe('closed');
  });

  test('a custom isFailure decides, and receives the error', async () => {
    const isFailure = jest.fn((err) => err.message === 'counts');
    const { db } = setup({ threshold: 1, isFailure });
    const ignored = new Error('ignored');
    await fail(db, ignored);
    expect(isFailure).toHaveBeenCalledWith(ignored);
    expect(db.getStats().pg.circuit).toBe('closed');
    await fail(db, Object.assign(new Error('counts'), { code: '23505' }));
    expect(db.getStats().pg.circuit).toBe('open');
  });

  test('a custom isFailure overrides the default for SQL errors', async () => {
    const { db } = setup({ threshold: 1, isFailure: () => true });
    await fail(db, Object.assign(new Error('syntax'), { code: '42601' }));
    expect(db.getStats().pg.circuit).toBe('open');
  });

  test('a classifier that throws counts the error (an outage is never hidden)', async () => {
    const { db } = setup({ threshold: 1, isFailure: () => { throw new Error('bad classifier'); } });
    const err = new Error('real');
    const r = await fail(db, err);
    expect(r.error).toBe(err);
    expect(db.getStats().pg.circuit).toBe('open');
  });

  test('a timeout goes through the classifier as a TimeoutError', async () => {
    const isFailure = jest.fn(() => true);
    const { db, clock } = setup({ threshold: 1, isFailure });
    const p = settle(db.execute('pg', () => new Promise(() => {}), { timeout: '1s' }));
    await clock.advance('1s');
    await p;
    expect(isFailure).toHaveBeenCalledWith(expect.objectContaining({ code: 'OMNIDB_TIMEOUT' }));
  });
});

describe('circuit:close only on real transitions', () => {
  test('successes on a closed circuit emit nothing', async () => {
    const { db, events } = setup();
    await succeed(db);
    await fail(db);
    await succeed(db);
    db.recordSuccess('pg');
    expect(events).toHaveLength(0);
  });

  test('a health check that recovers a connection whose circuit is closed emits no circuit:close', async () => {
    const clock = new ManualClock();
    let result = true;
    const db = make({ connections: { pg: {} }, clock, healthCheck: { interval: '1s', checks: { pg: () => result } } });
    const events = record(db, ['circuit:close', 'circuit:open']);
    await db.connect();
    result = 'degraded';
    await clock.advance('1s');
    result = true;
    await clock.advance('1s');
    expect(db.health().pg.status).toBe('healthy');
    expect(events).toHaveLength(0);
  });

  test('a circuit opened by failures then held by an unhealthy check closes once on recovery', async () => {
    const clock = new ManualClock();
    let result = true;
    const db = make({
      connections: { pg: {} }, clock,
      circuitBreaker: { threshold: 1, resetTimeout: '1m' },
      healthCheck: { interval: '1s', checks: { pg: () => result } },
    });
    const events = record(db, ['circuit:close', 'circuit:open', 'circuit:half-open']);
    await db.connect();
    await fail(db);
    result = false;
    await clock.advance('1s');
    expect(events.of('circuit:open')).toHaveLength(1);
    result = true;
    await clock.advance('1s');
    await clock.advance('1s');
    expect(db.getStats().pg.circuit).toBe('closed');
    expect(events.of('circuit:close')).toEqual([expect.objectContaining({ name: 'pg', reason: 'health-recovered' })]);
  });
});

describe('recordSuccess / recordFailure', () => {
  test('recordFailure counts toward the threshold and opens the circuit', () => {
    const { db, events } = setup({ threshold: 2 });
    db.recordFailure('pg');
    expect(db.getStats().pg.failures).toBe(1);
    db.recordFailure('pg');
    expect(db.getStats().pg.circuit).toBe('open');
    expect(events.of('circuit:open')).toEqual([{ name: 'pg', reason: 'failure-threshold', timestamp: 0 }]);
  });

  test('recordSuccess resets the count', () => {
    const { db } = setup({ threshold: 2 });
    db.recordFailure('pg');
    db.recordSuccess('pg');
    db.recordFailure('pg');
    expect(db.getStats().pg).toMatchObject({ circuit: 'closed', failures: 1 });
  });

  test('recordFailure(name, error) runs the error through the classifier', () => {
    const { db } = setup({ threshold: 1 });
    db.recordFailure('pg', Object.assign(new Error('dup'), { code: '23505' }));
    expect(db.getStats().pg.circuit).toBe('closed');
    db.recordFailure('pg', new Error('ECONNRESET'));
    expect(db.getStats().pg.circuit).toBe('open');
  });

  test('recordSuccess in half-open counts toward closing', async () => {
    const { db, clock, events } = setup({ threshold: 1, resetTimeout: '1s' });
    db.recordFailure('pg');
    await clock.advance('1s');
    db.recordSuccess('pg');
    db.recordSuccess('pg');
    expect(db.getStats().pg.circuit).toBe('closed');
    expect(events.of('circuit:close')).toHaveLength(1);
  });

  test('recordFailure in half-open reopens', async () => {
    const { db, clock } = setup({ threshold: 1, resetTimeout: '1s' });
    db.recordFailure('pg');
    await clock.advance('1s');
    db.recordFailure('pg');
    expect(db.getStats().pg.circuit).toBe('open');
  });

  test.each([
    ['a symbol', () => Symbol('pg'), 'Symbol(pg)'],
    ['an object whose toString throws', () => ({ toString() { throw new Error('x'); } }), '[object Object]'],
    ['a null-prototype object', () => Object.create(null), '[object Object]'],
    ['a revoked Proxy', () => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); return proxy; }, '[unprintable value]'],
  ])('a name that is %s throws UnknownConnectionError naming it, not a TypeError', (_, makeName, shown) => {
    const { db } = setup();
    for (const call of [() => db.recordFailure(makeName()), () => db.recordSuccess(makeName()), () => db.recordFailure(makeName(), new Error('e'))]) {
      let err;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UnknownConnectionError);
      expect(err.message).toContain(`Connection "${shown}" is unavailable`);
      expect(err.connection).toBe(shown);
    }
  });

  test('unknown names throw UnknownConnectionError', () => {
    const { db } = setup();
    expect(() => db.recordFailure('nope')).toThrow(UnknownConnectionError);
    expect(() => db.recordSuccess('nope')).toThrow(UnknownConnectionError);
    try {
      db.recordFailure('nope');
    } catch (err) {
      expect(err.code).toBe('OMNIDB_UNKNOWN_CONNECTION');
    }
  });
});

test('circuitBreaker: true is the built-in breaker with its defaults (threshold 5)', async () => {
  const db = make({ connections: { pg: {} }, circuitBreaker: true });
  for (let i = 0; i < 4; i++) await settle(db.execute('pg', () => { throw new Error('x'); }));
  expect(db.getStats().pg).toMatchObject({ circuit: 'closed', failures: 4 });
  await settle(db.execute('pg', () => { throw new Error('x'); }));
  expect(db.getStats().pg.circuit).toBe('open');
});

describe('circuitBreaker: false', () => {
  test('never opens, however many failures', async () => {
    const clock = new ManualClock();
    const db = make({ connections: { pg: {} }, clock, circuitBreaker: false });
    const events = record(db, ['circuit:open']);
    for (let i = 0; i < 20; i++) await fail(db);
    await expect(db.execute('pg', () => 'still here')).resolves.toBe('still here');
    expect(db.get('pg')).toEqual({});
    expect(events).toHaveLength(0);
    expect(db.getStats().pg.circuit).toBe('n/a');
  });
});
