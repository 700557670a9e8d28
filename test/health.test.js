'use strict';
// Health monitoring: statuses, check results, retries, timeouts, events, parallelism.
const path = require('path');
const vm = require('vm');
const { execFileSync } = require('child_process');
const { OmniDbError } = require('..');
const {
  useOrchestrators, ManualClock, record, deferred, scriptedCheck, settle, flush,
} = require('./helpers');

const make = useOrchestrators();

function setup({ checks, healthCheck = {}, ...rest } = {}) {
  const clock = new ManualClock();
  const clients = { pg: { id: 'pg' }, redis: { id: 'redis' } };
  const db = make({
    connections: clients, clock, ...rest,
    healthCheck: { interval: '10s', timeout: '1s', ...healthCheck, checks },
  });
  const events = record(db, ['health:changed', 'circuit:open', 'circuit:close', 'circuit:half-open']);
  return { db, clock, clients, events };
}

/** Runs one health round with the check answering `result`. */
async function round(clock, check, result) {
  check.result = result;
  await clock.advance('10s');
}

describe('initial state', () => {
  test('every connection starts healthy, before connect()', () => {
    const pg = scriptedCheck(false);
    const { db } = setup({ checks: { pg } });
    expect(db.health()).toEqual({ pg: { status: 'healthy' }, redis: { status: 'healthy' } });
    expect(pg.calls).toHaveLength(0);
  });

  test('no checks run before connect(), however much time passes', async () => {
    const pg = scriptedCheck(false);
    const { db, clock } = setup({ checks: { pg } });
    await clock.advance('5m');
    expect(pg.calls).toHaveLength(0);
    expect(db.health().pg.status).toBe('healthy');
  });

  test('a connection without a check stays healthy', async () => {
    const pg = scriptedCheck(false);
    const { db, clock } = setup({ checks: { pg } });
    await db.connect();
    await clock.advance('1m');
    expect(db.health().redis).toEqual({ status: 'healthy' });
  });
});

describe('check results', () => {
  test.each([
    [true, 'healthy'],
    ['healthy', 'healthy'],
    ['degraded', 'degraded'],
    [false, 'unhealthy'],
    ['unhealthy', 'unhealthy'],
  ])('a check resolving %p → %s', async (result, status) => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    await db.connect();
    await round(clock, pg, Promise.resolve(result));
    expect(db.health().pg.status).toBe(status);
  });

  test.each([
    [true, 'healthy'],
    ['degraded', 'degraded'],
    [false, 'unhealthy'],
  ])('a synchronous check returning %p → %s', async (result, status) => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    await db.connect();
    await round(clock, pg, result);
    expect(db.health().pg.status).toBe(status);
  });

  test('a check that throws → unhealthy', async () => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    await db.connect();
    await round(clock, pg, () => { throw new Error('ECONNREFUSED'); });
    expect(db.health().pg.status).toBe('unhealthy');
  });

  test('a check that rejects → unhealthy', async () => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    await db.connect();
    await round(clock, pg, () => Promise.reject(new Error('ECONNREFUSED')));
    expect(db.health().pg.status).toBe('unhealthy');
  });

  test('a check that rejects with undefined → unhealthy', async () => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    await db.connect();
    await round(clock, pg, () => Promise.reject(undefined));
    expect(db.health().pg.status).toBe('unhealthy');
  });

  test.each([
    ['undefined', undefined],
    ['a number', 1],
    ['an unknown string', 'ok'],
    ['an object', { ok: true }],
  ])('a check returning %s is a failure', async (_, value) => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    await db.connect();
    await round(clock, pg, () => Promise.resolve(value));
    expect(db.health().pg.status).toBe('unhealthy');
  });

  test('a check that does not settle within timeout → unhealthy, exactly at the timeout', async () => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    await db.connect();
    pg.result = () => new Promise(() => {});
    await clock.advance('10s');
    await clock.advance('999ms');
    expect(db.health().pg.status).toBe('healthy');
    await clock.advance('1ms');
    expect(db.health().pg.status).toBe('unhealthy');
  });

  test('the default timeout is 5s', async () => {
    const clock = new ManualClock();
    const pg = scriptedCheck(true);
    const db = make({ connections: { pg: {} }, clock, healthCheck: { interval: '1m', checks: { pg } } });
    await db.connect();
    pg.result = () => new Promise(() => {});
    await clock.advance('1m');
    await clock.advance('4999ms');
    expect(db.health().pg.status).toBe('healthy');
    await clock.advance('1ms');
    expect(db.health().pg.status).toBe('unhealthy');
  });

  test('an answer that arrives after the timeout is ignored', async () => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    await db.connect();
    const late = deferred();
    pg.result = () => late.promise;
    await clock.advance('11s');
    expect(db.health().pg.status).toBe('unhealthy');
    late.resolve(true);
    await clock.advance('1ms');
    expect(db.health().pg.status).toBe('unhealthy');
  });

  test('checks receive (client, { signal }) and the signal aborts on timeout', async () => {
    const pg = scriptedCheck(true);
    const { db, clock, clients } = setup({ checks: { pg } });
    await db.connect();
    pg.result = () => new Promise(() => {});
    await clock.advance('10s');
    const { client, ctx } = pg.calls[pg.calls.length - 1];
    expect(client).toBe(clients.pg);
    expect(ctx.signal).toBeInstanceOf(AbortSignal);
    expect(ctx.signal.aborted).toBe(false);
    await clock.advance('1s');
    expect(ctx.signal.aborted).toBe(true);
    expect(ctx.signal.reason).toBeInstanceOf(OmniDbError);
    expect(ctx.signal.reason.code).toBe('OMNIDB_TIMEOUT');
  });

  test('the signal of a check that answered in time is not aborted later', async () => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    await db.connect();
    await clock.advance('10s');
    const { ctx } = pg.calls[pg.calls.length - 1];
    await clock.advance('5s');
    expect(ctx.signal.aborted).toBe(false);
  });
});

describe('interval', () => {
  test('checks run once per interval, the first at connect()', async () => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    await db.connect();
    expect(pg.calls).toHaveLength(1);
    await clock.advance('9999ms');
    expect(pg.calls).toHaveLength(1);
    await clock.advance('1ms');
    expect(pg.calls).toHaveLength(2);
    await clock.advance('30s');
    expect(pg.calls).toHaveLength(5);
  });

  test('the default interval is 30s', async () => {
    const clock = new ManualClock();
    const pg = scriptedCheck(true);
    const db = make({ connections: { pg: {} }, clock, healthCheck: { checks: { pg } } });
    await db.connect();
    await clock.advance('29999ms');
    expect(pg.calls).toHaveLength(1);
    await clock.advance('1ms');
    expect(pg.calls).toHaveLength(2);
  });

  test('checks for all connections run in parallel: a slow one does not delay another', async () => {
    const clock = new ManualClock();
    const slow = deferred();
    const pgCalls = [];
    const redisCalls = [];
    let redisResult = true;
    const db = make({
      connections: { pg: {}, redis: {} }, clock,
      healthCheck: {
        interval: '10s', timeout: '1m',
        checks: {
          pg: () => { pgCalls.push(clock.now()); return pgCalls.length === 1 ? true : slow.promise; },
          redis: () => { redisCalls.push(clock.now()); return redisResult; },
        },
      },
    });
    await db.connect();
    await clock.advance('10s');
    // pg's check is still pending; redis has answered and its answer applies now
    expect(pgCalls).toEqual([0, 10000]);
    expect(redisCalls).toEqual([0, 10000]);
    redisResult = false;
    await clock.advance('10s');
    expect(redisCalls).toEqual([0, 10000, 20000]);
    expect(db.health().redis.status).toBe('unhealthy');
    expect(db.health().pg.status).toBe('healthy');
    slow.resolve(false);
    await clock.advance('1ms');
    expect(db.health().pg.status).toBe('unhealthy');
  });

  test('both checks of a round start before either settles', async () => {
    const clock = new ManualClock();
    const started = [];
    const gates = { pg: deferred(), redis: deferred() };
    const db = make({
      connections: { pg: {}, redis: {} }, clock,
      healthCheck: {
        interval: '10s',
        checks: {
          pg: () => { started.push('pg'); return gates.pg.promise; },
          redis: () => { started.push('redis'); return gates.redis.promise; },
        },
      },
    });
    const connecting = db.connect();
    await clock.advance('1ms');
    expect(started.sort()).toEqual(['pg', 'redis']);
    gates.pg.resolve(true);
    gates.redis.resolve(true);
    await connecting;
  });
});

describe('retry', () => {
  test('failures are retried `retries` times, `delay` apart, before declaring unhealthy', async () => {
    const calls = [];
    let answers = [];
    const clock = new ManualClock();
    const db = make({
      connections: { pg: {} }, clock,
      healthCheck: {
        interval: '10s', timeout: '1s', retry: { retries: 2, delay: '2s' },
        checks: { pg: () => { calls.push(clock.now()); return answers.shift() ?? true; } },
      },
    });
    const events = record(db, ['health:changed']);
    await db.connect();
    calls.length = 0;

    answers = [false, false, true];
    await clock.advance('10s');
    expect(calls).toEqual([10000]);
    await clock.advance('2s');
    expect(calls).toEqual([10000, 12000]);
    await clock.advance('2s');
    expect(calls).toEqual([10000, 12000, 14000]);
    expect(db.health().pg.status).toBe('healthy');
    expect(events).toHaveLength(0);

    calls.length = 0;
    answers = [false, false, false];
    await clock.advance('6s');
    expect(calls).toEqual([20000]);
    await clock.advance('2s');
    expect(db.health().pg.status).toBe('healthy');
    await clock.advance('2s');
    expect(calls).toEqual([20000, 22000, 24000]);
    expect(db.health().pg.status).toBe('unhealthy');
    expect(events.of('health:changed')).toEqual([
      expect.objectContaining({ name: 'pg', previous: 'healthy', current: 'unhealthy', timestamp: 24000 }),
    ]);
  });

  test('a timed-out attempt is retried too', async () => {
    const calls = [];
    const clock = new ManualClock();
    const db = make({
      connections: { pg: {} }, clock,
      healthCheck: {
        interval: '1m', timeout: '1s', retry: { retries: 1, delay: '1s' },
        checks: { pg: () => { calls.push(clock.now()); return calls.length === 2 ? new Promise(() => {}) : true; } },
      },
    });
    await db.connect();
    await clock.advance('1m');
    await clock.advance('1s'); // attempt 0 times out
    expect(db.health().pg.status).toBe('healthy');
    await clock.advance('1s'); // attempt 1 answers true
    expect(calls).toEqual([0, 60000, 62000]);
    expect(db.health().pg.status).toBe('healthy');
  });

  test('connect() waits for the first round\'s retries: it resolves with the verdict, not the first attempt', async () => {
    const calls = [];
    const clock = new ManualClock();
    const db = make({
      connections: { pg: {}, redis: {} }, clock,
      healthCheck: {
        interval: '1m', timeout: '1s', retry: { retries: 2, delay: '2s' },
        checks: { pg: () => { calls.push(clock.now()); return false; }, redis: () => true },
      },
    });
    let connected = false;
    const connecting = db.connect().then(() => { connected = true; });
    await clock.advance('2s');
    expect(connected).toBe(false);
    await clock.advance('2s');
    await connecting;
    expect(calls).toEqual([0, 2000, 4000]);
    expect(db.health().pg.status).toBe('unhealthy');
  });

  test('disconnect() during a first-round retry delay lets connect() settle', async () => {
    const clock = new ManualClock();
    const db = make({
      connections: { pg: {} }, clock,
      healthCheck: { retry: { retries: 3, delay: '1m' }, checks: { pg: () => false } },
    });
    const connecting = db.connect().catch((err) => err);
    await flush();
    await db.disconnect();
    await expect(connecting).resolves.toBeUndefined();
  });

  test('no retry by default', async () => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    await db.connect();
    await round(clock, pg, false);
    expect(db.health().pg.status).toBe('unhealthy');
    expect(pg.calls).toHaveLength(2);
  });
});

describe('health:changed', () => {
  test('fires { name, previous, current, timestamp } on every change and only on change', async () => {
    const pg = scriptedCheck(true);
    const { db, clock, events } = setup({ checks: { pg } });
    await db.connect();
    const results = [true, 'degraded', 'degraded', false, 'unhealthy', false, 'degraded', true, true, false];
    for (const r of results) await round(clock, pg, r);
    const changes = events.of('health:changed').map(({ name, previous, current, timestamp }) => ({ name, previous, current, timestamp }));
    expect(changes).toEqual([
      { name: 'pg', previous: 'healthy', current: 'degraded', timestamp: 20000 },
      { name: 'pg', previous: 'degraded', current: 'unhealthy', timestamp: 40000 },
      { name: 'pg', previous: 'unhealthy', current: 'degraded', timestamp: 70000 },
      { name: 'pg', previous: 'degraded', current: 'healthy', timestamp: 80000 },
      { name: 'pg', previous: 'healthy', current: 'unhealthy', timestamp: 100000 },
    ]);
  });

  test('a change to a non-unhealthy status carries exactly { name, previous, current, timestamp }', async () => {
    const pg = scriptedCheck(true);
    const { db, clock, events } = setup({ checks: { pg } });
    await db.connect();
    await round(clock, pg, 'degraded');
    expect(events.of('health:changed')).toEqual([{ name: 'pg', previous: 'healthy', current: 'degraded', timestamp: 10000 }]);
  });

  test('the first round at connect() can already change the status', async () => {
    const pg = scriptedCheck(false);
    const { db, events } = setup({ checks: { pg } });
    await db.connect();
    expect(db.health().pg.status).toBe('unhealthy');
    expect(events.of('health:changed')).toEqual([
      expect.objectContaining({ name: 'pg', previous: 'healthy', current: 'unhealthy', timestamp: 0 }),
    ]);
  });
});

describe('health drives the circuit (circuitBreaker: {}, the defaults)', () => {
  test("unhealthy opens the circuit with reason 'health-check-failed'; healthy closes it with 'health-recovered'", async () => {
    const pg = scriptedCheck(true);
    const { db, clock, events } = setup({ checks: { pg }, circuitBreaker: {} });
    await db.connect();
    await round(clock, pg, false);
    expect(db.getStats().pg.circuit).toBe('open');
    expect(events.of('circuit:open')).toEqual([{ name: 'pg', reason: 'health-check-failed', timestamp: 10000 }]);
    const fn = jest.fn();
    const r = await settle(db.execute('pg', fn));
    expect(r.error.code).toBe('OMNIDB_CIRCUIT_OPEN');
    expect(fn).not.toHaveBeenCalled();
    await round(clock, pg, true);
    expect(db.getStats().pg.circuit).toBe('closed');
    expect(events.of('circuit:close')).toEqual([{ name: 'pg', reason: 'health-recovered', timestamp: 20000 }]);
    await expect(db.execute('pg', (c) => c.id)).resolves.toBe('pg');
  });

  test('the event order is health:changed, then circuit:open', async () => {
    const pg = scriptedCheck(true);
    const { db, clock, events } = setup({ checks: { pg }, circuitBreaker: {} });
    await db.connect();
    await round(clock, pg, false);
    expect(events.names()).toEqual(['health:changed', 'circuit:open']);
  });

  test('degraded does not open the circuit', async () => {
    const pg = scriptedCheck(true);
    const { db, clock, events } = setup({ checks: { pg }, circuitBreaker: {} });
    await db.connect();
    await round(clock, pg, 'degraded');
    expect(db.getStats().pg.circuit).toBe('closed');
    expect(events.of('circuit:open')).toHaveLength(0);
  });

  test('unhealthy → degraded closes the circuit (the server answers again)', async () => {
    const pg = scriptedCheck(true);
    const { db, clock, events } = setup({ checks: { pg }, circuitBreaker: {} });
    await db.connect();
    await round(clock, pg, false);
    await round(clock, pg, 'degraded');
    expect(db.getStats().pg.circuit).toBe('closed');
    expect(events.of('circuit:close')).toEqual([expect.objectContaining({ name: 'pg', reason: 'health-recovered' })]);
  });

  test('staying unhealthy over many rounds opens the circuit once', async () => {
    const pg = scriptedCheck(true);
    const { db, clock, events } = setup({ checks: { pg }, circuitBreaker: {} });
    await db.connect();
    for (let i = 0; i < 5; i++) await round(clock, pg, false);
    expect(events.of('circuit:open')).toHaveLength(1);
    expect(events.of('health:changed')).toHaveLength(1);
  });
});

describe("'error' events", () => {
  test('emitted { name, error, context, message, timestamp } for a failing check when listened', async () => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    const errors = [];
    db.on('error', (e) => errors.push(e));
    await db.connect();
    const boom = new Error('ECONNREFUSED 127.0.0.1:5432');
    await round(clock, pg, () => Promise.reject(boom));
    expect(errors).toEqual([{ name: 'pg', error: boom, context: 'health-check', message: boom.message, timestamp: 10000 }]);
  });

  test('a timed-out check emits an error naming the connection', async () => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    const errors = [];
    db.on('error', (e) => errors.push(e));
    await db.connect();
    await round(clock, pg, () => new Promise(() => {}));
    await clock.advance('1s');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ name: 'pg', context: 'health-check', timestamp: 11000 });
    expect(errors[0].error).toBeInstanceOf(Error);
    expect(errors[0].message).toContain('pg');
  });

  test('a check answering false emits an error too', async () => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    const errors = [];
    db.on('error', (e) => errors.push(e));
    await db.connect();
    await round(clock, pg, false);
    expect(errors).toEqual([expect.objectContaining({ name: 'pg', context: 'health-check', error: expect.any(Error) })]);
  });

  test('healthy checks emit no error', async () => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    const errors = [];
    db.on('error', (e) => errors.push(e));
    await db.connect();
    await round(clock, pg, true);
    await round(clock, pg, 'degraded');
    expect(errors).toEqual([]);
  });

  describe('with no error listener', () => {
    test('failing checks (throw, reject, false, timeout) neither throw nor change the outcome', async () => {
      const pg = scriptedCheck(true);
      const { db, clock } = setup({ checks: { pg } });
      expect(db.listenerCount('error')).toBe(0);
      await db.connect();
      await round(clock, pg, () => { throw new Error('sync'); });
      await round(clock, pg, () => Promise.reject(new Error('async')));
      await round(clock, pg, false);
      await round(clock, pg, () => new Promise(() => {}));
      await clock.advance('1s');
      expect(db.health().pg.status).toBe('unhealthy');
      expect(db.metrics().pg.consecutiveFailures).toBe(4);
    });

    // Jest intercepts uncaught exceptions in its workers: the definitive check that
    // nothing reaches process 'uncaughtException' runs in a child process.
    test('nothing reaches uncaughtException / unhandledRejection (child process)', () => {
      const stdout = execFileSync(process.execPath, [path.join(__dirname, 'fixtures', 'uncaught.js'), 'no-error-listener'], {
        cwd: path.join(__dirname, '..'), encoding: 'utf8',
      });
      const out = JSON.parse(stdout);
      expect(out.caught).toEqual([]);
      expect(out.status).toBe('unhealthy');
      expect(out.realChecks).toBe(true);
      expect(out.disconnect).toEqual({ ok: true });
    });
  });
});

describe('odd results and throws are failed checks, never a crash', () => {
  // Inside Jest, `process` is a sandbox copy: an unhandled rejection reaches the real one.
  const realProcess = vm.runInThisContext('process');
  let escaped = [];
  const onEscape = (reason) => escaped.push(reason);
  beforeEach(() => {
    escaped = [];
    realProcess.on('unhandledRejection', onEscape);
  });
  afterEach(() => realProcess.removeListener('unhandledRejection', onEscape));

  const messageGetterThrows = () => {
    const err = new Error('unreadable');
    Object.defineProperty(err, 'message', { get() { throw new Error('message getter'); } });
    return err;
  };
  const revoked = () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  };
  const throwsOnEveryTrap = () => new Proxy({}, new Proxy({}, { get: () => () => { throw new Error('trap'); } }));

  test.each([
    ['throws Object.create(null)', () => { throw Object.create(null); }],
    ['rejects with Object.create(null)', () => Promise.reject(Object.create(null))],
    ['throws an Error whose message getter throws', () => { throw messageGetterThrows(); }],
    ['throws an object whose toString and toPrimitive throw', () => { throw { toString() { throw new Error('x'); }, [Symbol.toPrimitive]() { throw new Error('y'); } }; }],
    ['throws a revoked Proxy', () => { throw revoked(); }],
    ['returns an object whose status getter throws', () => ({ get status() { throw new Error('status getter'); } })],
    ['returns an object whose status getter throws undefined', () => ({ get status() { throw undefined; } })],
    ['returns a revoked Proxy', () => revoked()],
    ['returns a Proxy whose every trap throws', () => throwsOnEveryTrap()],
    ['returns an object whose status has a throwing toString', () => ({ status: { toString() { throw new Error('x'); } } })],
  ])('a check that %s → unhealthy, one error event with a string message, nothing unhandled', async (_, result) => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    const errors = [];
    db.on('error', (e) => errors.push(e));
    await db.connect();
    await round(clock, pg, result);
    await flush();
    expect(db.health().pg.status).toBe('unhealthy');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ name: 'pg', context: 'health-check' });
    expect(typeof errors[0].message).toBe('string');
    expect(errors[0].message).not.toContain('timed out'); // answered, not lost
    expect(typeof db.metrics().pg.lastError).toBe('string');
    expect(escaped).toHaveLength(0);
  });

  test("the thrown value itself is the 'error' event's error", async () => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    const errors = [];
    db.on('error', (e) => errors.push(e));
    const thrown = Object.create(null);
    await db.connect();
    await round(clock, pg, () => { throw thrown; });
    expect(errors[0].error).toBe(thrown);
    expect(errors[0].message).toBe('[object Object]');
  });

  test('a result object is read once: a status getter that changes its answer decides once', async () => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    let reads = 0;
    await db.connect();
    await round(clock, pg, () => ({ get status() { reads += 1; return reads === 1 ? 'degraded' : 42; } }));
    expect(reads).toBe(1);
    expect(db.health().pg.status).toBe('degraded');
  });

  test('a throwing latencyMs getter leaves the status to `status`', async () => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    await db.connect();
    await round(clock, pg, () => ({ status: 'degraded', role: 'primary', get latencyMs() { throw new Error('x'); } }));
    expect(db.health().pg.status).toBe('degraded');
    expect(db.metrics().pg).toMatchObject({ latencyMs: null, role: 'primary' });
    expect(escaped).toHaveLength(0);
  });
});

describe('metrics() reflects checks', () => {
  test('lastError, lastCheckAt and transitions', async () => {
    const pg = scriptedCheck(true);
    const { db, clock } = setup({ checks: { pg } });
    await db.connect();
    await round(clock, pg, () => Promise.reject(new Error('refused')));
    const m = db.metrics().pg;
    expect(m.lastCheckAt).toBe(10000);
    expect(m.lastError).toContain('refused');
    expect(m.transitions).toEqual([{ from: 'healthy', to: 'unhealthy', timestamp: 10000 }]);
  });
});
