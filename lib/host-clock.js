'use strict';
// The clock of every Orchestrator not given a ManualClock: the host's own time and
// timers. Both are looked up on the global object at each use, never captured at
// load, so fake timers (Jest's and Vitest's, both @sinonjs/fake-timers) installed
// before or after this module loaded drive every orchestrator timer: health rounds,
// check timeouts and retries, circuit resets, execute() deadlines.
//
// now() never goes back, and moves as the timers that drive it say:
//   - while the global setTimeout is a @sinonjs/fake-timers fake (it carries its
//     `clock`), it reads that fake clock's own performance.now(), whatever else is
//     faked or not (`doNotFake: ['performance']`, or Date too): time moves exactly
//     as far as the test advances it, and setSystemTime() (which moves the fake
//     Date, not the timers) leaves it alone; otherwise it reads
//     globalThis.performance.now();
//   - when the source changes (fakes installed or removed) it goes on from its
//     last reading, neither jumping to the fake epoch nor going back;
//   - a timer of this clock that fires before the reading has reached its due time
//     (another kind of fake setTimeout) raises it to that due time.
// Milliseconds, fractional; the core reads whole milliseconds.
const { setTimeout: nodeSetTimeout } = require('timers');

class HostClock {
  #offset = 0; // added to the source's reading
  #last = -Infinity; // the last reading
  #source = null; // the fake clock read, null for performance.now()

  now() {
    const fake = globalThis.setTimeout.clock;
    let raw;
    let source = null;
    if (fake !== undefined && fake !== null && typeof fake.now === 'number') {
      const perf = fake.performance;
      raw = perf !== undefined && perf !== null && typeof perf.now === 'function' ? perf.now() : fake.now;
      source = fake;
    } else {
      raw = globalThis.performance.now();
    }
    if (source !== this.#source) {
      this.#source = source;
      if (this.#last !== -Infinity) this.#offset = this.#last - raw;
    }
    let t = raw + this.#offset;
    if (t < this.#last) {
      this.#offset += this.#last - t;
      t = this.#last;
    }
    this.#last = t;
    return t;
  }

  /**
   * Whether deadlines must be timed exactly: the global setTimeout is not Node's own
   * (fake timers, which fire timers only when told, so a coarse ticker would not do).
   */
  _exact() {
    return globalThis.setTimeout !== nodeSetTimeout;
  }

  /**
   * One re-armable timer running `fn`: arm(ms, keepAlive) replaces any pending
   * firing; keepAlive false unrefs it (it alone does not keep the process running);
   * cancel() drops it. It is cleared with the clearTimeout of the setTimeout that
   * armed it, whatever the globals are by then.
   */
  _timer(fn) {
    let handle = null;
    let clear = null;
    let due = 0;
    const fire = () => {
      handle = null;
      const now = this.now();
      if (now < due) {
        this.#offset += due - now;
        this.#last = due;
      }
      fn();
    };
    return {
      arm: (ms, keepAlive) => {
        if (handle !== null) clear(handle);
        const delay = ms > 0 ? ms : 0;
        due = this.now() + delay;
        clear = globalThis.clearTimeout;
        // Rounded up: a fake setTimeout truncates a fractional delay, firing early.
        handle = globalThis.setTimeout(fire, Math.ceil(delay));
        if (!keepAlive && handle !== null && typeof handle === 'object' && typeof handle.unref === 'function') handle.unref();
      },
      cancel: () => {
        if (handle === null) return;
        clear(handle);
        handle = null;
      },
    };
  }
}

/** The one host clock: every orchestrator on the host's time shares it. */
const hostClock = new HostClock();

module.exports = { hostClock };
