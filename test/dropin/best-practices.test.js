'use strict';
// omni-db docs/best-practices.md, run against omnidb with in-memory client fakes.
//
// Examples of the page not turned into a test here, and why:
// - The "Sleeping / Polling" anti-pattern: code the page says not to write.
// - "Weak Check (Connection Only)" `check: (client) => client.connected`: a fragment
//   (`check:` is not a healthCheck key) the page shows as too weak; nothing to assert.
// - "Manual Approach" to shutdown: the reader's own process.on handler; what it relies
//   on (disconnect() stops health checks) is tested in health-monitoring.test.js, and
//   `closeAllDbClients()` is the reader's function.
// - `primaryDB.failure()` in "Wait for Events": whatever makes the primary fail; the
//   fake's `down` switch plays that part.

const { once } = require('events');
const { Orchestrator } = require('../..');
const { fakePg, collect, trackOrchestrators } = require('./fakes');

const track = trackOrchestrators();

describe('1. Use db.execute() / handle circuit breaker errors', () => {
  async function openPrimary() {
    const db = track(new Orchestrator({ connections: { primary: fakePg('primary') }, circuitBreaker: { threshold: 1 } }));
    await db.connect();
    await db.execute('primary', async () => { throw new Error('down'); }).catch(() => {});
    return db;
  }

  test('"Safe execution": execute() rejects (it does not throw synchronously) while the circuit is open', async () => {
    const db = await openPrimary();
    let p;
    expect(() => { p = db.execute('primary', (client) => client.query('SELECT 1')); }).not.toThrow();
    await expect(p).rejects.toThrow('Circuit open for "primary"');
  });

  test('"Explicit handling": get() throws inside the try, so the catch handles circuit open', async () => {
    const db = await openPrimary();
    let handled = null;
    try {
      const pg = db.get('primary');
      await pg.query('SELECT 1');
    } catch (err) {
      handled = err;
    }
    expect(handled).toBeInstanceOf(Error);
    expect(handled.message).toContain('Circuit open');
  });

  test('"Automatic Execution Wrapper": execute() looks the connection up, runs fn and records the outcome', async () => {
    const pg = fakePg('primary');
    const db = track(new Orchestrator({ connections: { primary: pg }, circuitBreaker: {} }));
    await db.connect();
    const result = await db.execute('primary', async (client) => client.query('SELECT * FROM users'));
    expect(result).toEqual({ rows: [{ from: 'primary' }] });
    expect(pg.queries).toEqual(['SELECT * FROM users']);
    expect(db.getStats().primary.failures).toBe(0);
  });
});

describe('2. Event-Driven Logic (Don\'t Sleep!)', () => {
  test('once(db, "failover") resolves when the failover happens (fake timers drive the next check)', async () => {
    jest.useFakeTimers();
    const primaryDB = fakePg('primary');
    const db = track(new Orchestrator({
      connections: { primary: primaryDB, replica: fakePg('replica') },
      failover: { primary: 'replica' },
      healthCheck: { interval: '30s', checks: { primary: async (c) => { await c.query('SELECT 1'); return true; } } },
    }));
    await db.connect();
    const failovers = collect(db, 'failover');
    const failoverPromise = once(db, 'failover');
    primaryDB.down = true;
    await jest.advanceTimersByTimeAsync(30_000);
    expect(failovers).toHaveLength(1); // fails fast here rather than awaiting an event that never comes
    const [event] = await failoverPromise;
    expect(event).toEqual(expect.objectContaining({ primary: 'primary', backup: 'replica' }));
  });

  test('once(db, "failover") set up before connect() resolves within connect()\'s first round (settled)', async () => {
    const primaryDB = fakePg('primary');
    primaryDB.down = true;
    const db = track(new Orchestrator({
      connections: { primary: primaryDB, replica: fakePg('replica') },
      failover: { primary: 'replica' },
      healthCheck: { checks: { primary: async (c) => { await c.query('SELECT 1'); return true; } } },
    }));
    const failoverPromise = once(db, 'failover');
    await db.connect();
    const [event] = await failoverPromise;
    expect(event.backup).toBe('replica');
  });
});

describe('3. Prevent Flapping (Retry Policy)', () => {
  test('retries: 3 tries 4 times in total before marking unhealthy', async () => {
    const check = jest.fn(async () => false);
    const db = track(new Orchestrator({
      connections: { primary: fakePg() },
      healthCheck: {
        retry: {
          retries: 3,
          delay: '100ms',
        },
        checks: { primary: check },
      },
    }));
    const changes = collect(db, 'health:changed');
    await db.connect();
    expect(check).toHaveBeenCalledTimes(4);
    expect(changes.map((e) => e.current)).toEqual(['unhealthy']);
  });

  test('a single transient failure is suppressed: no health change', async () => {
    let calls = 0;
    const db = track(new Orchestrator({
      connections: { primary: fakePg() },
      healthCheck: { retry: { retries: 3, delay: '100ms' }, checks: { primary: async () => ++calls > 1 } },
    }));
    const changes = collect(db, 'health:changed');
    await db.connect();
    expect(calls).toBe(2);
    expect(changes).toEqual([]);
    expect(db.health().primary.status).toBe('healthy');
  });
});

describe('4. Robust Health Checks', () => {
  function strongCheck() {
    return async (client) => {
      const result = await Promise.race([
        client.query('SELECT 1'),
        new Promise((_, reject) => setTimeout(() => reject('Timeout'), 1000)),
      ]);
      return result !== undefined;
    };
  }

  test('"Strong Check (Round Trip)": a round trip that answers is healthy', async () => {
    jest.useFakeTimers();
    const db = track(new Orchestrator({ connections: { primary: fakePg() }, healthCheck: { checks: { primary: strongCheck() } } }));
    await db.connect();
    expect(db.health().primary.status).toBe('healthy');
  });

  test('"Strong Check": a hung query is cut by its own 1s race and rejects with the string "Timeout": unhealthy, no crash (fake timers)', async () => {
    jest.useFakeTimers();
    const hung = { query: () => new Promise(() => {}), end: async () => {} };
    const db = track(new Orchestrator({ connections: { primary: hung }, healthCheck: { checks: { primary: strongCheck() } } }));
    const errors = collect(db, 'error');
    const connecting = db.connect();
    await jest.advanceTimersByTimeAsync(1000);
    await connecting;
    expect(db.health().primary.status).toBe('unhealthy');
    expect(errors).toEqual([expect.objectContaining({ name: 'primary', error: 'Timeout', context: 'health-check' })]);
  });
});

describe('5. Read/Write Splitting', () => {
  test('writes go to the writer, reads to one of the two readers', async () => {
    const writer = fakePg('writer');
    const reader1 = fakePg('reader1');
    const reader2 = fakePg('reader2');
    const db = track(new Orchestrator({
      connections: {
        writer,
        reader1,
        reader2,
      },
    }));
    function getReader() {
      const replicas = ['reader1', 'reader2'];
      const randomReplica = replicas[Math.floor(Math.random() * replicas.length)];
      return db.get(randomReplica);
    }
    await db.get('writer').query('INSERT ...');
    for (let i = 0; i < 20; i++) {
      await getReader().query('SELECT ...');
    }
    expect(writer.queries).toEqual(['INSERT ...']);
    expect(reader1.queries.length + reader2.queries.length).toBe(20);
    expect([...reader1.queries, ...reader2.queries].every((q) => q === 'SELECT ...')).toBe(true);
  });
});

describe('6. Graceful Shutdown', () => {
  function handlersAdded(before, signal) {
    return process.listeners(signal).filter((l) => !before[signal].includes(l));
  }

  test('one-liner: shutdownOnSignal() handles SIGTERM and SIGINT', async () => {
    const db = track(new Orchestrator({ connections: { primary: fakePg() } }));
    await db.connect();
    const before = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listeners('SIGINT') };
    const cleanup = db.shutdownOnSignal();
    try {
      expect(handlersAdded(before, 'SIGTERM')).toHaveLength(1);
      expect(handlersAdded(before, 'SIGINT')).toHaveLength(1);
    } finally {
      cleanup();
    }
  });

  test('options: custom signals (SIGHUP too), exitCode, and exitProcess: true calls process.exit(exitCode) after disconnecting', async () => {
    const exit = jest.spyOn(process, 'exit').mockImplementation(() => {});
    const db = track(new Orchestrator({ connections: { primary: fakePg() } }));
    const disconnected = collect(db, 'disconnected');
    await db.connect();
    const before = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listeners('SIGINT'), SIGHUP: process.listeners('SIGHUP') };
    const cleanup = db.shutdownOnSignal({
      signals: ['SIGTERM', 'SIGINT', 'SIGHUP'],
      exitCode: 0,
      exitProcess: true,
    });
    try {
      const [hup] = handlersAdded(before, 'SIGHUP');
      expect(handlersAdded(before, 'SIGTERM')).toHaveLength(1);
      expect(handlersAdded(before, 'SIGINT')).toHaveLength(1);
      await hup('SIGHUP');
      expect(disconnected).toHaveLength(1);
      expect(exit).toHaveBeenCalledWith(0);
    } finally {
      cleanup();
      exit.mockRestore();
    }
  });

  test('the returned cleanup function removes the signal handlers', async () => {
    const db = track(new Orchestrator({ connections: { primary: fakePg() } }));
    await db.connect();
    const term = process.listenerCount('SIGTERM');
    const int = process.listenerCount('SIGINT');
    const cleanup = db.shutdownOnSignal();
    cleanup();
    expect(process.listenerCount('SIGTERM')).toBe(term);
    expect(process.listenerCount('SIGINT')).toBe(int);
  });
});
