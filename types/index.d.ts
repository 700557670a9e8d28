// Type definitions for omnidb.
//
// The orchestrator is generic over the record of connections passed to its
// constructor, so connection names, clients, health checks, failover targets and
// the keys of every stats record are all checked against that one record.

/// <reference types="node" />

import { EventEmitter } from 'node:events';

// ---------------------------------------------------------------------------
// Durations

/** A duration written with a unit: `'250ms'`, `'30s'`, `'5m'`, `'1h'`. */
export type DurationString = `${number}ms` | `${number}s` | `${number}m` | `${number}h`;

/**
 * A length of time: a string with a unit (`'250ms'`, `'1.5s'`, `'5m'`, `'1h'`) or a
 * plain number of milliseconds. It must be positive, a whole number of ms and at
 * most one week; anything else is rejected with a {@link ConfigError}
 * (`Invalid duration`). A string known only at run time (an environment variable,
 * say) can be checked and converted with {@link parseDuration}.
 */
export type Duration = number | DurationString;

// ---------------------------------------------------------------------------
// Health checks

/** Health of one connection. Every connection starts `'healthy'`. */
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/** State of a connection's circuit breaker. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * What a health check returns: `true` or `'healthy'`, `'degraded'`, `false` or
 * `'unhealthy'`, or a {@link ProbeResult} object (what {@link probes} resolve to). A
 * throw, a rejection, running past the timeout or any other value counts as a failure.
 */
export type HealthCheckResult = boolean | HealthStatus | ProbeResult;

/**
 * A health check's report with figures: `status` decides as the string forms do;
 * `error` is the failure message when unhealthy; `latencyMs`, `role` and `lagMs` show
 * up in {@link Orchestrator.metrics}.
 */
export interface ProbeResult {
  status: HealthStatus;
  /** Time the round took, in ms (connecting included when it had to connect). */
  latencyMs?: number;
  /** What the server says it is: PostgreSQL primary/standby, Redis master/replica, MySQL primary/replica. */
  role?: 'primary' | 'standby' | 'master' | 'replica';
  /** On a standby/replica: replication lag in ms, or `null` when unknown. */
  lagMs?: number | null;
  /** Why unhealthy (names host and port, never a password); why degraded. */
  error?: string;
  /** Whether the round ran over TLS (PostgreSQL probes, when a connection answered). */
  tls?: boolean;
  /** The TLS protocol of that connection, e.g. `'TLSv1.3'`. */
  tlsProtocol?: string;
}

/** Second argument of a health check. */
export interface HealthCheckContext {
  /** Aborted when the check runs past `healthCheck.timeout` or the orchestrator disconnects. */
  signal: AbortSignal;
  /** Name of the connection being checked. */
  name: string;
  /** `0` for the first try of a round, then `1`, `2`, ... for its retries. */
  attempt: number;
}

/** A health check for one connection; receives that connection's client. */
export type HealthCheckFn<C> = (
  client: C,
  ctx: HealthCheckContext,
) => HealthCheckResult | PromiseLike<HealthCheckResult>;

/** omni-db's name for {@link HealthCheckFn}: a health check receiving a client of type `C`. */
export type HealthCheckFunction<C = any> = HealthCheckFn<C>;

/** `healthCheck.retry`: retries within a round before a failed check counts. */
export interface RetryConfig {
  /** Extra tries after a failed one. Default `0`. */
  retries?: number;
  /** Wait between two tries. Default `'100ms'`. */
  delay?: Duration;
}

/**
 * Periodic health monitoring. Checks for all connections run in parallel, a first
 * round as soon as `connect()` is called. A connection without a check is never
 * marked unhealthy by monitoring (its circuit breaker still works).
 */
export interface HealthCheckConfig<T = Record<string, any>> {
  /** Time between two rounds of checks. Default `'30s'`. */
  interval?: Duration;
  /** A check that takes longer than this fails and its `signal` is aborted. Default `'5s'`. */
  timeout?: Duration;
  /** Retries within a round before the check counts as failed. Default `{ retries: 0, delay: '100ms' }`. */
  retry?: RetryConfig;
  /** Consecutive good checks needed to leave `'unhealthy'`. Default `1`. */
  rise?: number;
  /** Consecutive failed checks needed to become `'unhealthy'`. Default `1`. */
  fall?: number;
  /**
   * One check per connection name; each receives that connection's client. `'auto'`
   * (for all, or as one connection's check): derived from the client's family
   * (README "Clients"): a native probe where its options name one server (pg,
   * postgres.js, Knex and Drizzle on PostgreSQL, ioredis, node-redis), else a check
   * through the client itself (Kysely, Prisma...). A client of no known family is a
   * {@link ConfigError} naming the connection.
   */
  checks?: { [K in keyof T]?: HealthCheckFn<T[K]> | 'auto' } | 'auto';
}

// ---------------------------------------------------------------------------
// Circuit breaker

/** An external breaker driven through `fire()`, such as an opossum `CircuitBreaker`. */
export interface ExternalBreakerWithFire {
  fire(...args: any[]): Promise<unknown>;
}

/** An external breaker driven through `execute(fn)`, such as a cockatiel circuit breaker policy. */
export interface ExternalBreakerWithExecute {
  execute(fn: (...args: any[]) => unknown): Promise<unknown>;
}

/**
 * A circuit breaker from another library. It must have `fire()` (opossum) or
 * `execute()` (cockatiel); with neither the constructor throws a {@link ConfigError}.
 */
export type ExternalCircuitBreaker = ExternalBreakerWithFire | ExternalBreakerWithExecute;

/** The built-in circuit breaker's settings, or an external breaker to use instead. */
export interface CircuitBreakerConfig {
  /** Consecutive failures that open the circuit. Default `5`. */
  threshold?: number;
  /** Time an open circuit waits before it turns half-open. Default `'30s'`. */
  resetTimeout?: Duration;
  /** Consecutive successes in half-open that close the circuit. Default `2`. */
  halfOpenSuccesses?: number;
  /** Trial calls let through at once while half-open. Default: `halfOpenSuccesses`. */
  halfOpenMaxCalls?: number;
  /**
   * Decides whether an error counts against the connection. Default
   * {@link defaultIsFailure}: everything except the caller's own SQL, data and
   * constraint errors counts. A classifier that throws counts the error.
   */
  isFailure?: (error: unknown) => boolean;
  /**
   * An external breaker (opossum, cockatiel) to use instead of the built-in one:
   * one instance for all connections, or a function called once per connection name
   * at construction that returns its breaker. Health still drives it: an unhealthy
   * connection forces its breaker open.
   */
  use?: ExternalCircuitBreaker | ((name: string) => ExternalCircuitBreaker);
}

/**
 * The settings of a standalone {@link CircuitBreaker}: the built-in breaker's
 * numbers. (`use` and `isFailure` are options of the Orchestrator only; passed
 * here they are rejected as unknown.)
 */
export type CircuitBreakerSettings = Pick<
  CircuitBreakerConfig,
  'threshold' | 'resetTimeout' | 'halfOpenSuccesses' | 'halfOpenMaxCalls'
>;

/**
 * A circuit breaker on its own, without an Orchestrator: the same state machine
 * as the Orchestrator's circuits. `closed` → `open` after `threshold` consecutive
 * failures; `open` → `half-open` after `resetTimeout`, on a timer (the global
 * `setTimeout`, so Jest's and Vitest's fake timers drive it; it never keeps the
 * process alive); `half-open` → `closed` after `halfOpenSuccesses` consecutive
 * successes, and back to `open` on any failure. It emits no events.
 *
 * @example
 * const circuit = new CircuitBreaker({ threshold: 3, resetTimeout: '10s' });
 * try {
 *   return await circuit.execute(() => pool.query('SELECT * FROM users'));
 * } catch (err) {
 *   if (err.message === 'Circuit breaker is OPEN') return cached;
 *   throw err;
 * }
 */
export declare class CircuitBreaker {
  /** Throws a {@link ConfigError} naming a bad or unknown option. */
  constructor(config?: CircuitBreakerSettings);
  /** The current state. */
  readonly state: CircuitState;
  /** Consecutive failures since the last success or close. */
  readonly failures: number;
  /**
   * Runs `fn` unless the circuit is open, records the outcome, and settles with
   * `fn`'s own result or error, unchanged. Refused (open, or half-open with every
   * one of `halfOpenMaxCalls` trial slots taken): rejects without calling `fn` with
   * an {@link OmniDbError} whose message is exactly `'Circuit breaker is OPEN'`
   * (`code: 'OMNIDB_CIRCUIT_OPEN'`).
   */
  execute<R>(fn: () => R | PromiseLike<R>): Promise<Awaited<R>>;
  /** Whether `execute()` would run a call now: closed, or half-open with a trial slot free. */
  canExecute(): boolean;
  /** Records a success of a call made without `execute()`. */
  success(): void;
  /** Records a failure of a call made without `execute()`; returns whether the circuit is open now. */
  failure(): boolean;
  /** Closes the circuit whatever its state and clears the failure count. */
  reset(): void;
  /** Opens the circuit now (an open one starts its reset timer over); half-open after `resetTimeout`. */
  open(): void;
}

// ---------------------------------------------------------------------------
// Registry

/**
 * Named clients in a `Map`, for code that keeps its own clients by name (the
 * Orchestrator keeps its connections itself). `C` types the clients; the default
 * takes any.
 */
export declare class Registry<C = unknown> {
  /**
   * Stores `client` under `name`, replacing any client already registered there.
   * Throws an {@link OmniDbError} (`code: 'OMNIDB_INVALID_ARGUMENT'`) when `name` is
   * not a non-empty string (`Name must be a non-empty string`) or `client` is `null`
   * or `undefined` (`Client must not be null or undefined`).
   */
  register(name: string, client: C): this;
  /** The client registered under `name`, or `undefined`. */
  get<T extends C = C>(name: string): T | undefined;
  /** Whether a client is registered under `name`. */
  has(name: string): boolean;
  /** The registered names, in registration order. */
  list(): string[];
  /** How many clients are registered. */
  readonly size: number;
  /** Removes `name`; `true` when it was registered. */
  delete(name: string): boolean;
  /** Removes every client. */
  clear(): void;
  /** `[name, client]` pairs, in registration order. */
  entries(): IterableIterator<[string, C]>;
  [Symbol.iterator](): IterableIterator<[string, C]>;
}

// ---------------------------------------------------------------------------
// Configuration

/**
 * For each primary, the connection (or ordered list of connections) to route to
 * while the primary is unhealthy or its circuit is not closed (open, or half-open:
 * then only its trial calls reach it). The first usable backup (circuit closed, not
 * unhealthy) wins. Backups should hold the same kind of client as their primary: `execute()`
 * and `get()` type the client as the primary's.
 */
export type FailoverConfig<T> = {
  [K in keyof T]?:
    | Exclude<keyof T & string, K>
    | ReadonlyArray<Exclude<keyof T & string, K>>;
};

/** Options of `new Orchestrator(config)`. An unknown key is rejected with a {@link ConfigError}. */
export interface OrchestratorConfig<T extends Record<string, any> = Record<string, any>> {
  /** The clients to orchestrate, by name: `{ primary: pool, cache: redis }`. None may be `null` or `undefined`. */
  connections: T;
  /** Backups by primary name: `{ primary: 'replica' }` or `{ primary: ['replica', 'standby'] }`. Cycles are rejected. */
  failover?: FailoverConfig<T>;
  /** Periodic health checks. */
  healthCheck?: HealthCheckConfig<T>;
  /**
   * Circuit breaking, off unless configured: without this key (or with `false`) there
   * is no breaker: `execute()` runs `fn` unguarded, `recordSuccess`/`recordFailure` do
   * nothing, failover follows health alone and stats report the circuit as `'n/a'`.
   * `true` or an object (`{}` included) turns the built-in breaker on (defaults filled
   * in); `{ use }` runs calls through an external breaker instead.
   */
  circuitBreaker?: CircuitBreakerConfig | boolean;
  /** Longest wait for each client's close method in `disconnect()`. Default `'5s'`. */
  closeTimeout?: Duration;
  /** A {@link ManualClock} that drives every timer, for tests (and times sampled calls). Default: real time. */
  clock?: ManualClock;
  /** Call metrics: `{ sampleEvery }`, the latency sampling rate. */
  metrics?: MetricsConfig;
}

// ---------------------------------------------------------------------------
// execute()

/**
 * Options of {@link Orchestrator.execute}. An unknown key (a typo such as `failOver`)
 * rejects the call with `OMNIDB_INVALID_ARGUMENT` naming the closest known key.
 */
export interface ExecuteOptions {
  /**
   * Past this, the call rejects with a {@link TimeoutError}, counts as a failure and
   * `ctx.signal` is aborted. No timeout when omitted.
   */
  timeout?: Duration;
  /**
   * The caller's own signal. Aborting it aborts `ctx.signal` and rejects with the
   * signal's reason, without counting a failure; an already aborted signal rejects at once.
   */
  signal?: AbortSignal;
  /**
   * The call is safe to run twice (a read): when it fails with a connection-class
   * error ({@link isConnectionError}) it runs once more on the first other usable
   * connection (circuit closed, not unhealthy) among `name` and its failover backups. `timeout` applies to each
   * attempt. Default `false`.
   */
  idempotent?: boolean;
  /**
   * `false` runs the call on `name` itself, never on a backup: for writes, which a
   * read-only replica would refuse. When `name`'s circuit is open it rejects at once
   * with a {@link CircuitOpenError}. Default `true`.
   */
  failover?: boolean;
}

/** Second argument of the function given to {@link Orchestrator.execute}. */
export interface ExecuteContext {
  /** Aborted on timeout or when `options.signal` aborts; pass it on to the client. */
  signal: AbortSignal;
  /** The connection actually used, which after a failover is the backup's name. */
  name: string;
}

// ---------------------------------------------------------------------------
// Stats

/** Per-connection summary returned by {@link Orchestrator.getStats}. */
export interface ConnectionStats {
  /** Last known health. */
  status: HealthStatus;
  /**
   * Circuit state; `'n/a'` without a breaker. With an external breaker: its own
   * `status.state` or `state` string when it has one (opossum and cockatiel: one of
   * the three states), else `'external'`.
   */
  circuit: CircuitState | 'n/a' | 'external';
  /**
   * The built-in breaker's consecutive failures; an external breaker's own
   * `stats.failures` (opossum: its rolling window), else 0; 0 without a breaker.
   */
  failures: number;
  /** The backup calls are routed to, or `null` when not failed over. */
  failoverTo: string | null;
}

/** Per-connection entry of {@link Orchestrator.health}. */
export interface ConnectionHealth {
  status: HealthStatus;
  /** Present only while calls are routed to a backup. */
  failoverTo?: string;
}

/** One health status change, as kept in {@link ConnectionMetrics.transitions}. */
export interface HealthTransition {
  from: HealthStatus;
  to: HealthStatus;
  /** Time of the change in ms (epoch time, or the {@link ManualClock}'s). */
  timestamp: number;
}

/** Per-connection detail returned by {@link Orchestrator.metrics}. */
export interface ConnectionMetrics extends ConnectionStats {
  /** Consecutive good health checks. */
  consecutiveSuccesses: number;
  /** Consecutive failed health checks. */
  consecutiveFailures: number;
  /** Time of the last health check in ms, or `null` before the first. */
  lastCheckAt: number | null;
  /** Message of the last failed health check, or `null`. */
  lastError: string | null;
  /** Recent health status changes, oldest first. */
  transitions: HealthTransition[];
  /** Latency of the last check that returned a {@link ProbeResult}; absent until one did. */
  latencyMs?: number | null;
  /** Server role from the last {@link ProbeResult}, `null` when it named none. */
  role?: ProbeResult['role'] | null;
  /** Replication lag from the last {@link ProbeResult}, `null` when unknown or a primary. */
  lagMs?: number | null;
  /** Counts of execute() calls on this connection (after failover). */
  calls: CallCounts;
  /** Sampled execute() latency: one call in `sampleEvery` is timed. */
  latency: CallLatency;
  /** Health-check attempt latency, measured by the core (millisecond resolution). */
  healthCheck: HealthCheckLatency;
  /** Milliseconds the circuit has spent in each state since the orchestrator was created. */
  circuitTime: CircuitTime;
  /**
   * Milliseconds until the open circuit goes half-open on its reset timer; `null` when
   * no reset is due (closed, half-open, held open by a failed health check until a
   * check passes, or an external breaker).
   */
  circuitResetInMs: number | null;
}

/** {@link ConnectionMetrics.calls}. Every count is cumulative since construction. */
export interface CallCounts {
  /** Calls admitted to the connection: `fn` ran. */
  total: number;
  /** `total - failures - cancelled`: calls that succeeded or are still in flight. */
  successes: number;
  /** Admitted calls that threw or rejected (timeouts included), whatever the classifier says. */
  failures: number;
  /** Calls refused by an open circuit (built-in or external): `fn` never ran. */
  rejections: number;
  /** Calls that hit their execute() `timeout` (also counted in `failures`). */
  timeouts: number;
  /** Calls aborted by the caller's `signal`. */
  cancelled: number;
}

/** {@link ConnectionMetrics.latency}: from log buckets (factor 2, 10µs to ~42s), in ms. */
export interface CallLatency {
  /** The sampling rate: `metrics.sampleEvery`. */
  sampleEvery: number;
  /** Calls timed. */
  samples: number;
  /** Sum of the timed latencies. */
  sumMs: number;
  /** Largest timed latency, `null` before the first sample. */
  maxMs: number | null;
  /** Percentiles, interpolated within their bucket; `null` before the first sample. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** {@link ConnectionMetrics.healthCheck}: per check attempt (retries included). */
export interface HealthCheckLatency {
  /** Attempts finished (answered or timed out). */
  checks: number;
  /** Attempts that timed out; they count `healthCheck.timeout` as their latency. */
  timeouts: number;
  /** Latest attempt's latency, `null` before the first. */
  lastMs: number | null;
  avgMs: number | null;
  maxMs: number | null;
  /** Native probes that say: whether the last round that connected ran over TLS. */
  tls?: boolean;
  /** Its TLS protocol (`'TLSv1.3'`), or `null` when unknown or plaintext. */
  tlsProtocol?: string | null;
}

/** {@link ConnectionMetrics.circuitTime}, in milliseconds. */
export interface CircuitTime {
  closed: number;
  open: number;
  halfOpen: number;
}

/** Metrics options: `config.metrics`. */
export interface MetricsConfig {
  /**
   * Time one execute() call in this many per connection (a power of two, 1 to 65536).
   * @default 128
   */
  sampleEvery?: number;
}

/**
 * A metric object a prom-client `Registry` accepts through `registerMetric()`.
 * prom-client is not a dependency: these are plain objects in its shape.
 */
export interface PrometheusCollectorMetric {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  aggregator: 'sum';
  get(): Promise<{
    name: string;
    help: string;
    type: 'counter' | 'gauge' | 'histogram' | 'summary';
    aggregator: 'sum';
    values: Array<{ labels: Record<string, string>; value: number; metricName?: string }>;
  }>;
  reset(): void;
}

/**
 * Context published on the `tracing:omnidb:execute:*` diagnostics channels
 * (`diagnostics_channel.tracingChannel('omnidb:execute')`).
 */
export interface ExecuteTraceContext {
  /** The connection name execute() was called with. */
  name: string;
  /** The connection the call is routed to when it starts, `null` for an unknown name. */
  target: string | null;
  /** Whether `target` is a backup (the call was failed over). */
  failover: boolean;
  /** Set before `asyncStart` on success. */
  result?: unknown;
  /** Set before `error`. */
  error?: unknown;
}

// ---------------------------------------------------------------------------
// Events

/** Payload of `connected` and `disconnected`, emitted once per connection. */
export interface ConnectionEvent {
  name: string;
  timestamp: number;
}

/** Payload of `connected` (omni-db's name). */
export type ConnectedEvent = ConnectionEvent;

/** Payload of `disconnected` (omni-db's name). */
export type DisconnectedEvent = ConnectionEvent;

/** What every `circuit:*` payload has; `circuit:open` and `circuit:close` add a `reason`. */
export interface CircuitEvent {
  name: string;
  timestamp: number;
}

/** Payload of `health:changed`, emitted on every status change. */
export interface HealthChangedEvent {
  name: string;
  previous: HealthStatus;
  current: HealthStatus;
  timestamp: number;
  /** Why the last check failed, when `current` is `'unhealthy'`. */
  error?: string;
}

/** Payload of `circuit:open`. `reason` is `'external'` when an external breaker opened by itself. */
export interface CircuitOpenEvent extends CircuitEvent {
  name: string;
  reason: 'failure-threshold' | 'half-open-failure' | 'health-check-failed' | 'external';
  timestamp: number;
}

/** Payload of `circuit:half-open`, emitted when the reset timeout passes, traffic or not. */
export interface CircuitHalfOpenEvent extends CircuitEvent {
  name: string;
  timestamp: number;
}

/** Payload of `circuit:close`, emitted only on a real transition to closed. */
export interface CircuitCloseEvent extends CircuitEvent {
  name: string;
  reason: 'half-open-success' | 'health-recovered' | 'external';
  timestamp: number;
}

/** Payload of `failover`: calls for `primary` now go to `backup`. */
export interface FailoverEvent {
  primary: string;
  backup: string;
  timestamp: number;
}

/** Payload of `recovery`: calls for `primary` go back to it from `backup`. */
export interface RecoveryEvent {
  primary: string;
  /** The backup that calls were routed to until now. */
  backup: string;
  timestamp: number;
}

/**
 * Payload of `error`. It is emitted only while someone listens, so a failing health
 * check never throws `ERR_UNHANDLED_ERROR` into the application.
 */
export interface OrchestratorErrorEvent {
  /** The connection concerned, or `null` when none is. */
  name: string | null;
  /** The original error. */
  error: unknown;
  /** Where it happened. */
  context: 'health-check' | 'disconnect' | 'client' | 'circuit-breaker' | 'listener' | 'external-breaker';
  message: string;
  timestamp: number;
}

/** Payload of `error` (omni-db's name for {@link OrchestratorErrorEvent}). */
export type ErrorEvent = OrchestratorErrorEvent;

/** Payload of `shutdown`, emitted when a signal registered by `shutdownOnSignal()` arrives. */
export interface ShutdownEvent {
  signal: string;
  timestamp: number;
}

/**
 * Every event an {@link Orchestrator} emits, with its payload. Timestamps are in ms:
 * epoch time, or the {@link ManualClock}'s time when one is configured.
 */
export interface OrchestratorEvents {
  connected: ConnectedEvent;
  disconnected: DisconnectedEvent;
  'health:changed': HealthChangedEvent;
  'circuit:open': CircuitOpenEvent;
  'circuit:half-open': CircuitHalfOpenEvent;
  'circuit:close': CircuitCloseEvent;
  failover: FailoverEvent;
  recovery: RecoveryEvent;
  error: OrchestratorErrorEvent;
  shutdown: ShutdownEvent;
}

/** Name of an event an {@link Orchestrator} emits. */
export type OrchestratorEventName = keyof OrchestratorEvents;

/** A listener for event `E`. */
export type OrchestratorListener<E extends OrchestratorEventName> = (payload: OrchestratorEvents[E]) => void;

// ---------------------------------------------------------------------------
// Orchestrator

// Written as a conditional type rather than plain `keyof T & string` so that
// TypeScript compares orchestrators structurally: `Orchestrator<{ primary: Pool }>`
// is then assignable to a plain `Orchestrator` (what middleware and DI containers
// hold), which a `keyof T` in a method signature would otherwise forbid.
/**
 * The connection names of an orchestrator over connections `T`: for
 * `{ primary: Pool; cache: Redis }`, `'primary' | 'cache'`.
 */
export type ConnectionName<T> = [T] extends [infer U] ? keyof U & string : never;

/** Options of {@link Orchestrator.shutdownOnSignal}. */
export interface ShutdownOptions {
  /** Signals to handle. Default `['SIGTERM', 'SIGINT']`. */
  signals?: ReadonlyArray<NodeJS.Signals>;
  /** Exit code used when exiting. Default `0`. */
  exitCode?: number;
  /** Exit the process once disconnected. Default `true`. */
  exitProcess?: boolean;
}

/**
 * Orchestrates named database clients: health checks, a circuit breaker per
 * connection, and failover to backups.
 *
 * @example
 * const db = new Orchestrator({
 *   connections: { primary: pool, replica: replicaPool, cache: redis },
 *   failover: { primary: 'replica' },
 *   healthCheck: { checks: { cache: async (c) => (await c.ping()) === 'PONG' } },
 * });
 * await db.connect();
 * db.shutdownOnSignal();
 * const { rows } = await db.execute('primary', (c) => c.query('SELECT 1'));
 */
export declare class Orchestrator<
  T extends Record<string, any> = Record<string, unknown>,
> extends EventEmitter {
  /** Validates `config` and throws a {@link ConfigError} on any mistake. Nothing runs until `connect()`. */
  constructor(config: OrchestratorConfig<T>);

  /**
   * Runs `fn` with the client of `name`, or of its backup while failed over, behind
   * that connection's circuit breaker, and records the outcome against the
   * connection actually used. Resolves with `fn`'s result; an error from `fn` is
   * rethrown as is. Rejects with {@link UnknownConnectionError} for an unknown name,
   * {@link CircuitOpenError} when the circuit is open (without calling `fn`),
   * {@link TimeoutError} past `options.timeout`, and an {@link OmniDbError} with
   * code `'OMNIDB_DISCONNECTED'` after `disconnect()`.
   */
  execute<K extends ConnectionName<T>, R>(
    name: K,
    fn: (client: T[K], ctx: ExecuteContext) => R | PromiseLike<R>,
    options?: ExecuteOptions,
  ): Promise<Awaited<R>>;

  /**
   * Returns the client of `name`, or of its backup while failed over, without
   * recording any outcome (report it with `recordSuccess()`/`recordFailure()`);
   * prefer {@link Orchestrator.execute}. Throws a {@link CircuitOpenError} when that
   * connection's circuit is open. An unknown name returns `undefined`.
   */
  get<K extends ConnectionName<T>>(name: K): T[K];

  /**
   * Starts health monitoring and resolves once the first round of checks has
   * settled (retries included), then emits `connected` per connection. Idempotent. Rejects after
   * `disconnect()`: an orchestrator is not reused.
   */
  connect(): Promise<void>;

  /**
   * Stops monitoring and closes each client through the first of `end`, `close`,
   * `quit`, `disconnect`, `destroy`, `$disconnect` it has (each bounded by `closeTimeout`), then
   * emits `disconnected` per connection (only once `connect()` was called). Idempotent. Never rejects: a close error
   * becomes an `error` event.
   */
  disconnect(): Promise<void>;

  /**
   * Whether `connect()` has resolved and `disconnect()` has not been called. A
   * read-only property (a getter): assigning to it throws a TypeError in strict mode.
   */
  readonly isConnected: boolean;

  /** Names of all connections, in configuration order. */
  list(): Array<ConnectionName<T>>;

  /** Whether `name` is a configured connection. */
  has(name: string): name is ConnectionName<T>;

  /** Number of connections. A read-only property (a getter). */
  readonly size: number;

  /** `{ status, circuit, failures, failoverTo }` for each connection. */
  getStats(): Record<ConnectionName<T>, ConnectionStats>;

  /** `{ status, failoverTo? }` for each connection. */
  health(): Record<ConnectionName<T>, ConnectionHealth>;

  /**
   * Stats plus health-check counters, last check, last error and health history for
   * each connection, and call counts, sampled call latency (p50/p95/p99), health-check
   * latency and time in each circuit state.
   */
  metrics(): Record<ConnectionName<T>, ConnectionMetrics>;

  /** The metrics in the Prometheus text format (0.0.4): `omnidb_*` families, label `connection`. */
  prometheus(): string;

  /**
   * The same families as prom-client metric objects, read at each scrape:
   * `for (const m of db.prometheusCollector()) registry.registerMetric(m)`.
   */
  prometheusCollector(): PrometheusCollectorMetric[];

  /**
   * Records a successful call made on a client from `get()`, against the connection
   * `name` routes to. With the built-in breaker, throws {@link UnknownConnectionError}
   * for an unknown name; without a breaker or with an external one it does nothing.
   */
  recordSuccess(name: ConnectionName<T>): void;

  /**
   * Records a failed call made on a client from `get()`, against the connection
   * `name` routes to; when `error` is given, `isFailure` decides whether it counts.
   * With the built-in breaker, throws {@link UnknownConnectionError} for an unknown
   * name; without a breaker or with an external one it does nothing.
   */
  recordFailure(name: ConnectionName<T>, error?: unknown): void;

  /**
   * On the first of `signals` (default `SIGTERM`, `SIGINT`), emits `shutdown`,
   * disconnects once and, unless `exitProcess: false`, exits with `exitCode`
   * (default `0`). Handlers are added with `process.on`; each returns the promise of
   * the shutdown, which concurrent signals share. Calling it again replaces the earlier
   * registration; `disconnect()` removes the handlers (after it, this registers none).
   * Returns a function that removes the handlers.
   */
  shutdownOnSignal(options?: ShutdownOptions): () => void;

  /** Adds a listener for `event`. Only the events of {@link OrchestratorEvents} exist. */
  on<E extends OrchestratorEventName>(event: E, listener: OrchestratorListener<E>): this;
  /** Adds a listener for `event` that runs once. */
  once<E extends OrchestratorEventName>(event: E, listener: OrchestratorListener<E>): this;
  /** Removes a listener. */
  off<E extends OrchestratorEventName>(event: E, listener: OrchestratorListener<E>): this;
  /** Same as `on()`. */
  addListener<E extends OrchestratorEventName>(event: E, listener: OrchestratorListener<E>): this;
  /** Same as `off()`. */
  removeListener<E extends OrchestratorEventName>(event: E, listener: OrchestratorListener<E>): this;
  /** Adds a listener for `event` ahead of the others. */
  prependListener<E extends OrchestratorEventName>(event: E, listener: OrchestratorListener<E>): this;
  /** Adds a listener for `event` ahead of the others that runs once. */
  prependOnceListener<E extends OrchestratorEventName>(event: E, listener: OrchestratorListener<E>): this;
  /** Removes all listeners, or those of `event`. */
  removeAllListeners(event?: OrchestratorEventName): this;
  /** The listeners of `event`. */
  listeners<E extends OrchestratorEventName>(event: E): Array<OrchestratorListener<E>>;
  /** Number of listeners of `event`. */
  listenerCount(event: OrchestratorEventName): number;
  /** Emits `event` with `payload`; returns whether it had listeners. */
  emit<E extends OrchestratorEventName>(event: E, payload: OrchestratorEvents[E]): boolean;
}

// ---------------------------------------------------------------------------
// Clock

/**
 * A clock driven by hand, for tests: pass it as `config.clock` (to any number of
 * orchestrators) and every timer (health rounds, check timeouts, retries, circuit
 * resets, `execute()` timeouts) waits for `advance()`.
 */
export declare class ManualClock {
  // Internal hook the orchestrator uses; declared so that only a real ManualClock fits `config.clock`.
  private _attach;
  /** @param startMs Initial reading in ms, a finite number >= 0. Default `0`. */
  constructor(startMs?: number);
  /** Current time in ms. */
  now(): number;
  /** Moves time forward by `by`, running in order every timer due by then and letting promises settle between them. */
  advance(by: Duration): Promise<void>;
}

// ---------------------------------------------------------------------------
// Errors

/** The `code` values of the errors omnidb throws. */
export type OmniDbErrorCode =
  | 'OMNIDB_INVALID_CONFIG'
  | 'OMNIDB_CIRCUIT_OPEN'
  | 'OMNIDB_TIMEOUT'
  | 'OMNIDB_UNKNOWN_CONNECTION'
  | 'OMNIDB_DISCONNECTED'
  | 'OMNIDB_INVALID_ARGUMENT'
  | 'OMNIDB_HEALTH_CHECK_FAILED'
  | 'OMNIDB_INVALID_CHECK_RESULT';

/**
 * Base class of every error omnidb throws; tell them apart by `code` or `instanceof`.
 * Errors from your own `fn` or health check are passed through unwrapped.
 */
export declare class OmniDbError extends Error {
  /**
   * @param message the error message
   * @param code a stable, machine-readable code (`'OMNIDB_*'`)
   * @param props extra fields copied onto the error
   */
  constructor(message: string, code: string, props?: object);
  /** Stable error code, such as `'OMNIDB_TIMEOUT'`; see {@link OmniDbErrorCode}. */
  readonly code: string;
}

/** Invalid configuration or duration, thrown synchronously; the message names the bad value (`code: 'OMNIDB_INVALID_CONFIG'`). */
export declare class ConfigError extends OmniDbError {
  constructor(message: string);
  readonly code: 'OMNIDB_INVALID_CONFIG';
}

/** The connection's circuit is open; the call was refused without reaching the client (`code: 'OMNIDB_CIRCUIT_OPEN'`). */
export declare class CircuitOpenError extends OmniDbError {
  /**
   * @param requested the connection name the caller asked for
   * @param connection the connection it routed to, whose circuit is open
   * @param detail extra explanation appended to the message
   */
  constructor(requested: string, connection: string, detail?: string);
  readonly code: 'OMNIDB_CIRCUIT_OPEN';
  /** The connection whose circuit is open (after failover, the backup's name). */
  readonly connection: string;
}

/** `execute()` ran past `options.timeout` (`code: 'OMNIDB_TIMEOUT'`). */
export declare class TimeoutError extends OmniDbError {
  constructor(connection: string, timeout: number);
  readonly code: 'OMNIDB_TIMEOUT';
  /** The connection the call ran on. */
  readonly connection: string;
  /** The timeout that passed, in ms. */
  readonly timeout: number;
}

/** A name that is not a configured connection (`code: 'OMNIDB_UNKNOWN_CONNECTION'`). */
export declare class UnknownConnectionError extends OmniDbError {
  constructor(connection: string, available: readonly string[]);
  readonly code: 'OMNIDB_UNKNOWN_CONNECTION';
  /** The name asked for. */
  readonly connection: string;
  /** The configured connection names. */
  readonly available: string[];
}

// ---------------------------------------------------------------------------
// Helpers

/**
 * Converts a duration (`'250ms'`, `'30s'`, `'5m'`, `'1h'`, or ms) to milliseconds.
 * Accepts any string so that values known only at run time can be checked; throws a
 * {@link ConfigError} naming the value when it is not a valid {@link Duration}.
 */
export declare function parseDuration(value: Duration | string): number;

/**
 * The default `circuitBreaker.isFailure`: `false` for errors that are the caller's
 * own fault (SQL syntax, data and constraint errors: PostgreSQL SQLSTATE classes 22,
 * 23, 42, their MySQL counterparts and Prisma's equivalents), `true` for everything
 * else, errors it cannot classify included.
 */
export declare function defaultIsFailure(error: unknown): boolean;

/**
 * `true` when `error` means the connection failed (refused, reset, timed out, DNS,
 * server shutting down, SQLSTATE class 08, pg's "Connection terminated", ioredis's
 * "Connection is closed"), not the query.
 */
export declare function isConnectionError(error: unknown): boolean;

// ---------------------------------------------------------------------------
// Native health probes

/** Options every probe takes. Durations as elsewhere: `'250ms'`, `'5s'` or ms. */
export interface ProbeOptions {
  /** Native timeout of one round. Default: the check context's `timeout`, else `'5s'`. */
  timeout?: Duration;
  /** An answer slower than this is `'degraded'`. Default: off. */
  degradedAfter?: Duration;
  /**
   * `'primary'` (or `'master'`): a standby/replica is unhealthy, for a connection that
   * must accept writes; `'replica'` (or `'standby'`, `'slave'`): the opposite. Default `'any'`.
   */
  role?: 'primary' | 'master' | 'replica' | 'standby' | 'slave' | 'any';
  /** A standby/replica lagging more than this is unhealthy. Default: off. */
  maxLag?: Duration;
  /** Keep the connection open between rounds (re-opened when lost). Default `true`. */
  persistent?: boolean;
  /** Ask the server for its role (and lag) every round. Default `true`. */
  detectRole?: boolean;
}

export interface PostgresProbeOptions extends ProbeOptions {
  /** Query run every round. Default `'SELECT 1'`. */
  query?: string;
}

/** A PostgreSQL server, as for libpq; any other libpq keyword (sslrootcert, ...) as a string. */
export interface PostgresTarget {
  host?: string;
  hostaddr?: string;
  port?: number | string;
  user?: string;
  username?: string;
  password?: string;
  database?: string;
  dbname?: string;
  /**
   * node-postgres style: `false` disables TLS, `{ rejectUnauthorized: false }` = sslmode
   * require (encrypted, not verified), anything else verify-full. `ca`/`cert`/`key` are PEM
   * contents (as pg takes them); without `ca`, Node's root certificates are trusted, as pg does.
   */
  ssl?: boolean | PostgresSsl;
  sslmode?: 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
  /** A socket directory, or the socket file itself (`/run/postgresql/.s.PGSQL.5432`). */
  socketPath?: string;
  /** A URL; its parts override the fields, as in node-postgres. */
  connectionString?: string;
  [libpqKeyword: string]: string | number | boolean | PostgresSsl | undefined;
}

/** {@link PostgresTarget.ssl} as an object: pg's (Node's `tls.connect`) spelling. */
export interface PostgresSsl {
  /** PEM contents of the CA certificate(s) to trust. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** PEM contents of a client certificate, with `key`. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Decrypts `key`. */
  passphrase?: string;
  /** `false`: encrypt without verifying the server's certificate. Default `true`. */
  rejectUnauthorized?: boolean;
  /** The name the server's certificate must carry (and SNI), when it is not `host`. */
  servername?: string;
  [other: string]: unknown;
}

/** A Redis server. TLS is not supported (hiredis 0.14). */
export interface RedisTarget {
  host?: string;
  port?: number | string;
  /** A unix socket instead of host and port. */
  path?: string;
  socketPath?: string;
  username?: string;
  password?: string;
  db?: number | string;
  database?: number | string;
  url?: string;
}

/**
 * A MySQL/MariaDB server, as mysql2 takes it. TLS is not supported yet (`ssl` may only be
 * `false`). A `uri`/`url` (mysql:// or mariadb://) is overridden by the fields beside it.
 */
export interface MysqlTarget {
  host?: string;
  port?: number | string;
  /** A unix socket instead of host and port. */
  socketPath?: string;
  user?: string;
  username?: string;
  password?: string;
  database?: string;
  ssl?: false;
  uri?: string;
  url?: string;
}

export interface MysqlProbeOptions extends ProbeOptions {
  /** Query run every round (one statement, or several separated by `;`). Default `'SELECT 1'`. */
  query?: string;
}

/** A health check that runs natively on Node's loop; usable in `healthCheck.checks`. */
export interface Probe {
  (client?: unknown, ctx?: Partial<HealthCheckContext> & { timeout?: number }): Promise<ProbeResult>;
  /** Closes the kept connection (a later round opens a new one). */
  close(): void;
  /** The target, without its password: `postgres://user@host:port/db`, `redis://host:port/db`, `mysql://user@host:port/db`. */
  readonly description: string;
}

/**
 * Native health probes (libpq, hiredis and MariaDB Connector/C on Node's libuv loop; no JS
 * client needed). A kind the addon was built without throws `OMNIDB_PROBE_UNAVAILABLE`.
 * Each returns a {@link Probe}; bad targets or options throw {@link ConfigError} at once.
 */
export declare const probes: {
  /** `SELECT 1` (or `query`) plus role and replay lag, over a postgres:// URL, a conninfo string or options. */
  postgres(target: string | PostgresTarget, options?: PostgresProbeOptions): Probe;
  /** `PING` plus `ROLE` (and lag from `INFO replication` on a replica), with AUTH and SELECT as configured. */
  redis(target: string | RedisTarget, options?: ProbeOptions): Probe;
  /**
   * The query plus `@@global.read_only` and the replica status in one round trip: role
   * `'replica'` when read-only or replicating, else `'primary'`; lag from Seconds_Behind_Master.
   */
  mysql(target: string | MysqlTarget, options?: MysqlProbeOptions): Probe;
  /**
   * A probe for the server a client talks to, from its own options: a pg Pool/Client,
   * postgres.js, Knex on PostgreSQL, Drizzle over one of those, ioredis, node-redis.
   */
  fromClient(client: object, options?: PostgresProbeOptions): Probe;
};

// ---------------------------------------------------------------------------
// Express (and plain node:http) integration

/** Options of {@link middleware}. */
export interface MiddlewareOptions {
  /** The request property the orchestrator is attached to. Default `'db'` (`req.db`). */
  property?: string;
}

/**
 * Express middleware attaching `db` to every request as `req[property]` (default
 * `req.db`), then calling `next()`. Needs no express at run time.
 * Throws {@link ConfigError} when `db` is not an orchestrator or `property` is empty.
 * @example
 * app.use(middleware(db));                        // req.db
 * app.use(middleware(db, { property: 'omnidb' })); // req.omnidb
 */
export declare function middleware(
  db: Orchestrator<any>,
  options?: MiddlewareOptions,
): (req: any, res: any, next?: (err?: unknown) => void) => void;

/** One connection's entry in a readiness response (the default `detail: 'stats'`). */
export interface ReadinessConnection {
  status: HealthStatus;
  circuit: CircuitState | 'n/a' | 'external';
  /** The backup serving this connection's calls, or `null` when not failed over. */
  failoverTo: string | null;
}

/** Options of {@link readiness}. */
export interface ReadinessOptions<N extends string = string> {
  /**
   * The connections that must be available for a 200. Default: all. A connection is
   * unavailable when it is `'unhealthy'` or its circuit is open, and it is not failed
   * over to a backup that serves it. Unknown names throw {@link ConfigError}.
   */
  require?: readonly N[];
  /**
   * Shape of each `connections` entry: `'stats'` (default) `{ status, circuit, failoverTo }`,
   * or `'health'`: {@link Orchestrator.health}'s `{ status, failoverTo? }`. The verdict is the same.
   */
  detail?: 'stats' | 'health';
}

/** The body a {@link readiness} handler answers with. */
export interface ReadinessBody<N extends string = string> {
  status: 'ok' | 'unavailable';
  connections: Record<N, ReadinessConnection | ConnectionHealth>;
}

/**
 * A readiness-probe handler `(req, res)`: 200 `{ status: 'ok', connections }`, or 503
 * `{ status: 'unavailable', connections }` when any required connection (default: all)
 * is unhealthy or has an open circuit and no failover target serves it. Answers with
 * `res.status().json()` when present (Express), else `res.statusCode` + `res.end()`
 * (node:http); sets `Cache-Control: no-store`.
 * @example
 * app.get('/ready', readiness(db));
 * app.get('/ready/writes', readiness(db, { require: ['primary'] }));
 */
export declare function readiness<T extends Record<string, any>>(
  db: Orchestrator<T>,
  options?: ReadinessOptions<ConnectionName<T>>,
): (req: any, res: any) => void;

/** What {@link readinessReport} returns: the verdict every readiness route answers with. */
export interface ReadinessReport<N extends string = string> {
  /** False when a required connection is unhealthy or has an open circuit and no backup serves it. */
  ready: boolean;
  /** The required connections nothing serves. */
  unavailable: N[];
  connections: Record<N, ReadinessConnection | ConnectionHealth>;
}

/**
 * The readiness verdict without HTTP, shared by every framework integration and the
 * NestJS health indicator. Throws {@link ConfigError} for bad options or unknown names.
 */
export declare function readinessReport<T extends Record<string, any>>(
  db: Orchestrator<T>,
  options?: ReadinessOptions<ConnectionName<T>>,
): ReadinessReport<ConnectionName<T>>;

/** Options of every integration's error mapping. */
export interface ErrorMappingOptions {
  /**
   * Whole seconds to send in `Retry-After` when no reset deadline is due (a circuit
   * held open by a failed health check until a check passes, an external breaker).
   * Default 5. An open circuit with a reset timer sends the seconds until it goes
   * half-open, rounded up; a half-open one, 1.
   */
  retryAfter?: number;
}

/** The JSON body of the 503 an open circuit (`OMNIDB_CIRCUIT_OPEN`) becomes. */
export interface CircuitOpenBody {
  error: 'circuit_open';
  code: 'OMNIDB_CIRCUIT_OPEN';
  /** The connection whose circuit is open (after failover, the last one tried). */
  connection: string;
  message: string;
  /** The `Retry-After` value, in seconds. */
  retryAfter: number;
}

/** The JSON body of the 504 an execute() timeout (`OMNIDB_TIMEOUT`) becomes. */
export interface TimeoutBody {
  error: 'timeout';
  code: 'OMNIDB_TIMEOUT';
  connection: string;
  message: string;
}

/**
 * Express error middleware (mount it after the routes): an open circuit answers 503
 * with `Retry-After` and a {@link CircuitOpenBody}, an execute() timeout 504 with a
 * {@link TimeoutBody}; any other error goes on to `next(err)` unchanged.
 * @example
 * app.use(errorHandler(db));
 */
export declare function errorHandler(
  db: Orchestrator<any>,
  options?: ErrorMappingOptions,
): (err: unknown, req: any, res: any, next: (err?: unknown) => void) => void;
