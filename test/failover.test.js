'use strict';
// Failover routing: when it happens, where calls go, and the events that say so.
const { CircuitOpenError } = require('..');
const { useOrchestrators, ManualClock, record, settle, deferred } = require('./helpers');

const make = useOrchestrators();

/**
 * Connections with health checks driven by `health.<name>`; failover as given.
 * Health rounds every 10s.
 */
function setup(names, failover, circuitBreaker = { threshold: 2, resetTimeout: '1h' }) {
  const clock = new ManualClock();
  const health = {};
  const connections = {};
  const checks = {};
  for (const n of names) {
    health[n] = true;
    connections[n] = { id: n };
    checks[n] = () => health[n];
  }
  const db = make({ connections, failover, clock, circuitBreaker, healthCheck: { interval: '10s', checks } });
  const events = record(db, ['failover', 'recovery', 'circuit:open', 'circuit:close', 'health:changed']);
  const tick = () => clock.advance('10s');
  const ran = (name) => db.execute(name, (c, ctx) => ({ client: c.id, ctx: ctx.name }));
  return { db, clock, health, connections, events, tick, ran };
}

describe('primary unhealthy → backup', () => {
  test('failover { primary, backup, timestamp } fires once, at the check that causes it', async () => {
    const { db, health, events, tick } = setup(['primary', 'replica'], { primary: 'replica' });
    await db.connect();
    health.primary = false;
    await tick();
    // no call has been made: the event is not lazy
    expect(events.of('failover')).toEqual([{ primary: 'primary', backup: 'replica', timestamp: 10000 }]);
    await tick();
    await tick();
    expect(events.of('failover')).toHaveLength(1);
  });

  test('execute() and get() go to the backup, and ctx.name says so', async () => {
    const { db, health, connections, tick, ran } = setup(['primary', 'replica'], { primary: 'replica' });
    await db.connect();
    health.primary = false;
    await tick();
    await expect(ran('primary')).resolves.toEqual({ client: 'replica', ctx: 'replica' });
    expect(db.get('primary')).toBe(connections.replica);
    expect(db.getStats().primary.failoverTo).toBe('replica');
    expect(db.health().primary).toEqual({ status: 'unhealthy', failoverTo: 'replica' });
  });

  test('recovery fires once when the primary is healthy again, and calls go back', async () => {
    const { db, health, events, tick, ran, connections } = setup(['primary', 'replica'], { primary: 'replica' });
    await db.connect();
    health.primary = false;
    await tick();
    health.primary = true;
    await tick();
    expect(events.of('recovery')).toEqual([{ primary: 'primary', backup: 'replica', timestamp: 20000 }]);
    await tick();
    expect(events.of('recovery')).toHaveLength(1);
    await expect(ran('primary')).resolves.toEqual({ client: 'primary', ctx: 'primary' });
    expect(db.get('primary')).toBe(connections.primary);
    expect(db.getStats().primary.failoverTo).toBeNull();
    expect(db.health().primary).toEqual({ status: 'healthy' });
  });

  test('a degraded primary is still used', async () => {
    const { db, health, events, tick, ran } = setup(['primary', 'replica'], { primary: 'replica' });
    await db.connect();
    health.primary = 'degraded';
    await tick();
    expect(events.of('failover')).toHaveLength(0);
    await expect(ran('primary')).resolves.toEqual({ client: 'primary', ctx: 'primary' });
  });

  test('a degraded backup is usable', async () => {
    const { db, health, tick, ran } = setup(['primary', 'replica'], { primary: 'replica' });
    await db.connect();
    health.replica = 'degraded';
    health.primary = false;
    await tick();
    await expect(ran('primary')).resolves.toEqual({ client: 'replica', ctx: 'replica' });
  });

  test('the backup itself is still reachable by its own name', async () => {
    const { db, health, tick, ran } = setup(['primary', 'replica'], { primary: 'replica' });
    await db.connect();
    health.primary = false;
    await tick();
    await expect(ran('replica')).resolves.toEqual({ client: 'replica', ctx: 'replica' });
    expect(db.getStats().replica.failoverTo).toBeNull();
  });

  test('failover can already happen in the first round at connect()', async () => {
    const { db, health, events, ran } = setup(['primary', 'replica'], { primary: 'replica' });
    health.primary = false;
    await db.connect();
    expect(events.of('failover')).toEqual([{ primary: 'primary', backup: 'replica', timestamp: 0 }]);
    await expect(ran('primary')).resolves.toEqual({ client: 'replica', ctx: 'replica' });
  });
});

describe('circuit-open primary', () => {
  test('fails over when its circuit opens from call failures, at that moment', async () => {
    const { db, events, ran } = setup(['primary', 'replica'], { primary: 'replica' });
    await db.connect();
    await settle(db.execute('primary', () => { throw new Error('ECONNRESET'); }));
    expect(events.of('failover')).toHaveLength(0);
    await settle(db.execute('primary', () => { throw new Error('ECONNRESET'); }));
    expect(events.names()).toEqual(['circuit:open', 'failover']);
    expect(events.of('failover')).toEqual([{ primary: 'primary', backup: 'replica', timestamp: 0 }]);
    await expect(ran('primary')).resolves.toEqual({ client: 'replica', ctx: 'replica' });
  });

  // CONTRACT.md, Routing: while the primary is half-open only its admitted trial
  // calls reach it and every other call goes to the backup, so recovery waits for
  // the circuit to close.
  function halfOpenPrimary() {
    return setup(['primary', 'replica'], { primary: 'replica' },
      { threshold: 1, resetTimeout: '5s', halfOpenSuccesses: 1 });
  }

  test('stays on the backup while the primary is half-open: no recovery yet', async () => {
    const { db, clock, events } = halfOpenPrimary();
    await db.connect();
    await settle(db.execute('primary', () => { throw new Error('x'); }));
    await clock.advance('5s');
    expect(db.getStats().primary.circuit).toBe('half-open');
    expect(db.getStats().primary.failoverTo).toBe('replica');
    expect(events.of('recovery')).toHaveLength(0);
  });

  test('a half-open primary takes its trial calls; calls beyond the trial slots go to the backup', async () => {
    const { db, clock, events } = halfOpenPrimary(); // halfOpenMaxCalls = halfOpenSuccesses = 1
    await db.connect();
    await settle(db.execute('primary', () => { throw new Error('x'); }));
    await clock.advance('5s');
    const gate = deferred();
    const trial = db.execute('primary', (c) => gate.promise.then(() => c.id));
    await expect(db.execute('primary', (c) => c.id)).resolves.toBe('replica');
    expect(events.of('recovery')).toHaveLength(0);
    gate.resolve();
    await expect(trial).resolves.toBe('primary');
    expect(db.getStats().primary.circuit).toBe('closed');
    expect(events.of('recovery')).toHaveLength(1);
  });

  test('recovers when a trial closes the circuit, once, at that moment', async () => {
    const { db, clock, events, ran } = halfOpenPrimary();
    await db.connect();
    await settle(db.execute('primary', () => { throw new Error('x'); }));
    await clock.advance('5s');
    await clock.advance('1s');
    await expect(ran('primary')).resolves.toEqual({ client: 'primary', ctx: 'primary' });
    expect(db.getStats().primary.circuit).toBe('closed');
    expect(events.of('recovery')).toEqual([{ primary: 'primary', backup: 'replica', timestamp: 6000 }]);
    expect(events.of('failover')).toHaveLength(1);
    expect(db.getStats().primary.failoverTo).toBeNull();
  });

  test('a failed trial reopens the circuit without a second failover', async () => {
    const { db, clock, events } = halfOpenPrimary();
    await db.connect();
    await settle(db.execute('primary', () => { throw new Error('x'); }));
    await clock.advance('5s');
    await settle(db.execute('primary', () => { throw new Error('x'); }));
    expect(db.getStats().primary.circuit).toBe('open');
    expect(db.getStats().primary.failoverTo).toBe('replica');
    expect(events.of('failover')).toHaveLength(1);
    expect(events.of('recovery')).toHaveLength(0);
  });
});

describe('no usable backup', () => {
  test('an unhealthy backup: no failover, the primary is used and its open circuit rejects', async () => {
    const { db, health, events, tick } = setup(['primary', 'replica'], { primary: 'replica' });
    await db.connect();
    health.replica = false;
    await tick();
    health.primary = false;
    await tick();
    expect(events.of('failover')).toHaveLength(0);
    expect(db.getStats().primary.failoverTo).toBeNull();
    const fn = jest.fn();
    const r = await settle(db.execute('primary', fn));
    expect(fn).not.toHaveBeenCalled();
    expect(r.error).toBeInstanceOf(CircuitOpenError);
    expect(r.error.message).toContain('Connection "primary" is unavailable');
    expect(r.error.message).toContain('Circuit open for "primary"');
    expect(() => db.get('primary')).toThrow(CircuitOpenError);
  });

  test('a backup whose circuit is open: no failover', async () => {
    const { db, health, events, tick } = setup(['primary', 'replica'], { primary: 'replica' });
    await db.connect();
    await settle(db.execute('replica', () => { throw new Error('x'); }));
    await settle(db.execute('replica', () => { throw new Error('x'); }));
    expect(db.getStats().replica.circuit).toBe('open');
    health.primary = false;
    await tick();
    expect(events.of('failover')).toHaveLength(0);
    await expect(db.execute('primary', () => 1)).rejects.toBeInstanceOf(CircuitOpenError);
  });

  test('when the backup goes down while in use, routing returns to the primary (whose open circuit rejects)', async () => {
    const { db, health, events, tick } = setup(['primary', 'replica'], { primary: 'replica' });
    await db.connect();
    health.primary = false;
    await tick();
    health.replica = false;
    await tick();
    expect(db.getStats().primary.failoverTo).toBeNull();
    expect(events.of('failover')).toHaveLength(1);
    // the primary is not back: nothing may announce that it recovered
    expect(events.of('recovery')).toHaveLength(0);
    await expect(db.execute('primary', () => 1)).rejects.toBeInstanceOf(CircuitOpenError);
  });

  test('through a backup outage, the episode still ends with one recovery when the primary returns', async () => {
    const { db, health, events, tick, ran } = setup(['primary', 'replica'], { primary: 'replica' });
    await db.connect();
    health.primary = false;
    await tick();
    health.replica = false;
    await tick();
    health.replica = true;
    await tick();
    await expect(ran('primary')).resolves.toEqual({ client: 'replica', ctx: 'replica' });
    health.primary = true;
    await tick();
    await expect(ran('primary')).resolves.toEqual({ client: 'primary', ctx: 'primary' });
    expect(events.of('failover')[0]).toEqual({ primary: 'primary', backup: 'replica', timestamp: 10000 });
    expect(events.of('recovery')).toEqual([{ primary: 'primary', backup: 'replica', timestamp: 40000 }]);
  });

  test('once the backup is healthy again, failover resumes at that check', async () => {
    const { db, health, events, tick, ran } = setup(['primary', 'replica'], { primary: 'replica' });
    await db.connect();
    health.replica = false;
    await tick();
    health.primary = false;
    await tick();
    health.replica = true;
    await tick();
    expect(events.of('failover')).toEqual([{ primary: 'primary', backup: 'replica', timestamp: 30000 }]);
    await expect(ran('primary')).resolves.toEqual({ client: 'replica', ctx: 'replica' });
  });
});

describe('ordered lists and chains', () => {
  test('a list: the first usable backup wins', async () => {
    const { db, health, events, tick, ran } = setup(['p', 'r1', 'r2'], { p: ['r1', 'r2'] });
    await db.connect();
    health.p = false;
    await tick();
    await expect(ran('p')).resolves.toEqual({ client: 'r1', ctx: 'r1' });
    expect(events.of('failover')).toEqual([{ primary: 'p', backup: 'r1', timestamp: 10000 }]);
  });

  test('a list: skips an unusable first backup', async () => {
    const { db, health, events, tick, ran } = setup(['p', 'r1', 'r2'], { p: ['r1', 'r2'] });
    await db.connect();
    health.r1 = false;
    await tick();
    health.p = false;
    await tick();
    await expect(ran('p')).resolves.toEqual({ client: 'r2', ctx: 'r2' });
    expect(db.get('p').id).toBe('r2');
    expect(events.of('failover')).toEqual([{ primary: 'p', backup: 'r2', timestamp: 20000 }]);
  });

  test('a list: when the preferred backup returns, routing moves back to it', async () => {
    const { db, health, tick, ran } = setup(['p', 'r1', 'r2'], { p: ['r1', 'r2'] });
    await db.connect();
    health.r1 = false;
    health.p = false;
    await tick();
    health.r1 = true;
    await tick();
    await expect(ran('p')).resolves.toEqual({ client: 'r1', ctx: 'r1' });
  });

  test('a list: none usable → the primary, whose open circuit rejects', async () => {
    const { db, health, tick } = setup(['p', 'r1', 'r2'], { p: ['r1', 'r2'] });
    await db.connect();
    health.r1 = false;
    health.r2 = false;
    health.p = false;
    await tick();
    expect(db.getStats().p.failoverTo).toBeNull();
    await expect(db.execute('p', () => 1)).rejects.toBeInstanceOf(CircuitOpenError);
  });

  test('a chain a → b → c: when a and b are down, a goes to c', async () => {
    const { db, health, tick, ran } = setup(['a', 'b', 'c'], { a: 'b', b: 'c' });
    await db.connect();
    health.a = false;
    health.b = false;
    await tick();
    await expect(ran('a')).resolves.toEqual({ client: 'c', ctx: 'c' });
    await expect(ran('b')).resolves.toEqual({ client: 'c', ctx: 'c' });
    expect(db.getStats().a.failoverTo).toBe('c');
  });

  test('a chain: a goes to b when only a is down', async () => {
    const { db, health, tick, ran } = setup(['a', 'b', 'c'], { a: 'b', b: 'c' });
    await db.connect();
    health.a = false;
    await tick();
    await expect(ran('a')).resolves.toEqual({ client: 'b', ctx: 'b' });
  });
});

describe('outcomes are recorded against the connection actually used', () => {
  test('failures after failover count against the backup, not the primary', async () => {
    const { db, health, tick, events } = setup(['primary', 'replica'], { primary: 'replica' });
    await db.connect();
    health.primary = false;
    await tick();
    await settle(db.execute('primary', () => { throw new Error('x'); }));
    expect(db.getStats().replica.failures).toBe(1);
    expect(db.getStats().primary.failures).toBe(0);
    await settle(db.execute('primary', () => { throw new Error('x'); }));
    expect(db.getStats().replica.circuit).toBe('open');
    expect(events.of('circuit:open').map((e) => e.name)).toEqual(['primary', 'replica']);
  });

  test('successes after failover clear the backup’s failures', async () => {
    const { db, health, tick } = setup(['primary', 'replica'], { primary: 'replica' });
    await db.connect();
    await settle(db.execute('replica', () => { throw new Error('x'); }));
    health.primary = false;
    await tick();
    await db.execute('primary', () => 'ok');
    expect(db.getStats().replica.failures).toBe(0);
  });

  test('recordFailure(primary) after failover is recorded against the backup', async () => {
    const { db, health, tick } = setup(['primary', 'replica'], { primary: 'replica' });
    await db.connect();
    health.primary = false;
    await tick();
    db.recordFailure('primary');
    expect(db.getStats().replica.failures).toBe(1);
    expect(db.getStats().primary.failures).toBe(0);
  });

  test('a timeout after failover counts against the backup', async () => {
    const { db, clock, health, tick } = setup(['primary', 'replica'], { primary: 'replica' });
    await db.connect();
    health.primary = false;
    await tick();
    const p = settle(db.execute('primary', () => new Promise(() => {}), { timeout: '1s' }));
    await clock.advance('1s');
    expect((await p).error.code).toBe('OMNIDB_TIMEOUT');
    expect(db.getStats().replica.failures).toBe(1);
  });

  test('the backup’s circuit opening fails the primary over to the next in its list', async () => {
    const { db, health, tick, events, ran } = setup(['p', 'r1', 'r2'], { p: ['r1', 'r2'] });
    await db.connect();
    health.p = false;
    await tick();
    await settle(db.execute('p', () => { throw new Error('x'); }));
    await settle(db.execute('p', () => { throw new Error('x'); }));
    expect(db.getStats().r1.circuit).toBe('open');
    expect(events.of('failover').map((e) => e.backup)).toEqual(['r1', 'r2']);
    await expect(ran('p')).resolves.toEqual({ client: 'r2', ctx: 'r2' });
  });
});
