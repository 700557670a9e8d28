'use strict';
// omni-db docs/architecture.md, run against omnidb with in-memory client fakes. The
// page is diagrams and tables; each flow it describes is asserted here.
//
// Examples of the page not turned into a test here, and why:
// - The mermaid diagrams: not code; the flows they draw are the tests below.
// - "Internal flow (orchestrator.js#runHealthChecks)": omni-db's own source, not user
//   code; the behaviour it shows is tested ("Health <-> Circuit Integration").
// - "db.get() - Manual Mode", circuit open: the diagram returns `undefined` after an
//   error event; CONTRACT.md settles (as errors.md and best-practices.md say) that
//   get() throws a CircuitOpenError. The settled behaviour is asserted.
// - Error Propagation, `CircuitBreaker.execute()`: the standalone breaker's page runs
//   it (circuit-breaker.test.js).

const { Orchestrator } = require('../..');
const { fakePg, collect, trackOrchestrators } = require('./fakes');

const track = trackOrchestrators();

function setup({ circuitBreaker = { threshold: 3 }, primaryDown = false } = {}) {
  const primary = fakePg('primary');
  const replica = fakePg('replica');
  primary.down = primaryDown;
  const db = track(new Orchestrator({
    connections: { primary, replica },
    failover: { primary: 'replica' },
    healthCheck: {
      checks: {
        primary: async (c) => { await c.query('SELECT 1'); return true; },
        replica: async (c) => { await c.query('SELECT 1'); return true; },
      },
    },
    circuitBreaker,
  }));
  return { db, primary, replica };
}

const fail = async () => { throw new Error('query failed'); };

describe('db.execute(name, fn) flow', () => {
  test('circuit closed: fn runs with the client, its result comes back and the success resets the failure count', async () => {
    const { db, primary } = setup();
    await db.connect();
    await expect(db.execute('primary', fail)).rejects.toThrow('query failed');
    expect(db.getStats().primary.failures).toBe(1);
    await expect(db.execute('primary', (client) => client.query('SELECT 1'))).resolves.toEqual({ rows: [{ from: 'primary' }] });
    expect(primary.queries).toContain('SELECT 1');
    expect(db.getStats().primary.failures).toBe(0);
  });

  test('failure: the very error fn threw is rethrown, and is recorded (the circuit opens at the threshold)', async () => {
    const { db } = setup();
    await db.connect();
    const original = new Error('syntax-free failure');
    for (let i = 0; i < 3; i++) {
      await expect(db.execute('primary', async () => { throw original; })).rejects.toBe(original);
    }
    expect(db.getStats().primary.circuit).toBe('open');
  });

  test('circuit open: rejects with Connection "X" is unavailable, without calling fn', async () => {
    const db = track(new Orchestrator({ connections: { primary: fakePg() }, circuitBreaker: { threshold: 1 } }));
    await db.connect();
    await expect(db.execute('primary', fail)).rejects.toThrow('query failed');
    const fn = jest.fn();
    await expect(db.execute('primary', fn)).rejects.toThrow('Connection "primary" is unavailable');
    expect(fn).not.toHaveBeenCalled();
  });
});

describe('db.get(name) - Manual Mode', () => {
  test('primary healthy: get() returns the primary client', async () => {
    const { db, primary } = setup();
    await db.connect();
    expect(db.get('primary')).toBe(primary);
  });

  test('primary unhealthy: get() returns the backup and a failover event has been emitted', async () => {
    const { db, replica } = setup({ primaryDown: true });
    const failovers = collect(db, 'failover');
    await db.connect();
    expect(db.get('primary')).toBe(replica);
    expect(failovers).toEqual([expect.objectContaining({ primary: 'primary', backup: 'replica' })]);
  });

  test('circuit open (settled): get() throws Circuit open for "X" instead of returning undefined', async () => {
    const db = track(new Orchestrator({ connections: { primary: fakePg() }, circuitBreaker: { threshold: 1 } }));
    await db.connect();
    db.recordFailure('primary');
    expect(() => db.get('primary')).toThrow('Circuit open for "primary"');
  });
});

describe('Health <-> Circuit Integration', () => {
  test('unhealthy: health:changed, then the circuit opens with circuit:open reason "health-check-failed"', async () => {
    const { db } = setup({ primaryDown: true });
    const order = [];
    db.on('health:changed', (e) => order.push(['health:changed', e.name, e.current]));
    db.on('circuit:open', (e) => order.push(['circuit:open', e.name, e.reason]));
    await db.connect();
    expect(order).toEqual([
      ['health:changed', 'primary', 'unhealthy'],
      ['circuit:open', 'primary', 'health-check-failed'],
    ]);
    expect(db.getStats().primary.circuit).toBe('open');
  });
});

describe('Error Propagation', () => {
  test('execute() on a name that is not configured: Connection "X" is unavailable', async () => {
    const { db } = setup();
    await db.connect();
    await expect(db.execute('nope', () => 1)).rejects.toThrow('Connection "nope" is unavailable');
  });

  test('the user function\'s own error comes back unchanged', async () => {
    const { db } = setup();
    await db.connect();
    const err = new TypeError('mine');
    await expect(db.execute('primary', () => { throw err; })).rejects.toBe(err);
  });
});

describe('Why we re-resolve failover in execute()', () => {
  test('while failed over, the outcome of execute("primary") is recorded against the backup it ran on', async () => {
    const { db, replica } = setup({ primaryDown: true });
    await db.connect();
    let ranOn;
    await expect(db.execute('primary', async (client) => { ranOn = client; throw new Error('replica hiccup'); }))
      .rejects.toThrow('replica hiccup');
    expect(ranOn).toBe(replica);
    expect(db.getStats().replica.failures).toBe(1);
  });
});
