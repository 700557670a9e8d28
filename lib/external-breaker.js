'use strict';
// Adapters for circuit breakers the user brings (`circuitBreaker.use`): opossum's
// `fire()` and cockatiel's `execute()`, or anything shaped like either. Each adapter
// runs calls through the breaker, reads its state and failure count for getStats(),
// forces it open while the connection is unhealthy (cockatiel's isolate(), else the
// breaker's own open()) and closes it again on recovery, and reports its transitions.

const { ConfigError } = require('./errors');
const { describe } = require('./validate');
const { safeGet, safeMessage } = require('./safe');

class ExternalBreaker {
  /**
   * @param {object} breaker the user's breaker
   * @param {(state: 'closed'|'open'|'half-open') => void} onChange
   */
  constructor(breaker, onChange) {
    this.breaker = breaker;
    this.onChange = onChange;
    this.disposers = [];
    this.isolation = null;
  }

  static wrap(breaker, onChange) {
    if (typeof breaker.fire === 'function') return new OpossumBreaker(breaker, onChange);
    return new CockatielBreaker(breaker, onChange);
  }

  /**
   * The breaker's state as getStats() reports it: its own `status.state` or `state`
   * when it is a string; else what its known shape says (opossum's flags, cockatiel's
   * enum); else 'external'.
   */
  state() {
    const status = safeGet(this.breaker, 'status');
    const own = status !== null && typeof status === 'object' ? safeGet(status, 'state') : undefined;
    if (typeof own === 'string') return own;
    const state = safeGet(this.breaker, 'state');
    if (typeof state === 'string') return state;
    return this.knownState(state);
  }

  knownState() {
    return 'external';
  }

  /** The breaker's own failure count, `stats.failures` (opossum: its rolling window), else 0. */
  failures() {
    const stats = safeGet(this.breaker, 'stats');
    const n = stats !== null && typeof stats === 'object' ? safeGet(stats, 'failures') : undefined;
    return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : 0;
  }

  // The breaker's own open()/close(), when it has them (health drives them).
  callOpen() {
    if (typeof safeGet(this.breaker, 'open') !== 'function' || this.state() === 'open') return false;
    this.breaker.open();
    return true;
  }

  callClose() {
    if (typeof safeGet(this.breaker, 'close') !== 'function' || this.state() === 'closed') return;
    this.breaker.close();
  }

  dispose() {
    for (const d of this.disposers.splice(0)) d();
  }
}

/** opossum: `new CircuitBreaker(async (fn) => fn(), options)`; calls go through `fire(thunk)`. */
class OpossumBreaker extends ExternalBreaker {
  constructor(breaker, onChange) {
    super(breaker, onChange);
    if (typeof breaker.on === 'function') {
      const listen = (event, state) => {
        const fn = () => onChange(state);
        breaker.on(event, fn);
        this.disposers.push(() => breaker.removeListener(event, fn));
      };
      listen('open', 'open');
      listen('halfOpen', 'half-open');
      listen('close', 'closed');
    }
  }

  run(thunk) {
    return this.breaker.fire(thunk);
  }

  // opossum 10 has neither `status.state` nor `state`: its flags say it.
  knownState() {
    const b = this.breaker;
    if (safeGet(b, 'opened') === true) return 'open';
    if (safeGet(b, 'halfOpen') === true) return 'half-open';
    if (safeGet(b, 'closed') === true) return 'closed';
    return 'external';
  }

  isOpenError(err) {
    return Boolean(err) && err.code === 'EOPENBREAKER';
  }

  forceOpen() {
    this.callOpen();
  }

  forceClose() {
    this.callClose();
  }
}

// cockatiel's CircuitState enum.
const COCKATIEL_STATES = ['closed', 'open', 'half-open', 'open' /* Isolated */];

/**
 * cockatiel: `circuitBreaker(handleAll, {...})`; calls go through `execute(thunk)`.
 * Also any other breaker with `execute()`: held open through `isolate()` when it has
 * one (cockatiel: its open() is private), else through its own `open()`.
 */
class CockatielBreaker extends ExternalBreaker {
  constructor(breaker, onChange) {
    super(breaker, onChange);
    this.opened = false; // forceOpen() called the breaker's own open()
    const listen = (method, state) => {
      if (typeof breaker[method] !== 'function') return;
      const disposable = breaker[method](() => onChange(state));
      if (disposable && typeof disposable.dispose === 'function') {
        this.disposers.push(() => disposable.dispose());
      }
    };
    listen('onBreak', 'open');
    listen('onHalfOpen', 'half-open');
    listen('onReset', 'closed');
  }

  run(thunk) {
    return this.breaker.execute(() => thunk());
  }

  // cockatiel 4: `state` is its CircuitState enum, a number.
  knownState(state) {
    return typeof state === 'number' && COCKATIEL_STATES[state] ? COCKATIEL_STATES[state] : 'external';
  }

  isOpenError(err) {
    return Boolean(err) && typeof err === 'object' &&
      ('isBrokenCircuitError' in err || 'isIsolatedCircuitError' in err);
  }

  forceOpen() {
    if (typeof safeGet(this.breaker, 'isolate') === 'function') {
      if (this.isolation === null) this.isolation = this.breaker.isolate();
    } else if (this.callOpen()) {
      this.opened = true;
    }
  }

  forceClose() {
    if (this.isolation !== null) {
      const isolation = this.isolation;
      this.isolation = null;
      if (isolation !== null && typeof isolation === 'object' && typeof isolation.dispose === 'function') isolation.dispose();
    } else if (this.opened) {
      this.opened = false;
      this.callClose();
    }
  }

  dispose() {
    this.forceClose();
    super.dispose();
  }
}

/**
 * One adapter per connection for `circuitBreaker.use` (a breaker, or a function of
 * the connection name returning one). A breaker shared by several connections gets
 * one adapter, whose transitions `onChange(ids, state)` reports for all of them.
 * Throws ConfigError for anything that is not a breaker.
 */
function attachBreakers(names, use, onChange) {
  const byBreaker = new Map();
  try {
    return names.map((name, id) => {
      const breaker = typeof use === 'function' ? userCode(name, 'the factory use(name)', () => use(name)) : use;
      if (breaker === null || typeof breaker !== 'object' ||
          (typeof safeGet(breaker, 'execute') !== 'function' && typeof safeGet(breaker, 'fire') !== 'function')) {
        throw new ConfigError('External circuit breaker must have execute() or fire() method ' +
          `(circuitBreaker.use("${name}") returned ${describe(breaker)})`);
      }
      let entry = byBreaker.get(breaker);
      if (entry === undefined) {
        entry = { ids: [], adapter: null };
        const ids = entry.ids;
        entry.adapter = userCode(name, 'subscribing to the breaker',
          () => ExternalBreaker.wrap(breaker, (state) => onChange(ids, state)));
        byBreaker.set(breaker, entry);
      }
      entry.ids.push(id);
      return entry.adapter;
    });
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
function userCode(name, what, fn) {
  try {
    return fn();
  } catch (err) {
    throw new ConfigError(`Invalid circuitBreaker.use: ${what} for "${name}" threw: ${safeMessage(err)}`, { cause: err });
  }
}

module.exports = { ExternalBreaker, attachBreakers };
