'use strict';
// execute()'s failure semantics beyond the happy path: option keys checked on the
// synchronous path, deadlines that tell a slow call from a dead server, the retry
// budget, and the re-run of in-flight idempotent calls when routing moves.
const { ManualClock, OmniDbError, TimeoutError, isConnectionError } = require('..');
const { useOrchestrators, deferred, flush, scriptedCheck } = require('./helpers');

const make = useOrchestrators();

const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

// primary → replica, each a tiny client whose query() the test scripts.
function pair({ clock = new ManualClock(), threshold = 5, checks, extra = {} } = {}) {
  const ran = [];
  const client = (name) => ({ name, reply: null });
  const primary = client('primary');
  const replica = client('replica');
  const db = make({
    connections: { primary, replica },
    failover: { primary: 'replica' },
    circuitBreaker: { threshold, resetTimeout: '30s' },
    clock,
    ...(checks ? { healthCheck: { interval: '1s', timeout: '500ms', checks } } : {}),
    ...extra,
  });
  const run = (c, ctx) => {
    ran.push(ctx.name);
    return c.reply === null ? Promise.resolve(c.name) : c.reply(ctx);
  };
  return { db, clock, ran, primary, replica, run };
}

describe('option keys', () => {
  test.each([
    [{ failOver: false }, 'failOver', 'failover'],
    [{ idempotant: true }, 'idempotant', 'idempotent'],
    [{ timeOut: '1s' }, 'timeOut', 'timeout'],
    [{ idempotent: true, signall: new AbortController().signal }, 'signall', 'signal'],
  ])('%j rejects naming the key and the closest known one; fn never runs', async (options, key, guess) => {
    const { db } = pair();
    const fn = jest.fn();
    const err = await db.execute('primary', fn, options).catch((e) => e);
    expect(err).toBeInstanceOf(OmniDbError);
    expect(err.code).toBe('OMNIDB_INVALID_ARGUMENT');
    expect(err.message).toContain(`"${key}"`);
    expect(err.message).toContain(`Did you mean "${guess}"?`);
    expect(fn).not.toHaveBeenCalled();
  });

  test('a key set to undefined is no typo', async () => {
    const { db } = pair();
    await expect(db.execute('primary', () => 1, { timeout: undefined, idempotent: true })).resolves.toBe(1);
  });

  test('a getter that throws, or a Proxy that throws, is a rejection, never a synchronous throw', async () => {
    const { db } = pair();
    const boom = new Error('getter');
    const getter = { get idempotent() { throw boom; } };
    const trap = new Proxy({}, { ownKeys() { throw boom; }, get() { return undefined; } });
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    for (const options of [getter, trap, revocable.proxy]) {
      let p;
      expect(() => { p = db.execute('primary', () => 1, options); }).not.toThrow();
      const err = await p.catch((e) => e);
      expect(err).toBeInstanceOf(OmniDbError);
      expect(err.code).toBe('OMNIDB_INVALID_ARGUMENT');
    }
  });

  test('{ failover: false } pins the call to the connection named, even when failed over', async () => {
    const s = pair();
    await s.db.execute('primary', s.run, {});
    s.db.recordFailure('primary');
    for (let i = 0; i < 4; i++) s.db.recordFailure('primary');
    expect(s.db.getStats().primary.failoverTo).toBe('replica');
    await expect(s.db.execute('primary', s.run, { failover: false })).rejects.toMatchObject({ code: 'OMNIDB_CIRCUIT_OPEN' });
    await expect(s.db.execute('primary', s.run, { idempotent: true })).resolves.toBe('replica');
  });
});

describe('deadlines', () => {
  test('a call slower than its deadline while the connection answers others fails alone: no failure, no retry', async () => {
    const s = pair({ threshold: 1 });
    const slow = deferred();
    s.primary.reply = (ctx) => (ctx.signal && s.ran.length === 1 ? slow.promise : Promise.resolve('fast'));
    const p = s.db.execute('primary', s.run, { idempotent: true, timeout: '1s' }).catch((e) => e);
    // meanwhile the primary answers another call
    await expect(s.db.execute('primary', s.run, { timeout: '1s' })).resolves.toBe('fast');
    await s.clock.advance('1s');
    const err = await p;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.unresponsive).toBe(false);
    expect(isConnectionError(err)).toBe(false);
    expect(s.ran).toEqual(['primary', 'primary']); // not retried on the replica
    expect(s.db.getStats().primary).toMatchObject({ circuit: 'closed', failures: 0 });
    slow.resolve('late');
  });

  test('a deadline that passes with no answer from the connection counts, and an idempotent call moves', async () => {
    const s = pair({ threshold: 5 });
    s.primary.reply = () => new Promise(() => {}); // frozen
    const p = s.db.execute('primary', s.run, { idempotent: true, timeout: '1s' });
    await s.clock.advance('1s');
    await expect(p).resolves.toBe('replica');
    expect(s.ran).toEqual(['primary', 'replica']);
    expect(s.db.getStats().primary.failures).toBe(1);
  });

  test('a server that stops answering opens the circuit within threshold deadlines', async () => {
    const s = pair({ threshold: 3 });
    s.primary.reply = () => new Promise(() => {});
    const calls = [1, 2, 3].map(() => s.db.execute('primary', s.run, { timeout: '1s' }).catch((e) => e));
    await s.clock.advance('1s');
    const errors = await Promise.all(calls);
    expect(errors.every((e) => e.code === 'OMNIDB_TIMEOUT' && e.unresponsive === true)).toBe(true);
    expect(s.db.getStats().primary.circuit).toBe('open');
  });

  test('a health check that passes meanwhile is also a sign of life', async () => {
    const check = scriptedCheck(true);
    const s = pair({ threshold: 1, checks: { primary: check } });
    await s.db.connect();
    s.primary.reply = () => new Promise(() => {});
    const p = s.db.execute('primary', s.run, { timeout: '1500ms' }).catch((e) => e);
    await s.clock.advance('1500ms'); // a round at 1s passes
    const err = await p;
    expect(err.unresponsive).toBe(false);
    expect(s.db.getStats().primary.circuit).toBe('closed');
  });
});

describe('failover re-runs in-flight idempotent calls at once', () => {
  test('calls with a deadline: aborted on the primary, run on the replica, before their deadline', async () => {
    let healthy = true;
    const s = pair({ checks: { primary: () => healthy, replica: () => true } });
    await s.db.connect();
    const signals = [];
    s.primary.reply = (ctx) => { signals.push(ctx.signal); return new Promise(() => {}); };
    const reads = [1, 2].map(() => s.db.execute('primary', s.run, { idempotent: true, timeout: '10s' }));
    const write = s.db.execute('primary', s.run, { failover: false, timeout: '10s' }).catch((e) => e);
    healthy = false;
    await s.clock.advance('1s'); // the round that fails the primary over
    await expect(Promise.all(reads)).resolves.toEqual(['replica', 'replica']);
    expect(signals).toHaveLength(3);
    expect(signals.slice(0, 2).map((sig) => sig.reason.code)).toEqual(['OMNIDB_FAILOVER', 'OMNIDB_FAILOVER']);
    expect(signals[2].aborted).toBe(false); // the pinned write stays where it was sent
    await s.clock.advance('10s');
    expect((await write).code).toBe('OMNIDB_TIMEOUT');
  });

  test('calls without a deadline whose client honours ctx.signal: re-run on the replica', async () => {
    let healthy = true;
    const s = pair({ checks: { primary: () => healthy, replica: () => true } });
    await s.db.connect();
    s.primary.reply = (ctx) => new Promise((_, reject) => {
      ctx.signal.addEventListener('abort', () => reject(new Error('aborted by the client')));
    });
    const read = s.db.execute('primary', s.run, { idempotent: true });
    healthy = false;
    await s.clock.advance('1s');
    await expect(read).resolves.toBe('replica');
    expect(s.db.getStats().primary.failures).toBe(0); // the abort says nothing new
  });
});

describe('retry budget', () => {
  test('retries stay within a fifth of the calls plus a small floor', async () => {
    const s = pair({ threshold: 1000000 });
    s.primary.reply = () => Promise.reject(reset());
    const n = 1000;
    await Promise.all(Array.from({ length: n }, () => s.db.execute('primary', s.run, { idempotent: true }).catch(() => {})));
    const retries = s.ran.filter((name) => name === 'replica').length;
    expect(retries).toBeGreaterThan(0);
    expect(retries).toBeLessThanOrEqual(n * 0.2 + 10);
    await flush();
  });
});
