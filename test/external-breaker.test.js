'use strict';
// circuitBreaker.use: opossum 10 in-process, cockatiel 4 (ESM-only) in a child process.
const path = require('path');
const { once } = require('events');
const { execFileSync } = require('child_process');
const CircuitBreaker = require('opossum');
const { CircuitOpenError } = require('..');
const { useOrchestrators, ManualClock, record, settle } = require('./helpers');

const make = useOrchestrators();

const breakers = [];
afterEach(() => {
  for (const b of breakers.splice(0)) b.shutdown();
});

function opossum(options = {}) {
  const breaker = new CircuitBreaker(async (fn) => fn(), {
    timeout: false, errorThresholdPercentage: 50, volumeThreshold: 2, resetTimeout: 60000, ...options,
  });
  breakers.push(breaker);
  return breaker;
}

describe('opossum', () => {
  test('calls go through fire(), with the client and ctx, and return the result', async () => {
    const breaker = opossum();
    const fire = jest.spyOn(breaker, 'fire');
    const client = { id: 'pg' };
    const db = make({ connections: { pg: client }, circuitBreaker: { use: breaker } });
    const result = await db.execute('pg', (c, ctx) => ({ c, name: ctx.name }));
    expect(result).toEqual({ c: client, name: 'pg' });
    expect(fire).toHaveBeenCalledTimes(1);
    expect(breaker.stats.successes).toBe(1);
  });

  test("fn's error is rethrown as the same object and counted by the breaker", async () => {
    const breaker = opossum({ volumeThreshold: 100 });
    const db = make({ connections: { pg: {} }, circuitBreaker: { use: breaker } });
    const err = new Error('ECONNRESET');
    const r = await settle(db.execute('pg', async () => { throw err; }));
    expect(r.error).toBe(err);
    expect(breaker.stats.failures).toBe(1);
    const sync = new Error('sync');
    const r2 = await settle(db.execute('pg', () => { throw sync; }));
    expect(r2.error).toBe(sync);
    expect(breaker.stats.failures).toBe(2);
  });

  test('its open state rejects with CircuitOpenError without calling fn, and emits circuit:open', async () => {
    const breaker = opossum();
    const db = make({ connections: { pg: {} }, circuitBreaker: { use: breaker } });
    const events = record(db, ['circuit:open']);
    await settle(db.execute('pg', () => Promise.reject(new Error('a'))));
    await settle(db.execute('pg', () => Promise.reject(new Error('b'))));
    expect(breaker.opened).toBe(true);
    expect(events.of('circuit:open')).toEqual([{ name: 'pg', reason: 'external', timestamp: expect.any(Number) }]);
    expect(db.getStats().pg.circuit).toBe('open');
    const fn = jest.fn();
    const r = await settle(db.execute('pg', fn));
    expect(fn).not.toHaveBeenCalled();
    expect(r.error).toBeInstanceOf(CircuitOpenError);
    expect(r.error.code).toBe('OMNIDB_CIRCUIT_OPEN');
    expect(r.error.message).toContain('Connection "pg" is unavailable');
    expect(r.error.message).toContain('Circuit open for "pg"');
    expect(() => db.get('pg')).toThrow(CircuitOpenError);
  });

  test('opened directly on the breaker, calls are rejected too', async () => {
    const breaker = opossum();
    const db = make({ connections: { pg: {} }, circuitBreaker: { use: breaker } });
    breaker.open();
    const r = await settle(db.execute('pg', () => 1));
    expect(r.error).toBeInstanceOf(CircuitOpenError);
    breaker.close();
    await expect(db.execute('pg', () => 2)).resolves.toBe(2);
  });

  test("opossum's half-open and close are relayed as circuit:half-open and circuit:close", async () => {
    const breaker = opossum({ resetTimeout: 20 });
    const db = make({ connections: { pg: {} }, circuitBreaker: { use: breaker } });
    const events = record(db, ['circuit:open', 'circuit:half-open', 'circuit:close']);
    const halfOpen = once(db, 'circuit:half-open');
    await settle(db.execute('pg', () => Promise.reject(new Error('a'))));
    await settle(db.execute('pg', () => Promise.reject(new Error('b'))));
    const [payload] = await halfOpen;
    expect(payload).toEqual({ name: 'pg', timestamp: expect.any(Number) });
    expect(db.getStats().pg.circuit).toBe('half-open');
    await expect(db.execute('pg', () => 'trial')).resolves.toBe('trial');
    expect(db.getStats().pg.circuit).toBe('closed');
    expect(events.names()).toEqual(['circuit:open', 'circuit:half-open', 'circuit:close']);
  });

  test('half-open primary with a backup: its breaker gets the trial, the backup every call the breaker refuses', async () => {
    const breakerOf = { primary: opossum({ resetTimeout: 20 }), replica: opossum() };
    const db = make({
      connections: { primary: { id: 'p' }, replica: { id: 'r' } },
      failover: { primary: 'replica' },
      circuitBreaker: { use: (name) => breakerOf[name] },
    });
    const events = record(db, ['failover', 'recovery']);
    const halfOpen = once(db, 'circuit:half-open');
    await settle(db.execute('primary', () => Promise.reject(new Error('a'))));
    await settle(db.execute('primary', () => Promise.reject(new Error('b'))));
    expect(db.getStats().primary.failoverTo).toBe('replica');
    await halfOpen;
    // opossum lets one trial through while half-open; the others it refuses run on the replica
    let release;
    const gate = new Promise((resolve) => { release = resolve; });
    const trial = db.execute('primary', async (c) => { await gate; return c.id; });
    const others = await Promise.all([1, 2, 3].map(() => db.execute('primary', (c) => c.id)));
    expect(others).toEqual(['r', 'r', 'r']);
    release();
    await expect(trial).resolves.toBe('p');
    expect(db.getStats().primary.circuit).toBe('closed');
    expect(events.names()).toEqual(['failover', 'recovery']);
  });

  test('an unhealthy check opens the breaker; recovery closes it, with one event each', async () => {
    const clock = new ManualClock();
    const breaker = opossum();
    let healthy = true;
    const db = make({
      connections: { pg: {} }, clock, circuitBreaker: { use: breaker },
      healthCheck: { interval: '10s', checks: { pg: () => healthy } },
    });
    const events = record(db, ['circuit:open', 'circuit:close']);
    await db.connect();
    healthy = false;
    await clock.advance('10s');
    expect(breaker.opened).toBe(true);
    expect(db.getStats().pg).toEqual({ status: 'unhealthy', circuit: 'open', failures: 0, failoverTo: null });
    const fn = jest.fn();
    const r = await settle(db.execute('pg', fn));
    expect(r.error).toBeInstanceOf(CircuitOpenError);
    expect(fn).not.toHaveBeenCalled();
    healthy = true;
    await clock.advance('10s');
    expect(breaker.opened).toBe(false);
    expect(breaker.closed).toBe(true);
    expect(db.getStats().pg.circuit).toBe('closed');
    await expect(db.execute('pg', () => 'back')).resolves.toBe('back');
    expect(events.of('circuit:open')).toEqual([{ name: 'pg', reason: 'health-check-failed', timestamp: 10000 }]);
    expect(events.of('circuit:close')).toEqual([{ name: 'pg', reason: 'health-recovered', timestamp: 20000 }]);
  });

  test('the per-connection factory form: use(name) returns each connection its own breaker', async () => {
    const made = {};
    const use = jest.fn((name) => { made[name] = opossum(); return made[name]; });
    const db = make({ connections: { pg: {}, redis: {} }, circuitBreaker: { use } });
    expect(use.mock.calls).toEqual([['pg'], ['redis']]);
    await settle(db.execute('pg', () => Promise.reject(new Error('a'))));
    await settle(db.execute('pg', () => Promise.reject(new Error('b'))));
    expect(made.pg.opened).toBe(true);
    expect(made.redis.opened).toBe(false);
    expect(db.getStats().pg.circuit).toBe('open');
    expect(db.getStats().redis.circuit).toBe('closed');
    await expect(db.execute('pg', () => 1)).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(db.execute('redis', () => 'ok')).resolves.toBe('ok');
  });

  test('an open external breaker on the primary fails over to the backup', async () => {
    const made = {};
    const db = make({
      connections: { primary: {}, replica: {} },
      failover: { primary: 'replica' },
      circuitBreaker: { use: (name) => { made[name] = opossum(); return made[name]; } },
    });
    const events = record(db, ['failover', 'recovery']);
    made.primary.open();
    expect(events.of('failover')).toEqual([{ primary: 'primary', backup: 'replica', timestamp: expect.any(Number) }]);
    await expect(db.execute('primary', (_, ctx) => ctx.name)).resolves.toBe('replica');
    made.primary.close();
    expect(events.of('recovery')).toHaveLength(1);
    await expect(db.execute('primary', (_, ctx) => ctx.name)).resolves.toBe('primary');
  });

  test('a single breaker shared by every connection speaks for all of them', async () => {
    const breaker = opossum();
    const db = make({ connections: { a: {}, b: {} }, circuitBreaker: { use: breaker } });
    const events = record(db, ['circuit:open']);
    breaker.open();
    expect(events.of('circuit:open').map((e) => e.name)).toEqual(['a', 'b']);
    await expect(db.execute('b', () => 1)).rejects.toBeInstanceOf(CircuitOpenError);
  });

  test('disconnect() removes the listeners it added to the breaker', async () => {
    const breaker = opossum();
    const before = ['open', 'halfOpen', 'close'].map((e) => breaker.listenerCount(e));
    const db = make({ connections: { pg: {} }, circuitBreaker: { use: breaker } });
    expect(['open', 'halfOpen', 'close'].map((e) => breaker.listenerCount(e))).not.toEqual(before);
    await db.disconnect();
    expect(['open', 'halfOpen', 'close'].map((e) => breaker.listenerCount(e))).toEqual(before);
  });

  test('a timeout from execute() options still applies', async () => {
    const clock = new ManualClock();
    const breaker = opossum({ volumeThreshold: 100 });
    const db = make({ connections: { pg: {} }, clock, circuitBreaker: { use: breaker } });
    const p = settle(db.execute('pg', () => new Promise(() => {}), { timeout: '1s' }));
    await clock.advance('1s');
    expect((await p).error.code).toBe('OMNIDB_TIMEOUT');
  });
});

describe('cockatiel 4 (ESM-only, run in a child process)', () => {
  let out;
  beforeAll(() => {
    const fixture = path.join(__dirname, 'fixtures', 'cockatiel.mjs');
    const stdout = execFileSync(process.execPath, [fixture], { cwd: path.join(__dirname, '..'), encoding: 'utf8' });
    out = JSON.parse(stdout);
  });

  test('calls go through execute() and return the result with ctx.name', () => {
    expect(out.success).toEqual({ ok: true, value: { client: 'main', name: 'main' } });
    expect(out.executionsAfterSuccess).toBe(1);
  });

  test('failures are rethrown unwrapped, and consecutive failures open it', () => {
    for (const f of out.failures) {
      expect(f).toEqual({ ok: false, name: 'Error', code: null, message: 'boom', isCircuitOpenError: false });
    }
    expect(out.breakerStateAfterFailures).toBe('open');
    // cockatiel 4 exposes no failure count (no `stats.failures`): getStats() reports 0.
    expect(out.statsAfterFailures).toEqual({ status: 'healthy', circuit: 'open', failures: 0, failoverTo: null });
    expect(out.events).toEqual([{ event: 'circuit:open', name: 'main', reason: 'external' }]);
  });

  test('its open state rejects with CircuitOpenError without calling fn', () => {
    expect(out.fnCalledWhileOpen).toBe(false);
    expect(out.whileOpen).toEqual({
      ok: false, name: 'CircuitOpenError', code: 'OMNIDB_CIRCUIT_OPEN',
      message: expect.stringContaining('Circuit open for "main"'), isCircuitOpenError: true,
    });
    expect(out.whileOpen.message).toContain('Connection "main" is unavailable');
  });

  test('an unhealthy check isolates it; recovery releases it', () => {
    expect(out.isolatedState).toBe('isolated');
    expect(out.statsWhileUnhealthy).toEqual({ status: 'unhealthy', circuit: 'open', failures: 0, failoverTo: null });
    expect(out.executeWhileUnhealthy).toMatchObject({ ok: false, name: 'CircuitOpenError', isCircuitOpenError: true });
    expect(out.stateAfterRecovery).toBe('closed');
    expect(out.statsAfterRecovery).toEqual({ status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null });
    expect(out.executeAfterRecovery).toEqual({ ok: true, value: 2 });
  });

  test('health opens and closes it with one event each', () => {
    expect(out.healthEvents).toEqual([
      { event: 'circuit:open', name: 'main', reason: 'health-check-failed' },
      { event: 'circuit:close', name: 'main', reason: 'health-recovered' },
    ]);
  });
});

describe('a breaker that throws while being set up is a ConfigError from the constructor', () => {
  const { Orchestrator, ConfigError } = require('..');
  const build = (use) => () => new Orchestrator({ connections: { a: {}, b: {} }, circuitBreaker: { use } });
  const thrownBy = (fn) => {
    try {
      fn();
    } catch (err) {
      return err;
    }
    throw new Error('expected a throw');
  };

  test.each([
    ['the factory throws an Error', () => { throw new Error('no breaker for you'); }, 'the factory use(name) for "a" threw: no breaker for you'],
    ['the factory throws a non-Error', () => { throw Object.create(null); }, 'the factory use(name) for "a" threw: [object Object]'],
    ['the factory returns a breaker whose execute getter throws', () => Object.defineProperty({}, 'execute', { get() { throw new Error('x'); } }), 'External circuit breaker must have execute() or fire() method'],
    ['the breaker\'s on() throws', () => ({ fire: (f) => f(), on() { throw new Error('on'); } }), 'subscribing to the breaker for "a" threw: on'],
    ['the breaker\'s onBreak() throws', () => ({ execute: (f) => f(), onBreak() { throw new Error('onBreak'); } }), 'subscribing to the breaker for "a" threw: onBreak'],
  ])('%s', (_, use, fragment) => {
    const err = thrownBy(build(use));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(fragment);
  });

  test('a breaker object (not a factory) whose on() throws too', () => {
    const err = thrownBy(build({ fire: (f) => f(), on() { throw new Error('on'); } }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.cause.message).toBe('on');
  });
});

test('when a later breaker fails to set up, the listeners added to the earlier ones are removed', () => {
  const { Orchestrator, ConfigError } = require('..');
  const first = opossum();
  const before = first.listenerCount('open');
  const use = (name) => (name === 'a' ? first : { fire: (f) => f(), on() { throw new Error('on'); } });
  expect(() => new Orchestrator({ connections: { a: {}, b: {} }, circuitBreaker: { use } })).toThrow(ConfigError);
  expect(first.listenerCount('open')).toBe(before);
});

describe("getStats() reports the external breaker's own state and failures", () => {
  test("opossum 10: its flags give the state, its rolling stats.failures the failures", async () => {
    const breaker = opossum({ volumeThreshold: 100 });
    const db = make({ connections: { pg: {} }, circuitBreaker: { use: breaker } });
    // opossum has neither status.state nor state: the adapter reads opened/halfOpen/closed.
    expect(breaker.status.state).toBeUndefined();
    expect(breaker.state).toBeUndefined();
    expect(db.getStats().pg).toEqual({ status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null });
    await settle(db.execute('pg', () => Promise.reject(new Error('a'))));
    await settle(db.execute('pg', () => Promise.reject(new Error('b'))));
    await db.execute('pg', () => 'ok');
    // opossum counts failures in a rolling window, not consecutively: a success does not reset it.
    expect(breaker.stats.failures).toBe(2);
    expect(db.getStats().pg.failures).toBe(2);
    breaker.open();
    expect(db.getStats().pg.circuit).toBe('open');
    expect(db.prometheus()).toContain('omnidb_consecutive_failures{connection="pg"} 2');
  });

  // Copies getters as getters (a spread would run them here).
  const plain = (extra) => Object.defineProperties({ execute: (fn) => fn() }, Object.getOwnPropertyDescriptors(extra));

  test.each([
    ['status.state', plain({ status: { state: 'OPEN' } }), 'OPEN'],
    ['state', plain({ state: 'half-open' }), 'half-open'],
    ['status.state before state', plain({ status: { state: 'closed' }, state: 'open' }), 'closed'],
    ['neither', plain({}), 'external'],
    ['a numeric state that is no cockatiel state', plain({ state: 42 }), 'external'],
    ['a throwing status getter', plain({ get status() { throw new Error('no'); } }), 'external'],
    ['a fire() breaker with neither', { fire: (fn) => fn() }, 'external'],
    ['a fire() breaker with status.state', { fire: (fn) => fn(), status: { state: 'open' } }, 'open'],
  ])('the state from %s', (_, breaker, expected) => {
    const db = make({ connections: { a: {} }, circuitBreaker: { use: breaker } });
    expect(db.getStats().a.circuit).toBe(expected);
    expect(db.health().a).toEqual({ status: 'healthy' });
  });

  test.each([
    ['stats.failures', plain({ stats: { failures: 3 } }), 3],
    ['no stats', plain({}), 0],
    ['a non-numeric stats.failures', plain({ stats: { failures: '3' } }), 0],
    ['a throwing stats getter', plain({ get stats() { throw new Error('no'); } }), 0],
  ])('the failures from %s', (_, breaker, expected) => {
    const db = make({ connections: { a: {} }, circuitBreaker: { use: breaker } });
    expect(db.getStats().a.failures).toBe(expected);
  });

  test('an external state that is none of the three has its own series in the circuit gauge', () => {
    const db = make({ connections: { a: {} }, circuitBreaker: { use: plain({}) } });
    const text = db.prometheus();
    expect(text).toContain('omnidb_circuit_state{connection="a",state="external"} 1');
    expect(text).toContain('omnidb_circuit_state{connection="a",state="closed"} 0');
  });
});

describe('a failed health check calls the external breaker\'s open(); recovery its close()', () => {
  function breakerWithOpen(kind) {
    const log = [];
    let state = 'closed';
    const breaker = {
      [kind]: (fn) => fn(),
      get state() { return state; },
      open: jest.fn(() => { log.push('open'); state = 'open'; }),
      close: jest.fn(() => { log.push('close'); state = 'closed'; }),
    };
    return { breaker, log };
  }

  test.each(['execute', 'fire'])('any breaker with %s() and open(): opened when unhealthy, closed on recovery', async (kind) => {
    const clock = new ManualClock();
    const { breaker, log } = breakerWithOpen(kind);
    let healthy = true;
    const db = make({
      connections: { pg: {} }, clock, circuitBreaker: { use: breaker },
      healthCheck: { interval: '10s', checks: { pg: () => healthy } },
    });
    await db.connect();
    expect(log).toEqual([]);
    healthy = false;
    await clock.advance('10s');
    expect(log).toEqual(['open']);
    expect(db.getStats().pg).toEqual({ status: 'unhealthy', circuit: 'open', failures: 0, failoverTo: null });
    await clock.advance('10s'); // still unhealthy: not opened again
    expect(log).toEqual(['open']);
    healthy = true;
    await clock.advance('10s');
    expect(log).toEqual(['open', 'close']);
    expect(db.getStats().pg.circuit).toBe('closed');
  });

  test('a breaker with open() but no close() is opened, and recovery leaves it to close itself', async () => {
    const clock = new ManualClock();
    const open = jest.fn();
    let healthy = true;
    const db = make({
      connections: { pg: {} }, clock, circuitBreaker: { use: { execute: (fn) => fn(), open } },
      healthCheck: { interval: '10s', checks: { pg: () => healthy } },
    });
    await db.connect();
    healthy = false;
    await clock.advance('10s');
    expect(open).toHaveBeenCalledTimes(1);
    healthy = true;
    await clock.advance('10s');
    expect(open).toHaveBeenCalledTimes(1);
    expect(db.health().pg.status).toBe('healthy');
  });

  test("an open() that throws becomes an 'error' event (context 'circuit-breaker'), not a crash", async () => {
    const clock = new ManualClock();
    const boom = new Error('open failed');
    let healthy = true;
    const db = make({
      connections: { pg: {} }, clock,
      circuitBreaker: { use: { execute: (fn) => fn(), open: () => { throw boom; } } },
      healthCheck: { interval: '10s', checks: { pg: () => healthy } },
    });
    const errors = [];
    db.on('error', (e) => errors.push(e));
    await db.connect();
    healthy = false;
    await clock.advance('10s');
    expect(errors).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'pg', error: boom, context: 'circuit-breaker' })]));
    expect(db.health().pg.status).toBe('unhealthy');
  });

  test('a breaker without open() or isolate() is left alone; health still fails over', async () => {
    const clock = new ManualClock();
    let healthy = true;
    const db = make({
      connections: { primary: {}, replica: {} }, failover: { primary: 'replica' }, clock,
      circuitBreaker: { use: { execute: (fn) => fn() } },
      healthCheck: { interval: '10s', checks: { primary: () => healthy } },
    });
    const events = record(db, ['failover', 'recovery', 'circuit:open']);
    await db.connect();
    healthy = false;
    await clock.advance('10s');
    expect(events.names()).toEqual(['failover']);
    await expect(db.execute('primary', (_, ctx) => ctx.name)).resolves.toBe('replica');
    healthy = true;
    await clock.advance('10s');
    expect(events.names()).toEqual(['failover', 'recovery']);
  });
});

test('with an external breaker, recordSuccess() and recordFailure() do nothing (the breaker counts its own)', () => {
  const breaker = opossum();
  const db = make({ connections: { pg: {} }, circuitBreaker: { use: breaker } });
  db.recordFailure('pg');
  db.recordFailure('pg', new Error('ECONNRESET'));
  db.recordSuccess('pg');
  db.recordFailure('nope');
  expect(breaker.stats.failures).toBe(0);
  expect(db.getStats().pg).toEqual({ status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null });
});
