'use strict';
// omni-db docs/circuit-breaker.md, run against omnidb with in-memory client fakes.
// Time (resetTimeout) passes with Jest's fake timers, as a drop-in user's tests would.
//
// Examples of the page not turned into a test here, and why:
// - The state diagram: not code; every arrow of it is a test below, for the standalone
//   CircuitBreaker and for the orchestrator's circuits.
// - "With Opossum": the page's opossum action is `async (client, query) =>
//   client.query(query)`, yet omni-db and omnidb both hand opossum's fire() the call to
//   run, so that action would receive a function, not a client. The example runs below
//   with the action written `async (fn) => fn()` (omnidb README); the rest of it
//   (options, `use`, `db.execute`) is the page's, unchanged.
// - "With Cockatiel": `new CircuitBreakerPolicy({ ... })` builds a policy that cockatiel 4
//   itself cannot execute (its executor argument is missing); the page only constructs the
//   orchestrator with it, which is tested. Calls through a working cockatiel policy
//   (`circuitBreaker(handleAll, ...)`) are covered by test/external-breaker.test.js.
// - "Why Use External?": a feature comparison table, no behaviour.
// - "Provide Fallbacks": `if (!pg)` expects get() to return nothing while the circuit is
//   open; CONTRACT.md settles that get() throws a CircuitOpenError (as errors.md says).
//   The settled behaviour is asserted; the Express route around it is not run.
// - Standalone "Manual tracking": `throw;` is not valid JavaScript; the test rethrows the
//   caught error instead.

const path = require('path');
const { pathToFileURL } = require('url');
const { execFileSync } = require('child_process');
const OpossumBreaker = require('opossum');
const { Counter } = require('prom-client');
const { Orchestrator, CircuitBreaker } = require('../..');
const { fakePg, collect, trackOrchestrators } = require('./fakes');

const track = trackOrchestrators();

const fail = async () => { throw new Error('query failed'); };

async function failTimes(run, n) {
  for (let i = 0; i < n; i++) {
    await run().catch(() => {});
  }
}

describe('Standalone CircuitBreaker', () => {
  function pageCircuit() {
    return new CircuitBreaker({
      threshold: 3,
      resetTimeout: '10s',
      halfOpenSuccesses: 2,
    });
  }

  test('execute(fn) (wrapper pattern) resolves with fn\'s result while closed', async () => {
    const circuit = pageCircuit();
    const db = fakePg('db');
    const result = await circuit.execute(async () => db.query('SELECT * FROM users'));
    expect(result).toEqual({ rows: [{ from: 'db' }] });
    expect(circuit.state).toBe('closed');
  });

  test('execute(fn) rethrows fn\'s own error and counts it', async () => {
    const circuit = pageCircuit();
    const err = new Error('boom');
    await expect(circuit.execute(async () => { throw err; })).rejects.toBe(err);
    expect(circuit.failures).toBe(1);
  });

  test('after threshold (3) failures it opens: execute() rejects with message "Circuit breaker is OPEN" without calling fn', async () => {
    const circuit = pageCircuit();
    await failTimes(() => circuit.execute(fail), 3);
    expect(circuit.state).toBe('open');
    const fn = jest.fn(async () => 'never');
    let caught;
    try {
      await circuit.execute(fn);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Error);
    expect(caught.message).toBe('Circuit breaker is OPEN');
    expect(fn).not.toHaveBeenCalled();
  });

  test('two failures below the threshold leave it closed', async () => {
    const circuit = pageCircuit();
    await failTimes(() => circuit.execute(fail), 2);
    expect(circuit.state).toBe('closed');
    expect(circuit.failures).toBe(2);
  });

  test('manual tracking: canExecute() is true while closed, success() and failure() record outcomes', async () => {
    const circuit = pageCircuit();
    const db = fakePg('db');
    db.down = true;
    expect(circuit.canExecute()).toBe(true);
    const sql = 'SELECT 1';
    for (let i = 0; i < 3; i++) {
      if (circuit.canExecute()) {
        try {
          await db.query(sql);
          circuit.success();
        } catch {
          circuit.failure();
        }
      }
    }
    expect(circuit.state).toBe('open');
    expect(circuit.canExecute()).toBe(false);
  });

  test('failure() returns a boolean: true for the failure that opens the circuit', () => {
    const circuit = pageCircuit();
    expect(circuit.failure()).toBe(false);
    expect(circuit.failure()).toBe(false);
    expect(circuit.failure()).toBe(true);
    expect(circuit.state).toBe('open');
  });

  test('success() resets the consecutive failure count', () => {
    const circuit = pageCircuit();
    circuit.failure();
    circuit.failure();
    circuit.success();
    expect(circuit.failures).toBe(0);
    circuit.failure();
    circuit.failure();
    expect(circuit.state).toBe('closed');
  });

  test('open() forces the circuit open and reset() closes it with no failures', () => {
    const circuit = pageCircuit();
    circuit.open();
    expect(circuit.state).toBe('open');
    expect(circuit.canExecute()).toBe(false);
    circuit.failure();
    circuit.reset();
    expect(circuit.state).toBe('closed');
    expect(circuit.failures).toBe(0);
    expect(circuit.canExecute()).toBe(true);
  });

  test('state and failures are read-only', () => {
    const circuit = pageCircuit();
    circuit.open();
    try { circuit.state = 'closed'; } catch { /* a getter-only property may throw in strict mode */ }
    try { circuit.failures = 99; } catch { /* likewise */ }
    expect(circuit.state).toBe('open');
    expect(circuit.failures).toBe(0);
  });

  test('after resetTimeout ("10s") an open circuit is half-open and admits calls (fake timers)', async () => {
    jest.useFakeTimers();
    const circuit = pageCircuit();
    circuit.open();
    await jest.advanceTimersByTimeAsync(9_999);
    expect(circuit.state).toBe('open');
    await jest.advanceTimersByTimeAsync(1);
    expect(circuit.state).toBe('half-open');
    expect(circuit.canExecute()).toBe(true);
  });

  test('half-open: halfOpenSuccesses (2) successes close it (fake timers)', async () => {
    jest.useFakeTimers();
    const circuit = pageCircuit();
    await failTimes(() => circuit.execute(fail), 3);
    await jest.advanceTimersByTimeAsync(10_000);
    await expect(circuit.execute(async () => 1)).resolves.toBe(1);
    expect(circuit.state).toBe('half-open');
    await expect(circuit.execute(async () => 2)).resolves.toBe(2);
    expect(circuit.state).toBe('closed');
  });

  test('half-open: a failure reopens it (fake timers)', async () => {
    jest.useFakeTimers();
    const circuit = pageCircuit();
    circuit.open();
    await jest.advanceTimersByTimeAsync(10_000);
    await expect(circuit.execute(fail)).rejects.toThrow('query failed');
    expect(circuit.state).toBe('open');
    await expect(circuit.execute(async () => 1)).rejects.toThrow('Circuit breaker is OPEN');
  });

  test('defaults: new CircuitBreaker() opens after 5 failures', () => {
    const circuit = new CircuitBreaker();
    for (let i = 0; i < 4; i++) circuit.failure();
    expect(circuit.state).toBe('closed');
    circuit.failure();
    expect(circuit.state).toBe('open');
  });

  test('config is validated: threshold and halfOpenSuccesses >= 1, resetTimeout positive', () => {
    expect(() => new CircuitBreaker({ threshold: 0 })).toThrow('threshold');
    expect(() => new CircuitBreaker({ halfOpenSuccesses: 0 })).toThrow('halfOpenSuccesses');
    expect(() => new CircuitBreaker({ resetTimeout: '0s' })).toThrow();
    expect(() => new CircuitBreaker({ resetTimeout: 30000 })).not.toThrow();
  });
});

describe('Configuration (orchestrator circuits)', () => {
  function configured(circuitBreaker) {
    const pgPool = fakePg('primary');
    const pgReplica = fakePg('replica');
    const db = track(new Orchestrator({ connections: { primary: pgPool, replica: pgReplica }, circuitBreaker }));
    return { db, pgPool, pgReplica };
  }

  test('threshold 5: the circuit opens on the 5th consecutive failure, not before', async () => {
    const { db } = configured({ threshold: 5, resetTimeout: '30s', halfOpenSuccesses: 2 });
    await db.connect();
    await failTimes(() => db.execute('primary', fail), 4);
    expect(db.getStats().primary.circuit).toBe('closed');
    await failTimes(() => db.execute('primary', fail), 1);
    expect(db.getStats().primary.circuit).toBe('open');
  });

  test('defaults: threshold 5, resetTimeout 30s, halfOpenSuccesses 2 (fake timers)', async () => {
    jest.useFakeTimers();
    const { db } = configured({});
    await db.connect();
    await failTimes(() => db.execute('primary', fail), 5);
    expect(db.getStats().primary.circuit).toBe('open');
    await jest.advanceTimersByTimeAsync(29_999);
    expect(db.getStats().primary.circuit).toBe('open');
    await jest.advanceTimersByTimeAsync(1);
    expect(db.getStats().primary.circuit).toBe('half-open');
    await db.execute('primary', async () => 1);
    expect(db.getStats().primary.circuit).toBe('half-open');
    await db.execute('primary', async () => 2);
    expect(db.getStats().primary.circuit).toBe('closed');
  });

  test('without a circuitBreaker key there is no breaker (settled): circuit "n/a", failures never block execute()', async () => {
    const db = track(new Orchestrator({ connections: { primary: fakePg() } }));
    await db.connect();
    await failTimes(() => db.execute('primary', fail), 10);
    expect(db.getStats().primary.circuit).toBe('n/a');
    await expect(db.execute('primary', async () => 'ran')).resolves.toBe('ran');
  });

  test('circuitBreaker: true turns the built-in breaker on with its defaults (settled)', async () => {
    const db = track(new Orchestrator({ connections: { primary: fakePg() }, circuitBreaker: true }));
    await db.connect();
    expect(db.getStats().primary.circuit).toBe('closed');
    await failTimes(() => db.execute('primary', fail), 5);
    expect(db.getStats().primary.circuit).toBe('open');
  });
});

describe('Events', () => {
  test('circuit:open carries { name, timestamp } (a millisecond time new Date() accepts)', async () => {
    const db = track(new Orchestrator({ connections: { primary: fakePg() }, circuitBreaker: { threshold: 2 } }));
    const opens = collect(db, 'circuit:open');
    const before = Date.now();
    await db.connect();
    await failTimes(() => db.execute('primary', fail), 2);
    expect(opens).toEqual([expect.objectContaining({ name: 'primary', timestamp: expect.any(Number) })]);
    expect(opens[0].timestamp).toBeGreaterThanOrEqual(before);
    expect(new Date(opens[0].timestamp).toISOString()).toEqual(expect.any(String));
  });

  test('circuit:close carries { name, timestamp } when the circuit recovers (fake timers)', async () => {
    jest.useFakeTimers();
    const db = track(new Orchestrator({
      connections: { primary: fakePg() },
      circuitBreaker: { threshold: 1, resetTimeout: '30s', halfOpenSuccesses: 1 },
    }));
    const closes = collect(db, 'circuit:close');
    await db.connect();
    await failTimes(() => db.execute('primary', fail), 1);
    await jest.advanceTimersByTimeAsync(30_000);
    await db.execute('primary', async () => 'ok');
    expect(closes).toEqual([expect.objectContaining({ name: 'primary', timestamp: expect.any(Number) })]);
  });
});

describe('External Circuit Breakers', () => {
  test('opossum: the page\'s options and `use`, and db.execute() goes through opossum\'s fire()', async () => {
    const opossumCircuit = new OpossumBreaker(async (fn) => fn(), {
      timeout: 3000,
      errorThresholdPercentage: 50,
      resetTimeout: 30000,
      volumeThreshold: 10,
    });
    try {
      const fire = jest.spyOn(opossumCircuit, 'fire');
      const pgPool = fakePg('primary');
      const db = track(new Orchestrator({
        connections: { primary: pgPool },
        circuitBreaker: { use: opossumCircuit },
      }));
      await db.connect();
      await expect(db.execute('primary', (client) => client.query('SELECT 1'))).resolves.toEqual({ rows: [{ from: 'primary' }] });
      expect(fire).toHaveBeenCalledTimes(1);
      expect(pgPool.queries).toEqual(['SELECT 1']);
      await db.disconnect();
    } finally {
      opossumCircuit.shutdown();
    }
  });

  test('opossum: a failed health check calls its open() (settled), and getStats() reports its failures', async () => {
    const opossumCircuit = new OpossumBreaker(async (fn) => fn(), { resetTimeout: 30000 });
    try {
      const open = jest.spyOn(opossumCircuit, 'open');
      const db = track(new Orchestrator({
        connections: { primary: fakePg() },
        healthCheck: { checks: { primary: async () => false } },
        circuitBreaker: { use: opossumCircuit },
      }));
      await db.connect();
      expect(open).toHaveBeenCalled();
      expect(opossumCircuit.opened).toBe(true);
      expect(db.getStats().primary.failures).toBe(opossumCircuit.stats.failures);
      await db.disconnect();
    } finally {
      opossumCircuit.shutdown();
    }
  });

  test('cockatiel: an orchestrator accepts the page\'s CircuitBreakerPolicy as `use` (cockatiel 4 is ESM-only: run in a child)', () => {
    const omnidb = pathToFileURL(path.join(__dirname, '..', '..', 'lib', 'index.mjs')).href;
    const script = `
      import { Orchestrator } from ${JSON.stringify(omnidb)};
      import { CircuitBreakerPolicy, ConsecutiveBreaker } from 'cockatiel';
      const cockatielCircuit = new CircuitBreakerPolicy({
        halfOpenAfter: 30_000,
        breaker: new ConsecutiveBreaker(5),
      });
      const pgPool = { query: async () => ({ rows: [] }), end: async () => {} };
      const db = new Orchestrator({
        connections: { primary: pgPool },
        circuitBreaker: { use: cockatielCircuit },
      });
      console.log(JSON.stringify(db.list()));
      await db.disconnect();`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: path.join(__dirname, '..', '..'), encoding: 'utf8', timeout: 20000,
    });
    expect(JSON.parse(out.trim())).toEqual(['primary']);
  });

  test('an external breaker\'s own state shows in getStats(), or "external" when it exposes none (settled)', async () => {
    const stated = { state: 'open', stats: { failures: 7 }, execute: (fn) => fn() };
    const bare = { execute: (fn) => fn() };
    const a = track(new Orchestrator({ connections: { primary: fakePg() }, circuitBreaker: { use: stated } }));
    const b = track(new Orchestrator({ connections: { primary: fakePg() }, circuitBreaker: { use: bare } }));
    expect(a.getStats().primary).toEqual(expect.objectContaining({ circuit: 'open', failures: 7 }));
    expect(b.getStats().primary).toEqual(expect.objectContaining({ circuit: 'external', failures: 0 }));
  });
});

describe('With Orchestrator', () => {
  test('execute() handles circuit checks: once open, err.message includes "Circuit open" (the 503 branch)', async () => {
    const db = track(new Orchestrator({
      connections: { primary: fakePg() },
      circuitBreaker: { threshold: 3 },
    }));
    await db.connect();
    await failTimes(() => db.execute('primary', fail), 3);
    const sql = 'SELECT 1';
    const res = { status: jest.fn(() => res), json: jest.fn(() => res) };
    const handler = async () => {
      try {
        const result = await db.execute('primary', async (client) => client.query(sql));
        return result;
      } catch (err) {
        if (err.message.includes('Circuit open')) {
          return res.status(503).json({ error: 'Database unavailable' });
        }
        throw err;
      }
    };
    await expect(handler()).resolves.toBe(res);
    expect(res.status).toHaveBeenCalledWith(503);
    expect(res.json).toHaveBeenCalledWith({ error: 'Database unavailable' });
  });

  test('Stats API: getStats().primary is { status, circuit, failures, failoverTo } as printed', async () => {
    const db = track(new Orchestrator({ connections: { primary: fakePg() }, circuitBreaker: { threshold: 3 } }));
    await db.connect();
    const stats = db.getStats();
    expect(stats.primary).toEqual({ status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null });
  });

  test('recordSuccess(name) / recordFailure(name) drive the circuit for calls made through get()', async () => {
    const db = track(new Orchestrator({ connections: { primary: fakePg() }, circuitBreaker: { threshold: 3 } }));
    await db.connect();
    db.recordFailure('primary');
    db.recordFailure('primary');
    db.recordSuccess('primary');
    db.recordFailure('primary');
    db.recordFailure('primary');
    expect(db.getStats().primary.circuit).toBe('closed');
    db.recordFailure('primary');
    expect(db.getStats().primary.circuit).toBe('open');
  });
});

describe('Best Practices', () => {
  test('1: both threshold settings of the page are accepted and honoured', async () => {
    const fast = track(new Orchestrator({ connections: { primary: fakePg() }, circuitBreaker: { threshold: 3, resetTimeout: '10s' } }));
    const lenient = track(new Orchestrator({ connections: { primary: fakePg() }, circuitBreaker: { threshold: 10, resetTimeout: '1m' } }));
    await failTimes(() => fast.execute('primary', fail), 3);
    await failTimes(() => lenient.execute('primary', fail), 9);
    expect(fast.getStats().primary.circuit).toBe('open');
    expect(lenient.getStats().primary.circuit).toBe('closed');
  });

  test('2: combined with failover, repeated query failures open the primary\'s circuit and calls go to the replica', async () => {
    const pgPool = fakePg('primary');
    const pgReplica = fakePg('replica');
    const db = track(new Orchestrator({
      connections: { primary: pgPool, replica: pgReplica },
      failover: { primary: 'replica' },
      circuitBreaker: { threshold: 5 },
    }));
    await db.connect();
    await failTimes(() => db.execute('primary', fail), 5);
    await expect(db.execute('primary', (c) => c.query('SELECT 1'))).resolves.toEqual({ rows: [{ from: 'replica' }] });
    expect(db.get('primary')).toBe(pgReplica);
  });

  test('2: combined with failover, a health failure fails over first', async () => {
    const pgPool = fakePg('primary');
    const pgReplica = fakePg('replica');
    pgPool.down = true;
    const db = track(new Orchestrator({
      connections: { primary: pgPool, replica: pgReplica },
      failover: { primary: 'replica' },
      healthCheck: { checks: { primary: async (c) => { await c.query('SELECT 1'); return true; } } },
      circuitBreaker: { threshold: 5 },
    }));
    await db.connect();
    expect(db.get('primary')).toBe(pgReplica);
  });

  test('3: a prom-client Counter counts circuit:open per connection', async () => {
    const circuitOpens = new Counter({
      name: 'omnidb_circuit_opens_total',
      help: 'Total circuit breaker opens',
      labelNames: ['connection'],
    });
    const db = track(new Orchestrator({ connections: { primary: fakePg() }, circuitBreaker: { threshold: 1 } }));
    db.on('circuit:open', ({ name }) => {
      circuitOpens.inc({ connection: name });
    });
    await db.connect();
    await failTimes(() => db.execute('primary', fail), 1);
    const { values } = await circuitOpens.get();
    expect(values).toEqual([{ labels: { connection: 'primary' }, value: 1 }]);
  });

  test('4 (settled): with the circuit open, get() throws instead of returning nothing, so the fallback runs in a catch', async () => {
    const db = track(new Orchestrator({ connections: { primary: fakePg() }, circuitBreaker: { threshold: 1 } }));
    await db.connect();
    db.recordFailure('primary');
    expect(() => db.get('primary')).toThrow('Circuit open for "primary"');
  });
});
