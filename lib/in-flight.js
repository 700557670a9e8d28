'use strict';
// The calls of lib/call.js that have a record (a deadline, a caller signal, a trial or
// an external breaker), while they are in flight: a doubly linked list through the
// records' own `prev`/`next`, and the one timer that fires their deadlines.
//
// On the host's real timers the timer is a coarse ticker (TICK_MS) that runs only while
// deadlines are in flight: a clock reading costs about as much as a whole call, so while
// it runs its last reading stands in, and a deadline is counted from the end of that
// tick, never early, at most about two ticks late. A ManualClock, or fake timers (which
// fire only when a test advances them), are timed exactly: the clock is read and the
// timer armed for the earliest deadline itself, so tests see deadlines to the ms.

// Deadline resolution on real timers: the ticker's period.
const TICK_MS = 10;

class InFlight {
  #time;
  #timer;
  #exact; // () => deadlines must be timed exactly
  #onExpired; // (call) => void: the call's deadline passed
  #head = null;
  #deadlines = 0; // calls in the list with a deadline
  #armed = false; // the timer is armed
  #coarse = false; // armed as the coarse ticker
  #tickNow = 0; // the clock when it was armed or last fired
  #armedFor = 0;

  /**
   * @param {{ time: () => number, timer: (fn: () => void) => { arm(ms: number, keepAlive: boolean): void },
   *   exact: () => boolean, onExpired: (call: object) => void }} options
   */
  constructor({ time, timer, exact, onExpired }) {
    this.#time = time;
    this.#exact = exact;
    this.#onExpired = onExpired;
    this.#timer = timer(() => this.#onTick());
  }

  /** The first call in flight (follow `next`), or null. */
  get head() {
    return this.#head;
  }

  get size() {
    let n = 0;
    for (let c = this.#head; c !== null; c = c.next) n++;
    return n;
  }

  /** Puts `call` in flight; with `call.timeout` > 0 it gets `call.due` and is timed. */
  add(call) {
    const head = this.#head;
    call.next = head;
    if (head !== null) head.prev = call;
    this.#head = call;
    if (call.timeout > 0) {
      this.#deadlines++;
      call.due = this.#deadlineFor(call.timeout);
    }
  }

  /** Takes `call` out of flight (its deadline, if any, with it). */
  remove(call) {
    const { prev, next } = call;
    if (prev !== null) prev.next = next;
    else if (this.#head === call) this.#head = next;
    if (next !== null) next.prev = prev;
    call.prev = null;
    call.next = null;
    if (call.due > 0) this.#deadlines--;
  }

  #deadlineFor(timeout) {
    if (this.#coarse && !this.#exact()) return this.#tickNow + TICK_MS + timeout;
    const now = this.#time();
    const due = now + timeout;
    if (!this.#exact()) {
      this.#arm(now, TICK_MS, true); // no coarse ticker armed: start it
    } else if (!this.#armed || this.#coarse || due < this.#armedFor) {
      this.#arm(now, timeout, false);
    }
    return due;
  }

  #arm(now, ms, coarse) {
    this.#armed = true;
    this.#coarse = coarse;
    this.#tickNow = now;
    this.#armedFor = now + ms;
    this.#timer.arm(ms, false); // calls in flight do not keep the process alive by their deadline
  }

  #onTick() {
    this.#armed = false;
    this.#coarse = false;
    const now = this.#time();
    this.#tickNow = now;
    let expired = null;
    let earliest = Infinity;
    for (let c = this.#head; c !== null; c = c.next) {
      if (c.due <= 0) continue;
      if (c.due <= now) (expired || (expired = [])).push(c);
      else if (c.due < earliest) earliest = c.due;
    }
    if (expired !== null) {
      for (const c of expired) {
        if (c.done) continue;
        this.#onExpired(c);
      }
      // Timing out may have started re-runs with deadlines of their own.
      earliest = Infinity;
      for (let c = this.#head; c !== null; c = c.next) if (c.due > 0 && c.due < earliest) earliest = c.due;
    }
    if (this.#deadlines > 0 && !this.#armed && earliest !== Infinity) {
      if (this.#exact()) this.#arm(now, earliest - now, false);
      else this.#arm(now, TICK_MS, true);
    }
  }
}

module.exports = { InFlight, TICK_MS };
