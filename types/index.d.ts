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
 * A length of time: a string with a unit (`'250ms'`, `'30s'`, `'5m'`, `'1h'`) or a
 * plain number of milliseconds. It must be positive; anything else is rejected with
 * a {@link ConfigError} (`Invalid duration`). A string read at run time (an
 * environment variable, say) can be checked and converted with {@link parseDuration}.
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
 * `'unhealthy'`. A throw, a rejection or running past the timeout counts as a failure.
 */
export type HealthCheckResult = boolean | HealthStatus;

/** Second argument of a health check. */
export interface HealthCheckContext {
  /** Aborted when the check runs past `healthCheck.timeout` or the orchestrator disconnects. */
  signal: AbortSignal;
  /** Name of the connection being checked. */
  name: string;
  /** Which try this is; it goes up with each retry of the same check. */
  attempt: number;
}

/** A health check for one connection; receives that connection's client. */
export type HealthCheckFn<C> = (
  client: C,
  ctx: HealthCheckContext,
) => HealthCheckResult | Promise<HealthCheckResult>;

/** Periodic health monitoring. Checks for all connections run in parallel. */
export interface HealthCheckConfig<T> {
  /** Time between two rounds of checks. Default `'30s'`. */
  interval?: Duration;
  /** A check that takes longer than this fails. Default `'5s'`. */
  timeout?: Duration;
  /** Retries before a connection is declared `'unhealthy'`. Default `{ retries: 0, delay: '1s' }`. */
  retry?: {
    /** Extra tries after a failed check. Default `0`. */
    retries?: number;
    /** Wait between two tries. Default `'1s'`. */
    delay?: Duration;
  };
  /** One check per connection name; each receives that connection's client. */
  checks?: { [K in keyof T]?: HealthCheckFn<T[K]> };
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
   * Decides whether an error counts against the connection's health. Default
   * {@link defaultIsFailure}: everything except the caller's own SQL, data and
   * constraint errors counts.
   */
  isFailure?: (error: unknown) => boolean;
  /**
   * An external breaker (opossum, cockatiel) to use instead of the built-in one:
   * one instance shared by all connections, or a function that returns the breaker
   * for a connection name.
   */
  use?: ExternalCircuitBreaker | ((name: string) => ExternalCircuitBreaker);
}

// ---------------------------------------------------------------------------
// Configuration

/**
 * For each primary, the connection (or ordered list of connections) to route to
 * while the primary is unhealthy or its circuit is open. The first usable backup
 * wins. Backups should hold the same kind of client as their primary: `execute()`
 * and `get()` type the client as the primary's.
 */
export type FailoverConfig<T> = {
  [K in keyof T]?:
    | Exclude<keyof T & string, K>
    | ReadonlyArray<Exclude<keyof T & string, K>>;
};

/** Options of `new Orchestrator(config)`. An unknown key is rejected with a {@link ConfigError}. */
export interface OrchestratorConfig<T extends Record<string, any>> {
  /** The clients to orchestrate, by name: `{ primary: pool, cache: redis }`. None may be `null` or `undefined`. */
  connections: T;
  /** Backups by primary name: `{ primary: 'replica' }` or `{ primary: ['replica', 'standby'] }`. */
  failover?: FailoverConfig<T>;
  /** Periodic health checks. */
  healthCheck?: HealthCheckConfig<T>;
  /**
   * Circuit breaker settings; the built-in breaker with its defaults when omitted.
   * `false` turns circuit breaking off (stats then report the circuit as `'n/a'`).
   */
  circuitBreaker?: CircuitBreakerConfig | false;
  /** A {@link ManualClock} that drives every timer, for tests. Default: real time. */
  clock?: ManualClock;
}

// ---------------------------------------------------------------------------
// execute()

/** Options of {@link Orchestrator.execute}. */
export interface ExecuteOptions {
  /**
   * Rejects with a {@link TimeoutError} once `fn` runs longer than this, counts a
   * failure and aborts `ctx.signal`. No timeout when omitted.
   */
  timeout?: Duration;
  /** The caller's own signal; aborting it aborts `ctx.signal`. */
  signal?: AbortSignal;
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
  /** Circuit state, or `'n/a'` when `circuitBreaker: false`. */
  circuit: CircuitState | 'n/a';
  /** Consecutive failures counted against the connection. */
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
  /** Clock time of the change, in ms. */
  timestamp: number;
}

/** Per-connection detail returned by {@link Orchestrator.metrics}. */
export interface ConnectionMetrics extends ConnectionStats {
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  /** Clock time of the last health check, in ms, or `null` before the first. */
  lastCheckAt: number | null;
  /** Message of the most recent failure, or `null`. */
  lastError: string | null;
  /** Health status changes, oldest first. */
  transitions: HealthTransition[];
}

// ---------------------------------------------------------------------------
// Events

/** Payload of `connected` and `disconnected`, emitted once per connection. */
export interface ConnectionEvent {
  name: string;
  timestamp: number;
}

/** Payload of `health:changed`, emitted on every status change. */
export interface HealthChangedEvent {
  name: string;
  previous: HealthStatus;
  current: HealthStatus;
  timestamp: number;
  /** Why the check failed, when it did. */
  error?: string;
}

/** Payload of `circuit:open`. */
export interface CircuitOpenEvent {
  name: string;
  reason: 'failure-threshold' | 'half-open-failure' | 'health-check-failed' | 'external';
  timestamp: number;
}

/** Payload of `circuit:half-open`. */
export interface CircuitHalfOpenEvent {
  name: string;
  timestamp: number;
}

/** Payload of `circuit:close`, emitted only on a real transition to closed. */
export interface CircuitCloseEvent {
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
 * check never throws into the application.
 */
export interface OrchestratorErrorEvent {
  /** The connection concerned, or `null` when none is. */
  name: string | null;
  /** The original error. */
  error: unknown;
  /** Where it happened. */
  context: 'health-check' | 'disconnect' | 'listener' | 'external-breaker';
  message: string;
  timestamp: number;
}

/** Payload of `shutdown`, emitted when a signal registered by `shutdownOnSignal()` arrives. */
export interface ShutdownEvent {
  signal: string;
  timestamp: number;
}

/** Every event an {@link Orchestrator} emits, with its payload. Timestamps are clock time in ms. */
export interface OrchestratorEvents {
  connected: ConnectionEvent;
  disconnected: ConnectionEvent;
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
  /** Longest wait for `disconnect()` before giving up on it. */
  timeout?: Duration;
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
   * {@link CircuitOpenError} when the circuit is open (without calling `fn`) and
   * {@link TimeoutError} past `options.timeout`.
   */
  execute<K extends ConnectionName<T>, R>(
    name: K,
    fn: (client: T[K], ctx: ExecuteContext) => R | PromiseLike<R>,
    options?: ExecuteOptions,
  ): Promise<Awaited<R>>;

  /**
   * Returns the client of `name`, or of its backup while failed over, without
   * recording any outcome; prefer {@link Orchestrator.execute}. Throws a
   * {@link CircuitOpenError} when that connection's circuit is open. An unknown
   * name returns `undefined`.
   */
  get<K extends ConnectionName<T>>(name: K): T[K];

  /** Starts health monitoring and emits `connected` per connection. Idempotent. */
  connect(): Promise<void>;

  /**
   * Stops monitoring and closes each client through the first of `end`, `close`,
   * `quit`, `disconnect`, `$disconnect` it has, then emits `disconnected` per
   * connection. Idempotent. A close error becomes an `error` event, never a rejection.
   */
  disconnect(): Promise<void>;

  /** Whether `connect()` has run and `disconnect()` has not. */
  isConnected(): boolean;

  /** Names of all connections. */
  list(): Array<ConnectionName<T>>;

  /** Whether `name` is a configured connection. */
  has(name: string): name is ConnectionName<T>;

  /** Number of connections. */
  size(): number;

  /** `{ status, circuit, failures, failoverTo }` for each connection. */
  getStats(): Record<ConnectionName<T>, ConnectionStats>;

  /** `{ status, failoverTo? }` for each connection. */
  health(): Record<ConnectionName<T>, ConnectionHealth>;

  /** Stats plus counters, last check, last error and health history for each connection. */
  metrics(): Record<ConnectionName<T>, ConnectionMetrics>;

  /** Records a success for `name`, for calls made on a client from `get()`. */
  recordSuccess(name: ConnectionName<T>): void;

  /** Records a failure for `name`, for calls made on a client from `get()`. */
  recordFailure(name: ConnectionName<T>, error?: unknown): void;

  /**
   * On the first of `signals` (default `SIGTERM`, `SIGINT`), emits `shutdown`,
   * disconnects once and, unless `exitProcess: false`, exits with `exitCode`
   * (default `0`). Concurrent signals disconnect only once, and calling it again does
   * not pile up handlers. Returns a function that removes them.
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
 * A clock driven by hand, for tests: pass it as `config.clock` and every timer
 * (health checks, circuit reset, retry delays, timeouts) waits for `advance()`.
 */
export declare class ManualClock {
  /** @param startMs Initial time in ms. */
  constructor(startMs?: number);
  /** Current time in ms. */
  now(): number;
  /** Moves time forward by `by`, running every timer due by then and letting promises settle between them. */
  advance(by: Duration): Promise<void>;
}

// ---------------------------------------------------------------------------
// Errors

/** The `code` of every error omnidb throws. */
export type OmniDbErrorCode =
  | 'OMNIDB_INVALID_CONFIG'
  | 'OMNIDB_CIRCUIT_OPEN'
  | 'OMNIDB_TIMEOUT'
  | 'OMNIDB_UNKNOWN_CONNECTION';

/** Base class of every error omnidb throws; tell them apart by `code` or `instanceof`. */
export declare class OmniDbError extends Error {
  constructor(message: string, code: string);
  /** Stable error code, such as `'OMNIDB_TIMEOUT'`. */
  readonly code: string;
}

/** Invalid configuration or duration (`code: 'OMNIDB_INVALID_CONFIG'`). */
export declare class ConfigError extends OmniDbError {
  constructor(message: string);
  readonly code: 'OMNIDB_INVALID_CONFIG';
}

/** The connection's circuit is open; the call was refused without reaching the client (`code: 'OMNIDB_CIRCUIT_OPEN'`). */
export declare class CircuitOpenError extends OmniDbError {
  constructor(connection: string, message?: string);
  readonly code: 'OMNIDB_CIRCUIT_OPEN';
  /** The connection whose circuit is open. */
  readonly connection: string;
}

/** `execute()` ran past `options.timeout` (`code: 'OMNIDB_TIMEOUT'`). */
export declare class TimeoutError extends OmniDbError {
  constructor(connection: string, timeout: number, message?: string);
  readonly code: 'OMNIDB_TIMEOUT';
  /** The connection the call ran on. */
  readonly connection: string;
  /** The timeout that passed, in ms. */
  readonly timeout: number;
}

/** `execute()` was given a name that is not a configured connection (`code: 'OMNIDB_UNKNOWN_CONNECTION'`). */
export declare class UnknownConnectionError extends OmniDbError {
  constructor(connection: string, available: string[], message?: string);
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
 * Accepts any string so that values read at run time can be checked; throws a
 * {@link ConfigError} when it is not a valid positive duration.
 */
export declare function parseDuration(value: Duration | string): number;

/**
 * The default `circuitBreaker.isFailure`: `false` for errors that are the caller's
 * own fault (SQL syntax, data and constraint errors: PostgreSQL SQLSTATE classes 22,
 * 23, 42 and their MySQL counterparts), `true` for everything else, unknown errors
 * included.
 */
export declare function defaultIsFailure(error: unknown): boolean;
