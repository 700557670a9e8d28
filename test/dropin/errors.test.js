'use strict';
// omni-db docs/errors.md, run against omnidb with in-memory client fakes.
//
// Examples of the page not turned into a test here, and why:
// - `alertOpsTeam`, `logger`, `fallback()`, `cachedData`: the reader's own code,
//   replaced by local stand-ins.
// - `Circuit open for "X"` from get(): the page shows `err.message` as exactly
//   'Circuit open for "primary"'; CONTRACT.md settles that the message *contains* it
//   (omnidb's CircuitOpenError reads 'Connection "primary" is unavailable: Circuit open
//   for "primary"', so both of the page's `includes()` checks match). Asserted as settled.
// - The quick-reference row "`Circuit open for "X"` | get() (emitted)": errors.md itself
//   says get() throws it; that is what is asserted.

const { Orchestrator, CircuitBreaker, Registry } = require('../..');
const { fakePg, collect, trackOrchestrators } = require('./fakes');

const track = trackOrchestrators();

async function openCircuit() {
  const db = track(new Orchestrator({ connections: { primary: fakePg() }, circuitBreaker: { threshold: 1 } }));
  await db.connect();
  await db.execute('primary', async () => { throw new Error('down'); }).catch(() => {});
  return db;
}

const fn = async (client) => client.query('SELECT 1');

describe('Orchestrator errors', () => {
  test('execute() on an open circuit: Error: Connection "primary" is unavailable', async () => {
    const db = await openCircuit();
    await expect(db.execute('primary', fn)).rejects.toThrow('Connection "primary" is unavailable');
  });

  test('the page\'s handler: err.message.includes("unavailable") takes the fallback', async () => {
    const db = await openCircuit();
    let usedFallback = false;
    try {
      await db.execute('primary', fn);
    } catch (err) {
      if (err.message.includes('unavailable')) usedFallback = true;
    }
    expect(usedFallback).toBe(true);
  });

  test('execute() on a connection that is not found: Connection "X" is unavailable', async () => {
    const db = track(new Orchestrator({ connections: { primary: fakePg() } }));
    await expect(db.execute('replica', fn)).rejects.toThrow('Connection "replica" is unavailable');
  });

  test('get() while the circuit is open throws at once, its message containing Circuit open for "primary" (settled)', async () => {
    const db = await openCircuit();
    let caught;
    try {
      db.get('primary');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Error);
    expect(caught.message).toContain('Circuit open for "primary"');
  });
});

describe('CircuitBreaker errors', () => {
  test('after 3 failures, circuit.execute(fn) rejects with Error: Circuit breaker is OPEN', async () => {
    const circuit = new CircuitBreaker({ threshold: 3 });
    for (let i = 0; i < 3; i++) {
      await circuit.execute(async () => { throw new Error('x'); }).catch(() => {});
    }
    await expect(circuit.execute(async () => 1)).rejects.toThrow(new Error('Circuit breaker is OPEN'));
  });

  test('the page\'s handler returns the cached result when err.message === "Circuit breaker is OPEN"', async () => {
    const circuit = new CircuitBreaker({ threshold: 3 });
    circuit.open();
    const cachedResult = { rows: ['cached'] };
    async function read() {
      try {
        return await circuit.execute(fn);
      } catch (err) {
        if (err.message === 'Circuit breaker is OPEN') {
          return cachedResult;
        }
        throw err;
      }
    }
    await expect(read()).resolves.toBe(cachedResult);
  });
});

describe('Constructor errors', () => {
  test.each([[undefined], [null], ['config'], [42]])('Config must be an object (%p)', (config) => {
    expect(() => new Orchestrator(config)).toThrow('Config must be an object');
  });

  test.each([[{}], [{ connections: 'x' }], [{ connections: null }]])('Config must include a connections object (%p)', (config) => {
    expect(() => new Orchestrator(config)).toThrow('Config must include a connections object');
  });

  test('At least one connection must be provided', () => {
    expect(() => new Orchestrator({ connections: {} })).toThrow('At least one connection must be provided');
  });

  test('the fix in the table works: { connections: {...} } with a connection constructs', () => {
    expect(() => track(new Orchestrator({ connections: { primary: fakePg() } }))).not.toThrow();
  });

  test('a null or undefined client: Client must not be null or undefined, naming the connection', () => {
    expect(() => new Orchestrator({ connections: { db: null } })).toThrow(/Client must not be null or undefined[\s\S]*db|db[\s\S]*Client must not be null or undefined/);
    expect(() => new Orchestrator({ connections: { db: undefined } })).toThrow('Client must not be null or undefined');
  });
});

describe('Registry errors', () => {
  test('register("", client) and register(123, client): Name must be a non-empty string', () => {
    const registry = new Registry();
    const client = fakePg();
    expect(() => registry.register('', client)).toThrow('Name must be a non-empty string');
    expect(() => registry.register(123, client)).toThrow('Name must be a non-empty string');
  });

  test('register("db", null) and register("db", undefined): Client must not be null or undefined', () => {
    const registry = new Registry();
    expect(() => registry.register('db', null)).toThrow('Client must not be null or undefined');
    expect(() => registry.register('db', undefined)).toThrow('Client must not be null or undefined');
  });

  test('a valid registration stores the client under its name', () => {
    const registry = new Registry();
    const client = fakePg();
    registry.register('db', client);
    expect(registry.get('db')).toBe(client);
    expect(registry.has('db')).toBe(true);
    expect(registry.list()).toEqual(['db']);
    expect(registry.size).toBe(1);
    expect([...registry.entries()]).toEqual([['db', client]]);
    expect(registry.delete('db')).toBe(true);
    expect(registry.has('db')).toBe(false);
    registry.register('a', client);
    registry.clear();
    expect(registry.size).toBe(0);
  });
});

describe('Error Events', () => {
  test('error: the listener\'s argument has the message', async () => {
    const db = track(new Orchestrator({
      connections: { primary: fakePg() },
      healthCheck: { checks: { primary: async () => { throw new Error('ECONNREFUSED'); } } },
    }));
    const messages = [];
    db.on('error', (error) => { messages.push(`Error: ${error.message}`); });
    await db.connect();
    expect(messages).toEqual(['Error: ECONNREFUSED']);
  });

  test('circuit:open: reason "health-check-failed" for a failed check', async () => {
    const db = track(new Orchestrator({
      connections: { primary: fakePg() },
      healthCheck: { checks: { primary: async () => false } },
      circuitBreaker: {},
    }));
    const opens = collect(db, 'circuit:open');
    await db.connect();
    expect(opens).toEqual([{ name: 'primary', reason: 'health-check-failed', timestamp: expect.any(Number) }]);
  });

  test('health:changed: current "unhealthy" is what the warning keys on', async () => {
    const db = track(new Orchestrator({
      connections: { primary: fakePg() },
      healthCheck: { checks: { primary: async () => false } },
    }));
    const warnings = [];
    db.on('health:changed', ({ name, previous, current, timestamp }) => {
      expect(previous).toBe('healthy');
      expect(typeof timestamp).toBe('number');
      if (current === 'unhealthy') warnings.push(`${name} is unhealthy`);
    });
    await db.connect();
    expect(warnings).toEqual(['primary is unhealthy']);
  });
});

describe('Error Handling Patterns', () => {
  test('Pattern 1: handle at execute level, fallback on "unavailable", anything else rethrown', async () => {
    const db = await openCircuit();
    const fallback = () => 'fallback';
    async function handle(work) {
      try {
        const result = await db.execute('primary', work);
        return result;
      } catch (err) {
        if (err.message.includes('unavailable')) {
          return fallback();
        }
        throw err;
      }
    }
    await expect(handle(fn)).resolves.toBe('fallback');
  });

  test('Pattern 2: circuit:open alerts the ops team with the connection\'s name', async () => {
    const alerts = [];
    const alertOpsTeam = (msg) => alerts.push(msg);
    const db = track(new Orchestrator({ connections: { primary: fakePg() }, circuitBreaker: { threshold: 1 } }));
    db.on('circuit:open', ({ name }) => {
      alertOpsTeam(`Circuit open for ${name}`);
    });
    await db.connect();
    await db.execute('primary', async () => { throw new Error('down'); }).catch(() => {});
    expect(alerts).toEqual(['Circuit open for primary']);
  });

  test('Pattern 3: check getStats() before execute: cached data while open, execute() otherwise', async () => {
    const cachedData = ['cached'];
    async function read(db) {
      const stats = db.getStats();
      if (stats.primary.circuit === 'open') {
        return cachedData;
      }
      return db.execute('primary', fn);
    }
    const healthy = track(new Orchestrator({ connections: { primary: fakePg() }, circuitBreaker: { threshold: 1 } }));
    await healthy.connect();
    await expect(read(healthy)).resolves.toEqual({ rows: [{ from: 'pg' }] });
    await expect(read(await openCircuit())).resolves.toBe(cachedData);
  });
});
