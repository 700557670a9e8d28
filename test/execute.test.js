'use strict';
// execute(name, fn, options): results, errors, ctx, timeouts and signals.
const {
  OmniDbError, CircuitOpenError, TimeoutError, UnknownConnectionError,
} = require('..');
const { useOrchestrators, ManualClock, settle, deferred, record } = require('./helpers');

const make = useOrchestrators();

// With the built-in breaker (its defaults unless a test sets them): many tests here
// read the failures it counts. test/no-breaker.test.js covers execute() without one.
function twoConnections(extra = {}) {
  const primary = { id: 'primary' };
  const replica = { id: 'replica' };
  const db = make({ connections: { primary, replica }, circuitBreaker: {}, ...extra });
  return { db, primary, replica };
}

describe('results', () => {
  test('resolves with the async function result', async () => {
    const { db } = twoConnections();
    await expect(db.execute('primary', async () => ({ rows: [1, 2] }))).resolves.toEqual({ rows: [1, 2] });
  });

  test('passes the named client as the first argument', async () => {
    const { db, primary, replica } = twoConnections();
    await expect(db.execute('primary', (c) => c)).resolves.toBe(primary);
    await expect(db.execute('replica', (c) => c)).resolves.toBe(replica);
  });

  test.each([
    ['a number', 42],
    ['a string', 'ok'],
    ['undefined', undefined],
    ['null', null],
    ['an object', { a: 1 }],
  ])('a synchronous return of %s is resolved as-is', async (_, value) => {
    const { db } = twoConnections();
    const p = db.execute('primary', () => value);
    expect(p).toBeInstanceOf(Promise);
    await expect(p).resolves.toBe(value);
  });

  test('a synchronous function return is not called', async () => {
    const { db } = twoConnections();
    const fn = () => 'x';
    await expect(db.execute('primary', () => fn)).resolves.toBe(fn);
  });

  test('a foreign thenable is adopted', async () => {
    const { db } = twoConnections();
    const thenable = { then(resolve) { resolve('from-thenable'); } };
    await expect(db.execute('primary', () => thenable)).resolves.toBe('from-thenable');
  });

  test('a foreign thenable that rejects rejects with its error and counts as a failure', async () => {
    const { db } = twoConnections();
    const err = new Error('thenable failed');
    const thenable = { then(_, reject) { reject(err); } };
    const r = await settle(db.execute('primary', () => thenable));
    expect(r.ok).toBe(false);
    expect(r.error).toBe(err);
    expect(db.getStats().primary.failures).toBe(1);
  });
});

describe("fn's result cannot make execute() throw", () => {
  const thrown = new Error('then getter');
  const revoked = () => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); return proxy; };
  test.each([
    ['an object whose then getter throws', () => ({ get then() { throw thrown; } }), (e) => e === thrown],
    ['a thenable whose then() throws', () => ({ then() { throw thrown; } }), (e) => e === thrown],
    ['a revoked Proxy', () => revoked(), (e) => e instanceof TypeError],
    ['a Proxy whose getPrototypeOf and get traps throw', () => new Proxy({}, { getPrototypeOf() { throw thrown; }, get() { throw thrown; } }), (e) => e === thrown],
    ['an object that only inherits from Promise.prototype', () => Object.create(Promise.prototype), (e) => e instanceof TypeError],
  ])('%s: rejects (never throws) and counts as a failure, on the plain and the sampled path', async (_, result, isExpected) => {
    // sampleEvery: 1 times every call: the sampled twin of the happy path runs too.
    for (const sampleEvery of [128, 1]) {
      const { db } = twoConnections({ metrics: { sampleEvery } });
      let p;
      expect(() => { p = db.execute('primary', () => result()); }).not.toThrow();
      const r = await settle(p);
      expect(r.ok).toBe(false);
      expect(isExpected(r.error)).toBe(true);
      expect(db.getStats().primary.failures).toBe(1);
    }
  });

  test('with options (the guarded path), a real Promise whose then getter throws settles once, with its own outcome, and leaves nothing behind', async () => {
    const realProcess = require('vm').runInThisContext('process');
    const escaped = [];
    const onEscape = (r) => escaped.push(r);
    realProcess.on('unhandledRejection', onEscape);
    try {
      const clock = new ManualClock();
      const { db } = twoConnections({ clock });
      const withGetter = (p) => Object.defineProperty(p, 'then', { get() { throw new Error('getter'); } });
      expect(await db.execute('primary', () => withGetter(Promise.resolve(7)), { timeout: '1s' })).toBe(7);
      const r = await settle(db.execute('primary', () => withGetter(Promise.reject(new Error('down'))), { timeout: '1s' }));
      expect(r.error.message).toBe('down');
      await clock.advance('2s'); // a timer left behind would reject now
      await new Promise((resolve) => setImmediate(resolve));
      expect(escaped).toHaveLength(0);
      expect(db.getStats().primary.failures).toBe(1);
    } finally {
      realProcess.removeListener('unhandledRejection', onEscape);
    }
  });

  test('a real Promise whose own then getter throws is still awaited through the intrinsic then()', async () => {
    for (const sampleEvery of [128, 1]) {
      const { db } = twoConnections({ metrics: { sampleEvery } });
      const failing = () => Object.defineProperty(Promise.reject(new Error('down')), 'then', { get() { throw new Error('getter'); } });
      const r = await settle(db.execute('primary', failing));
      expect(r.error.message).toBe('down');
      expect(db.getStats().primary.failures).toBe(1);
      const ok = () => Object.defineProperty(Promise.resolve(7), 'then', { get() { throw new Error('getter'); } });
      // (awaited natively: the returned promise may be fn's own, own `then` getter included)
      expect(await db.execute('primary', ok)).toBe(7);
    }
  });
});

describe('errors from fn are rethrown unchanged', () => {
  test('the same object for a rejection', async () => {
    const { db } = twoConnections();
    const err = Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
    const r = await settle(db.execute('primary', async () => { throw err; }));
    expect(r.error).toBe(err);
    expect(r.error.message).toBe('connection reset');
  });

  test('the same object for a synchronous throw, as a rejection (execute itself does not throw)', async () => {
    const { db } = twoConnections();
    const err = new Error('sync');
    let p;
    expect(() => { p = db.execute('primary', () => { throw err; }); }).not.toThrow();
    const r = await settle(p);
    expect(r.error).toBe(err);
  });

  test('a synchronous throw counts as a failure like a rejection', async () => {
    const { db } = twoConnections({ circuitBreaker: { threshold: 2 } });
    await settle(db.execute('primary', () => { throw new Error('a'); }));
    expect(db.getStats().primary.failures).toBe(1);
    await settle(db.execute('primary', () => Promise.reject(new Error('b'))));
    expect(db.getStats().primary.circuit).toBe('open');
  });

  test('non-Error rejection values are passed through too', async () => {
    const { db } = twoConnections();
    const r = await settle(db.execute('primary', () => Promise.reject('plain string')));
    expect(r.error).toBe('plain string');
  });

  test('an error is never wrapped on the guarded path either (options given)', async () => {
    const clock = new ManualClock();
    const { db } = twoConnections({ clock });
    const err = new Error('guarded');
    const r = await settle(db.execute('primary', async () => { throw err; }, { timeout: '1s' }));
    expect(r.error).toBe(err);
  });

  test('a success resets the consecutive failure count', async () => {
    const { db } = twoConnections();
    await settle(db.execute('primary', () => { throw new Error('x'); }));
    await settle(db.execute('primary', () => { throw new Error('x'); }));
    expect(db.getStats().primary.failures).toBe(2);
    await db.execute('primary', async () => 'ok');
    expect(db.getStats().primary.failures).toBe(0);
  });

  test('a synchronous success resets the failure count too', async () => {
    const { db } = twoConnections();
    await settle(db.execute('primary', () => { throw new Error('x'); }));
    await db.execute('primary', () => 1);
    expect(db.getStats().primary.failures).toBe(0);
  });

  test('a thenable success resets the failure count', async () => {
    const { db } = twoConnections();
    await settle(db.execute('primary', () => { throw new Error('x'); }));
    await db.execute('primary', () => ({ then(resolve) { resolve(1); } }));
    expect(db.getStats().primary.failures).toBe(0);
  });

  test('the failure is recorded by the time the caller sees the rejection', async () => {
    const { db } = twoConnections({ circuitBreaker: { threshold: 1 } });
    const r = await settle(db.execute('primary', async () => { throw new Error('x'); }));
    expect(r.ok).toBe(false);
    expect(db.getStats().primary.circuit).toBe('open');
  });
});

describe('unknown connection', () => {
  test('rejects with OMNIDB_UNKNOWN_CONNECTION and lists the names', async () => {
    const { db } = twoConnections();
    const fn = jest.fn();
    const r = await settle(db.execute('analytics', fn));
    expect(r.error).toBeInstanceOf(UnknownConnectionError);
    expect(r.error).toBeInstanceOf(OmniDbError);
    expect(r.error.code).toBe('OMNIDB_UNKNOWN_CONNECTION');
    expect(r.error.message).toContain('Connection "analytics" is unavailable');
    expect(r.error.message).toContain('primary');
    expect(r.error.message).toContain('replica');
    expect(fn).not.toHaveBeenCalled();
  });

  test('returns a rejected promise rather than throwing', () => {
    const { db } = twoConnections();
    let p;
    expect(() => { p = db.execute('nope', () => 1); }).not.toThrow();
    return expect(p).rejects.toMatchObject({ code: 'OMNIDB_UNKNOWN_CONNECTION' });
  });

  test.each([
    ['a symbol', () => Symbol('primary'), 'Symbol(primary)'],
    ['an object whose toString throws', () => ({ toString() { throw new Error('x'); } }), '[object Object]'],
    ['an object whose Symbol.toPrimitive throws', () => ({ [Symbol.toPrimitive]() { throw new Error('x'); } }), '[object Object]'],
    ['a null-prototype object', () => Object.create(null), '[object Object]'],
    ['a revoked Proxy', () => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); return proxy; }, '[unprintable value]'],
  ])('a name that is %s rejects with OMNIDB_UNKNOWN_CONNECTION (never a synchronous TypeError)', async (_, makeName, shown) => {
    const { db } = twoConnections();
    for (const options of [undefined, { timeout: '1s' }]) {
      let p;
      expect(() => { p = db.execute(makeName(), () => 1, options); }).not.toThrow();
      const r = await settle(p);
      expect(r.error).toBeInstanceOf(UnknownConnectionError);
      expect(r.error.message).toContain(`Connection "${shown}" is unavailable`);
    }
  });

  test('after disconnect(), an odd name rejects with OMNIDB_DISCONNECTED', async () => {
    const { db } = twoConnections();
    await db.disconnect();
    const r = await settle(db.execute(Object.create(null), () => 1));
    expect(r.error.code).toBe('OMNIDB_DISCONNECTED');
  });

  test('inherited object keys are not connections', async () => {
    const { db } = twoConnections();
    await expect(db.execute('toString', () => 1)).rejects.toMatchObject({ code: 'OMNIDB_UNKNOWN_CONNECTION' });
    await expect(db.execute('__proto__', () => 1)).rejects.toMatchObject({ code: 'OMNIDB_UNKNOWN_CONNECTION' });
  });
});

describe('fn that is not a function', () => {
  test.each([
    ['undefined', undefined],
    ['a string', 'SELECT 1'],
    ['an object', {}],
  ])('%s rejects with a clear error', async (_, fn) => {
    const { db } = twoConnections();
    const r = await settle(db.execute('primary', fn));
    expect(r.error).toBeInstanceOf(OmniDbError);
    expect(r.error.code).toBe('OMNIDB_INVALID_ARGUMENT');
    expect(r.error.message).toContain('primary');
    expect(r.error.message).toMatch(/function/);
  });

  test('does not count against the circuit', async () => {
    const { db } = twoConnections({ circuitBreaker: { threshold: 1 } });
    await settle(db.execute('primary', null));
    expect(db.getStats().primary).toMatchObject({ circuit: 'closed', failures: 0 });
  });
});

describe('ctx', () => {
  test('is { signal, name } with an AbortSignal that has not aborted', async () => {
    const { db } = twoConnections();
    const ctx = await db.execute('replica', (_, c) => c);
    expect(Object.keys(ctx).sort()).toEqual(['name', 'signal']);
    expect(ctx.name).toBe('replica');
    expect(ctx.signal).toBeInstanceOf(AbortSignal);
    expect(ctx.signal.aborted).toBe(false);
  });

  test('name is the connection actually used after failover', async () => {
    const clock = new ManualClock();
    let primaryHealthy = true;
    const { db, replica } = twoConnections({
      clock,
      failover: { primary: 'replica' },
      healthCheck: { interval: '10s', checks: { primary: () => primaryHealthy } },
    });
    await db.connect();
    primaryHealthy = false;
    await clock.advance('10s');
    const [client, ctx] = await db.execute('primary', (c, x) => [c, x]);
    expect(client).toBe(replica);
    expect(ctx.name).toBe('replica');
  });

  test('with options, ctx still names the connection and carries a fresh signal', async () => {
    const clock = new ManualClock();
    const { db } = twoConnections({ clock });
    const ctx = await db.execute('primary', (_, c) => c, { timeout: '5s' });
    expect(ctx.name).toBe('primary');
    expect(ctx.signal).toBeInstanceOf(AbortSignal);
    expect(ctx.signal.aborted).toBe(false);
  });
});

describe('options.timeout', () => {
  test('rejects with OMNIDB_TIMEOUT, counts as a failure and aborts ctx.signal', async () => {
    const clock = new ManualClock();
    const { db } = twoConnections({ clock, circuitBreaker: { threshold: 1 } });
    const events = record(db, ['circuit:open']);
    let signal;
    const p = settle(db.execute('primary', (_, ctx) => {
      signal = ctx.signal;
      return new Promise(() => {});
    }, { timeout: '2s' }));
    await clock.advance('1999ms');
    expect(signal.aborted).toBe(false);
    await clock.advance('1ms');
    const r = await p;
    expect(r.error).toBeInstanceOf(TimeoutError);
    expect(r.error).toBeInstanceOf(OmniDbError);
    expect(r.error.code).toBe('OMNIDB_TIMEOUT');
    expect(r.error.message).toContain('primary');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(r.error);
    expect(db.getStats().primary.circuit).toBe('open');
    expect(events.of('circuit:open')).toEqual([expect.objectContaining({ name: 'primary', reason: 'failure-threshold' })]);
  });

  test('a timeout counts once even if fn rejects afterwards', async () => {
    const clock = new ManualClock();
    const { db } = twoConnections({ clock });
    const late = deferred();
    const p = settle(db.execute('primary', () => late.promise, { timeout: '1s' }));
    await clock.advance('1s');
    expect((await p).error.code).toBe('OMNIDB_TIMEOUT');
    late.reject(new Error('late'));
    await clock.advance('1ms');
    expect(db.getStats().primary.failures).toBe(1);
  });

  test('a call that finishes in time resolves and leaves no timer behind', async () => {
    const clock = new ManualClock();
    const { db } = twoConnections({ clock });
    const d = deferred();
    let signal;
    const p = db.execute('primary', (_, ctx) => { signal = ctx.signal; return d.promise; }, { timeout: '1s' });
    await clock.advance('500ms');
    d.resolve('fast');
    await expect(p).resolves.toBe('fast');
    await clock.advance('10s');
    expect(signal.aborted).toBe(false);
    expect(db.getStats().primary.failures).toBe(0);
  });

  test('numbers are milliseconds', async () => {
    const clock = new ManualClock();
    const { db } = twoConnections({ clock });
    const p = settle(db.execute('primary', () => new Promise(() => {}), { timeout: 250 }));
    await clock.advance(249);
    await clock.advance(1);
    expect((await p).error.code).toBe('OMNIDB_TIMEOUT');
  });

  test('an invalid timeout is rejected naming the value', async () => {
    const { db } = twoConnections();
    const fn = jest.fn();
    const r = await settle(db.execute('primary', fn, { timeout: '10x' }));
    expect(r.error).toBeInstanceOf(OmniDbError);
    expect(r.error.message).toContain('10x');
    expect(fn).not.toHaveBeenCalled();
  });

  test.each(['10x', 0, -1, NaN, '0s', {}])('an invalid timeout %p carries OMNIDB_INVALID_ARGUMENT (an argument, not a config error)', async (timeout) => {
    const { db } = twoConnections();
    const r = await settle(db.execute('primary', () => 1, { timeout }));
    expect(r.error.code).toBe('OMNIDB_INVALID_ARGUMENT');
    expect(r.error.message).toContain('Invalid duration for execute() options.timeout');
  });

  test('options that are not an object are rejected', async () => {
    const { db } = twoConnections();
    const r = await settle(db.execute('primary', () => 1, 5));
    expect(r.error).toBeInstanceOf(OmniDbError);
    expect(r.error.code).toBe('OMNIDB_INVALID_ARGUMENT');
  });
});

describe('unknown option keys', () => {
  test.each([
    ['failOver', 'failover'],
    ['idempotant', 'idempotent'],
    ['timeOut', 'timeout'],
    ['signl', 'signal'],
    ['fail_over', 'failover'],
  ])('%s rejects with OMNIDB_INVALID_ARGUMENT naming it and %s, and fn is not called', async (key, known) => {
    const { db } = twoConnections({ failover: { primary: 'replica' } });
    const fn = jest.fn(() => 1);
    const r = await settle(db.execute('primary', fn, { [key]: false }));
    expect(r.error).toBeInstanceOf(OmniDbError);
    expect(r.error.code).toBe('OMNIDB_INVALID_ARGUMENT');
    expect(r.error.message).toContain(`"${key}"`);
    expect(r.error.message).toContain(`Did you mean "${known}"?`);
    expect(fn).not.toHaveBeenCalled();
  });

  test('a key close to none lists the known options', async () => {
    const { db } = twoConnections();
    const r = await settle(db.execute('primary', () => 1, { retries: 3 }));
    expect(r.error.code).toBe('OMNIDB_INVALID_ARGUMENT');
    expect(r.error.message).toContain('"retries"');
    expect(r.error.message).toContain('timeout, signal, idempotent, failover');
  });

  test('a write with { failOver: false } never reaches the replica', async () => {
    const { db, replica } = twoConnections({ failover: { primary: 'replica' }, circuitBreaker: { threshold: 1 } });
    await settle(db.execute('primary', () => { throw new Error('down'); })); // primary open: routes to replica
    const write = jest.fn();
    await settle(db.execute('primary', write, { failOver: false }));
    expect(write).not.toHaveBeenCalledWith(replica, expect.anything());
    expect(write).not.toHaveBeenCalled();
  });

  test('known keys set to undefined, and symbol keys, are fine', async () => {
    const { db } = twoConnections();
    await expect(db.execute('primary', () => 1, { timeout: undefined, failover: undefined, [Symbol('x')]: 1 })).resolves.toBe(1);
  });
});

describe('options that throw when read', () => {
  const getterThrows = (key, value) => Object.defineProperty({}, key, { get() { throw value; }, enumerable: true });
  const revoked = () => { const { proxy, revoke } = Proxy.revocable({ timeout: '1s' }, {}); revoke(); return proxy; };
  test.each([
    ['a timeout getter that throws', () => getterThrows('timeout', new Error('g'))],
    ['a failover getter that throws', () => getterThrows('failover', new Error('g'))],
    ['a signal getter that throws null', () => getterThrows('signal', null)],
    ['an inherited idempotent getter that throws', () => Object.create(getterThrows('idempotent', 'nope'))],
    ['a Proxy whose every trap throws', () => new Proxy({}, new Proxy({}, { get: () => () => { throw new Error('trap'); } }))],
    ['a revoked Proxy', () => revoked()],
    ['a signal that is a Proxy whose getPrototypeOf throws', () => ({ signal: new Proxy({}, { getPrototypeOf() { throw new Error('proto'); } }) })],
  ])('%s: rejects with OMNIDB_INVALID_ARGUMENT, never throws, fn not called', async (_, makeOptions) => {
    const { db } = twoConnections();
    const fn = jest.fn(() => 1);
    let p;
    expect(() => { p = db.execute('primary', fn, makeOptions()); }).not.toThrow();
    const r = await settle(p);
    expect(r.error).toBeInstanceOf(OmniDbError);
    expect(r.error.code).toBe('OMNIDB_INVALID_ARGUMENT');
    expect(fn).not.toHaveBeenCalled();
  });

  test("the reading error is the rejection's cause", async () => {
    const { db } = twoConnections();
    const thrown = new Error('getter');
    const r = await settle(db.execute('primary', () => 1, getterThrows('timeout', thrown)));
    expect(r.error.cause).toBe(thrown);
    expect(r.error.message).toContain('options.timeout');
  });

  test('with a tracing subscriber too (the traced path reads options.failover first)', async () => {
    const channel = require('diagnostics_channel').tracingChannel('omnidb:execute');
    const handlers = { start() {}, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
    channel.subscribe(handlers);
    try {
      const { db } = twoConnections();
      let p;
      expect(() => { p = db.execute('primary', () => 1, getterThrows('failover', new Error('g'))); }).not.toThrow();
      expect((await settle(p)).error.code).toBe('OMNIDB_INVALID_ARGUMENT');
    } finally {
      channel.unsubscribe(handlers);
    }
  });

  test('each option is read once', async () => {
    const { db, replica } = twoConnections({ failover: { primary: 'replica' } });
    let reads = 0;
    // A getter that says false (pin the call) the first time and 'x' after.
    const options = { get failover() { reads += 1; return reads === 1 ? false : 'x'; } };
    await expect(db.execute('primary', (c) => c, options)).resolves.not.toBe(replica);
    expect(reads).toBe(1);
  });
});

describe('options.signal', () => {
  test("the caller's abort rejects with its reason and aborts ctx.signal", async () => {
    const { db } = twoConnections();
    const controller = new AbortController();
    let signal;
    const p = settle(db.execute('primary', (_, ctx) => {
      signal = ctx.signal;
      return new Promise(() => {});
    }, { signal: controller.signal }));
    const reason = new Error('user navigated away');
    controller.abort(reason);
    const r = await p;
    expect(r.error).toBe(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
  });

  test("the caller's own abort is not a database failure", async () => {
    const { db } = twoConnections({ circuitBreaker: { threshold: 1 } });
    const controller = new AbortController();
    const p = settle(db.execute('primary', () => new Promise(() => {}), { signal: controller.signal }));
    controller.abort(new Error('cancel'));
    await p;
    expect(db.getStats().primary).toMatchObject({ circuit: 'closed', failures: 0 });
  });

  test('an already-aborted signal rejects without calling fn', async () => {
    const { db } = twoConnections();
    const controller = new AbortController();
    const reason = new Error('already');
    controller.abort(reason);
    const fn = jest.fn();
    const r = await settle(db.execute('primary', fn, { signal: controller.signal }));
    expect(r.error).toBe(reason);
    expect(fn).not.toHaveBeenCalled();
  });

  test.each([
    ['an object inheriting from AbortSignal.prototype', () => Object.create(AbortSignal.prototype)],
    ['a Proxy whose every trap throws', () => new Proxy({}, new Proxy({}, { get: () => () => { throw new Error('trap'); } }))],
  ])('a signal that is %s is rejected with OMNIDB_INVALID_ARGUMENT (not a TypeError from inside)', async (_, makeSignal) => {
    const { db } = twoConnections();
    const fn = jest.fn();
    const r = await settle(db.execute('primary', fn, { signal: makeSignal() }));
    expect(r.error).toBeInstanceOf(OmniDbError);
    expect(r.error.code).toBe('OMNIDB_INVALID_ARGUMENT');
    expect(r.error.message).toContain('options.signal');
    expect(fn).not.toHaveBeenCalled();
  });

  test('a forwarding Proxy of a real AbortSignal works like the signal', async () => {
    const { db } = twoConnections();
    const controller = new AbortController();
    const p = settle(db.execute('primary', () => new Promise(() => {}), { signal: new Proxy(controller.signal, {}) }));
    const reason = new Error('cancel');
    controller.abort(reason);
    expect((await p).error).toBe(reason);
  });

  test('a signal that is not an AbortSignal is rejected', async () => {
    const { db } = twoConnections();
    const r = await settle(db.execute('primary', () => 1, { signal: { aborted: false } }));
    expect(r.error).toBeInstanceOf(OmniDbError);
    expect(r.error.message).toContain('signal');
  });

  test('signal and timeout together: whichever comes first wins', async () => {
    const clock = new ManualClock();
    const { db } = twoConnections({ clock });
    const controller = new AbortController();
    const p = settle(db.execute('primary', () => new Promise(() => {}), { signal: controller.signal, timeout: '1s' }));
    await clock.advance('1s');
    expect((await p).error.code).toBe('OMNIDB_TIMEOUT');
    controller.abort(new Error('too late'));
    expect(db.getStats().primary.failures).toBe(1);
  });

  test('the listener is removed from the caller signal after the call settles', async () => {
    const { db } = twoConnections();
    const controller = new AbortController();
    const added = [];
    const removed = [];
    const { signal } = controller;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = (type, fn, o) => { added.push(fn); return add(type, fn, o); };
    signal.removeEventListener = (type, fn, o) => { removed.push(fn); return remove(type, fn, o); };
    await db.execute('primary', async () => 'done', { signal });
    expect(added).toHaveLength(1);
    expect(removed).toEqual(added);
  });
});

describe('circuit open', () => {
  test('rejects at once with CircuitOpenError without calling fn', async () => {
    const { db } = twoConnections({ circuitBreaker: { threshold: 1 } });
    await settle(db.execute('primary', () => { throw new Error('down'); }));
    const fn = jest.fn();
    const r = await settle(db.execute('primary', fn));
    expect(r.error).toBeInstanceOf(CircuitOpenError);
    expect(r.error.code).toBe('OMNIDB_CIRCUIT_OPEN');
    expect(r.error.message).toContain('Connection "primary" is unavailable');
    expect(r.error.message).toContain('Circuit open for "primary"');
    expect(fn).not.toHaveBeenCalled();
  });

  test('with options too', async () => {
    const clock = new ManualClock();
    const { db } = twoConnections({ clock, circuitBreaker: { threshold: 1 } });
    await settle(db.execute('primary', () => { throw new Error('down'); }));
    const fn = jest.fn();
    const r = await settle(db.execute('primary', fn, { timeout: '1s' }));
    expect(r.error).toBeInstanceOf(CircuitOpenError);
    expect(fn).not.toHaveBeenCalled();
  });
});
