'use strict';
// omni-db docs/observability.md, run against omnidb with in-memory client fakes and a
// real prom-client (a devDependency).
//
// Examples of the page not turned into a test here, and why:
// - "StatsD / Datadog" (hot-shots) and "Structured Logging" (pino): neither library is
//   a dependency here; their clients are replaced by recording fakes with the same
//   methods (`gauge`/`increment`, `info`/`warn`/`error`), the listeners are the page's.
// - "Expose Metrics Endpoint": the Express route only serves `register.metrics()`;
//   Express itself is covered by middleware.test.js, the registry's text is tested here.
// - "Dashboard Queries (PromQL)": queries for Prometheus, not code run by the app.
// - "Wire Up Events" configures `healthCheck: { interval: '30s' }` with no checks, so no
//   health change or failover can ever happen; the test adds a check on the primary
//   to make them happen, and keeps the rest of the config.
// - "Full Observability Stack" configures `failover: { primary: 'replica' }` with no
//   `replica` connection: configuration.md's rule (and CONTRACT.md) make that a
//   constructor error, asserted below; the stack then runs with the replica added.

const { Registry, Gauge, Counter, Histogram } = require('prom-client');
const { Orchestrator } = require('../..');
const { fakePg, fakeRedis, trackOrchestrators } = require('./fakes');

const track = trackOrchestrators();

function promSetup() {
  const register = new Registry();
  const healthGauge = new Gauge({
    name: 'omnidb_connection_health',
    help: 'Connection health status (1=healthy, 0=unhealthy)',
    labelNames: ['connection'],
    registers: [register],
  });
  const failoverCounter = new Counter({
    name: 'omnidb_failover_total',
    help: 'Total number of failover events',
    labelNames: ['primary', 'backup'],
    registers: [register],
  });
  const healthCheckDuration = new Histogram({
    name: 'omnidb_health_check_duration_seconds',
    help: 'Health check duration in seconds',
    labelNames: ['connection'],
    registers: [register],
  });
  return { register, healthGauge, failoverCounter, healthCheckDuration };
}

function wiredDb() {
  const pgPool = fakePg('primary');
  const pgReplica = fakePg('replica');
  const redis = fakeRedis('cache');
  const db = track(new Orchestrator({
    connections: { primary: pgPool, replica: pgReplica, cache: redis },
    failover: { primary: 'replica' },
    healthCheck: { interval: '30s', checks: { primary: async (c) => { await c.query('SELECT 1'); return true; } } },
  }));
  return { db, pgPool };
}

describe('Prometheus Integration', () => {
  test('health:changed sets the gauge and failover counts in the counter, as wired on the page', async () => {
    const { register, healthGauge, failoverCounter } = promSetup();
    const { db, pgPool } = wiredDb();
    const lines = [];
    db.on('health:changed', (event) => {
      healthGauge.set({ connection: event.name }, event.current === 'healthy' ? 1 : 0);
      lines.push(`[${new Date(event.timestamp).toISOString()}] ${event.name}: ${event.current}`);
    });
    db.on('failover', (event) => {
      failoverCounter.inc({ primary: event.primary, backup: event.backup });
    });
    pgPool.down = true;
    await db.connect();
    expect((await healthGauge.get()).values).toEqual([{ labels: { connection: 'primary' }, value: 0 }]);
    expect((await failoverCounter.get()).values).toEqual([{ labels: { primary: 'primary', backup: 'replica' }, value: 1 }]);
    expect(lines).toEqual([expect.stringMatching(/^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] primary: unhealthy$/)]);
    const text = await register.metrics();
    expect(text).toContain('omnidb_connection_health{connection="primary"} 0');
    expect(text).toContain('omnidb_failover_total{primary="primary",backup="replica"} 1');
    expect(text).toContain('# TYPE omnidb_health_check_duration_seconds histogram');
  });

  test('recovery reports the primary and a millisecond timestamp (fake timers: next 30s round)', async () => {
    jest.useFakeTimers();
    const { db, pgPool } = wiredDb();
    const lines = [];
    db.on('recovery', (event) => {
      lines.push(`Recovered: ${event.primary} at ${event.timestamp}`);
    });
    pgPool.down = true;
    await db.connect();
    pgPool.down = false;
    await jest.advanceTimersByTimeAsync(30_000);
    expect(lines).toEqual([expect.stringMatching(/^Recovered: primary at \d+$/)]);
  });
});

describe('StatsD / Datadog', () => {
  test('health:changed becomes a gauge per connection and failover an increment', async () => {
    const statsd = { gauge: jest.fn(), increment: jest.fn() };
    const { db, pgPool } = wiredDb();
    db.on('health:changed', (event) => {
      statsd.gauge(`omnidb.health.${event.name}`, event.current === 'healthy' ? 1 : 0);
    });
    db.on('failover', (event) => {
      statsd.increment('omnidb.failover', { primary: event.primary });
    });
    pgPool.down = true;
    await db.connect();
    expect(statsd.gauge).toHaveBeenCalledWith('omnidb.health.primary', 0);
    expect(statsd.increment).toHaveBeenCalledWith('omnidb.failover', { primary: 'primary' });
  });
});

describe('Structured Logging', () => {
  test('connected, disconnected, health:changed and failover log the fields the page reads', async () => {
    const records = [];
    const logger = {};
    for (const level of ['info', 'warn', 'error']) logger[level] = (obj, msg) => records.push({ level, obj, msg });
    const { db, pgPool } = wiredDb();
    db.on('connected', (event) => {
      logger.info({ connection: event.name, timestamp: event.timestamp }, 'Database connected');
    });
    db.on('disconnected', (event) => {
      logger.info({ connection: event.name, timestamp: event.timestamp }, 'Database disconnected');
    });
    db.on('health:changed', (event) => {
      const level = event.current === 'healthy' ? 'info' : 'warn';
      logger[level]({
        connection: event.name, previous: event.previous, current: event.current, timestamp: event.timestamp,
      }, 'Health status changed');
    });
    db.on('failover', (event) => {
      logger.error({ primary: event.primary, backup: event.backup, timestamp: event.timestamp }, 'Failover activated');
    });
    pgPool.down = true;
    await db.connect();
    await db.disconnect();
    const ts = expect.any(Number);
    expect(records).toEqual(expect.arrayContaining([
      { level: 'warn', obj: { connection: 'primary', previous: 'healthy', current: 'unhealthy', timestamp: ts }, msg: 'Health status changed' },
      { level: 'error', obj: { primary: 'primary', backup: 'replica', timestamp: ts }, msg: 'Failover activated' },
      { level: 'info', obj: { connection: 'cache', timestamp: ts }, msg: 'Database connected' },
      { level: 'info', obj: { connection: 'cache', timestamp: ts }, msg: 'Database disconnected' },
    ]));
  });
});

describe('Event Reference', () => {
  test('every event of the table carries a Unix-millisecond timestamp', async () => {
    jest.useFakeTimers();
    const { db, pgPool } = wiredDb();
    const seen = [];
    for (const event of ['connected', 'disconnected', 'health:changed', 'failover', 'recovery', 'shutdown']) {
      db.on(event, (payload) => seen.push([event, payload.timestamp]));
    }
    const start = Date.now();
    pgPool.down = true;
    await db.connect();
    pgPool.down = false;
    await jest.advanceTimersByTimeAsync(30_000);
    const before = process.listeners('SIGTERM');
    const cleanup = db.shutdownOnSignal({ exitProcess: false });
    try {
      await process.listeners('SIGTERM').find((l) => !before.includes(l))('SIGTERM');
    } finally {
      cleanup();
    }
    expect(new Set(seen.map(([event]) => event))).toEqual(
      new Set(['connected', 'disconnected', 'health:changed', 'failover', 'recovery', 'shutdown']),
    );
    for (const [, timestamp] of seen) {
      expect(Number.isInteger(timestamp)).toBe(true);
      expect(timestamp).toBeGreaterThanOrEqual(start);
    }
  });
});

describe('Example: Full Observability Stack', () => {
  test('as written, failover to a "replica" that is not among the connections is a constructor error', () => {
    const pgPool = fakePg();
    const redis = fakeRedis();
    expect(() => new Orchestrator({
      connections: { primary: pgPool, cache: redis },
      failover: { primary: 'replica' },
      healthCheck: { interval: '30s' },
    })).toThrow('Failover config error: backup "replica" for primary "primary" not found in connections');
  });

  test('with the replica among the connections, connected sets every gauge to 1 and the signal handler is installed', async () => {
    const register = new Registry();
    const healthGauge = new Gauge({ name: 'omnidb_health', help: 'Connection health', labelNames: ['connection'], registers: [register] });
    const failoverCounter = new Counter({ name: 'omnidb_failovers', help: 'Failover count', labelNames: ['primary', 'backup'], registers: [register] });
    const logged = [];
    const logger = { info: (o, m) => logged.push(m), error: (o, m) => logged.push(m) };
    const db = track(new Orchestrator({
      connections: { primary: fakePg(), replica: fakePg(), cache: fakeRedis() },
      failover: { primary: 'replica' },
      healthCheck: { interval: '30s' },
    }));
    db.on('connected', (e) => {
      healthGauge.set({ connection: e.name }, 1);
      logger.info({ connection: e.name }, 'connected');
    });
    db.on('health:changed', (e) => {
      healthGauge.set({ connection: e.name }, e.current === 'healthy' ? 1 : 0);
      logger.info({ ...e }, 'health changed');
    });
    db.on('failover', (e) => {
      failoverCounter.inc({ primary: e.primary, backup: e.backup });
      logger.error({ ...e }, 'failover');
    });
    const signalsBefore = process.listenerCount('SIGTERM');
    await db.connect();
    db.shutdownOnSignal();
    expect(process.listenerCount('SIGTERM')).toBe(signalsBefore + 1);
    expect((await healthGauge.get()).values.map((v) => [v.labels.connection, v.value]))
      .toEqual([['primary', 1], ['replica', 1], ['cache', 1]]);
    expect(logged).toEqual(['connected', 'connected', 'connected']);
    await db.disconnect();
    expect(process.listenerCount('SIGTERM')).toBe(signalsBefore);
  });
});
