// Type tests for types/index.d.ts, run with `npx tsd`. A line under expectError
// must fail to compile; every other line must compile.
//
// The package is imported as '../..': its root, resolved through package.json
// "types" just as `from 'omnidb'` is in a user's project. (tsd resolves modules the
// node10 way, which does not map a package's own name back to itself.)

import { expectAssignable, expectError, expectNotAssignable, expectType } from 'tsd';
import CircuitBreaker from 'opossum';
import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import {
  CircuitOpenError,
  ConfigError,
  ConnectionHealth,
  ConnectionMetrics,
  ConnectionName,
  ConnectionStats,
  PrometheusCollectorMetric,
  Duration,
  ExecuteContext,
  HealthCheckContext,
  HealthCheckResult,
  ManualClock,
  OmniDbError,
  OmniDbErrorCode,
  Orchestrator,
  OrchestratorErrorEvent,
  TimeoutError,
  UnknownConnectionError,
  defaultIsFailure,
  isConnectionError,
  parseDuration,
  readinessReport,
  errorHandler,
} from '../..';
import * as omnidb from '../..';

class PgPool {
  query(sql: string): Promise<{ rows: unknown[] }> {
    return Promise.resolve({ rows: [sql] });
  }
  end(): Promise<void> {
    return Promise.resolve();
  }
}

class Redis {
  ping(): Promise<string> {
    return Promise.resolve('PONG');
  }
  get(key: string): Promise<string | null> {
    return Promise.resolve(key);
  }
}

const pg = new PgPool();
const replicaPg = new PgPool();
const redis = new Redis();

const db = new Orchestrator({
  connections: { primary: pg, replica: replicaPg, cache: redis },
  failover: { primary: 'replica' },
  healthCheck: {
    interval: '30s',
    timeout: 5000,
    retry: { retries: 2, delay: '250ms' },
    checks: {
      primary: async (c, ctx) => {
        expectType<PgPool>(c);
        expectType<HealthCheckContext>(ctx);
        expectType<AbortSignal>(ctx.signal);
        await c.query('SELECT 1');
        return true;
      },
      cache: async (c) => {
        expectType<Redis>(c);
        return (await c.ping()) === 'PONG' ? 'healthy' : 'degraded';
      },
      replica: () => 'unhealthy',
    },
  },
  circuitBreaker: { threshold: 5, resetTimeout: '30s', halfOpenSuccesses: 2, halfOpenMaxCalls: 1 },
});

type Conns = { primary: PgPool; replica: PgPool; cache: Redis };
expectType<'primary' | 'replica' | 'cache'>(null as unknown as ConnectionName<Conns>);
expectType<Orchestrator<Conns>>(db);
// An orchestrator can be stored where a plain Orchestrator is expected (middleware, DI).
expectAssignable<Orchestrator>(db);
expectAssignable<NodeJS.EventEmitter>(db);

// ---------------------------------------------------------------------------
// execute(): the client is the named connection's, the result is inferred.

db.execute('primary', (c, ctx) => {
  expectType<PgPool>(c);
  expectType<ExecuteContext>(ctx);
  expectType<string>(ctx.name);
  expectType<AbortSignal>(ctx.signal);
  return c.query('SELECT 1');
});
db.execute('cache', (c) => {
  expectType<Redis>(c);
  return c.ping();
});

expectType<Promise<{ rows: unknown[] }>>(db.execute('primary', (c) => c.query('SELECT 1')));
expectType<Promise<string | null>>(db.execute('cache', (c) => c.get('k')));
expectType<Promise<number>>(db.execute('cache', async (c) => (await c.ping()).length));
expectType<Promise<number>>(db.execute('primary', () => 42));
expectType<Promise<void>>(db.execute('primary', () => {}));
expectType<Promise<number>>(
  db.execute('primary', () => Promise.resolve(Promise.resolve(1)), { timeout: '2s' }),
);
expectType<Promise<unknown[]>>(
  db.execute('primary', async (c) => (await c.query('SELECT 1')).rows, {
    timeout: 1000,
    signal: new AbortController().signal,
  }),
);

expectError(db.execute('nope', (c) => c));
expectError(db.execute('primary', (c) => c.ping()));
expectError(db.execute('primary', (c) => c.query('x'), { timeout: '2 seconds' }));
expectError(db.execute('primary', (c) => c.query('x'), { retries: 3 }));

// ---------------------------------------------------------------------------
// get() and the other accessors.

expectType<Redis>(db.get('cache'));
expectType<PgPool>(db.get('primary'));
expectError(db.get('nope'));

expectType<Promise<void>>(db.connect());
expectType<Promise<void>>(db.disconnect());
expectType<boolean>(db.isConnected);
expectError(db.isConnected());
expectError((db.isConnected = true));
expectType<Array<'primary' | 'replica' | 'cache'>>(db.list());
expectType<number>(db.size);
expectError(db.size());
expectError((db.size = 3));

const someName: string = 'cache';
if (db.has(someName)) {
  expectType<'primary' | 'replica' | 'cache'>(someName);
}

const stats = db.getStats();
expectType<Record<'primary' | 'replica' | 'cache', ConnectionStats>>(stats);
expectType<ConnectionStats>(stats.primary);
expectType<'healthy' | 'degraded' | 'unhealthy'>(stats.cache.status);
expectType<'closed' | 'open' | 'half-open' | 'n/a' | 'external'>(stats.cache.circuit);
expectType<number>(stats.cache.failures);
expectType<string | null>(stats.cache.failoverTo);
expectError(stats.nope);

const health = db.health();
expectType<ConnectionHealth>(health.replica);
expectType<string | undefined>(health.replica.failoverTo);
expectError(health.nope);

const metrics = db.metrics();
expectType<ConnectionMetrics>(metrics.primary);
expectAssignable<ConnectionStats>(metrics.primary);
expectType<number | null>(metrics.primary.lastCheckAt);
expectType<string | null>(metrics.primary.lastError);
expectType<'healthy' | 'degraded' | 'unhealthy'>(metrics.primary.transitions[0].to);
expectType<number>(metrics.primary.calls.rejections);
expectType<number | null>(metrics.primary.latency.p99);
expectType<number | null>(metrics.primary.healthCheck.lastMs);
expectType<number>(metrics.primary.circuitTime.halfOpen);
expectType<string>(db.prometheus());
expectType<PrometheusCollectorMetric[]>(db.prometheusCollector());

db.recordSuccess('primary');
db.recordFailure('cache');
db.recordFailure('cache', new Error('ECONNRESET'));
expectError(db.recordSuccess('nope'));
expectError(db.recordFailure('nope', new Error('x')));

const stop = db.shutdownOnSignal();
expectType<() => void>(stop);
db.shutdownOnSignal({ signals: ['SIGTERM', 'SIGHUP'], exitCode: 1, exitProcess: false });
expectError(db.shutdownOnSignal({ signals: ['SIGNOPE'] }));
expectError(db.shutdownOnSignal({ exitCode: '1' }));

// ---------------------------------------------------------------------------
// Events: payloads are typed, unknown event names do not compile.

db.on('failover', (e) => {
  expectType<string>(e.backup);
  expectType<string>(e.primary);
  expectType<number>(e.timestamp);
});
db.once('recovery', (e) => expectType<string>(e.backup));
db.on('connected', (e) => expectType<string>(e.name));
db.on('disconnected', (e) => expectType<number>(e.timestamp));
db.on('health:changed', (e) => {
  expectType<'healthy' | 'degraded' | 'unhealthy'>(e.previous);
  expectType<'healthy' | 'degraded' | 'unhealthy'>(e.current);
  expectType<string | undefined>(e.error);
});
db.on('circuit:open', (e) => {
  expectType<'failure-threshold' | 'half-open-failure' | 'health-check-failed' | 'external'>(e.reason);
});
db.on('circuit:half-open', (e) => expectType<string>(e.name));
db.on('circuit:close', (e) => {
  expectType<'half-open-success' | 'health-recovered' | 'external'>(e.reason);
});
db.on('error', (e) => {
  expectType<OrchestratorErrorEvent>(e);
  expectType<string | null>(e.name);
  expectType<unknown>(e.error);
  expectType<'health-check' | 'disconnect' | 'client' | 'circuit-breaker' | 'listener' | 'external-breaker'>(e.context);
  expectType<string>(e.message);
});
db.on('shutdown', (e) => expectType<string>(e.signal));
// An async listener is fine.
db.on('failover', async () => {});

// Methods chain and return the typed orchestrator.
expectType<Orchestrator<Conns>>(db.on('connected', () => {}).once('shutdown', () => {}));

const onFailover = (e: { primary: string; backup: string; timestamp: number }) => void e;
db.addListener('failover', onFailover);
db.prependListener('failover', onFailover);
db.prependOnceListener('failover', onFailover);
db.off('failover', onFailover);
db.removeListener('failover', onFailover);
db.removeAllListeners('failover');
db.removeAllListeners();
expectType<number>(db.listenerCount('failover'));
expectType<boolean>(db.emit('failover', { primary: 'primary', backup: 'replica', timestamp: 0 }));

expectError(db.on('failovr', () => {}));
expectError(db.once('circuit:opened', () => {}));
expectError(db.off('nope', onFailover));
expectError(db.addListener('health:change', () => {}));
expectError(db.removeListener('nope', onFailover));
expectError(db.prependListener('nope', () => {}));
expectError(db.emit('nope', {}));
expectError(db.emit('failover', { primary: 'primary' }));
expectError(db.on('failover', (e: { name: string }) => void e));
expectError(db.on('failover', (e) => e.name));
expectError(db.listenerCount('nope'));

// ---------------------------------------------------------------------------
// Configuration checks.

// Failover: one backup, an ordered list, a readonly list.
new Orchestrator({
  connections: { a: pg, b: replicaPg, c: replicaPg },
  failover: { a: ['b', 'c'], b: 'c' },
});
const chain = ['b', 'c'] as const;
new Orchestrator({ connections: { a: pg, b: replicaPg, c: replicaPg }, failover: { a: chain } });

// Failover naming an unknown connection, from an unknown primary, or to itself.
expectError(new Orchestrator({ connections: { primary: pg, replica: replicaPg }, failover: { primary: 'nope' } }));
expectError(
  new Orchestrator({ connections: { primary: pg, replica: replicaPg }, failover: { primary: ['replica', 'nope'] } }),
);
expectError(new Orchestrator({ connections: { primary: pg, replica: replicaPg }, failover: { nope: 'replica' } }));
expectError(new Orchestrator({ connections: { primary: pg, replica: replicaPg }, failover: { primary: 'primary' } }));

// Health checks: typed per connection, unknown names and wrong results rejected.
expectError(
  new Orchestrator({
    connections: { primary: pg, cache: redis },
    healthCheck: { checks: { primary: async (c) => (await c.ping()) === 'PONG' } },
  }),
);
expectError(
  new Orchestrator({
    connections: { primary: pg },
    healthCheck: { checks: { nope: () => true } },
  }),
);
expectError(
  new Orchestrator({
    connections: { primary: pg },
    healthCheck: { checks: { primary: () => 'fine' } },
  }),
);
expectError(
  new Orchestrator({
    connections: { primary: pg },
    healthCheck: { checks: { primary: async () => 1 } },
  }),
);

// Durations: a unit string or a number of ms.
expectAssignable<Duration>('250ms');
expectAssignable<Duration>('30s');
expectAssignable<Duration>('1.5s');
expectAssignable<Duration>('5m');
expectAssignable<Duration>('1h');
expectAssignable<Duration>(30000);
expectNotAssignable<Duration>('30x');
expectNotAssignable<Duration>('30');
expectNotAssignable<Duration>('s');
expectNotAssignable<Duration>('thirty seconds');
expectError(new Orchestrator({ connections: { primary: pg }, healthCheck: { interval: '30x' } }));
expectError(new Orchestrator({ connections: { primary: pg }, healthCheck: { timeout: '5sec' } }));
expectError(new Orchestrator({ connections: { primary: pg }, healthCheck: { retry: { delay: '1sec' } } }));
expectError(new Orchestrator({ connections: { primary: pg }, circuitBreaker: { resetTimeout: '30x' } }));
expectError(new Orchestrator({ connections: { primary: pg }, closeTimeout: '5 secs' }));

// Health monitoring and disconnect knobs.
new Orchestrator({
  connections: { primary: pg },
  healthCheck: { rise: 2, fall: 3, checks: { primary: () => Promise.resolve<'degraded'>('degraded') } },
  closeTimeout: '2s',
});

// Circuit breaker: off, settings, classifier, external breakers.
const noBreaker = new Orchestrator({ connections: { primary: pg }, circuitBreaker: false });
expectType<'closed' | 'open' | 'half-open' | 'n/a' | 'external'>(noBreaker.getStats().primary.circuit);
new Orchestrator({ connections: { primary: pg }, circuitBreaker: true }); // the defaults (CONTRACT: "or true")
expectError(new Orchestrator({ connections: { primary: pg }, circuitBreaker: 'on' }));
new Orchestrator({
  connections: { primary: pg },
  circuitBreaker: { isFailure: (err) => defaultIsFailure(err) && !(err instanceof TypeError) },
});
expectError(new Orchestrator({ connections: { primary: pg }, circuitBreaker: { isFailure: (err: Error) => !!err } }));
expectError(new Orchestrator({ connections: { primary: pg }, circuitBreaker: { threshhold: 5 } }));
expectError(new Orchestrator({ connections: { primary: pg }, circuitBreaker: { threshold: '5' } }));

const opossum = new CircuitBreaker(async (fn: () => Promise<unknown>) => fn(), { errorThresholdPercentage: 50 });
new Orchestrator({ connections: { primary: pg }, circuitBreaker: { use: opossum } });
const cockatiel = circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });
new Orchestrator({ connections: { primary: pg }, circuitBreaker: { use: cockatiel } });
new Orchestrator({
  connections: { primary: pg, cache: redis },
  circuitBreaker: { use: (name) => (expectType<string>(name), cockatiel) },
});
new Orchestrator({
  connections: { primary: pg },
  circuitBreaker: { use: { fire: async () => undefined } },
});
new Orchestrator({
  connections: { primary: pg },
  circuitBreaker: { use: { execute: async (fn: () => unknown) => fn() } },
});
expectError(new Orchestrator({ connections: { primary: pg }, circuitBreaker: { use: {} } }));
expectError(new Orchestrator({ connections: { primary: pg }, circuitBreaker: { use: { open() {}, close() {} } } }));
expectError(new Orchestrator({ connections: { primary: pg }, circuitBreaker: { use: () => ({ run() {} }) } }));

// Manual clock.
const clock = new ManualClock();
new ManualClock(1_700_000_000_000);
expectType<number>(clock.now());
expectType<Promise<void>>(clock.advance('30s'));
expectType<Promise<void>>(clock.advance(250));
expectError(clock.advance('30x'));
new Orchestrator({ connections: { primary: pg }, clock });
expectError(new Orchestrator({ connections: { primary: pg }, clock: Date }));
// Only a real ManualClock will do: the orchestrator hooks into its internals.
expectError(new Orchestrator({ connections: { primary: pg }, clock: { now: () => 0, advance: async () => {} } }));

// Whole-config mistakes.
expectError(new Orchestrator({}));
expectError(new Orchestrator({ connections: { primary: pg }, healthchecks: {} }));
expectError(new Orchestrator());

// Connections typed as an interface, and an untyped orchestrator.
interface AppConnections {
  primary: PgPool;
  cache: Redis;
}
declare const appConnections: AppConnections;
const typedDb = new Orchestrator<AppConnections>({ connections: appConnections });
expectType<Redis>(typedDb.get('cache'));
declare const anyDb: Orchestrator;
expectType<unknown>(anyDb.get('whatever'));
expectType<Promise<string>>(anyDb.execute('whatever', () => 'x'));

// ---------------------------------------------------------------------------
// Errors and helpers.

expectAssignable<Error>(new OmniDbError('boom', 'OMNIDB_TIMEOUT'));
declare const err: unknown;
if (err instanceof OmniDbError) {
  expectType<string>(err.code);
  expectType<string>(err.message);
}
if (err instanceof ConfigError) {
  expectType<'OMNIDB_INVALID_CONFIG'>(err.code);
}
if (err instanceof CircuitOpenError) {
  expectType<'OMNIDB_CIRCUIT_OPEN'>(err.code);
  expectType<string>(err.connection);
}
if (err instanceof TimeoutError) {
  expectType<'OMNIDB_TIMEOUT'>(err.code);
  expectType<string>(err.connection);
  expectType<number>(err.timeout);
}
if (err instanceof UnknownConnectionError) {
  expectType<'OMNIDB_UNKNOWN_CONNECTION'>(err.code);
  expectType<string>(err.connection);
  expectType<string[]>(err.available);
}
expectAssignable<OmniDbError>(new CircuitOpenError('primary', 'replica'));
expectAssignable<OmniDbError>(new CircuitOpenError('primary', 'primary', 'half-open, every trial call slot is taken'));
expectAssignable<OmniDbError>(new OmniDbError('gone', 'OMNIDB_DISCONNECTED', { connection: 'primary' }));
expectError(new CircuitOpenError());
expectAssignable<OmniDbError>(new ConfigError('Invalid duration'));
expectAssignable<OmniDbError>(new TimeoutError('primary', 1000));
expectAssignable<OmniDbError>(new UnknownConnectionError('nope', ['primary']));
const timeoutError = new TimeoutError('primary', 1000);
expectError((timeoutError.code = 'OMNIDB_TIMEOUT'));

expectAssignable<OmniDbErrorCode>('OMNIDB_DISCONNECTED');
expectNotAssignable<OmniDbErrorCode>('OMNIDB_NOPE');

expectType<number>(parseDuration('30s'));
expectType<number>(parseDuration(250));
expectType<number>(parseDuration(process.env.OMNIDB_INTERVAL ?? '30s'));
expectError(parseDuration(true));
expectType<boolean>(defaultIsFailure(new Error('x')));

// Every documented export is there, and nothing else is a value.
expectType<
  | 'Orchestrator'
  | 'CircuitBreaker'
  | 'Registry'
  | 'ManualClock'
  | 'OmniDbError'
  | 'CircuitOpenError'
  | 'TimeoutError'
  | 'ConfigError'
  | 'UnknownConnectionError'
  | 'parseDuration'
  | 'defaultIsFailure'
  | 'isConnectionError'
  | 'middleware'
  | 'readiness'
  | 'errorHandler'
  | 'readinessReport'
  | 'probes'
>(null as unknown as keyof typeof omnidb);
expectAssignable<HealthCheckResult>('degraded');
expectNotAssignable<HealthCheckResult>('ok');

// idempotent retries
expectType<Promise<number>>(new Orchestrator({ connections: { a: 1 } }).execute('a', (c) => c + 1, { idempotent: true }));
expectError(new Orchestrator({ connections: { a: 1 } }).execute('a', (c) => c, { idempotent: 'yes' }));
expectType<boolean>(isConnectionError(new Error('x')));

// ---- native probes -----------------------------------------------------------------------
{
  const { probes } = omnidb;
  const pg = probes.postgres('postgres://app@db/app', { role: 'primary', maxLag: '5s', degradedAfter: 50 });
  const cache = probes.redis({ host: 'cache', port: 6379, password: 'pw', db: 1 }, { timeout: '2s' });
  expectType<Promise<omnidb.ProbeResult>>(pg());
  expectType<string>(pg.description);
  const db = new Orchestrator({
    connections: { primary: { query: (sql: string) => sql }, cache: { ping: () => 'PONG' } },
    healthCheck: { checks: { primary: pg, cache } },
  });
  expectType<number | null | undefined>(db.metrics().primary.latencyMs);
  new Orchestrator({ connections: { a: {} }, healthCheck: { checks: 'auto' } });
  expectError(probes.postgres('postgres://db', { role: 'leader' }));
  expectError(probes.redis(42));
  expectType<omnidb.Probe>(probes.mysql('mysql://app@db:3306/app', { role: 'replica', maxLag: '10s', query: 'SELECT 1' }));
  expectType<omnidb.Probe>(probes.mysql({ host: 'db', port: 3306, user: 'app', password: 'pw', database: 'app' }));
  expectError(probes.mysql(42));
  expectError(probes.mysql({ host: 'db', ssl: true }));
  expectError(new Orchestrator({ connections: { a: {} }, healthCheck: { checks: 'manual' } }));
}

// Framework integrations: the shared verdict and the Express error handler
{
  const fdb = new Orchestrator({ connections: { primary: {}, replica: {} } });
  const report = readinessReport(fdb, { require: ['primary'] });
  expectType<boolean>(report.ready);
  expectType<Array<'primary' | 'replica'>>(report.unavailable);
  expectError(readinessReport(fdb, { require: ['nope'] }));
  expectType<(err: unknown, req: any, res: any, next: (err?: unknown) => void) => void>(errorHandler(fdb, { retryAfter: 5 }));
  expectType<number | null>(fdb.metrics().primary.circuitResetInMs);
}
