'use strict';
// The public class. State lives in the C++ core; this file is its JS face.
//
// The hot path of execute() reads the core's state table (an Int32Array the core
// writes in place) and calls no native method when the connection is closed and
// has no failures to clear: the routing and circuit checks are two array reads.
// Only outcomes that change state cross into C++.
const { EventEmitter } = require('events');
const diagnostics = require('diagnostics_channel');
const { performance } = require('perf_hooks');
const { CallMetrics, BOUNDS_MS, formatFamilies, collectors, Counter } = require('./metrics');
const { NativeOrchestrator } = require('./native');
const { normalizeConfig, parseDuration, describe, readExecuteOptions } = require('./options');
const { safeGet, safeMessage, safeString, setOwn } = require('./safe');
const { defaultIsFailure, isConnectionError } = require('./classify');
const { ExternalBreaker } = require('./external-breaker');
const { PROBE } = require('./probes');
const {
  OmniDbError, ConfigError, CircuitOpenError, TimeoutError, UnknownConnectionError,
} = require('./errors');
const {
  Slot, Circuit, CIRCUIT_NAMES, HEALTH_NAMES, Outcome, REASONS, EventType,
} = require('./constants');

const ROUTE = Slot.ROUTE;
const CIRCUIT = Slot.CIRCUIT;
const FAILURES = Slot.FAILURES;
const SLOTS = Slot.COUNT;
const CLOSED = Circuit.CLOSED;

// diagnostics_channel tracing of execute(), as Node's own clients publish:
// tracing:omnidb:execute:{start,end,asyncStart,asyncEnd,error}. Checked with one
// hasSubscribers read per call; nothing is allocated or published unless someone
// subscribes.
const TRACE = diagnostics.tracingChannel('omnidb:execute');
const TRACE_START = TRACE.start;

// A native promise is observed through the intrinsic then(), never its own `then`
// property (which a caller's object may have replaced with a throwing getter).
const promiseThen = Promise.prototype.then;

// The signal handed to calls that have no timeout and no caller signal: it never aborts.
const NEVER = new AbortController().signal;

// Close methods tried on each client at disconnect(), in the contract's order
// (destroy() closes Kysely and Knex).
const CLOSE_METHODS = ['end', 'close', 'quit', 'disconnect', 'destroy', '$disconnect'];

/** Runs the user's breaker code at construction; a throw is a ConfigError naming it. */
function userCode(name, what, fn) {
  try {
    return fn();
  } catch (err) {
    throw new ConfigError(`Invalid circuitBreaker.use: ${what} for "${name}" threw: ${safeMessage(err)}`, { cause: err });
  }
}

class Orchestrator extends EventEmitter {
  #names;
  #ids;
  #clients;
  #contexts;
  #onSettled; // per connection: outcome observers of the happy path, bound once
  #onRejected;
  #onSampledSettled; // per connection: the same, for the one timed call in flight
  #onSampledRejected;
  #untraced = false; // see execute()
  #calls; // m.calls and m.mask, read straight off `this` on the hot path
  #mask;
  #m; // CallMetrics: counters and the sampled latency histogram (lib/metrics.js)
  #state;
  #native;
  #checks;
  #isFailure;
  #external = null; // per connection: ExternalBreaker, or null when built-in
  #guarded = false; // external breaker or disconnected: every call takes the checked path
  #externalReason;
  #breakerEnabled;
  #clock;
  #closeTimeout;
  #inflight = new Map(); // check token -> { id, controller }
  #lastCheckError;
  #checkInfo; // per connection: { latencyMs, role, lagMs } of the last result object, or null
  #firstRound = null;
  #connected = false;
  #started = false; // connect() was called: disconnect() then reports each connection
  #connecting = null;
  #disconnecting = null;
  #disconnected = false;
  #shutdown = null;

  /**
   * @param {object} config see README "Configuration"; validated here, throws ConfigError
   */
  constructor(config) {
    super();
    const opts = normalizeConfig(config);
    this.#names = opts.names;
    this.#ids = new Map(opts.names.map((n, i) => [n, i]));
    this.#clients = opts.clients;
    this.#contexts = opts.names.map((name) => Object.freeze({ signal: NEVER, name }));
    this.#checks = opts.checks;
    this.#isFailure = opts.isFailure || defaultIsFailure;
    this.#breakerEnabled = opts.breakerEnabled;
    this.#clock = opts.clock;
    this.#closeTimeout = opts.closeTimeout;
    this.#lastCheckError = opts.names.map(() => null);
    this.#checkInfo = opts.names.map(() => null);
    this.#state = new Int32Array(opts.names.length * SLOTS);
    this.#native = new NativeOrchestrator(opts.native, this.#state,
      (type, conn, a, b, reason, token) => this.#dispatch(type, conn, a, b, reason, token),
      this.#clock !== null);
    this.#onSettled = opts.names.map((_, target) => () => {
      if (this.#state[target * SLOTS + FAILURES] !== 0) this.#native.recordSuccess(target, 0);
    });
    const m = new CallMetrics(opts.names.length, opts.sampleEvery);
    this.#m = m;
    this.#calls = m.calls;
    this.#mask = m.mask;
    this.#onRejected = opts.names.map((_, target) => (err) => { this.#callFailed(target, 0, err); });
    this.#onSampledSettled = opts.names.map((_, target) => () => {
      m.record(target, this.#time() - m.pending[target]);
      m.pending[target] = -1;
      if (this.#state[target * SLOTS + FAILURES] !== 0) this.#native.recordSuccess(target, 0);
    });
    this.#onSampledRejected = opts.names.map((_, target) => (err) => {
      m.record(target, this.#time() - m.pending[target]);
      m.pending[target] = -1;
      this.#callFailed(target, 0, err);
    });
    this.#externalReason = opts.names.map(() => null);
    if (opts.external !== null) {
      this.#attachExternal(opts.external); // may throw: before anything outside this object refers to it
      this.#guarded = true;
    }
    if (this.#clock !== null) this.#clock._attach(this.#native);
  }

  // ---------------------------------------------------------------- calls

  /**
   * Runs `fn(client, { signal, name })` on the connection `name` resolves to after
   * failover, guarded by its circuit breaker, and records the outcome.
   * @param {string} name
   * @param {(client: unknown, ctx: { signal: AbortSignal, name: string }) => unknown} fn
   * @param {{ timeout?: string|number, signal?: AbortSignal }} [options]
   * @returns {Promise<unknown>} fn's result; fn's own error, unwrapped, when it fails
   */
  execute(name, fn, options) {
    if (TRACE_START.hasSubscribers) {
      // #executeTraced calls back in here with #untraced set: consumed at once, so
      // calls fn makes synchronously are traced in their own right.
      if (!this.#untraced) return this.#executeTraced(name, fn, options);
      this.#untraced = false;
    }
    const id = this.#ids.get(name);
    // One flag covers what every call would otherwise test: an external breaker, or
    // a disconnected orchestrator.
    if (id === undefined || options !== undefined || this.#guarded || typeof fn !== 'function') {
      return this.#executeChecked(id, name, fn, options);
    }
    const state = this.#state;
    const target = state[id * SLOTS + ROUTE];
    const row = target * SLOTS;
    if (state[row + CIRCUIT] !== CLOSED) return this.#executeGuarded(id, target, fn, undefined);
    // The one metrics increment; one call in sampleEvery takes the timed twin below.
    // (This method stays under V8's inlining size limit: the rarer branches are calls.)
    if ((++this.#calls[target] & this.#mask) === 0) return this.#executeSampled(target, fn);
    let result;
    try {
      result = fn(this.#clients[target], this.#contexts[target]);
      // Inside the try: instanceof runs a Proxy's getPrototypeOf trap, and then() throws
      // for an object that only inherits from Promise.prototype; either is a failed call.
      if (!(result instanceof Promise)) return this.#notPromise(target, result);
      // The caller awaits fn's own promise: no extra tick. The outcome is observed by a
      // side reaction registered first, so the state is updated before the caller
      // resumes. A success only needs reporting when there are failures to clear.
      promiseThen.call(result, state[row + FAILURES] !== 0 ? this.#onSettled[target] : undefined, this.#onRejected[target]);
    } catch (err) {
      return this.#thrown(target, err);
    }
    return result;
  }

  // The happy path's fn threw synchronously.
  #thrown(target, err) {
    this.#callFailed(target, 0, err);
    return Promise.reject(err);
  }

  // The happy path's fn returned a plain value or a foreign thenable. Reading `then`
  // can throw (a getter, a Proxy, a revoked Proxy): as awaiting it would, that rejects
  // the call with the thrown value.
  #notPromise(target, result) {
    let then;
    if (result !== null && (typeof result === 'object' || typeof result === 'function')) {
      try {
        then = result.then;
      } catch (err) {
        return this.#thrown(target, err);
      }
    }
    if (typeof then !== 'function') {
      if (this.#state[target * SLOTS + FAILURES] !== 0) this.#native.recordSuccess(target, 0);
      return Promise.resolve(result);
    }
    const adopted = Promise.resolve(result); // a foreign thenable, adopted
    adopted.then(this.#state[target * SLOTS + FAILURES] !== 0 ? this.#onSettled[target] : undefined, this.#onRejected[target]);
    return adopted;
  }

  // The happy path for a call due for a latency sample: timed from before fn to its
  // outcome, with the same single side reaction. Untimed while the previous sample
  // of this connection is still in flight.
  #executeSampled(target, fn) {
    const m = this.#m;
    if (m.pending[target] >= 0) return this.#executeUntimed(target, fn);
    const start = this.#time();
    let result;
    try {
      result = fn(this.#clients[target], this.#contexts[target]);
      // Inspecting the result is inside the try too (see execute()).
      if (!(result instanceof Promise)) {
        const then = result !== null && (typeof result === 'object' || typeof result === 'function') ? result.then : undefined;
        if (typeof then !== 'function') {
          m.record(target, this.#time() - start);
          return this.#notPromise(target, result);
        }
        result = Promise.resolve(result);
      }
      promiseThen.call(result, this.#onSampledSettled[target], this.#onSampledRejected[target]);
    } catch (err) {
      m.record(target, this.#time() - start);
      return this.#thrown(target, err);
    }
    m.pending[target] = start;
    return result;
  }

  #executeUntimed(target, fn) {
    let result;
    try {
      result = fn(this.#clients[target], this.#contexts[target]);
      if (!(result instanceof Promise)) return this.#notPromise(target, result); // inside the try: see execute()
      promiseThen.call(result, this.#state[target * SLOTS + FAILURES] !== 0 ? this.#onSettled[target] : undefined, this.#onRejected[target]);
    } catch (err) {
      return this.#thrown(target, err);
    }
    return result;
  }

  // execute() with subscribers on tracing:omnidb:execute:*. The context names the
  // connection asked for and the one the call is routed to.
  #executeTraced(name, fn, options) {
    const id = this.#ids.get(name);
    let target = null;
    if (id !== undefined) {
      // Read without letting a getter throw: execute() itself rejects bad options.
      const pinned = options !== null && typeof options === 'object' && safeGet(options, 'failover') === false;
      target = this.#names[pinned ? id : this.#state[id * SLOTS + ROUTE]];
    }
    const context = { name, target, failover: target !== null && target !== name };
    return TRACE.tracePromise(this.#executeUntraced, context, this, name, fn, options);
  }

  #executeUntraced(name, fn, options) {
    this.#untraced = true;
    return this.execute(name, fn, options);
  }

  #executeChecked(id, name, fn, options) {
    if (id === undefined || typeof fn !== 'function' || this.#disconnected) {
      return Promise.reject(this.#badCall(name, fn));
    }
    // The options are read once, here, into a plain object: a getter or Proxy that
    // throws becomes a rejection (never a synchronous throw), and #executeGuarded
    // (whose own checks then only see that object) reads nothing the caller owns.
    let opts;
    if (options !== undefined) {
      try {
        opts = readExecuteOptions(options);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    // failover: false pins the call to `name` itself (a write must not reach a replica).
    const pinned = opts !== undefined && opts.failover === false;
    return this.#executeGuarded(id, pinned ? id : this.#state[id * SLOTS + ROUTE], fn, opts);
  }

  // Everything off the happy path: circuit not closed, external breaker, timeout or signal.
  async #executeGuarded(id, target, fn, options) {
    let timeout = 0;
    let callerSignal = null;
    let idempotent = false;
    if (options !== undefined) {
      if (options === null || typeof options !== 'object') {
        throw new OmniDbError(`Invalid execute() options: expected an object but received ${describe(options)}`, 'OMNIDB_INVALID_ARGUMENT');
      }
      if (options.timeout !== undefined) timeout = parseDuration(options.timeout, 'execute() options.timeout');
      if (options.signal !== undefined) {
        if (!(options.signal instanceof AbortSignal)) {
          throw new OmniDbError(`Invalid execute() options.signal: expected an AbortSignal but received ${describe(options.signal)}`, 'OMNIDB_INVALID_ARGUMENT');
        }
        callerSignal = options.signal;
        callerSignal.throwIfAborted();
      }
      if (options.idempotent !== undefined) {
        if (typeof options.idempotent !== 'boolean') {
          throw new OmniDbError(`Invalid execute() options.idempotent: expected a boolean but received ${describe(options.idempotent)}`, 'OMNIDB_INVALID_ARGUMENT');
        }
        idempotent = options.idempotent;
      }
      if (options.failover !== undefined && typeof options.failover !== 'boolean') {
        throw new OmniDbError(`Invalid execute() options.failover: expected a boolean but received ${describe(options.failover)}`, 'OMNIDB_INVALID_ARGUMENT');
      }
      if (options.failover === false) idempotent = false; // pinned: there is nowhere else to go
    }
    const external = this.#external !== null ? this.#external[target] : null;
    const m = this.#m;
    let trial = 0; // the core's ticket for a half-open trial call, 0 for an ordinary one
    if (external !== null) {
      if (external.state() === 'open') {
        m.count(target, Counter.REJECTIONS);
        throw new CircuitOpenError(this.#names[id], this.#names[target]);
      }
    } else {
      const circuit = this.#state[target * SLOTS + CIRCUIT];
      if (circuit !== CLOSED) {
        const ticket = circuit === Circuit.OPEN ? -1 : this.#native.acquire(target);
        if (ticket < 0) {
          m.count(target, Counter.REJECTIONS);
          throw new CircuitOpenError(this.#names[id], this.#names[target],
            circuit === Circuit.HALF_OPEN ? 'half-open, every trial call slot is taken' : undefined);
        }
        trial = ticket;
      }
    }

    // Admitted. Off the happy path a sample is a local start time: no pending limit.
    const start = (++m.calls[target] & m.mask) === 0 ? this.#time() : -1;
    const client = this.#clients[target];
    let ctx = this.#contexts[target];
    let controller = null;
    let timer = null;
    let onCallerAbort = null;
    let settle = null;
    const outcome = new Promise((resolve, reject) => { settle = { resolve, reject }; });
    if (timeout > 0 || callerSignal !== null) {
      controller = new AbortController();
      ctx = Object.freeze({ signal: controller.signal, name: this.#names[target] });
      if (timeout > 0) {
        timer = this.#setTimeout(() => {
          const err = new TimeoutError(this.#names[target], timeout);
          m.count(target, Counter.TIMEOUTS);
          controller.abort(err);
          settle.reject(err);
        }, timeout);
      }
      if (callerSignal !== null) {
        onCallerAbort = () => {
          controller.abort(callerSignal.reason);
          settle.reject(callerSignal.reason);
        };
        callerSignal.addEventListener('abort', onCallerAbort, { once: true });
      }
    }
    const run = () => fn(client, ctx);
    let call;
    try {
      call = Promise.resolve(external !== null ? external.run(run) : run());
    } catch (err) {
      call = Promise.reject(err);
    }
    // The intrinsic then(): fn's own promise may carry a throwing `then` getter, which
    // would leave `outcome` (and its timer) behind, to reject unhandled later.
    promiseThen.call(call, settle.resolve, settle.reject);
    let retryOn = -1;
    try {
      const value = await outcome;
      if (start >= 0) m.record(target, this.#time() - start);
      if (trial !== 0 || this.#state[target * SLOTS + FAILURES] !== 0) this.#native.recordSuccess(target, trial);
      return value;
    } catch (err) {
      if (external !== null && external.isOpenError(err)) {
        m.calls[target]--; // the external breaker refused it: a rejection, not a call
        m.count(target, Counter.REJECTIONS);
        throw new CircuitOpenError(this.#names[id], this.#names[target]);
      }
      if (start >= 0) m.record(target, this.#time() - start);
      if (callerSignal !== null && callerSignal.aborted && err === callerSignal.reason) {
        // The caller gave up: that says nothing about the database.
        m.count(target, Counter.CANCELLED);
        if (trial !== 0) this.#native.releaseTrial(target, trial);
        throw err;
      }
      this.#callFailed(target, trial, err);
      // An idempotent call that lost its connection runs once more where the name
      // routes now, if that is another usable connection.
      if (idempotent && isConnectionError(err)) retryOn = this.#native.fallback(id, target);
      if (retryOn < 0) throw err;
    } finally {
      if (timer !== null) this.#clearTimeout(timer);
      if (onCallerAbort !== null) callerSignal.removeEventListener('abort', onCallerAbort);
    }
    return this.#executeGuarded(id, retryOn, fn, { ...options, idempotent: false });
  }

  // A call made through execute() failed: counted, then classified.
  #callFailed(target, trial, err) {
    this.#m.count(target, Counter.FAILURES);
    this.#failed(target, trial, err);
  }

  #failed(target, trial, err) {
    let counts = true;
    try {
      counts = this.#isFailure(err) !== false;
    } catch {
      counts = true; // a broken classifier must not hide an outage
    }
    if (counts) {
      this.#native.recordFailure(target, trial);
    } else if (trial !== 0 || this.#state[target * SLOTS + FAILURES] !== 0) {
      // The database answered (with a complaint about the query): that is health.
      this.#native.recordSuccess(target, trial);
    }
  }

  #badCall(name, fn) {
    if (this.#disconnected) {
      return new OmniDbError(`Connection "${safeString(name)}" is unavailable: the orchestrator is disconnected`, 'OMNIDB_DISCONNECTED');
    }
    if (!this.#ids.has(name)) return new UnknownConnectionError(name, this.#names);
    return new OmniDbError(`Invalid execute() callback for "${name}": expected a function (client, { signal, name }) => result but received ${describe(fn)}`, 'OMNIDB_INVALID_ARGUMENT');
  }

  /**
   * The client that `name` resolves to after failover, for code that manages calls
   * itself (report outcomes with recordSuccess/recordFailure). Unknown name: undefined.
   * Throws CircuitOpenError when the resolved connection's circuit is open.
   */
  get(name) {
    const id = this.#ids.get(name);
    if (id === undefined) return undefined;
    const target = this.#state[id * SLOTS + ROUTE];
    if (this.#circuitName(target) === 'open') throw new CircuitOpenError(name, this.#names[target]);
    return this.#clients[target];
  }

  /** Records a successful call made outside execute() on `name` (after failover). */
  recordSuccess(name) {
    const target = this.#resolveForRecord(name);
    if (this.#external === null) this.#native.recordSuccess(target, 0);
  }

  /** Records a failed call made outside execute(); `error`, when given, goes through the classifier. */
  recordFailure(name, error) {
    const target = this.#resolveForRecord(name);
    if (this.#external !== null) return;
    if (arguments.length > 1) {
      this.#failed(target, 0, error);
    } else {
      this.#native.recordFailure(target, 0);
    }
  }

  #resolveForRecord(name) {
    const id = this.#ids.get(name);
    if (id === undefined) throw new UnknownConnectionError(name, this.#names);
    return this.#state[id * SLOTS + ROUTE];
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
    if (this.#connecting !== null) return this.#connecting;
    this.#started = true;
    this.#connecting = this.#connect();
    return this.#connecting;
  }

  async #connect() {
    const pending = [];
    this.#firstRound = pending;
    this.#native.start();
    this.#firstRound = null;
    await Promise.all(pending);
    if (this.#disconnected || this.#disconnecting !== null) return;
    this.#connected = true;
    this.#connecting = null;
    for (const name of this.#names) this.#emitSafe('connected', { name, timestamp: this.#now() });
  }

  /**
   * Stops monitoring and closes every client through the first of end(), close(),
   * quit(), disconnect(), destroy(), $disconnect() it has (each bounded by closeTimeout).
   * Never rejects: a close error becomes an 'error' event. Idempotent.
   */
  disconnect() {
    if (this.#disconnecting === null) this.#disconnecting = this.#disconnect();
    return this.#disconnecting;
  }

  async #disconnect() {
    this.#disconnected = true;
    this.#guarded = true;
    this.#connecting = null;
    this.#native.close();
    for (const check of this.#checks) if (check !== null && check[PROBE] !== undefined) check.close(); // native probes' kept connections
    if (this.#clock !== null) this.#clock._detach(this.#native);
    if (this.#external !== null) {
      for (const adapter of new Set(this.#external)) adapter.dispose();
    }
    const closed = new Set();
    await Promise.all(this.#clients.map(async (client, i) => {
      if (closed.has(client)) return;
      closed.add(client);
      await this.#closeClient(this.#names[i], client);
    }));
    this.#connected = false;
    // Nothing was connected before connect(): the clients are closed all the same
    // (a process that fails before connecting can exit), but nothing is reported.
    if (!this.#started) return;
    for (const name of this.#names) this.#emitSafe('disconnected', { name, timestamp: this.#now() });
  }

  async #closeClient(name, client) {
    let method;
    let close;
    let timer = null;
    try {
      // Reading the methods is inside the try: a getter that throws, a Proxy whose
      // traps throw or a revoked Proxy is a failed close (an 'error' event), and each
      // method is read once and called on the client.
      for (const m of CLOSE_METHODS) {
        const value = client[m];
        if (typeof value === 'function') {
          method = m;
          close = value;
          break;
        }
      }
      if (method === undefined) return;
      const closing = Promise.resolve().then(() => Reflect.apply(close, client, []));
      const limit = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new OmniDbError(
          `Closing "${name}" with ${method}() did not finish within ${this.#closeTimeout}ms`, 'OMNIDB_TIMEOUT')),
        this.#closeTimeout);
      });
      await Promise.race([closing, limit]);
    } catch (error) {
      this.#emitError(name, error, 'disconnect');
    } finally {
      if (timer !== null) clearTimeout(timer);
    }
  }

  /** True between a settled connect() and disconnect(). */
  isConnected() {
    return this.#connected;
  }

  /**
   * Disconnects once on SIGTERM/SIGINT (configurable), emits 'shutdown', then exits
   * with exitCode unless exitProcess is false. Returns a function that removes the
   * handlers. Calling it again replaces the previous registration.
   */
  shutdownOnSignal(options = {}) {
    if (options === null || typeof options !== 'object') {
      throw new OmniDbError(`Invalid shutdownOnSignal() options: expected an object but received ${describe(options)}`, 'OMNIDB_INVALID_ARGUMENT');
    }
    const { signals = ['SIGTERM', 'SIGINT'], exitCode = 0, exitProcess = true } = options;
    if (!Array.isArray(signals) || signals.length === 0 || !signals.every((s) => typeof s === 'string' && /^SIG[A-Z0-9]+$/.test(s))) {
      throw new OmniDbError(`Invalid shutdownOnSignal() signals: expected a non-empty array such as ['SIGTERM', 'SIGINT'] but received ${describe(signals)}`, 'OMNIDB_INVALID_ARGUMENT');
    }
    if (!Number.isInteger(exitCode)) {
      throw new OmniDbError(`Invalid shutdownOnSignal() exitCode: expected an integer but received ${describe(exitCode)}`, 'OMNIDB_INVALID_ARGUMENT');
    }
    if (this.#shutdown !== null) this.#shutdown.cleanup();
    let started = false;
    const handler = (signal) => {
      if (started) return;
      started = true;
      this.#emitSafe('shutdown', { signal, timestamp: this.#now() });
      this.disconnect().then(() => {
        if (exitProcess) process.exit(exitCode);
      });
    };
    for (const s of signals) process.on(s, handler);
    const cleanup = () => {
      for (const s of signals) process.removeListener(s, handler);
      if (this.#shutdown !== null && this.#shutdown.cleanup === cleanup) this.#shutdown = null;
    };
    this.#shutdown = { cleanup };
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

  /** The number of connections. */
  size() {
    return this.#names.length;
  }

  // ---------------------------------------------------------------- observability

  /** Per connection: `{ status, circuit, failures, failoverTo }`. */
  getStats() {
    const out = {};
    for (let i = 0; i < this.#names.length; i++) {
      // setOwn: a connection named '__proto__' is a key like any other.
      setOwn(out, this.#names[i], {
        status: HEALTH_NAMES[this.#state[i * SLOTS + Slot.HEALTH]],
        circuit: this.#circuitName(i),
        failures: this.#state[i * SLOTS + FAILURES],
        failoverTo: this.#failoverTo(i),
      });
    }
    return out;
  }

  /** Per connection: `{ status }`, plus `failoverTo` when it is failed over. */
  health() {
    const out = {};
    for (let i = 0; i < this.#names.length; i++) {
      const entry = { status: HEALTH_NAMES[this.#state[i * SLOTS + Slot.HEALTH]] };
      const to = this.#failoverTo(i);
      if (to !== null) entry.failoverTo = to;
      setOwn(out, this.#names[i], entry); // any name, '__proto__' included
    }
    return out;
  }

  /**
   * Richer per-connection figures: getStats() plus consecutive check results, the
   * last check time and error, the recent health transitions (oldest first), call
   * counts, sampled call latency, health-check latency and time in each circuit
   * state (see README "Metrics").
   */
  metrics() {
    const stats = this.getStats();
    const offset = this.#clock !== null ? 0 : Date.now() - this.#native.now();
    for (let i = 0; i < this.#names.length; i++) {
      const d = this.#native.details(i);
      Object.assign(stats[this.#names[i]], {
        consecutiveSuccesses: d.consecutiveSuccesses,
        consecutiveFailures: d.consecutiveFailures,
        lastCheckAt: d.lastCheckAt < 0 ? null : d.lastCheckAt + offset,
        lastError: d.lastError === '' ? null : d.lastError,
        transitions: d.transitions.map(([from, to, at]) => ({
          from: HEALTH_NAMES[from], to: HEALTH_NAMES[to], timestamp: at + offset,
        })),
        ...this.#m.snapshot(i),
        healthCheck: {
          checks: d.checks,
          timeouts: d.checkTimeouts,
          lastMs: d.checkLatencyLastMs < 0 ? null : d.checkLatencyLastMs,
          avgMs: d.checks === 0 ? null : d.checkLatencySumMs / d.checks,
          maxMs: d.checks === 0 ? null : d.checkLatencyMaxMs,
        },
        circuitTime: { closed: d.circuitMs[0], open: d.circuitMs[1], halfOpen: d.circuitMs[2] },
      });
      // Only for checks that return result objects (native probes): { latencyMs, role, lagMs }.
      if (this.#checkInfo[i] !== null) Object.assign(stats[this.#names[i]], this.#checkInfo[i]);
    }
    return stats;
  }

  /** The metrics in the Prometheus text exposition format (0.0.4), `omnidb_*` names. */
  prometheus() {
    return formatFamilies(this.#families());
  }

  /**
   * Metric objects for a prom-client Registry: `for (const m of db.prometheusCollector())
   * registry.registerMetric(m)`. They read this orchestrator at each scrape.
   */
  prometheusCollector() {
    return collectors(() => this.#families());
  }

  #families() {
    const n = this.#names.length;
    const m = this.#m;
    const details = this.#names.map((_, i) => this.#native.details(i));
    const per = (fn) => {
      const values = [];
      for (let i = 0; i < n; i++) fn(i, { connection: this.#names[i] }, values);
      return values;
    };
    const counter = (name, help, which) => ({
      name, help, type: 'counter',
      values: per((i, labels, out) => out.push({ labels, value: which(i) })),
    });
    const c = (which) => (i) => m.counters[i * 4 + which];
    const circuitStates = ['closed', 'open', 'half-open'];
    return [
      counter('omnidb_calls_total', 'Calls execute() admitted to the connection (ran fn).', (i) => m.calls[i]),
      counter('omnidb_call_failures_total', 'Admitted calls that threw or rejected, timeouts included.', c(Counter.FAILURES)),
      counter('omnidb_call_rejections_total', 'Calls refused by an open circuit (fn never ran).', c(Counter.REJECTIONS)),
      counter('omnidb_call_timeouts_total', 'Calls that hit their execute() timeout.', c(Counter.TIMEOUTS)),
      counter('omnidb_call_cancelled_total', "Calls aborted by the caller's signal.", c(Counter.CANCELLED)),
      {
        name: 'omnidb_call_duration_seconds',
        help: `Latency of execute() calls, sampled: one call in ${m.sampleEvery} per connection is timed.`,
        type: 'histogram',
        values: per((i, labels, out) => {
          const cumulative = m.cumulative(i);
          for (let b = 0; b < cumulative.length; b++) {
            const le = b < BOUNDS_MS.length ? String(BOUNDS_MS[b] / 1000) : '+Inf';
            out.push({ labels: { ...labels, le }, value: cumulative[b], metricName: 'omnidb_call_duration_seconds_bucket' });
          }
          out.push({ labels, value: m.sumMs[i] / 1000, metricName: 'omnidb_call_duration_seconds_sum' });
          out.push({ labels, value: cumulative[cumulative.length - 1], metricName: 'omnidb_call_duration_seconds_count' });
        }),
      },
      {
        name: 'omnidb_circuit_state',
        help: "1 for the connection's current circuit state ('n/a': no breaker), 0 for the others.",
        type: 'gauge',
        values: per((i, labels, out) => {
          const current = this.#circuitName(i);
          for (const state of circuitStates) out.push({ labels: { ...labels, state }, value: current === state ? 1 : 0 });
        }),
      },
      {
        name: 'omnidb_circuit_state_seconds_total',
        help: 'Time the connection\'s circuit has spent in each state.',
        type: 'counter',
        values: per((i, labels, out) => {
          for (let s = 0; s < 3; s++) out.push({ labels: { ...labels, state: circuitStates[s] }, value: details[i].circuitMs[s] / 1000 });
        }),
      },
      {
        name: 'omnidb_health_status',
        help: "1 for the connection's current health status, 0 for the others.",
        type: 'gauge',
        values: per((i, labels, out) => {
          const current = this.#state[i * SLOTS + Slot.HEALTH];
          for (let h = 0; h < HEALTH_NAMES.length; h++) out.push({ labels: { ...labels, status: HEALTH_NAMES[h] }, value: current === h ? 1 : 0 });
        }),
      },
      {
        name: 'omnidb_health_check_duration_seconds',
        help: 'Health check attempts, start to answer (a timeout counts its limit), millisecond resolution.',
        type: 'summary',
        values: per((i, labels, out) => {
          out.push({ labels, value: details[i].checkLatencySumMs / 1000, metricName: 'omnidb_health_check_duration_seconds_sum' });
          out.push({ labels, value: details[i].checks, metricName: 'omnidb_health_check_duration_seconds_count' });
        }),
      },
      counter('omnidb_health_check_timeouts_total', 'Health check attempts that timed out.', (i) => details[i].checkTimeouts),
      {
        name: 'omnidb_consecutive_failures',
        help: 'Consecutive failures counted by the circuit breaker.',
        type: 'gauge',
        values: per((i, labels, out) => out.push({ labels, value: this.#state[i * SLOTS + FAILURES] })),
      },
      {
        name: 'omnidb_failover_active',
        help: '1 while calls to the connection are routed to a backup.',
        type: 'gauge',
        values: per((i, labels, out) => out.push({ labels, value: this.#state[i * SLOTS + ROUTE] === i ? 0 : 1 })),
      },
    ];
  }

  #circuitName(i) {
    if (!this.#breakerEnabled) return 'n/a';
    if (this.#external !== null) return this.#external[i].state();
    return CIRCUIT_NAMES[this.#state[i * SLOTS + CIRCUIT]];
  }

  #failoverTo(i) {
    const route = this.#state[i * SLOTS + ROUTE];
    return route === i ? null : this.#names[route];
  }

  // ---------------------------------------------------------------- core events

  #dispatch(type, conn, a, b, reason, token) {
    switch (type) {
      case EventType.CHECK_START:
        this.#runCheck(conn, token, a);
        return;
      case EventType.CHECK_ABORT:
        this.#abortCheck(conn, token);
        return;
      case EventType.HEALTH_CHANGED: {
        const current = HEALTH_NAMES[b];
        const payload = { name: this.#names[conn], previous: HEALTH_NAMES[a], current, timestamp: this.#now() };
        if (current === 'unhealthy' && this.#lastCheckError[conn] !== null) payload.error = this.#lastCheckError[conn];
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
      case EventType.FAILOVER:
        this.#emitSafe('failover', { primary: this.#names[conn], backup: this.#names[a], timestamp: this.#now() });
        return;
      case EventType.RECOVERY:
        this.#emitSafe('recovery', { primary: this.#names[conn], backup: this.#names[a], timestamp: this.#now() });
        return;
      default:
    }
  }

  #runCheck(id, token, attempt) {
    const controller = new AbortController();
    const entry = { id, controller, release: null };
    this.#inflight.set(token, entry);
    // connect() waits for the first round: each of its checks releases it once,
    // whether it answers, times out, or is aborted by disconnect().
    if (this.#firstRound !== null) this.#firstRound.push(new Promise((resolve) => { entry.release = resolve; }));
    let result;
    try {
      result = Promise.resolve(this.#checks[id](this.#clients[id], { signal: controller.signal, name: this.#names[id], attempt }));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (value) => this.#finishCheck(id, token, value),
      (err) => this.#finishCheck(id, token, undefined, err === undefined ? new Error('Health check rejected with undefined') : err),
    );
  }

  #finishCheck(id, token, value, error) {
    const entry = this.#inflight.get(token);
    if (entry === undefined) return; // timed out or aborted: the core has moved on
    this.#inflight.delete(token);
    if (entry.release !== null) entry.release();
    let outcome;
    let message = '';
    if (error === undefined && value !== null && typeof value === 'object') {
      // A result object (native probes): `status` decides, as the string forms do.
      // It is read once; a getter or Proxy that throws fails the check as a throw does.
      let status;
      try {
        status = value.status;
      } catch (err) {
        error = err !== undefined ? err : new OmniDbError(`Health check for "${this.#names[id]}" returned a result whose status could not be read`, 'OMNIDB_INVALID_CHECK_RESULT');
      }
      if (typeof status === 'string') {
        const latencyMs = safeGet(value, 'latencyMs');
        const role = safeGet(value, 'role');
        const lagMs = safeGet(value, 'lagMs');
        this.#checkInfo[id] = {
          latencyMs: typeof latencyMs === 'number' ? latencyMs : null,
          role: typeof role === 'string' ? role : null,
          lagMs: typeof lagMs === 'number' ? lagMs : null,
        };
        const detail = status === 'unhealthy' ? safeGet(value, 'error') : undefined;
        if (typeof detail === 'string' && detail !== '') error = new OmniDbError(detail, 'OMNIDB_HEALTH_CHECK_FAILED');
        value = status;
      }
    }
    if (error !== undefined) {
      outcome = Outcome.FAILED;
      message = safeMessage(error);
    } else if (value === true || value === 'healthy') {
      outcome = Outcome.HEALTHY;
    } else if (value === 'degraded') {
      outcome = Outcome.DEGRADED;
    } else if (value === false || value === 'unhealthy') {
      outcome = Outcome.FAILED;
      message = `Health check for "${this.#names[id]}" reported ${value === false ? 'false' : "'unhealthy'"}`;
    } else {
      outcome = Outcome.FAILED;
      message = `Health check for "${this.#names[id]}" returned ${describe(value)}; expected true, false, 'healthy', 'degraded' or 'unhealthy'`;
      error = new OmniDbError(message, 'OMNIDB_INVALID_CHECK_RESULT');
    }
    if (outcome === Outcome.FAILED) {
      this.#lastCheckError[id] = message;
      this.#emitError(this.#names[id], error === undefined ? new OmniDbError(message, 'OMNIDB_HEALTH_CHECK_FAILED') : error, 'health-check');
    }
    if (!this.#disconnected) this.#native.reportCheck(id, token, outcome, message);
  }

  #abortCheck(id, token) {
    const entry = this.#inflight.get(token);
    if (entry === undefined) return;
    this.#inflight.delete(token);
    const name = this.#names[id];
    if (!this.#disconnected) {
      const err = new OmniDbError(`Health check for "${name}" timed out`, 'OMNIDB_TIMEOUT');
      this.#lastCheckError[id] = err.message;
      entry.controller.abort(err);
      this.#emitError(name, err, 'health-check');
    } else {
      entry.controller.abort(new OmniDbError('Orchestrator disconnected', 'OMNIDB_DISCONNECTED'));
    }
    if (entry.release !== null) entry.release();
  }

  #attachExternal(use) {
    const byBreaker = new Map();
    try {
      this.#external = this.#names.map((name, id) => this.#adapterFor(name, id, use, byBreaker));
    } catch (err) {
      // The constructor fails: take back the listeners already added to earlier breakers.
      for (const { adapter } of byBreaker.values()) {
        try {
          adapter.dispose();
        } catch {
          // the user's breaker will not let go: nothing more a failing constructor can do
        }
      }
      throw err;
    }
  }

  // The factory and the breaker's own methods (on(), onBreak()...) are the user's
  // code: a throw from them is a ConfigError from the constructor, with the cause.
  #adapterFor(name, id, use, byBreaker) {
    const breaker = typeof use === 'function' ? userCode(name, 'the factory use(name)', () => use(name)) : use;
    if (breaker === null || typeof breaker !== 'object' ||
        (typeof safeGet(breaker, 'execute') !== 'function' && typeof safeGet(breaker, 'fire') !== 'function')) {
      throw new ConfigError(`External circuit breaker must have execute() or fire() method ` +
        `(circuitBreaker.use("${name}") returned ${describe(breaker)})`);
    }
    let entry = byBreaker.get(breaker);
    if (entry === undefined) {
      // One breaker may serve several connections: its events speak for all of them.
      entry = { ids: [], adapter: null };
      entry.adapter = userCode(name, 'subscribing to the breaker',
        () => ExternalBreaker.wrap(breaker, (state) => this.#externalChanged(entry.ids, state)));
      byBreaker.set(breaker, entry);
    }
    entry.ids.push(id);
    return entry.adapter;
  }

  #externalChanged(ids, state) {
    if (this.#disconnected) return;
    const event = state === 'open' ? 'circuit:open' : state === 'half-open' ? 'circuit:half-open' : 'circuit:close';
    const circuit = state === 'open' ? Circuit.OPEN : state === 'half-open' ? Circuit.HALF_OPEN : CLOSED;
    for (const id of ids) {
      const payload = { name: this.#names[id], timestamp: this.#now() };
      if (state !== 'half-open') payload.reason = this.#externalReason[id] || 'external';
      this.#externalReason[id] = null;
      this.#native.setExternalCircuit(id, circuit);
      this.#emitSafe(event, payload);
    }
  }

  // Health drives an external breaker the way it drives the built-in one.
  #forceExternal(id, open) {
    this.#externalReason[id] = open ? 'health-check-failed' : 'health-recovered';
    if (open) this.#external[id].forceOpen();
    else this.#external[id].forceClose();
    this.#externalReason[id] = null;
  }

  // ---------------------------------------------------------------- plumbing

  // Call latency in ms: performance.now(), or the ManualClock when one is given.
  #time() {
    return this.#clock !== null ? this.#clock.now() : performance.now();
  }

  #now() {
    return this.#clock !== null ? this.#clock.now() : Date.now();
  }

  #setTimeout(fn, ms) {
    if (this.#clock !== null) return this.#clock._setTimeout(fn, ms);
    return setTimeout(fn, ms);
  }

  #clearTimeout(handle) {
    if (this.#clock !== null) this.#clock._clearTimeout(handle);
    else clearTimeout(handle);
  }

  // 'error' only when someone listens: a failed health check must never become an
  // ERR_UNHANDLED_ERROR thrown into the application.
  #emitError(name, error, context) {
    if (this.listenerCount('error') === 0) return;
    const message = safeMessage(error); // whatever was thrown: no message getter or toString may throw here
    this.#emitSafe('error', { name, error, context, message, timestamp: this.#now() });
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
