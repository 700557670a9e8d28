'use strict';
// The standalone CircuitBreaker, as omni-db documents it (`new CircuitBreaker(config)`,
// `execute(fn)`, manual `canExecute()`/`success()`/`failure()`): one C++
// omnidb::CircuitBreaker per instance, the same state machine as the Orchestrator's
// circuits, behind binding/native_circuit_breaker.cc.
//
// The hot path stays in JS. After every call the binding publishes state, failures,
// the opening's generation and the trials in flight into a small Int32Array, so
// `state`, `failures`, canExecute() and a call through a closed circuit only read
// it; JS calls in only when an outcome can change something (a failure; a success
// while failures are counted or the circuit is half-open; a half-open trial).
//
// open -> half-open runs on a timer armed with the global setTimeout looked up at
// each opening: Jest's and Vitest's fake timers fire it on advanceTimersByTime(),
// real time fires it otherwise, and it is unref'd, so an open breaker never keeps a
// process alive. Nothing here reads a clock.
const native = require('./native');
const { BreakerSlot, Circuit, CIRCUIT_NAMES } = require('./constants');
const { OmniDbError, ConfigError } = require('./errors');
const { circuitSettings, isPlainObject, snapshot, checkKeys, describe } = require('./options');

const STATE = BreakerSlot.STATE;
const FAILURES = BreakerSlot.FAILURES;
const GENERATION = BreakerSlot.GENERATION;
const TRIALS = BreakerSlot.TRIALS;
const CLOSED = Circuit.CLOSED;
const OPEN = Circuit.OPEN;
const HALF_OPEN = Circuit.HALF_OPEN;

const KNOWN = ['threshold', 'resetTimeout', 'halfOpenSuccesses', 'halfOpenMaxCalls'];
const OPEN_MESSAGE = 'Circuit breaker is OPEN';

// fn's promise is observed with the intrinsic then(), whatever its own `then` is.
const then = Promise.prototype.then;

function readConfig(config) {
  if (config === undefined) return circuitSettings(Object.create(null), 'CircuitBreaker');
  if (!isPlainObject(config)) {
    throw new ConfigError('Invalid CircuitBreaker config: expected an object such as ' +
      `{ threshold: 5, resetTimeout: '30s', halfOpenSuccesses: 2 } but received ${describe(config)}`);
  }
  const snap = snapshot(config, 'CircuitBreaker config');
  checkKeys(snap, 'CircuitBreaker config', KNOWN);
  return circuitSettings(snap, 'CircuitBreaker');
}

function openError() {
  return new OmniDbError(OPEN_MESSAGE, 'OMNIDB_CIRCUIT_OPEN');
}

class CircuitBreaker {
  #native;
  #table = new Int32Array(BreakerSlot.COUNT);
  #resetTimeout;
  #maxTrials;
  #armed; // the generation whose reset timer is (or was) armed
  #timer = null;
  #clearTimer = null; // the clearTimeout of the setTimeout that armed #timer
  // Outcome handlers of ordinary calls, made once.
  #onOk = () => this.#succeeded(0);
  #onErr = () => this.#failed(0);

  /**
   * @param {{ threshold?: number, resetTimeout?: string|number, halfOpenSuccesses?: number,
   *   halfOpenMaxCalls?: number }} [config] `threshold` consecutive failures open it
   *   (default 5); it turns half-open after `resetTimeout` (default '30s'), admits up to
   *   `halfOpenMaxCalls` trial calls at once there (default `halfOpenSuccesses`), and
   *   closes after `halfOpenSuccesses` consecutive successes (default 2). Throws
   *   ConfigError naming a bad or unknown option.
   */
  constructor(config) {
    const settings = readConfig(config);
    this.#native = new native.NativeCircuitBreaker(settings, this.#table);
    this.#resetTimeout = settings.resetTimeout;
    this.#maxTrials = settings.halfOpenMaxCalls;
    this.#armed = this.#table[GENERATION];
  }

  /** 'closed', 'open' or 'half-open'. */
  get state() {
    return CIRCUIT_NAMES[this.#table[STATE]];
  }

  /** Consecutive failures since the last success or close. */
  get failures() {
    return this.#table[FAILURES];
  }

  /**
   * Runs `fn()` unless the circuit is open (or half-open with every trial slot taken),
   * records its outcome, and settles with `fn`'s own result or error, unchanged. A
   * refused call rejects with an OmniDbError (`code: 'OMNIDB_CIRCUIT_OPEN'`) whose
   * message is exactly 'Circuit breaker is OPEN', without calling `fn`.
   * @template T
   * @param {() => T | Promise<T>} fn
   * @returns {Promise<T>}
   */
  execute(fn) {
    if (typeof fn !== 'function') {
      return Promise.reject(new OmniDbError(`Invalid CircuitBreaker.execute() argument: expected a function but received ${describe(fn)}`,
        'OMNIDB_INVALID_ARGUMENT'));
    }
    const state = this.#table[STATE];
    if (state === CLOSED) return this.#run(fn, this.#onOk, this.#onErr);
    if (state === OPEN) return Promise.reject(openError());
    return this.#trial(fn);
  }

  // Half-open: the state machine hands out trial tickets, up to halfOpenMaxCalls.
  #trial(fn) {
    const ticket = this.#native.acquire();
    if (ticket < 0) return Promise.reject(openError());
    if (ticket === 0) return this.#run(fn, this.#onOk, this.#onErr);
    return this.#run(fn, () => this.#succeeded(ticket), () => this.#failed(ticket));
  }

  // The caller gets fn's own promise, observed by a reaction registered first, so
  // the state is updated before the caller resumes.
  #run(fn, onOk, onErr) {
    let result;
    try {
      result = fn();
      if (result instanceof Promise) {
        then.call(result, onOk, onErr);
        return result;
      }
    } catch (err) {
      onErr(err);
      return Promise.reject(err);
    }
    const p = Promise.resolve(result); // a plain value, or a thenable to adopt
    then.call(p, onOk, onErr);
    return p;
  }

  /**
   * Whether execute() would run a call now: closed, or half-open with a trial slot
   * free. Calls reported through success()/failure() take no trial slot.
   */
  canExecute() {
    const t = this.#table;
    return t[STATE] === CLOSED || (t[STATE] === HALF_OPEN && t[TRIALS] < this.#maxTrials);
  }

  /** Records a success of a call made without execute(). */
  success() {
    this.#succeeded(0);
  }

  /**
   * Records a failure of a call made without execute().
   * @returns {boolean} whether the circuit is open now
   */
  failure() {
    this.#failed(0);
    return this.#table[STATE] === OPEN;
  }

  /** Closes the circuit, whatever its state, and clears the failure count. */
  reset() {
    this.#native.reset();
    this.#sync();
  }

  /**
   * Opens the circuit now (again, if already open: the reset timer starts over); it
   * turns half-open after `resetTimeout`, as after failures.
   */
  open() {
    this.#native.open();
    this.#sync();
  }

  #succeeded(ticket) {
    const t = this.#table;
    // Closed with no failures counted: a success changes nothing, so nothing crosses.
    if (ticket !== 0 || t[FAILURES] !== 0 || t[STATE] === HALF_OPEN) this.#native.success(ticket);
  }

  #failed(ticket) {
    this.#native.failure(ticket);
    this.#sync();
  }

  // Arms the reset timer for a new opening; drops one the circuit no longer needs.
  #sync() {
    const t = this.#table;
    if (t[STATE] === OPEN) {
      if (t[GENERATION] !== this.#armed) this.#arm(t[GENERATION]);
    } else if (this.#timer !== null) {
      this.#disarm();
    }
  }

  #arm(generation) {
    this.#disarm();
    this.#armed = generation;
    const clear = globalThis.clearTimeout;
    const timer = globalThis.setTimeout(() => this.#resetTimerFired(generation), this.#resetTimeout);
    if (timer !== null && typeof timer === 'object' && typeof timer.unref === 'function') timer.unref();
    this.#timer = timer;
    this.#clearTimer = clear;
  }

  #disarm() {
    if (this.#timer === null) return;
    const timer = this.#timer;
    const clear = this.#clearTimer;
    this.#timer = null;
    this.#clearTimer = null;
    try {
      clear(timer);
    } catch {
      // A fake clock uninstalled since: its timer can no longer fire, and the
      // generation check would ignore it anyway.
    }
  }

  #resetTimerFired(generation) {
    this.#timer = null;
    this.#clearTimer = null;
    this.#native.resetTimer(generation);
  }
}

module.exports = { CircuitBreaker, OPEN_MESSAGE };
