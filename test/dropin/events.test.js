'use strict';
// omni-db docs/events.md, run against omnidb with in-memory client fakes.
//
// Examples of the page not turned into a test here, and why:
// - `alerting.notify`, `logger`, `metrics`, `pagerduty` in the listeners: the reader's
//   own services, replaced by recording fakes in the "Complete Example" test.
// - "TypeScript Event Types": type-level, checked by test/types/dropin.test-d.ts.
// - circuit:open's `reason || 'failures threshold reached'`: the page allows `reason` to
//   be absent when the threshold opens a circuit; CONTRACT.md settles that circuit:open
//   always carries `{ name, reason, timestamp }` (omnidb says 'failure-threshold'), so
//   the listener prints the reason instead of its fallback text. Asserted as settled.

const { Orchestrator } = require('../..');
const { fakePg, fakeRedis, collect, trackOrchestrators } = require('./fakes');

const track = trackOrchestrators();

function threeConnections({ checks = {}, circuitBreaker } = {}) {
  const primary = fakePg('primary');
  const replica = fakePg('replica');
  const cache = fakeRedis('cache');
  const db = track(new Orchestrator({
    connections: { primary, replica, cache },
    failover: { primary: 'replica' },
    healthCheck: {
      interval: '30s',
      checks: {
        primary: async (c) => { await c.query('SELECT 1'); return true; },
        replica: async (c) => { await c.query('SELECT 1'); return true; },
        ...checks,
      },
    },
    ...(circuitBreaker === undefined ? {} : { circuitBreaker }),
  }));
  return { db, primary, replica, cache };
}

// The handler a shutdownOnSignal() call added for `signal`.
function addedHandler(before, signal) {
  return process.listeners(signal).find((l) => !before.includes(l));
}

describe('Connection Events', () => {
  test('connected: { name, timestamp } for each connection, in order, when connect() is called', async () => {
    const { db } = threeConnections();
    const lines = [];
    db.on('connected', ({ name, timestamp }) => {
      lines.push(`✓ ${name} ready at ${new Date(timestamp).toISOString()}`);
    });
    const before = Date.now();
    await db.connect();
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => l.split(' ')[1])).toEqual(['primary', 'replica', 'cache']);
    const stamps = lines.map((l) => Date.parse(l.split(' ready at ')[1]));
    for (const t of stamps) expect(t).toBeGreaterThanOrEqual(before - 1);
  });

  test('disconnected: { name, timestamp } for each connection when disconnect() is called', async () => {
    const { db } = threeConnections();
    const lines = [];
    db.on('disconnected', ({ name, timestamp }) => {
      expect(typeof timestamp).toBe('number');
      lines.push(`✗ ${name} closed`);
    });
    await db.connect();
    await db.disconnect();
    expect(lines).toEqual(['✗ primary closed', '✗ replica closed', '✗ cache closed']);
  });
});

describe('Health Events', () => {
  test('health:changed: { name, previous, current, timestamp } when a status changes', async () => {
    const { db, cache } = threeConnections({ checks: { cache: async (c) => (await c.ping()) === 'PONG' } });
    cache.down = true;
    const changes = collect(db, 'health:changed');
    await db.connect();
    expect(changes).toEqual([expect.objectContaining({
      name: 'cache', previous: 'healthy', current: 'unhealthy', timestamp: expect.any(Number),
    })]);
  });

  test('health:changed: previous "unhealthy", current "healthy" when it recovers (fake timers: next round)', async () => {
    jest.useFakeTimers();
    const { db, cache } = threeConnections({ checks: { cache: async (c) => (await c.ping()) === 'PONG' } });
    cache.down = true;
    const resolved = [];
    db.on('health:changed', ({ name, previous, current }) => {
      if (previous === 'unhealthy' && current === 'healthy') resolved.push(`${name} recovered`);
    });
    await db.connect();
    cache.down = false;
    await jest.advanceTimersByTimeAsync(30_000);
    expect(resolved).toEqual(['cache recovered']);
  });

  test('every status is one of healthy, degraded, unhealthy', async () => {
    const { db } = threeConnections({ checks: { cache: async () => 'degraded' } });
    const changes = collect(db, 'health:changed');
    await db.connect();
    expect(changes.map((e) => e.current)).toEqual(['degraded']);
    for (const { status } of Object.values(db.health())) expect(['healthy', 'degraded', 'unhealthy']).toContain(status);
  });
});

describe('Circuit Breaker Events', () => {
  test('circuit:open: { name, reason, timestamp }; reason "health-check-failed" when a check fails', async () => {
    const { db, primary } = threeConnections({ circuitBreaker: {} });
    primary.down = true;
    const opens = collect(db, 'circuit:open');
    await db.connect();
    expect(opens).toEqual([{ name: 'primary', reason: 'health-check-failed', timestamp: expect.any(Number) }]);
  });

  test('circuit:open at the failure threshold carries a reason too (settled)', async () => {
    const db = track(new Orchestrator({ connections: { primary: fakePg() }, circuitBreaker: { threshold: 1 } }));
    const lines = [];
    db.on('circuit:open', ({ name, reason }) => {
      lines.push(`⚡ ${name} circuit opened: ${reason || 'failures threshold reached'}`);
    });
    await db.connect();
    await db.execute('primary', async () => { throw new Error('x'); }).catch(() => {});
    expect(lines).toEqual(['⚡ primary circuit opened: failure-threshold']);
  });

  test('circuit:close: { name, reason, timestamp }; reason "health-recovered" when the check passes again (fake timers)', async () => {
    jest.useFakeTimers();
    const { db, primary } = threeConnections({ circuitBreaker: {} });
    primary.down = true;
    const closes = collect(db, 'circuit:close');
    await db.connect();
    primary.down = false;
    await jest.advanceTimersByTimeAsync(30_000);
    expect(closes).toEqual([{ name: 'primary', reason: 'health-recovered', timestamp: expect.any(Number) }]);
  });
});

describe('Failover Events', () => {
  test('failover: { primary, backup, timestamp } when routing switches to the backup', async () => {
    const { db, primary } = threeConnections();
    primary.down = true;
    const failovers = collect(db, 'failover');
    await db.connect();
    expect(failovers).toEqual([{ primary: 'primary', backup: 'replica', timestamp: expect.any(Number) }]);
  });

  test('recovery: { primary, backup, timestamp } when routing reverts to the primary (fake timers)', async () => {
    jest.useFakeTimers();
    const { db, primary } = threeConnections();
    primary.down = true;
    const recoveries = collect(db, 'recovery');
    await db.connect();
    primary.down = false;
    await jest.advanceTimersByTimeAsync(30_000);
    expect(recoveries).toEqual([{ primary: 'primary', backup: 'replica', timestamp: expect.any(Number) }]);
  });
});

describe('Shutdown Event', () => {
  test('shutdown: { signal, timestamp } when a signal registered by shutdownOnSignal() arrives', async () => {
    const { db } = threeConnections();
    await db.connect();
    const shutdowns = collect(db, 'shutdown');
    const disconnected = collect(db, 'disconnected');
    const before = process.listeners('SIGTERM');
    const cleanup = db.shutdownOnSignal({ exitProcess: false });
    try {
      const handler = addedHandler(before, 'SIGTERM');
      await handler('SIGTERM');
      expect(shutdowns).toEqual([{ signal: 'SIGTERM', timestamp: expect.any(Number) }]);
      expect(disconnected).toHaveLength(3); // the handler's promise is the shutdown's
    } finally {
      cleanup();
    }
  });
});

describe('Error Event', () => {
  test('error: { name, error, context, message, timestamp } for a failing health check', async () => {
    const boom = new Error('connection refused');
    const { db } = threeConnections({ checks: { cache: async () => { throw boom; } } });
    const errors = collect(db, 'error');
    await db.connect();
    expect(errors).toEqual([{ name: 'cache', error: boom, context: 'health-check', message: 'connection refused', timestamp: expect.any(Number) }]);
  });
});

describe('Event Methods', () => {
  test('on/addListener add, once runs once, off/removeListener remove, removeAllListeners clears', async () => {
    const { db } = threeConnections();
    const calls = { on: 0, add: 0, once: 0, off: 0, removed: 0 };
    const onHandler = () => { calls.on++; };
    const addHandler = () => { calls.add++; };
    const offHandler = () => { calls.off++; };
    const removedHandler = () => { calls.removed++; };
    db.on('connected', onHandler);
    db.addListener('connected', addHandler);
    db.once('connected', () => { calls.once++; });
    db.on('connected', offHandler);
    db.off('connected', offHandler);
    db.addListener('connected', removedHandler);
    db.removeListener('connected', removedHandler);
    await db.connect();
    expect(calls).toEqual({ on: 3, add: 3, once: 1, off: 0, removed: 0 });
    db.on('disconnected', onHandler);
    db.removeAllListeners('connected');
    expect(db.listenerCount('connected')).toBe(0);
    expect(db.listenerCount('disconnected')).toBe(1);
    db.removeAllListeners();
    expect(db.listenerCount('disconnected')).toBe(0);
  });
});

describe('Complete Example', () => {
  function services() {
    const log = [];
    const logger = { info: (m) => log.push(['info', m]), warn: (m) => log.push(['warn', m]), error: (m) => log.push(['error', m]) };
    const metrics = { gauge: jest.fn(), increment: jest.fn() };
    const pagerduty = { trigger: jest.fn(), resolve: jest.fn() };
    return { log, logger, metrics, pagerduty };
  }

  test('setupEventHandlers(db) logs, measures and pages as the events happen', async () => {
    const { log, logger, metrics, pagerduty } = services();
    function setupEventHandlers(db) {
      db.on('connected', ({ name }) => { logger.info(`Database connected: ${name}`); });
      db.on('disconnected', ({ name }) => { logger.info(`Database disconnected: ${name}`); });
      db.on('error', ({ name, context, message }) => { logger.error(`Error in ${context} for ${name}: ${message}`); });
      db.on('health:changed', ({ name, previous, current }) => {
        metrics.gauge('db.health', current === 'healthy' ? 1 : 0, { connection: name });
        logger.warn(`Health change: ${name} ${previous} → ${current}`);
      });
      db.on('circuit:open', ({ name, reason }) => { metrics.increment('db.circuit.open', { connection: name, reason }); });
      db.on('circuit:close', ({ name }) => { metrics.increment('db.circuit.close', { connection: name }); });
      db.on('failover', ({ primary, backup }) => {
        pagerduty.trigger({ title: `Database Failover: ${primary}`, severity: 'high', details: { primary, backup } });
      });
      db.on('recovery', ({ primary }) => {
        pagerduty.resolve(`Database Failover: ${primary}`);
        logger.info(`Recovered: ${primary}`);
      });
      db.on('shutdown', ({ signal }) => { logger.info(`Graceful shutdown initiated by ${signal}`); });
    }

    const { db, primary } = threeConnections({ circuitBreaker: {} });
    primary.down = true;
    setupEventHandlers(db);
    await db.connect();
    await db.disconnect();

    expect(pagerduty.trigger).toHaveBeenCalledWith({
      title: 'Database Failover: primary', severity: 'high', details: { primary: 'primary', backup: 'replica' },
    });
    expect(metrics.gauge).toHaveBeenCalledWith('db.health', 0, { connection: 'primary' });
    expect(metrics.increment).toHaveBeenCalledWith('db.circuit.open', { connection: 'primary', reason: 'health-check-failed' });
    expect(log).toEqual(expect.arrayContaining([
      ['error', expect.stringMatching(/^Error in health-check for primary: /)],
      ['warn', 'Health change: primary healthy → unhealthy'],
      ['info', 'Database connected: cache'],
      ['info', 'Database disconnected: cache'],
    ]));
  });
});
