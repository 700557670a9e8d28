'use strict';
// connect(), disconnect(), shutdownOnSignal() and the registry methods.
const { once } = require('events');
const { OmniDbError } = require('..');
const {
  useOrchestrators, ManualClock, record, deferred, scriptedCheck, settle, flush,
} = require('./helpers');

const make = useOrchestrators();

describe('connect()', () => {
  test('emits connected { name, timestamp } once per connection and is idempotent', async () => {
    const clock = new ManualClock(1234);
    const db = make({ connections: { pg: {}, redis: {} }, clock });
    const events = record(db, ['connected']);
    expect(db.isConnected).toBe(false);
    const first = db.connect();
    const second = db.connect();
    await Promise.all([first, second]);
    await db.connect();
    expect(db.isConnected).toBe(true);
    expect(events).toEqual([
      ['connected', { name: 'pg', timestamp: 1234 }],
      ['connected', { name: 'redis', timestamp: 1234 }],
    ]);
  });

  test('starts monitoring: exactly one round at connect, none before', async () => {
    const clock = new ManualClock();
    const pg = scriptedCheck(true);
    const db = make({ connections: { pg: {} }, clock, healthCheck: { interval: '10s', checks: { pg } } });
    await clock.advance('1m');
    expect(pg.calls).toHaveLength(0);
    await db.connect();
    await db.connect();
    expect(pg.calls).toHaveLength(1);
    await clock.advance('10s');
    expect(pg.calls).toHaveLength(2);
  });

  test('waits for the first round of checks to settle', async () => {
    const clock = new ManualClock();
    const gate = deferred();
    const db = make({ connections: { pg: {} }, clock, healthCheck: { checks: { pg: () => gate.promise } } });
    const events = record(db, ['connected', 'health:changed']);
    let done = false;
    const connecting = db.connect().then(() => { done = true; });
    await flush();
    await flush();
    expect(done).toBe(false);
    expect(db.isConnected).toBe(false);
    gate.resolve(false);
    await connecting;
    expect(done).toBe(true);
    // the status from the first round is already known when connect() resolves
    expect(db.health().pg.status).toBe('unhealthy');
    expect(events.names()).toEqual(['health:changed', 'connected']);
  });

  test('a first check that hangs is bounded by the check timeout', async () => {
    const clock = new ManualClock();
    const db = make({
      connections: { pg: {} }, clock,
      healthCheck: { timeout: '2s', checks: { pg: () => new Promise(() => {}) } },
    });
    let done = false;
    const connecting = db.connect().then(() => { done = true; });
    await clock.advance('1999ms');
    expect(done).toBe(false);
    await clock.advance('1ms');
    await connecting;
    expect(done).toBe(true);
    expect(db.health().pg.status).toBe('unhealthy');
  });

  test('on real timers (no clock), resolves only after the first round has run and been applied', async () => {
    const calls = { pg: 0, redis: 0 };
    const db = make({
      connections: { pg: {}, redis: {} },
      healthCheck: {
        checks: {
          pg: () => { calls.pg += 1; throw new Error('x'); },
          redis: () => { calls.redis += 1; return Promise.reject(new Error('y')); },
        },
      },
    });
    let atConnected = null;
    db.on('connected', () => { atConnected ??= { ...calls }; });
    // resolves even though every check fails
    await expect(db.connect()).resolves.toBeUndefined();
    expect(calls).toEqual({ pg: 1, redis: 1 });
    expect(atConnected).toEqual({ pg: 1, redis: 1 });
    expect(db.health()).toEqual({ pg: { status: 'unhealthy' }, redis: { status: 'unhealthy' } });
  });

  test('on real timers, connect() waits for a slow first check', async () => {
    const gate = deferred();
    let started = false;
    const db = make({
      connections: { pg: {} },
      healthCheck: { checks: { pg: () => { started = true; return gate.promise; } } },
    });
    let done = false;
    const connecting = db.connect().then(() => { done = true; });
    // let the first round start, whenever the implementation schedules it
    while (!started) await new Promise((resolve) => setImmediate(resolve));
    await flush();
    expect(done).toBe(false);
    gate.resolve('degraded');
    await connecting;
    expect(db.health().pg.status).toBe('degraded');
  });

  test('rejects after disconnect()', async () => {
    const db = make({ connections: { pg: {} } });
    await db.disconnect();
    const r = await settle(db.connect());
    expect(r.error).toBeInstanceOf(OmniDbError);
    expect(r.error.code).toBe('OMNIDB_DISCONNECTED');
  });

  test('disconnect() during connect() lets connect settle without connecting', async () => {
    const clock = new ManualClock();
    let signal;
    const db = make({
      connections: { pg: {} }, clock,
      healthCheck: { checks: { pg: (_, ctx) => { signal = ctx.signal; return new Promise(() => {}); } } },
    });
    const events = record(db, ['connected']);
    const connecting = db.connect();
    await flush();
    await db.disconnect();
    await connecting;
    expect(signal.aborted).toBe(true);
    expect(db.isConnected).toBe(false);
    expect(events).toHaveLength(0);
  });
});

describe('disconnect()', () => {
  test('is idempotent, emits disconnected { name, timestamp } once per connection', async () => {
    const clock = new ManualClock(500);
    const end = jest.fn();
    const db = make({ connections: { pg: { end }, redis: { quit: jest.fn() } }, clock });
    const events = record(db, ['disconnected']);
    await db.connect();
    const a = db.disconnect();
    const b = db.disconnect();
    await Promise.all([a, b]);
    await db.disconnect();
    expect(end).toHaveBeenCalledTimes(1);
    expect(events).toEqual([
      ['disconnected', { name: 'pg', timestamp: 500 }],
      ['disconnected', { name: 'redis', timestamp: 500 }],
    ]);
    expect(db.isConnected).toBe(false);
  });

  test('works without connect(): closes the clients, emits no disconnected (nothing was connected)', async () => {
    const end = jest.fn();
    const db = make({ connections: { pg: { end }, redis: {} } });
    const events = record(db, ['disconnected']);
    await expect(db.disconnect()).resolves.toBeUndefined();
    expect(end).toHaveBeenCalledTimes(1);
    expect(events).toEqual([]);
  });

  test('after a connect() that has not settled yet, disconnected is emitted per connection', async () => {
    const clock = new ManualClock();
    const db = make({ connections: { pg: {}, redis: {} }, clock, healthCheck: { checks: { pg: () => new Promise(() => {}) } } });
    const events = record(db, ['connected', 'disconnected']);
    const connecting = db.connect();
    await db.disconnect();
    await connecting;
    expect(events.names()).toEqual(['disconnected', 'disconnected']);
  });

  test('stops monitoring: no check runs after it', async () => {
    const clock = new ManualClock();
    const pg = scriptedCheck(true);
    const db = make({ connections: { pg: {} }, clock, healthCheck: { interval: '1s', checks: { pg } } });
    await db.connect();
    await clock.advance('1s');
    const before = pg.calls.length;
    await db.disconnect();
    await clock.advance('1m');
    expect(pg.calls).toHaveLength(before);
  });

  test('stops monitoring on real timers too: no check after disconnect resolves', async () => {
    let calls = 0;
    let second;
    const secondCheck = new Promise((resolve) => { second = resolve; });
    const db = make({
      connections: { pg: {} },
      healthCheck: { interval: '5ms', checks: { pg: () => { calls += 1; if (calls === 2) second(); return true; } } },
    });
    await db.connect();
    await secondCheck;
    await db.disconnect();
    const after = calls;
    // Another orchestrator's rounds at the same interval act as the witness: once it
    // has run three rounds, the disconnected one would have run too.
    let witnessCalls = 0;
    let witnessed;
    const threeRounds = new Promise((resolve) => { witnessed = resolve; });
    const witness = make({
      connections: { w: {} },
      healthCheck: { interval: '5ms', checks: { w: () => { witnessCalls += 1; if (witnessCalls === 4) witnessed(); return true; } } },
    });
    await witness.connect();
    await threeRounds;
    expect(calls).toBe(after);
  });

  test('aborts the signal of a check in flight', async () => {
    const clock = new ManualClock();
    let signal;
    const db = make({
      connections: { pg: {} }, clock,
      healthCheck: { interval: '1s', timeout: '1m', checks: { pg: (_, ctx) => { signal = ctx.signal; return clock.now() === 0 ? true : new Promise(() => {}); } } },
    });
    await db.connect();
    await clock.advance('1s');
    expect(signal.aborted).toBe(false);
    await db.disconnect();
    expect(signal.aborted).toBe(true);
  });

  test('a check that answers after disconnect changes nothing and emits nothing', async () => {
    const clock = new ManualClock();
    const gate = deferred();
    const db = make({
      connections: { pg: {} }, clock,
      healthCheck: { interval: '1s', timeout: '1m', checks: { pg: () => (clock.now() === 0 ? true : gate.promise) } },
    });
    const events = record(db, ['health:changed', 'circuit:open']);
    const errors = [];
    db.on('error', (e) => errors.push(e));
    await db.connect();
    await clock.advance('1s');
    await db.disconnect();
    gate.resolve(false);
    await flush();
    expect(events).toHaveLength(0);
    expect(errors.filter((e) => e.context === 'health-check')).toHaveLength(0);
    expect(db.health().pg.status).toBe('healthy');
  });

  test.each(['end', 'close', 'quit', 'disconnect', 'destroy', '$disconnect'])('closes a client that has only %s()', async (method) => {
    const fn = jest.fn(async () => {});
    const client = { [method]: fn };
    const db = make({ connections: { c: client } });
    await db.disconnect();
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn.mock.contexts[0]).toBe(client);
  });

  test('uses the first of end, close, quit, disconnect, destroy, $disconnect', async () => {
    const calls = [];
    const mk = (methods) => Object.fromEntries(methods.map((m) => [m, () => { calls.push(m); }]));
    const db = make({
      connections: {
        a: mk(['$disconnect', 'destroy', 'disconnect', 'quit', 'close', 'end']),
        b: mk(['$disconnect', 'destroy', 'disconnect', 'quit', 'close']),
        c: mk(['$disconnect', 'destroy', 'disconnect', 'quit']),
        d: mk(['$disconnect', 'destroy', 'disconnect']),
        e: mk(['$disconnect', 'destroy']),
        f: mk(['$disconnect']),
      },
    });
    await db.disconnect();
    expect(calls.sort()).toEqual(['$disconnect', 'close', 'destroy', 'disconnect', 'end', 'quit']);
  });

  test('a Knex-like client (a function with destroy()) is destroyed', async () => {
    const destroy = jest.fn(async () => {});
    const knex = Object.assign(function knex() {}, { destroy });
    const db = make({ connections: { sql: knex } });
    await db.disconnect();
    expect(destroy).toHaveBeenCalledTimes(1);
  });

  test('close methods found on the prototype (class instances) are used', async () => {
    class Pool {
      constructor() { this.ended = 0; }

      async end() { this.ended += 1; }
    }
    const pool = new Pool();
    const db = make({ connections: { pg: pool } });
    await db.disconnect();
    expect(pool.ended).toBe(1);
  });

  test('a client with no close method is left alone', async () => {
    const db = make({ connections: { plain: { query() {} } } });
    await expect(db.disconnect()).resolves.toBeUndefined();
  });

  test('waits for an async close to finish', async () => {
    const gate = deferred();
    let closed = false;
    const db = make({ connections: { pg: { end: () => gate.promise.then(() => { closed = true; }) } } });
    let done = false;
    const p = db.disconnect().then(() => { done = true; });
    await flush();
    expect(done).toBe(false);
    gate.resolve();
    await p;
    expect(closed).toBe(true);
  });

  test('before connect(): the clients are closed, and no disconnected event (nothing was connected)', async () => {
    const end = jest.fn();
    const db = make({ connections: { pg: { end } } });
    const events = record(db, ['disconnected']);
    await db.disconnect();
    expect(end).toHaveBeenCalledTimes(1);
    expect(events.of('disconnected')).toEqual([]);
  });

  test('removes the handlers of shutdownOnSignal()', async () => {
    const db = make({ connections: { pg: {} } });
    const before = process.listenerCount('SIGTERM');
    db.shutdownOnSignal({ exitProcess: false });
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    await db.disconnect();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });

  test('a client shared by two connections is closed once', async () => {
    const end = jest.fn();
    const shared = { end };
    const db = make({ connections: { writer: shared, reader: shared } });
    const events = record(db, ['disconnected']);
    await db.connect();
    await db.disconnect();
    expect(end).toHaveBeenCalledTimes(1);
    expect(events.of('disconnected').map((e) => e.name)).toEqual(['writer', 'reader']);
  });

  test.each([
    ['throws', () => { throw new Error('close failed'); }],
    ['rejects', () => Promise.reject(new Error('close failed'))],
  ])("a close that %s becomes an 'error' event with context 'disconnect', never a rejection", async (_, end) => {
    const db = make({ connections: { pg: { end }, redis: { quit: jest.fn() } } });
    const errors = [];
    db.on('error', (e) => errors.push(e));
    const events = record(db, ['disconnected']);
    await db.connect();
    await expect(db.disconnect()).resolves.toBeUndefined();
    expect(errors).toEqual([{
      name: 'pg', error: expect.any(Error), context: 'disconnect', message: 'close failed', timestamp: expect.any(Number),
    }]);
    expect(errors[0].error.message).toBe('close failed');
    // the other connection still closed, and every connection reported
    expect(db.list().every((n) => events.of('disconnected').some((e) => e.name === n))).toBe(true);
  });

  test.each([
    ['whose end getter throws', () => ({ get end() { throw new Error('end getter'); } })],
    ['whose $disconnect getter throws a non-Error', () => ({ get $disconnect() { throw Object.create(null); } })],
    ['that is a revoked Proxy', () => { const { proxy, revoke } = Proxy.revocable({ end() {} }, {}); revoke(); return proxy; }],
    ['that is a Proxy whose every trap throws', () => new Proxy({}, new Proxy({}, { get: () => () => { throw new Error('trap'); } }))],
  ])('a client %s: disconnect() resolves, emits disconnected for every connection and an error event', async (_, makeClient) => {
    const quit = jest.fn();
    const db = make({ connections: { pg: makeClient(), redis: { quit } } });
    const errors = [];
    db.on('error', (e) => errors.push(e));
    const events = record(db, ['disconnected']);
    await db.connect();
    await expect(db.disconnect()).resolves.toBeUndefined();
    expect(events.of('disconnected').map((e) => e.name)).toEqual(['pg', 'redis']);
    expect(quit).toHaveBeenCalledTimes(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ name: 'pg', context: 'disconnect' });
    expect(typeof errors[0].message).toBe('string');
  });

  test('a close method is read once and called on its client', async () => {
    let reads = 0;
    const client = {
      closed: 0,
      get end() {
        reads += 1;
        return reads === 1 ? function end() { this.closed += 1; } : 'not a function any more';
      },
    };
    const db = make({ connections: { pg: client } });
    await db.disconnect();
    expect(reads).toBe(1);
    expect(client.closed).toBe(1);
  });

  test('a close error with no error listener neither rejects nor crashes', async () => {
    const uncaught = [];
    const onUncaught = (e) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    try {
      const db = make({ connections: { pg: { end: () => Promise.reject(new Error('nope')) } } });
      await expect(db.disconnect()).resolves.toBeUndefined();
      await flush();
      expect(uncaught).toEqual([]);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      process.removeListener('unhandledRejection', onUncaught);
    }
  });

  test('a close that hangs is bounded by closeTimeout and reported as an error event', async () => {
    const db = make({ connections: { pg: { end: () => new Promise(() => {}) }, redis: { quit: jest.fn() } }, closeTimeout: '20ms' });
    const errors = [];
    db.on('error', (e) => errors.push(e));
    const disconnected = record(db, ['disconnected']);
    await db.connect();
    await db.disconnect();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ name: 'pg', context: 'disconnect' });
    expect(errors[0].error).toBeInstanceOf(OmniDbError);
    expect(errors[0].error.code).toBe('OMNIDB_TIMEOUT');
    expect(errors[0].message).toContain('pg');
    expect(disconnected).toHaveLength(2);
  });

  test('execute() after disconnect rejects with OMNIDB_DISCONNECTED without calling fn', async () => {
    const db = make({ connections: { pg: {} } });
    await db.disconnect();
    const fn = jest.fn();
    const r = await settle(db.execute('pg', fn));
    expect(fn).not.toHaveBeenCalled();
    expect(r.error).toBeInstanceOf(OmniDbError);
    expect(r.error.code).toBe('OMNIDB_DISCONNECTED');
    expect(r.error.message).toContain('pg');
  });

  test('execute() with options after disconnect rejects with OMNIDB_DISCONNECTED too', async () => {
    const db = make({ connections: { pg: {} } });
    const disconnecting = db.disconnect();
    const r = await settle(db.execute('pg', () => 1, { timeout: '1s' }));
    await disconnecting;
    expect(r.error.code).toBe('OMNIDB_DISCONNECTED');
  });

  test('no circuit or health events after disconnect (an open circuit does not half-open)', async () => {
    const clock = new ManualClock();
    const db = make({ connections: { pg: {} }, clock, circuitBreaker: { threshold: 1, resetTimeout: '1s' } });
    await settle(db.execute('pg', () => { throw new Error('x'); }));
    const events = record(db, ['circuit:half-open', 'circuit:close', 'health:changed']);
    await db.disconnect();
    await clock.advance('1m');
    expect(events).toHaveLength(0);
  });
});

// A listener runs while the native side hands JS a batch of events; a disconnect()
// there must not drop the check aborts it queues behind them.
describe('disconnect() from inside an event listener', () => {
  // 'failing' answers false at once; 'slow' answers only when its signal aborts.
  function failingAndSlow(extra = {}) {
    const seen = { signal: null };
    const clock = new ManualClock();
    const db = make({
      connections: { failing: {}, slow: {} },
      clock,
      healthCheck: {
        timeout: '1m',
        checks: {
          failing: () => false,
          slow: (_, ctx) => {
            seen.signal = ctx.signal;
            return new Promise((resolve) => { ctx.signal.addEventListener('abort', () => resolve(true)); });
          },
        },
      },
      ...extra,
    });
    return { db, seen, clock };
  }

  // 'settled' when `promise` settles within `ms`, 'pending' otherwise.
  async function within(promise, ms) {
    let timer;
    const late = new Promise((resolve) => { timer = setTimeout(resolve, ms, 'pending'); });
    try {
      return await Promise.race([promise.then(() => 'settled', () => 'settled'), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  test('health:changed: the other check in flight is aborted; connect() and disconnect() settle', async () => {
    const { db, seen } = failingAndSlow();
    let disconnecting = null;
    db.on('health:changed', () => { disconnecting = db.disconnect(); });
    const connecting = db.connect();
    expect(await within(connecting, 2000)).toBe('settled');
    expect(disconnecting).not.toBeNull();
    expect(seen.signal.aborted).toBe(true);
    expect(seen.signal.reason.code).toBe('OMNIDB_DISCONNECTED');
    expect(await within(disconnecting, 2000)).toBe('settled');
    expect(db.isConnected).toBe(false);
  });

  test('circuit:open from a failed call: the check in flight is aborted; connect() and disconnect() settle', async () => {
    const { db, seen } = failingAndSlow({ circuitBreaker: { threshold: 1 } });
    let disconnecting = null;
    db.on('circuit:open', () => { if (disconnecting === null) disconnecting = db.disconnect(); });
    const connecting = db.connect();
    await settle(db.execute('slow', () => { throw new Error('ECONNRESET'); }));
    expect(disconnecting).not.toBeNull();
    expect(seen.signal.aborted).toBe(true);
    expect(await within(connecting, 2000)).toBe('settled');
    expect(await within(disconnecting, 2000)).toBe('settled');
  });

  test('the transition under way still reports in order; nothing comes after', async () => {
    const { db, seen, clock } = failingAndSlow({
      circuitBreaker: { threshold: 1, resetTimeout: '1s' }, failover: { failing: 'slow' },
    });
    const events = record(db, ['health:changed', 'circuit:open', 'failover', 'circuit:half-open']);
    db.on('health:changed', () => { db.disconnect(); });
    expect(await within(db.connect(), 2000)).toBe('settled');
    expect(seen.signal.aborted).toBe(true);
    await db.disconnect();
    await clock.advance('1m');
    expect(events.names()).toEqual(['health:changed', 'circuit:open', 'failover']);
  });
});

describe('shutdownOnSignal({ exitProcess: false })', () => {
  const cleanups = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  function register(db, options) {
    const cleanup = db.shutdownOnSignal({ exitProcess: false, ...options });
    cleanups.push(cleanup);
    return cleanup;
  }

  test('emits shutdown { signal, timestamp } and disconnects', async () => {
    const clock = new ManualClock(42);
    const end = jest.fn();
    const db = make({ connections: { pg: { end } }, clock });
    await db.connect();
    register(db);
    await db.connect();
    const disconnected = once(db, 'disconnected');
    const shutdown = once(db, 'shutdown');
    process.emit('SIGTERM', 'SIGTERM');
    expect(await shutdown).toEqual([{ signal: 'SIGTERM', timestamp: 42 }]);
    await disconnected;
    expect(end).toHaveBeenCalledTimes(1);
  });

  test('SIGINT too, by default', async () => {
    const db = make({ connections: { pg: {} } });
    await db.connect();
    register(db);
    await db.connect();
    const shutdown = once(db, 'shutdown');
    const disconnected = once(db, 'disconnected');
    process.emit('SIGINT', 'SIGINT');
    const [payload] = await shutdown;
    expect(payload.signal).toBe('SIGINT');
    await disconnected;
  });

  test('disconnects once under two concurrent signals', async () => {
    const end = jest.fn();
    const db = make({ connections: { pg: { end } } });
    await db.connect();
    register(db);
    await db.connect();
    const events = record(db, ['shutdown', 'disconnected']);
    const done = once(db, 'disconnected');
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGINT', 'SIGINT');
    await done;
    await flush();
    expect(end).toHaveBeenCalledTimes(1);
    expect(events.of('shutdown')).toHaveLength(1);
    expect(events.of('disconnected')).toHaveLength(1);
  });

  test('registers its handler with process.on, one per signal', () => {
    const db = make({ connections: { pg: {} } });
    const on = jest.spyOn(process, 'on');
    try {
      register(db, { signals: ['SIGTERM', 'SIGUSR2'] });
      const calls = on.mock.calls.filter(([event]) => event === 'SIGTERM' || event === 'SIGUSR2');
      expect(calls.map(([event]) => event)).toEqual(['SIGTERM', 'SIGUSR2']);
      expect(typeof calls[0][1]).toBe('function');
      expect(calls[1][1]).toBe(calls[0][1]);
      expect(process.listeners('SIGTERM')).toContain(calls[0][1]);
    } finally {
      on.mockRestore();
    }
  });

  test('the handler returns the promise of the shutdown: it settles once the clients are closed', async () => {
    const gate = deferred();
    let closed = false;
    const db = make({ connections: { pg: { end: () => gate.promise.then(() => { closed = true; }) } } });
    await db.connect();
    const before = process.listeners('SIGTERM');
    register(db);
    const handler = process.listeners('SIGTERM').find((l) => !before.includes(l));
    const result = handler('SIGTERM');
    expect(result).toBeInstanceOf(Promise);
    let settled = false;
    result.then(() => { settled = true; });
    await flush();
    expect(settled).toBe(false); // the client's end() has not finished
    gate.resolve();
    await expect(result).resolves.toBeUndefined();
    expect(closed).toBe(true);
    expect(db.isConnected).toBe(false);
  });

  test('concurrent signals share one shutdown: the same promise, one disconnect, and the handlers stay until it is done', async () => {
    const gate = deferred();
    const end = jest.fn(() => gate.promise);
    const db = make({ connections: { pg: { end } } });
    await db.connect();
    const term = process.listenerCount('SIGTERM');
    const int = process.listenerCount('SIGINT');
    const before = process.listeners('SIGTERM');
    register(db);
    const handler = process.listeners('SIGTERM').find((l) => !before.includes(l));
    const events = record(db, ['shutdown', 'disconnected']);
    const first = handler('SIGTERM');
    // Still handled while the shutdown runs: a second signal must not kill the process half-way.
    expect(process.listenerCount('SIGTERM')).toBe(term + 1);
    const second = handler('SIGINT');
    expect(second).toBe(first);
    gate.resolve();
    await first;
    expect(end).toHaveBeenCalledTimes(1);
    expect(events.of('shutdown')).toHaveLength(1);
    expect(events.of('disconnected')).toHaveLength(1);
    // Done: the handlers are gone.
    expect(process.listenerCount('SIGTERM')).toBe(term);
    expect(process.listenerCount('SIGINT')).toBe(int);
  });

  test('disconnect() removes the handlers of every configured signal', async () => {
    const db = make({ connections: { pg: {} } });
    const counts = () => ['SIGTERM', 'SIGINT', 'SIGUSR2'].map((s) => process.listenerCount(s));
    const before = counts();
    register(db, { signals: ['SIGTERM', 'SIGINT', 'SIGUSR2'] });
    expect(counts()).toEqual(before.map((n) => n + 1));
    await db.disconnect();
    expect(counts()).toEqual(before);
  });

  test('called three times, one handler, and disconnect() removes it', async () => {
    const db = make({ connections: { pg: {} } });
    const term = process.listenerCount('SIGTERM');
    register(db);
    register(db);
    register(db);
    expect(process.listenerCount('SIGTERM')).toBe(term + 1);
    await db.disconnect();
    expect(process.listenerCount('SIGTERM')).toBe(term);
  });

  test('called after disconnect(), it registers nothing (nothing would remove it)', async () => {
    const db = make({ connections: { pg: {} } });
    const term = process.listenerCount('SIGTERM');
    await db.disconnect();
    const cleanup = register(db);
    expect(typeof cleanup).toBe('function');
    expect(process.listenerCount('SIGTERM')).toBe(term);
    cleanup();
    expect(process.listenerCount('SIGTERM')).toBe(term);
  });

  test('before connect(), a signal still closes the clients, without disconnected', async () => {
    const end = jest.fn();
    const db = make({ connections: { pg: { end } } });
    const before = process.listeners('SIGTERM');
    register(db);
    const handler = process.listeners('SIGTERM').find((l) => !before.includes(l));
    const events = record(db, ['shutdown', 'disconnected']);
    await handler('SIGTERM');
    expect(end).toHaveBeenCalledTimes(1);
    expect(events.names()).toEqual(['shutdown']);
  });

  test('only the configured signals are handled', async () => {
    const db = make({ connections: { pg: {} } });
    await db.connect();
    const before = process.listenerCount('SIGINT');
    register(db, { signals: ['SIGUSR2'] });
    expect(process.listenerCount('SIGINT')).toBe(before);
    await db.connect();
    const shutdown = once(db, 'shutdown');
    const disconnected = once(db, 'disconnected');
    process.emit('SIGUSR2', 'SIGUSR2');
    expect((await shutdown)[0].signal).toBe('SIGUSR2');
    await disconnected;
  });

  test('calling it twice does not pile up handlers; the cleanup removes them', () => {
    const db = make({ connections: { pg: {} } });
    const term = process.listenerCount('SIGTERM');
    const int = process.listenerCount('SIGINT');
    register(db);
    expect(process.listenerCount('SIGTERM')).toBe(term + 1);
    expect(process.listenerCount('SIGINT')).toBe(int + 1);
    const cleanup = register(db);
    expect(process.listenerCount('SIGTERM')).toBe(term + 1);
    expect(process.listenerCount('SIGINT')).toBe(int + 1);
    cleanup();
    expect(process.listenerCount('SIGTERM')).toBe(term);
    expect(process.listenerCount('SIGINT')).toBe(int);
  });

  test('after cleanup, a signal does nothing', async () => {
    const end = jest.fn();
    const db = make({ connections: { pg: { end } } });
    const cleanup = register(db);
    cleanup();
    const events = record(db, ['shutdown']);
    const keepAlive = () => {};
    process.on('SIGTERM', keepAlive); // so emitting SIGTERM has a listener of ours only
    try {
      process.emit('SIGTERM', 'SIGTERM');
    } finally {
      process.removeListener('SIGTERM', keepAlive);
    }
    await flush();
    expect(events).toHaveLength(0);
    expect(end).not.toHaveBeenCalled();
  });

  test('the old cleanup function after re-registration does not remove the new handlers', () => {
    const db = make({ connections: { pg: {} } });
    const term = process.listenerCount('SIGTERM');
    const old = register(db);
    register(db);
    old();
    expect(process.listenerCount('SIGTERM')).toBe(term + 1);
  });

  test('two orchestrators each keep their own handler', () => {
    const a = make({ connections: { pg: {} } });
    const b = make({ connections: { pg: {} } });
    const term = process.listenerCount('SIGTERM');
    register(a);
    register(b);
    expect(process.listenerCount('SIGTERM')).toBe(term + 2);
  });

  test.each([
    ['signals not an array', { signals: 'SIGTERM' }],
    ['an empty signal list', { signals: [] }],
    ['a bad signal name', { signals: ['TERM'] }],
    ['a non-integer exitCode', { exitCode: 'x' }],
  ])('rejects %s synchronously', (_, options) => {
    const db = make({ connections: { pg: {} } });
    const term = process.listenerCount('SIGTERM');
    expect(() => db.shutdownOnSignal({ exitProcess: false, ...options })).toThrow(OmniDbError);
    expect(process.listenerCount('SIGTERM')).toBe(term);
  });
});

describe('shutdownOnSignal() with exitProcess (process.exit mocked)', () => {
  test('exits with exitCode once the shutdown is done, and the handler resolves after it', async () => {
    const order = [];
    const exit = jest.spyOn(process, 'exit').mockImplementation((code) => { order.push(`exit ${code}`); });
    try {
      const db = make({ connections: { pg: { end: async () => { order.push('end'); } } } });
      await db.connect();
      const before = process.listeners('SIGTERM');
      const cleanup = db.shutdownOnSignal({ exitCode: 3 });
      const handler = process.listeners('SIGTERM').find((l) => !before.includes(l));
      try {
        await handler('SIGTERM');
        expect(order).toEqual(['end', 'exit 3']);
        expect(exit).toHaveBeenCalledTimes(1);
      } finally {
        cleanup();
      }
    } finally {
      exit.mockRestore();
    }
  });
});

describe('registry', () => {
  test('list(), has(), and the size property', () => {
    const db = make({ connections: { primary: {}, replica: {}, cache: {} } });
    expect(db.list()).toEqual(['primary', 'replica', 'cache']);
    expect(db.size).toBe(3);
    expect(db.has('replica')).toBe(true);
    expect(db.has('nope')).toBe(false);
    expect(db.has('toString')).toBe(false);
  });

  test('list() returns a copy', () => {
    const db = make({ connections: { a: {} } });
    db.list().push('b');
    expect(db.list()).toEqual(['a']);
    expect(db.size).toBe(1);
  });

  test('the isConnected property follows connect() and disconnect()', async () => {
    const db = make({ connections: { a: {} } });
    expect(db.isConnected).toBe(false);
    await db.connect();
    expect(db.isConnected).toBe(true);
    await db.disconnect();
    expect(db.isConnected).toBe(false);
  });

  test('size and isConnected are read-only properties, as omni-db documents them', async () => {
    const db = make({ connections: { a: {}, b: {} } });
    expect(typeof db.size).toBe('number');
    expect(typeof db.isConnected).toBe('boolean');
    expect(`Managing ${db.size} connections`).toBe('Managing 2 connections');
    // Getters without setters: assignment throws in strict mode (this file is) and changes nothing.
    expect(() => { db.size = 5; }).toThrow(TypeError);
    expect(() => { db.isConnected = true; }).toThrow(TypeError);
    expect(db.size).toBe(2);
    expect(db.isConnected).toBe(false);
    // Not own data properties: they live on the prototype, not enumerable on the instance.
    expect(Object.keys(db)).not.toContain('size');
    const desc = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(db), 'size');
    expect(typeof desc.get).toBe('function');
    expect(desc.set).toBeUndefined();
    await db.connect();
    expect(() => { db.isConnected = false; }).toThrow(TypeError);
    expect(db.isConnected).toBe(true);
  });

  test('in sloppy mode assigning to size or isConnected is ignored', () => {
    const db = make({ connections: { a: {} } });
    const assign = new Function('db', 'db.size = 9; db.isConnected = true; return [db.size, db.isConnected];');
    expect(assign(db)).toEqual([1, false]);
  });
});
