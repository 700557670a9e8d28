'use strict';
// The call mechanism: every execute() goes through here, whatever its options.
//
// A call is routed (failover), admitted (circuit), run, and its outcome recorded
// against the connection it ran on. What a call costs depends only on what it asks:
//   - plain, `{ failover: false }`, `{ idempotent: true }`: fn's own promise is
//     observed by one side reaction (or, for idempotent calls, chained to a retry
//     handler). Reading the options is synchronous field reads; nothing crosses
//     into C++ unless the state must change.
//   - a deadline (`timeout`), a caller `signal`, a half-open trial or an external
//     breaker: the call gets a record (a `Call`, which is also the `ctx` fn sees)
//     and a promise of its own, so it can settle without fn. Such calls in flight
//     and their deadlines live in lib/in-flight.js (one coarse ticker on real
//     timers, one exact timer under a ManualClock or fake timers); the AbortSignal
//     is created only if fn reads `ctx.signal`.
//
// Failure semantics (see CONTRACT.md "Routing and errors at call time"):
//   - a half-open connection gets only its admitted trial calls; every other call
//     to a name routed elsewhere goes to the backup;
//   - a deadline that passes while the connection answered other calls since the
//     call began fails alone: it counts nothing and is not retried. One that passes
//     with no sign of life from the connection counts as a failure and is a
//     connection error (the server stopped answering);
//   - idempotent calls retry once on the next usable connection after a connection
//     error, within the RetryBudget; when routing moves off a connection, its
//     in-flight idempotent calls are aborted and re-run on the backup at once.
const diagnostics = require('diagnostics_channel');
const { Slot, Circuit } = require('./constants');
const { Counter } = require('./metrics');
const { isConnectionError } = require('./classify');
const { parseDuration } = require('./options');
const { describe, printable, unknownKey, unknownKeyMessage } = require('./validate');
const { safeMessage } = require('./safe');
const { RetryBudget } = require('./retry-budget');
const { InFlight, TICK_MS } = require('./in-flight');
const {
  OmniDbError, CircuitOpenError, TimeoutError, UnknownConnectionError,
} = require('./errors');

const ROUTE = Slot.ROUTE;
const CIRCUIT = Slot.CIRCUIT;
const FAILURES = Slot.FAILURES;
const SLOTS = Slot.COUNT;
const CLOSED = Circuit.CLOSED;
const OPEN = Circuit.OPEN;
const HALF_OPEN = Circuit.HALF_OPEN;

const IDEMPOTENT = 1; // retry once elsewhere after a connection error
const PINNED = 2; // failover: false
const RETRIED = 4; // this attempt is the retry or the re-run: no further one

const KNOWN_OPTIONS = ['timeout', 'signal', 'idempotent', 'failover'];
const MAX_TIMEOUT = 7 * 24 * 3600 * 1000;

// diagnostics_channel tracing, as Node's own clients publish:
// tracing:omnidb:execute:{start,end,asyncStart,asyncEnd,error}. One hasSubscribers
// read per call; nothing is allocated unless someone subscribes.
const TRACE = diagnostics.tracingChannel('omnidb:execute');
const TRACE_START = TRACE.start;

// The signal of calls that cannot be aborted: it never fires.
const NEVER = new AbortController().signal;

// fn's promise is observed with the intrinsic then(): a Promise whose own `then`
// property is a throwing getter or a replacement is still awaited as a promise.
const then = Promise.prototype.then;

// new Promise(capture) hands its resolving functions over without a closure per call.
let capturedResolve = null;
let capturedReject = null;
function capture(resolve, reject) {
  capturedResolve = resolve;
  capturedReject = reject;
}

// The options of a call that needs no record: IDEMPOTENT/PINNED bits, or -1 when
// there is more to it (a deadline, a signal) or something to report (a bad value,
// an unknown key, a getter that throws): #withOptions then reads them in full.
// Plain field reads on the caller's literal, then one pass that counts its keys.
function flagsOf(options) {
  try {
    if (options === null || typeof options !== 'object') return -1;
    let flags = 0;
    let known = 0;
    const idempotent = options.idempotent;
    if (idempotent !== undefined) {
      if (idempotent === true) flags = IDEMPOTENT;
      else if (idempotent !== false) return -1;
      known++;
    }
    const failover = options.failover;
    if (failover !== undefined) {
      if (failover === false) flags = PINNED; // pinned: there is nowhere to retry
      else if (failover !== true) return -1;
      known++;
    }
    if (options.timeout !== undefined || options.signal !== undefined) return -1;
    for (const _key in options) if (--known < 0) return -1;
    return flags;
  } catch {
    return -1;
  }
}

// A real AbortSignal: brand-checked through its own `aborted` getter, which throws
// for anything that only inherits from AbortSignal.prototype.
const abortedGetter = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted').get;
function isSignal(value) {
  if (value === null || typeof value !== 'object') return false;
  try {
    abortedGetter.call(value);
    return true;
  } catch {
    return false;
  }
}

// Reading the options threw: name the option whose reading (or checking) threw.
function readError(options, err) {
  let where = 'options';
  for (const key of KNOWN_OPTIONS) {
    try {
      const v = options[key];
      if (key === 'signal' && v !== undefined && !isSignal(v)) throw err;
    } catch {
      where = `options.${key}`;
      break;
    }
  }
  return invalidArgument(`Invalid execute() ${where}: reading it threw: ${safeMessage(err)}`, err);
}

function invalidArgument(message, cause) {
  return new OmniDbError(message, 'OMNIDB_INVALID_ARGUMENT', cause === undefined ? undefined : { cause });
}

/**
 * One attempt of a call that needs a record: its deadline, its caller signal, its
 * trial ticket. It is also the `ctx` fn receives: `{ name, signal }`.
 */
class Call {
  constructor(id, target, name, fn, flags, timeout, callerSignal, trial) {
    this.name = name; // the connection this attempt runs on
    this.id = id; // the name asked for
    this.target = target;
    this.fn = fn;
    this.flags = flags;
    this.timeout = timeout;
    this.callerSignal = callerSignal;
    this.trial = trial;
    this.due = 0; // ms on the orchestrator's clock, 0: no deadline
    this.seq = 0; // see Calls#alive
    this.start = -1; // latency sample start, -1: not sampled
    this.done = false;
    this.resolve = null;
    this.reject = null;
    this.onCallerAbort = null;
    this.controller = null;
    this.prev = null; // in Calls' list of calls in flight
    this.next = null;
  }

  /** Created on first read: most calls never look. */
  get signal() {
    if (this.controller === null) this.controller = new AbortController();
    return this.controller.signal;
  }
}

/**
 * The `ctx` of idempotent calls without a record: its signal aborts when routing
 * moves off the connection, so a client that honours it gives the call back at once
 * and it re-runs on the backup.
 */
class RouteContext {
  constructor(calls, target, name) {
    this.name = name;
    this.target = target;
    this.calls = calls;
  }

  get signal() {
    return this.calls.routeSignal(this.target);
  }
}

class Calls {
  #names;
  #ids;
  #clients;
  #state;
  #native;
  #m;
  #calls; // m.calls and m.mask, read straight off `this` on the hot path
  #mask;
  #isFailure;
  #external = null;
  #time;
  #flight; // calls with a record in flight, and their deadlines (lib/in-flight.js)
  #contexts; // per connection: the frozen { signal: NEVER, name } of plain calls
  #routeContexts; // per connection: RouteContext
  #routeControllers; // per connection: AbortController of the idempotent calls on it, or null
  #routeEpoch; // per connection: bumped when routing moves off it
  #onOk; // per connection, bound once: the side reactions of the plain path
  #onErr;
  #onSampledOk;
  #onSampledErr;
  #watch; // per connection: calls with a deadline in flight (they need to see successes)
  #aliveSeq; // per connection: #seq when it last answered
  #seq = 0; // bumped by every call with a deadline
  #budget;
  #durations = new Map(); // timeout strings already parsed
  #untraced = false;
  #offPath = false; // external breaker or disconnected: every call takes the checked path
  #counting = true; // the built-in breaker is on: failures are recorded in the core
  #disconnected = false;

  constructor({ names, ids, clients, state, native, metrics, isFailure, time, timer, exact }) {
    this.#names = names;
    this.#ids = ids;
    this.#clients = clients;
    this.#state = state;
    this.#native = native;
    this.#m = metrics;
    this.#calls = metrics.calls;
    this.#mask = metrics.mask;
    this.#isFailure = isFailure;
    this.#time = time;
    const n = names.length;
    this.#contexts = names.map((name) => Object.freeze({ signal: NEVER, name }));
    this.#routeContexts = names.map((name, i) => new RouteContext(this, i, name));
    this.#routeControllers = names.map(() => null);
    this.#routeEpoch = new Int32Array(n);
    this.#watch = new Int32Array(n);
    this.#aliveSeq = new Float64Array(n).fill(-1);
    this.#budget = new RetryBudget(metrics.calls, time);
    this.#onOk = names.map((_, target) => () => this.#succeeded(target, 0));
    this.#onErr = names.map((_, target) => (err) => { this.#callFailed(target, 0, err); });
    const m = metrics;
    this.#onSampledOk = names.map((_, target) => () => {
      m.record(target, this.#time() - m.pending[target]);
      m.pending[target] = -1;
      this.#succeeded(target, 0);
    });
    this.#onSampledErr = names.map((_, target) => (err) => {
      m.record(target, this.#time() - m.pending[target]);
      m.pending[target] = -1;
      this.#callFailed(target, 0, err);
    });
    this.#flight = new InFlight({ time, timer, exact, onExpired: (call) => this.#timedOut(call) });
  }

  /** Calls run through these adapters (circuitBreaker.use). */
  useExternal(adapters) {
    this.#external = adapters;
    this.#offPath = true;
  }

  /** No built-in breaker (none configured, or an external one): no failure is recorded in the core. */
  uncounted() {
    this.#counting = false;
  }

  /** After disconnect(): every call rejects. */
  close() {
    this.#disconnected = true;
    this.#offPath = true;
  }

  get retryBudget() {
    return { retries: this.#budget.retries, refused: this.#budget.refused };
  }

  // ---------------------------------------------------------------- entry

  /** See Orchestrator#execute. Never throws: every outcome is a promise. */
  execute(name, fn, options) {
    if (TRACE_START.hasSubscribers) {
      // #traced calls back in here with #untraced set: consumed at once, so calls
      // fn makes synchronously are traced in their own right.
      if (!this.#untraced) return this.#traced(name, fn, options);
      this.#untraced = false;
    }
    const id = this.#ids.get(name);
    if (id === undefined || this.#offPath || typeof fn !== 'function') return this.#checked(id, name, fn, options);
    let flags = 0;
    if (options !== undefined) {
      flags = flagsOf(options);
      if (flags < 0) return this.#withOptions(id, fn, options); // a deadline, a signal, or something wrong
    }
    const state = this.#state;
    const target = (flags & PINNED) === 0 ? state[id * SLOTS + ROUTE] : id;
    const row = target * SLOTS;
    if (state[row + CIRCUIT] !== CLOSED || (target !== id && state[id * SLOTS + CIRCUIT] === HALF_OPEN)) {
      return this.#admit(id, target, fn, flags, 0, null);
    }
    if ((++this.#calls[target] & this.#mask) === 0) return this.#sampledStart(id, target, fn, flags);
    if ((flags & IDEMPOTENT) !== 0) return this.#idempotent(id, target, fn, flags);
    return this.#plain(target, fn, (state[row + FAILURES] | this.#watch[target]) !== 0 ? this.#onOk[target] : undefined);
  }

  // Reads the options: plain field reads on the caller's literal, then one pass
  // over its keys that only counts them. Anything odd goes to #badOptions.
  #withOptions(id, fn, options) {
    let flags = 0;
    let timeout = 0;
    let signal = null;
    try {
      if (options === null || typeof options !== 'object') return this.#badOptions(options);
      let known = 0;
      const idempotent = options.idempotent;
      if (idempotent !== undefined) {
        if (idempotent === true) flags = IDEMPOTENT;
        else if (idempotent !== false) return this.#badOptions(options);
        known++;
      }
      const failover = options.failover;
      if (failover !== undefined) {
        if (failover === false) flags = PINNED; // pinned: there is nowhere to retry
        else if (failover !== true) return this.#badOptions(options);
        known++;
      }
      const t = options.timeout;
      if (t !== undefined) {
        timeout = typeof t === 'number' && t > 0 && t <= MAX_TIMEOUT ? t : this.#duration(t);
        if (timeout <= 0) return this.#badOptions(options);
        known++;
      }
      const s = options.signal;
      if (s !== undefined) {
        if (!isSignal(s)) return this.#badOptions(options);
        signal = s;
        known++;
      }
      for (const key in options) {
        if (--known < 0) {
          const bad = this.#badOptions(options, key);
          if (bad !== null) return bad;
          break; // only inherited or undefined-valued keys were extra
        }
      }
    } catch (err) {
      return Promise.reject(readError(options, err));
    }
    // Checked after the keys: a typo is reported even with a signal already aborted.
    if (signal !== null && signal.aborted) return Promise.reject(signal.reason);
    return this.#route(id, fn, flags, timeout, signal);
  }

  #duration(value) {
    if (typeof value !== 'string') return -1;
    let ms = this.#durations.get(value);
    if (ms === undefined) {
      try {
        ms = parseDuration(value);
      } catch {
        ms = -1;
      }
      if (this.#durations.size >= 64) this.#durations.clear();
      this.#durations.set(value, ms);
    }
    return ms;
  }

  // The whole check, for the message: which key, what it should have been.
  #badOptions(options, key) {
    let message;
    try {
      if (options === null || typeof options !== 'object') {
        message = `Invalid execute() options: expected an object such as { idempotent: true, timeout: '5s' } but received ${describe(options)}`;
      } else {
        const unknown = unknownKey(options, KNOWN_OPTIONS, true);
        const { idempotent, failover, timeout, signal } = options;
        if (idempotent !== undefined && typeof idempotent !== 'boolean') {
          message = `Invalid execute() options.idempotent: expected a boolean but received ${describe(idempotent)}`;
        } else if (failover !== undefined && typeof failover !== 'boolean') {
          message = `Invalid execute() options.failover: expected a boolean but received ${describe(failover)}`;
        } else if (timeout !== undefined && !(typeof timeout === 'number' && timeout > 0 && timeout <= MAX_TIMEOUT) && this.#duration(timeout) <= 0) {
          message = `Invalid duration for execute() options.timeout: expected a positive duration such as '250ms', '5s' or a number of milliseconds (at most a week) but received ${describe(timeout)}`;
        } else if (signal !== undefined && !isSignal(signal)) {
          message = `Invalid execute() options.signal: expected an AbortSignal but received ${describe(signal)}`;
        } else if (unknown !== null) {
          message = `Invalid execute() options: ${unknownKeyMessage(unknown, 'execute() options', KNOWN_OPTIONS)}`;
        } else if (key !== undefined) {
          // Only inherited or undefined-valued keys were extra: nothing is wrong.
          return null;
        }
      }
    } catch (err) {
      return Promise.reject(readError(options, err));
    }
    if (message === undefined) return null;
    return Promise.reject(invalidArgument(message));
  }

  // execute() with subscribers on tracing:omnidb:execute:*. The context names the
  // connection asked for and the one the call is routed to.
  #traced(name, fn, options) {
    const id = this.#ids.get(name);
    let target = null;
    if (id !== undefined) {
      let pinned = false;
      try {
        pinned = options !== null && typeof options === 'object' && options.failover === false;
      } catch {
        // a throwing getter: execute() itself reports it
      }
      target = this.#names[pinned ? id : this.#state[id * SLOTS + ROUTE]];
    }
    const context = { name, target, failover: target !== null && target !== name };
    return TRACE.tracePromise(this.#untracedExecute, context, this, name, fn, options);
  }

  #untracedExecute(name, fn, options) {
    this.#untraced = true;
    return this.execute(name, fn, options);
  }

  // Unknown name, bad fn, disconnected, or an external breaker.
  #checked(id, name, fn, options) {
    if (this.#disconnected) {
      return Promise.reject(new OmniDbError(`Connection "${printable(name)}" is unavailable: the orchestrator is disconnected`, 'OMNIDB_DISCONNECTED'));
    }
    if (id === undefined) return Promise.reject(new UnknownConnectionError(name, this.#names));
    if (typeof fn !== 'function') {
      return Promise.reject(invalidArgument(`Invalid execute() callback for "${printable(name)}": expected a function (client, { signal, name }) => result but received ${describe(fn)}`));
    }
    return options === undefined ? this.#route(id, fn, 0, 0, null) : this.#withOptions(id, fn, options);
  }

  // ---------------------------------------------------------------- routing

  #route(id, fn, flags, timeout, signal) {
    const state = this.#state;
    const target = (flags & PINNED) !== 0 ? id : state[id * SLOTS + ROUTE];
    if (this.#external !== null || state[target * SLOTS + CIRCUIT] !== CLOSED ||
        (target !== id && state[id * SLOTS + CIRCUIT] === HALF_OPEN)) {
      return this.#admit(id, target, fn, flags, timeout, signal);
    }
    return this.#start(id, target, fn, flags, timeout, signal, 0);
  }

  // The circuit is not closed somewhere on the way: a trial, the backup, or a refusal.
  #admit(id, target, fn, flags, timeout, signal) {
    const state = this.#state;
    const external = this.#external;
    if (external !== null) {
      // Routed to a backup while the name's own breaker is half-open: the call goes
      // to the primary through its breaker, which decides what is a trial; one it
      // refuses runs on the backup (#attemptFailed).
      if (target !== id && external[id].state() === 'half-open') return this.#controlled(id, id, fn, flags, timeout, signal, 0);
      if (external[target].state() === 'open') return this.#refused(id, target, undefined);
      return this.#controlled(id, target, fn, flags, timeout, signal, 0);
    }
    // A name served by a backup while its own connection is half-open: that
    // connection takes trial calls up to its limit, the backup the rest.
    if (target !== id && state[id * SLOTS + CIRCUIT] === HALF_OPEN) {
      const ticket = this.#native.acquire(id);
      if (ticket > 0) return this.#controlled(id, id, fn, flags, timeout, signal, ticket);
      if (ticket === 0) return this.#start(id, id, fn, flags, timeout, signal, 0);
    }
    const circuit = state[target * SLOTS + CIRCUIT];
    if (circuit === CLOSED) return this.#start(id, target, fn, flags, timeout, signal, 0);
    const ticket = circuit === OPEN ? -1 : this.#native.acquire(target);
    if (ticket < 0) {
      return this.#refused(id, target, circuit === HALF_OPEN ? 'half-open, every trial call slot is taken' : undefined);
    }
    if (ticket === 0) return this.#start(id, target, fn, flags, timeout, signal, 0);
    return this.#controlled(id, target, fn, flags, timeout, signal, ticket);
  }

  #refused(id, target, detail) {
    this.#m.count(target, Counter.REJECTIONS);
    return Promise.reject(new CircuitOpenError(this.#names[id], this.#names[target], detail));
  }

  #start(id, target, fn, flags, timeout, signal, trial) {
    if (timeout !== 0 || signal !== null || trial !== 0 || this.#external !== null) {
      return this.#controlled(id, target, fn, flags, timeout, signal, trial);
    }
    if ((++this.#calls[target] & this.#mask) === 0) return this.#sampledStart(id, target, fn, flags);
    if ((flags & IDEMPOTENT) !== 0) return this.#idempotent(id, target, fn, flags);
    const failures = this.#state[target * SLOTS + FAILURES] | this.#watch[target];
    return this.#plain(target, fn, failures !== 0 ? this.#onOk[target] : undefined);
  }

  // A call due for a latency sample (already counted). Idempotent ones take the
  // record path, which times any call; plain ones are timed by the side reaction.
  #sampledStart(id, target, fn, flags) {
    if ((flags & IDEMPOTENT) === 0) return this.#sampled(target, fn);
    this.#calls[target]--; // counted again by the record path
    return this.#controlled(id, target, fn, flags, 0, null, 0);
  }

  // ---------------------------------------------------------------- the three ways to run

  // Plain: the caller awaits fn's own promise, observed by a side reaction
  // registered first, so the state is updated before the caller resumes.
  #plain(target, fn, onOk, onErr = this.#onErr[target]) {
    let result;
    try {
      result = fn(this.#clients[target], this.#contexts[target]);
      if (result instanceof Promise) {
        then.call(result, onOk, onErr);
        return result;
      }
    } catch (err) {
      onErr(err);
      return Promise.reject(err);
    }
    return this.#adopt(result, onOk, onErr);
  }

  // A plain value, a foreign thenable, or an object only pretending to be a Promise.
  #adopt(result, onOk, onErr) {
    let p;
    try {
      p = Promise.resolve(result);
    } catch (err) {
      p = Promise.reject(err);
    }
    then.call(p, onOk, onErr);
    return p;
  }

  // A plain call due for a latency sample; untimed while this connection's
  // previous sample is still in flight (at most one pending per connection).
  #sampled(target, fn) {
    const m = this.#m;
    if (m.pending[target] >= 0) {
      const failures = this.#state[target * SLOTS + FAILURES] | this.#watch[target];
      return this.#plain(target, fn, failures !== 0 ? this.#onOk[target] : undefined);
    }
    m.pending[target] = this.#time();
    return this.#plain(target, fn, this.#onSampledOk[target], this.#onSampledErr[target]);
  }

  // Idempotent without a record: fn's promise chained to the retry handler.
  #idempotent(id, target, fn, flags) {
    const epoch = this.#routeEpoch[target];
    const retry = (err) => this.#idempotentFailed(id, target, fn, flags, epoch, err);
    const failures = this.#state[target * SLOTS + FAILURES] | this.#watch[target];
    const onOk = failures !== 0 ? this.#onOk[target] : undefined;
    let result;
    try {
      result = fn(this.#clients[target], this.#routeContexts[target]);
      if (result instanceof Promise) return then.call(result, onOk === undefined ? undefined : (v) => { onOk(); return v; }, retry);
    } catch (err) {
      result = Promise.reject(err);
    }
    let p;
    try {
      p = Promise.resolve(result);
    } catch (err) {
      p = Promise.reject(err);
    }
    return then.call(p, (v) => { this.#succeeded(target, 0); return v; }, retry);
  }

  // A then-handler: what it returns resolves the call, what it throws rejects it.
  #idempotentFailed(id, target, fn, flags, epoch, err) {
    // Routing moved off `target` while the call ran: its failure (most likely the
    // abort) says nothing new, and it runs again where the name routes now.
    const moved = this.#routeEpoch[target] !== epoch;
    if (!moved) this.#callFailed(target, 0, err);
    if (moved || isConnectionError(err)) {
      const next = this.#native.fallback(id, target);
      if (next >= 0 && (moved || this.#budget.take())) {
        return this.#start(id, next, fn, (flags | RETRIED) & ~IDEMPOTENT, 0, null, 0);
      }
    }
    throw err;
  }

  // With a record: deadline, caller signal, trial ticket or external breaker.
  #controlled(id, target, fn, flags, timeout, signal, trial) {
    const call = new Call(id, target, this.#names[target], fn, flags, timeout, signal, trial);
    const promise = new Promise(capture);
    call.resolve = capturedResolve;
    call.reject = capturedReject;
    if (signal !== null) {
      call.onCallerAbort = () => this.#callerAborted(call);
      signal.addEventListener('abort', call.onCallerAbort, { once: true });
    }
    this.#launch(call);
    return promise;
  }

  // Runs one attempt of a call with a record.
  #launch(call) {
    const target = call.target;
    if ((++this.#calls[target] & this.#mask) === 0) call.start = this.#time();
    if (call.timeout > 0) {
      call.seq = ++this.#seq;
      this.#watch[target]++;
    }
    this.#flight.add(call);
    const client = this.#clients[target];
    const fn = call.fn;
    try {
      const external = this.#external;
      let result = external !== null ? external[target].run(() => fn(client, call)) : fn(client, call);
      if (!(result instanceof Promise)) result = Promise.resolve(result);
      then.call(result, (value) => this.#attemptOk(call, value), (err) => this.#attemptFailed(call, err));
    } catch (err) {
      this.#attemptFailed(call, err);
    }
  }

  #attemptOk(call, value) {
    if (call.done) {
      if (call.due > 0) this.#alive(call.target); // late, but the server answered
      return;
    }
    this.#finish(call);
    const target = call.target;
    if (call.start >= 0) this.#m.record(target, this.#time() - call.start);
    this.#succeeded(target, call.trial);
    call.resolve(value);
  }

  #attemptFailed(call, err) {
    if (call.done) return;
    this.#finish(call);
    const target = call.target;
    const m = this.#m;
    if (this.#external !== null && this.#external[target].isOpenError(err)) {
      m.calls[target]--; // the external breaker refused it: a rejection, not a call
      m.count(target, Counter.REJECTIONS);
      const next = (call.flags & PINNED) === 0 ? this.#native.fallback(call.id, target) : -1;
      if (next >= 0 && next !== target) {
        this.#rerun(call, next, call.flags);
        return;
      }
      call.reject(new CircuitOpenError(this.#names[call.id], this.#names[target]));
      return;
    }
    if (call.start >= 0) m.record(target, this.#time() - call.start);
    this.#callFailed(target, call.trial, err);
    if (this.#retryable(call, err)) return;
    call.reject(err);
  }

  // The deadline passed (from the ticker).
  #timedOut(call) {
    this.#finish(call);
    const target = call.target;
    // Did the connection answer anything since this call began? Then this call is
    // slow on its own: it fails alone. Otherwise the server has stopped answering.
    const unresponsive = !(this.#aliveSeq[target] >= call.seq);
    const err = new TimeoutError(call.name, call.timeout, unresponsive);
    this.#m.count(target, Counter.TIMEOUTS);
    this.#m.count(target, Counter.FAILURES);
    if (call.controller !== null) call.controller.abort(err);
    if (unresponsive) {
      this.#failed(target, call.trial, err);
      if (this.#retryable(call, err)) return;
    } else if (call.trial !== 0) {
      this.#native.releaseTrial(target, call.trial);
    }
    call.reject(err);
  }

  #callerAborted(call) {
    if (call.done) return;
    this.#finish(call);
    const reason = call.callerSignal.reason;
    this.#m.count(call.target, Counter.CANCELLED);
    if (call.controller !== null) call.controller.abort(reason);
    if (call.trial !== 0) this.#native.releaseTrial(call.target, call.trial);
    call.reject(reason);
  }

  // An idempotent call that lost its connection runs once more where the name
  // routes now, if that is another usable connection and the budget allows.
  #retryable(call, err) {
    if ((call.flags & (IDEMPOTENT | RETRIED)) !== IDEMPOTENT || !isConnectionError(err)) return false;
    const next = this.#native.fallback(call.id, call.target);
    if (next < 0 || !this.#budget.take()) return false;
    this.#rerun(call, next);
    return true;
  }

  // A new attempt on `target` that settles the same promise; fresh deadline and signal.
  #rerun(call, target, flags = call.flags | RETRIED) {
    const again = new Call(call.id, target, this.#names[target], call.fn, flags,
      call.timeout, call.callerSignal, 0);
    again.resolve = call.resolve;
    again.reject = call.reject;
    if (call.callerSignal !== null) {
      if (call.callerSignal.aborted) {
        call.reject(call.callerSignal.reason);
        return;
      }
      again.onCallerAbort = () => this.#callerAborted(again);
      call.callerSignal.addEventListener('abort', again.onCallerAbort, { once: true });
    }
    this.#launch(again);
  }

  // Takes a call out of flight: no deadline, no caller listener, outcome taken.
  #finish(call) {
    call.done = true;
    this.#flight.remove(call);
    if (call.due > 0) this.#watch[call.target]--;
    if (call.onCallerAbort !== null) {
      call.callerSignal.removeEventListener('abort', call.onCallerAbort);
      call.onCallerAbort = null;
    }
  }

  // ---------------------------------------------------------------- outcomes

  #succeeded(target, trial) {
    if (this.#watch[target] !== 0) this.#aliveSeq[target] = this.#seq;
    if (trial !== 0 || this.#state[target * SLOTS + FAILURES] !== 0) this.#native.recordSuccess(target, trial, this.#time());
  }

  /** The connection answered (a health check passed): calls in flight on it are not lost. */
  alive(target) {
    this.#alive(target);
  }

  #alive(target) {
    this.#aliveSeq[target] = this.#seq;
  }

  // A call made through execute() failed: counted, then classified.
  #callFailed(target, trial, err) {
    this.#m.count(target, Counter.FAILURES);
    this.#failed(target, trial, err);
  }

  /** Classifies `err` and records it against `target` (also for recordFailure()). */
  failed(target, trial, err) {
    this.#failed(target, trial, err);
  }

  #failed(target, trial, err) {
    // No built-in breaker: nothing counts failures (an external breaker counts its own).
    if (!this.#counting) return;
    let counts = true;
    try {
      counts = this.#isFailure(err) !== false;
    } catch {
      counts = true; // a broken classifier must not hide an outage
    }
    if (counts) {
      this.#native.recordFailure(target, trial, this.#time());
    } else if (trial !== 0 || this.#state[target * SLOTS + FAILURES] !== 0) {
      // The database answered (with a complaint about the query): that is health.
      this.#native.recordSuccess(target, trial, this.#time());
    }
  }

  // ---------------------------------------------------------------- routing moves

  /** The signal of idempotent calls on `target` (RouteContext). */
  routeSignal(target) {
    let c = this.#routeControllers[target];
    if (c === null) {
      c = new AbortController();
      this.#routeControllers[target] = c;
    }
    return c.signal;
  }

  /**
   * Routing of `id` moved off `from` (a failover): its idempotent calls there are
   * aborted and run again where it routes now, at once.
   */
  movedOff(id, from) {
    this.#routeEpoch[from]++;
    const controller = this.#routeControllers[from];
    if (controller !== null) {
      this.#routeControllers[from] = null;
      controller.abort(new OmniDbError(`Calls on "${this.#names[from]}" moved to a backup`, 'OMNIDB_FAILOVER'));
    }
    const moving = [];
    for (let c = this.#flight.head; c !== null; c = c.next) {
      if (c.id === id && c.target === from && (c.flags & (IDEMPOTENT | RETRIED)) === IDEMPOTENT) moving.push(c);
    }
    if (moving.length === 0) return;
    const next = this.#native.fallback(id, from);
    if (next < 0) return;
    for (const call of moving) {
      if (call.done) continue;
      this.#finish(call);
      if (call.controller !== null) {
        call.controller.abort(new OmniDbError(`Call on "${call.name}" moved to "${this.#names[next]}"`, 'OMNIDB_FAILOVER'));
      }
      if (call.trial !== 0) this.#native.releaseTrial(from, call.trial);
      this.#rerun(call, next);
    }
  }

  // ---------------------------------------------------------------- get / record

  /** The client `name` resolves to; see Orchestrator#get. */
  resolve(name) {
    const id = this.#ids.get(name);
    if (id === undefined) return -1;
    return this.#state[id * SLOTS + ROUTE];
  }

  /** Calls with a record in flight (tests and metrics). */
  get inFlight() {
    return this.#flight.size;
  }
}

module.exports = { Calls, TICK_MS };
