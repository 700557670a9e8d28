'use strict';
// Time that moves only when a test says so. Pass one as `clock` to any number of
// Orchestrators; `await clock.advance('30s')` then runs, in order, every health
// round, check timeout, retry, circuit reset and execute() timeout that falls due,
// letting promises (health checks, listeners) settle between them.
const { parseDuration } = require('./options');
const { safeGet } = require('./safe');

// The brand another copy of omnidb (a second Jest module registry, a duplicated
// install) finds on a clock: a registered symbol, the same in every realm.
const BRAND = Symbol.for('omnidb.ManualClock');
let hasOwnBrand; // (value) => value was built by this copy's ManualClock constructor

class ManualClock {
  #now;
  #timers = new Set(); // armed: { due, seq, fn }
  #seq = 0;

  static {
    hasOwnBrand = (value) => #now in value; // runs no trap: false for any Proxy
  }

  /** @param {number} [startMs=0] the clock's initial reading */
  constructor(startMs = 0) {
    if (!Number.isFinite(startMs) || startMs < 0) {
      throw new RangeError(`ManualClock start must be a finite number >= 0, received ${startMs}`);
    }
    this.#now = startMs;
  }

  /** Current time in milliseconds. */
  now() {
    return this.#now;
  }

  /**
   * Moves time forward by `by` ('250ms', '30s', or ms), firing everything due on the way.
   * @param {string|number} by
   */
  async advance(by) {
    const target = this.#now + parseDuration(by, 'advance()');
    await settle();
    for (;;) {
      const due = this.#earliest();
      if (due < 0 || due > target) break;
      this.#now = Math.max(this.#now, due);
      this.#fire();
      await settle();
    }
    this.#now = target;
    this.#fire();
    await settle();
  }

  #earliest() {
    let due = -1;
    for (const t of this.#timers) {
      if (due < 0 || t.due < due) due = t.due;
    }
    return due;
  }

  // Every timer due by now, earliest first (ties: in the order they were armed).
  #fire() {
    const due = [];
    for (const t of this.#timers) if (t.due <= this.#now) due.push(t);
    due.sort((a, b) => a.due - b.due || a.seq - b.seq);
    for (const t of due) {
      if (!this.#timers.delete(t)) continue; // cancelled or re-armed by an earlier one
      t.fn();
    }
  }

  /** True only on a real ManualClock (read through a Proxy or a copied prototype, false). */
  get [BRAND]() {
    return hasOwnBrand(this);
  }

  // Internal, used by Orchestrator: the same interface as lib/host-clock.js, where
  // the host fires the timers; here advance() does.
  _exact() {
    return true;
  }

  _timer(fn) {
    let armed = null;
    const cancel = () => {
      if (armed === null) return;
      this.#timers.delete(armed);
      armed = null;
    };
    return {
      arm: (ms) => {
        cancel();
        const t = { due: this.#now + (ms > 0 ? ms : 0), seq: this.#seq++, fn: null };
        t.fn = () => {
          armed = null;
          fn();
        };
        armed = t;
        this.#timers.add(t);
      },
      cancel,
    };
  }
}

// Lets pending promise reactions and I/O callbacks run.
function settle() {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Whether `value` is a real ManualClock: built by this copy's constructor, or by
 * another copy's (whose brand getter answers for it). A look-alike ({ _attach() {} }),
 * Object.create(ManualClock.prototype) or a Proxy of a clock is not one.
 */
function isManualClock(value) {
  if (value === null || typeof value !== 'object') return false;
  return hasOwnBrand(value) || safeGet(value, BRAND) === true;
}

module.exports = { ManualClock, isManualClock };
