'use strict';
// The public class. State lives in the C++ core; this file is its JS face and
// wires the parts together:
//   lib/call.js        execute(): routing, admission, deadlines, retries
//   lib/checks.js      running the health checks the core asks for
//   lib/lifecycle.js   closing clients, signal handlers
//   lib/stats.js       getStats(), health(), metrics(), Prometheus
// Core events (transitions, check requests) arrive in #dispatch.
const { EventEmitter } = require('events');
const { CallMetrics } = require('./metrics');
const { NativeOrchestrator } = require('./native');
const { normalizeConfig } = require('./options');
const { defaultIsFailure } = require('./classify');
const { attachBreakers } = require('./external-breaker');
const { PROBE } = require('./probes');
const { Calls } = require('./call');
const { HealthChecks, messageOf } = require('./checks');
const { Stats } = require('./stats');
const { closeClient, signalOptions, onSignals, watchClientErrors, uncheckedFailoverMessage } = require('./lifecycle');
const { hostClock } = require('./host-clock');
const { OmniDbError, CircuitOpenError, UnknownConnectionError } = require('./errors');
const { Slot, Circuit, HEALTH_NAMES, REASONS, EventType } = require('./constants');

const UNHEALTHY = HEALTH_NAMES.indexOf('unhealthy');
// The OMNIDB_NO_HEALTH_CHECK messages this process has emitted.
const warned = new Set();

class Orchestrator extends EventEmitter {
  #names;
  #ids;
  #clients;
  #native;
  #calls;
  #checks;
  #stats;
  #probes; // the native probes among the checks: their kept connections close at disconnect()
  #external = null; // per connection: ExternalBreaker adapter, or null when built-in
  #builtIn; // the built-in breaker is on (circuitBreaker: true or an object without `use`)
  #externalReason;
  #clock; // the ManualClock given, or null
  #time; // the clock everything runs on: that ManualClock or the host clock
  #closeTimeout;
  #connected = false;
  #connecting = null;
  #disconnecting = null;
  #disconnected = false;
  #shutdown = null; // the cleanup of shutdownOnSignal()'s handlers
  #state; // the core's state table (see Slot)
  #unwatch = null; // removes the 'error' listeners on the clients, while connected
  #hasCheck; // per connection: it has a health check
  #heldClientErrors = new Map(); // connection id -> client errors waiting for its check's verdict
  #uncheckedWarning; // the OMNIDB_NO_HEALTH_CHECK message, or null; emitted once

  /**
   * @param {object} config see README "Configuration"; validated here, throws ConfigError
   */
  constructor(config) {
    super();
    const opts = normalizeConfig(config);
    const names = opts.names;
    this.#names = names;
    this.#ids = new Map(names.map((n, i) => [n, i]));
    this.#clients = opts.clients;
    this.#clock = opts.clock;
    this.#closeTimeout = opts.closeTimeout;
    this.#builtIn = opts.native.circuit.enabled;
    this.#probes = opts.checks.filter((check) => check !== null && check[PROBE] !== undefined);
    this.#externalReason = names.map(() => null);
    const state = new Int32Array(names.length * Slot.COUNT);
    this.#state = state;
    this.#uncheckedWarning = uncheckedFailoverMessage(names, opts.native.backups, opts.native.hasCheck);
    const clock = this.#clock !== null ? this.#clock : hostClock;
    this.#time = clock;
    const now = () => clock.now();
    // The core's one wake-up: it says when (schedule), the clock fires it.
    const wakeup = clock._timer(() => this.#native.runDue(clock.now()));
    this.#native = new NativeOrchestrator(opts.native, state,
      (type, conn, a, b, reason, token) => this.#dispatch(type, conn, a, b, reason, token),
      (due, keepAlive) => {
        if (due < 0) wakeup.cancel();
        else wakeup.arm(due - clock.now(), keepAlive);
      },
      clock.now());
    const metrics = new CallMetrics(names.length, opts.sampleEvery);
    this.#calls = new Calls({
      names,
      ids: this.#ids,
      clients: opts.clients,
      state,
      native: this.#native,
      metrics,
      isFailure: opts.isFailure || defaultIsFailure,
      time: now,
      timer: (fn) => clock._timer(fn),
      exact: () => clock._exact(),
    });
    if (!this.#builtIn) this.#calls.uncounted();
    this.#checks = new HealthChecks({
      names,
      clients: opts.clients,
      checks: opts.checks,
      native: this.#native,
      now,
      retries: opts.native.health.retries,
      emitError: (name, error, context) => this.#emitError(name, error, context),
      onAlive: (id) => this.#calls.alive(id),
      onVerdict: (id) => this.#flushClientErrors(id),
    });
    this.#hasCheck = opts.native.hasCheck;
    this.#stats = new Stats({
      names, state, native: this.#native, metrics, clock: this.#clock, now, checks: this.#checks,
      breakerEnabled: opts.breakerEnabled,
    });
    if (opts.external !== null) {
      // May throw: before anything outside this object refers to it.
      this.#external = attachBreakers(names, opts.external, (ids, s) => this.#externalChanged(ids, s));
      this.#calls.useExternal(this.#external);
      this.#stats.external = this.#external;
    }
  }

  // ---------------------------------------------------------------- calls

  /**
   * Runs `fn(client, { signal, name })` on the connection `name` resolves to after
   * failover, guarded by its circuit breaker when one is configured, and records the
   * outcome.
   * @param {string} name
   * @param {(client: unknown, ctx: { signal: AbortSignal, name: string }) => unknown} fn
   * @param {{ timeout?: string|number, signal?: AbortSignal, idempotent?: boolean, failover?: boolean }} [options]
   * @returns {Promise<unknown>} fn's result; fn's own error, unwrapped, when it fails
   */
  execute(name, fn, options) {
    return this.#calls.execute(name, fn, options);
  }

  /**
   * The client that `name` resolves to after failover, for code that manages calls
   * itself (report outcomes with recordSuccess/recordFailure). Unknown name: undefined.
   * Throws CircuitOpenError when the resolved connection's circuit is open (never
   * without a breaker: its circuit is 'n/a').
   */
  get(name) {
    const target = this.#calls.resolve(name);
    if (target < 0) return undefined;
    if (this.#stats.circuitName(target) === 'open') throw new CircuitOpenError(name, this.#names[target]);
    return this.#clients[target];
  }

  /**
   * Records a successful call made outside execute() on `name` (after failover).
   * Does nothing without the built-in breaker (none configured, or an external one).
   */
  recordSuccess(name) {
    if (!this.#builtIn) return;
    const target = this.#resolveForRecord(name);
    this.#native.recordSuccess(target, 0, this.#time.now());
  }

  /**
   * Records a failed call made outside execute(); `error`, when given, goes through
   * the classifier. Does nothing without the built-in breaker.
   */
  recordFailure(name, error) {
    if (!this.#builtIn) return;
    const target = this.#resolveForRecord(name);
    if (arguments.length > 1) {
      this.#calls.failed(target, 0, error);
    } else {
      this.#native.recordFailure(target, 0, this.#time.now());
    }
  }

  #resolveForRecord(name) {
    const target = this.#calls.resolve(name);
    if (target < 0) throw new UnknownConnectionError(name, this.#names);
    return target;
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Starts health monitoring: runs a first round of checks at once and resolves when
   * it has settled (each check bounded by healthCheck.timeout). Idempotent.
   */
  connect() {
    if (this.#disconnected || this.#disconnecting !== null) {
      return Promise.reject(new OmniDbError('Cannot connect: the orchestrator is disconnected; create a new one', 'OMNIDB_DISCONNECTED'));
    }
    if (this.#connected) return Promise.resolve();
    if (this.#connecting === null) {
      if (this.#uncheckedWarning !== null) {
        // Once per process for the same connections, as Node warns of a deprecation once.
        if (!warned.has(this.#uncheckedWarning)) {
          warned.add(this.#uncheckedWarning);
          process.emitWarning(this.#uncheckedWarning, { code: 'OMNIDB_NO_HEALTH_CHECK' });
        }
        this.#uncheckedWarning = null;
      }
      if (this.#unwatch === null) this.#unwatch = watchClientErrors(this.#clients, (ids, error) => this.#clientError(ids, error));
      this.#connecting = this.#connect();
    }
    return this.#connecting;
  }

  // A client emitted 'error' (an idle pg client whose server was killed, a Redis client
  // losing its socket): an 'error' event, and a check of each connection it serves now,
  // unless that connection is already unhealthy (the rounds then watch it come back).
  // The check starts from a microtask: no user code runs inside the client's emit().
  // An idle client's 'error' (a killed server): an 'error' event, and a check of each
  // connection it serves at once. The event waits for that check's verdict, so the
  // transitions it causes come first: `await once(db, 'failover')` (which also
  // listens for 'error') sees the failover instead of rejecting on the client's error.
  #clientError(ids, error) {
    if (this.#disconnected) return;
    for (const id of ids) {
      if (!this.#hasCheck[id] || this.#state[id * Slot.COUNT + Slot.HEALTH] === UNHEALTHY) {
        this.#emitError(this.#names[id], error, 'client');
      } else {
        const held = this.#heldClientErrors.get(id);
        if (held === undefined) this.#heldClientErrors.set(id, [error]);
        else held.push(error);
      }
    }
    queueMicrotask(() => {
      for (const id of ids) {
        if (this.#disconnected) return; // a listener disconnected
        if (this.#state[id * Slot.COUNT + Slot.HEALTH] !== UNHEALTHY) this.#native.checkNow(id, this.#time.now());
      }
    });
  }

  #flushClientErrors(id) {
    const held = this.#heldClientErrors.get(id);
    if (held === undefined) return;
    this.#heldClientErrors.delete(id);
    for (const error of held) this.#emitError(this.#names[id], error, 'client');
  }

  async #connect() {
    await this.#checks.firstRound(() => this.#native.start(this.#time.now()));
    if (this.#disconnected || this.#disconnecting !== null) return;
    this.#connected = true;
    this.#connecting = null;
    for (const name of this.#names) this.#emitSafe('connected', { name, timestamp: this.#now() });
  }

  /**
   * Stops monitoring and closes every client (each bounded by closeTimeout).
   * Never rejects: a close error becomes an 'error' event. Idempotent.
   */
  disconnect() {
    if (this.#disconnecting === null) this.#disconnecting = this.#disconnect();
    return this.#disconnecting;
  }

  async #disconnect() {
    const wasConnected = this.#connected || this.#connecting !== null;
    this.#disconnected = true;
    this.#connecting = null;
    this.#calls.close();
    this.#checks.close();
    if (this.#shutdown !== null) this.#shutdown();
    try {
      this.#native.close();
    } catch (err) {
      this.#emitError(this.#names[0], err, 'disconnect');
    }
    for (const probe of this.#probes) {
      try {
        probe.close();
      } catch (err) {
        this.#emitError(this.#names[0], err, 'disconnect');
      }
    }
    if (this.#external !== null) {
      for (const adapter of new Set(this.#external)) {
        try {
          adapter.dispose();
        } catch (err) {
          this.#emitError(this.#names[0], err, 'disconnect');
        }
      }
    }
    const closed = new Set();
    await Promise.all(this.#clients.map((client, i) => {
      if (closed.has(client)) return undefined;
      closed.add(client);
      return closeClient(this.#names[i], client, this.#closeTimeout, (error) => this.#emitError(this.#names[i], error, 'disconnect'));
    }));
    // Only now: a client closing may still emit 'error' (an idle client cut off).
    if (this.#unwatch !== null) {
      this.#unwatch();
      this.#unwatch = null;
    }
    for (const id of [...this.#heldClientErrors.keys()]) this.#flushClientErrors(id); // no verdict is coming
    this.#connected = false;
    // Nothing was connected before connect(): no 'disconnected' then.
    if (wasConnected) for (const name of this.#names) this.#emitSafe('disconnected', { name, timestamp: this.#now() });
  }

  /**
   * True between a settled connect() and disconnect(). A read-only property: assigning
   * to it throws a TypeError in strict mode and changes nothing otherwise.
   */
  get isConnected() {
    return this.#connected;
  }

  /**
   * Disconnects once on SIGTERM/SIGINT (configurable), emits 'shutdown', then exits
   * with exitCode unless exitProcess is false. Returns a function that removes the
   * handlers; disconnect() removes them too. Calling it again replaces the previous
   * registration. The handler returns the promise of the shutdown.
   */
  shutdownOnSignal(options = {}) {
    const { signals, exitCode, exitProcess } = signalOptions(options);
    // After disconnect() there is nothing left to shut down, and nothing that would
    // remove the handlers again: register none.
    if (this.#disconnected) return () => {};
    if (this.#shutdown !== null) this.#shutdown();
    // While a signal's shutdown runs, the handlers stay: a second Ctrl-C or SIGTERM
    // then joins it instead of killing the process half-way (the default action of
    // a signal nobody handles). They go when it is done, before the exit.
    let signalled = false;
    const release = () => {
      remove();
      if (this.#shutdown === cleanup) this.#shutdown = null;
    };
    const remove = onSignals(signals, (signal) => {
      signalled = true;
      this.#emitSafe('shutdown', { signal, timestamp: this.#now() });
      return this.disconnect().then(() => {
        release();
        if (exitProcess) process.exit(exitCode);
      });
    });
    const cleanup = () => {
      if (!signalled) release();
    };
    this.#shutdown = cleanup;
    return cleanup;
  }

  // ---------------------------------------------------------------- registry

  /** Connection names, in config order. */
  list() {
    return this.#names.slice();
  }

  /** Whether a connection by that name exists. */
  has(name) {
    return this.#ids.has(name);
  }

  /** The number of connections. A read-only property, like isConnected. */
  get size() {
    return this.#names.length;
  }

  // ---------------------------------------------------------------- observability

  /** Per connection: `{ status, circuit, failures, failoverTo }`. */
  getStats() {
    return this.#stats.getStats();
  }

  /** Per connection: `{ status }`, plus `failoverTo` when it is failed over. */
  health() {
    return this.#stats.health();
  }

  /** getStats() plus the richer figures of README "Metrics". */
  metrics() {
    return this.#stats.metrics();
  }

  /** The metrics in the Prometheus text exposition format (0.0.4), `omnidb_*` names. */
  prometheus() {
    return this.#stats.prometheus();
  }

  /**
   * Metric objects for a prom-client Registry: `for (const m of db.prometheusCollector())
   * registry.registerMetric(m)`. They read this orchestrator at each scrape.
   */
  prometheusCollector() {
    return this.#stats.prometheusCollector();
  }

  // ---------------------------------------------------------------- core events

  #dispatch(type, conn, a, b, reason, token) {
    switch (type) {
      case EventType.CHECK_START:
        this.#checks.start(conn, token, a);
        return;
      case EventType.CHECK_ABORT:
        this.#checks.abort(conn, token);
        return;
      case EventType.HEALTH_CHANGED: {
        const current = HEALTH_NAMES[b];
        const payload = { name: this.#names[conn], previous: HEALTH_NAMES[a], current, timestamp: this.#now() };
        if (current === 'unhealthy' && this.#checks.lastError[conn] !== null) payload.error = this.#checks.lastError[conn];
        this.#emitSafe('health:changed', payload);
        if (this.#external !== null) {
          if (current === 'unhealthy') this.#forceExternal(conn, true);
          else if (HEALTH_NAMES[a] === 'unhealthy') this.#forceExternal(conn, false);
        }
        return;
      }
      case EventType.CIRCUIT_OPEN:
        this.#emitSafe('circuit:open', { name: this.#names[conn], reason: REASONS[reason], timestamp: this.#now() });
        return;
      case EventType.CIRCUIT_HALF_OPEN:
        this.#emitSafe('circuit:half-open', { name: this.#names[conn], timestamp: this.#now() });
        return;
      case EventType.CIRCUIT_CLOSE:
        this.#emitSafe('circuit:close', { name: this.#names[conn], reason: REASONS[reason], timestamp: this.#now() });
        return;
      case EventType.FAILOVER: {
        // In-flight idempotent calls on the connection left behind run again on the
        // backup: from a microtask, so no user code runs inside the core's flush.
        const from = b;
        queueMicrotask(() => this.#calls.movedOff(conn, from));
        this.#emitSafe('failover', { primary: this.#names[conn], backup: this.#names[a], timestamp: this.#now() });
        return;
      }
      case EventType.RECOVERY:
        this.#emitSafe('recovery', { primary: this.#names[conn], backup: this.#names[a], timestamp: this.#now() });
        return;
      default:
    }
  }

  #externalChanged(ids, state) {
    if (this.#disconnected) return;
    const event = state === 'open' ? 'circuit:open' : state === 'half-open' ? 'circuit:half-open' : 'circuit:close';
    const circuit = state === 'open' ? Circuit.OPEN : state === 'half-open' ? Circuit.HALF_OPEN : Circuit.CLOSED;
    for (const id of ids) {
      const payload = { name: this.#names[id], timestamp: this.#now() };
      if (state !== 'half-open') payload.reason = this.#externalReason[id] || 'external';
      this.#externalReason[id] = null;
      this.#native.setExternalCircuit(id, circuit, this.#time.now());
      this.#emitSafe(event, payload);
    }
  }

  // Health drives an external breaker the way it drives the built-in one.
  #forceExternal(id, open) {
    this.#externalReason[id] = open ? 'health-check-failed' : 'health-recovered';
    try {
      if (open) this.#external[id].forceOpen();
      else this.#external[id].forceClose();
    } catch (err) {
      this.#emitError(this.#names[id], err, 'circuit-breaker');
    } finally {
      this.#externalReason[id] = null;
    }
  }

  // ---------------------------------------------------------------- plumbing

  #now() {
    return this.#clock !== null ? this.#clock.now() : Date.now();
  }

  // 'error' only when someone listens: a failed health check must never become an
  // ERR_UNHANDLED_ERROR thrown into the application.
  #emitError(name, error, context) {
    if (this.listenerCount('error') === 0) return;
    this.#emitSafe('error', { name, error, context, message: messageOf(error), timestamp: this.#now() });
  }

  // A throwing listener must not leave the core half-way through a transition: its
  // error is rethrown on the next tick, where it reaches 'uncaughtException' exactly
  // as a throw from any other event listener would.
  #emitSafe(event, payload) {
    try {
      this.emit(event, payload);
    } catch (err) {
      process.nextTick(() => { throw err; });
    }
  }
}

module.exports = { Orchestrator };
