'use strict';
// How many idempotent retries an orchestrator may make: a fifth of its calls plus a
// small floor per second, as a token bucket. Retries then add at most ~20% load in
// an outage, instead of doubling it, and a quiet service can still retry a few.
//
// Nothing is counted per call: the bucket is refilled lazily, when a retry asks,
// from the call counters the hot path keeps anyway (CallMetrics.calls).

const RATIO = 0.2;
const PER_SECOND = 10;
// Unspent tokens are kept for ten seconds' worth of the floor at most, plus what the
// last refill brought: a burst after a long quiet spell stays small.
const CAP_SECONDS = 10;

class RetryBudget {
  /**
   * @param {Float64Array} calls per-connection call counters (read, never written)
   * @param {() => number} now milliseconds
   */
  constructor(calls, now) {
    this.calls = calls;
    this.now = now;
    this.tokens = PER_SECOND;
    this.lastCalls = 0;
    this.lastAt = now();
    this.retries = 0;
    this.refused = 0;
  }

  #total() {
    let n = 0;
    for (let i = 0; i < this.calls.length; i++) n += this.calls[i];
    return n;
  }

  /** Takes a token for one retry; false when the budget is spent. */
  take() {
    const total = this.#total();
    const at = this.now();
    const earned = (total - this.lastCalls) * RATIO + Math.max(0, at - this.lastAt) / 1000 * PER_SECOND;
    this.lastCalls = total;
    this.lastAt = at;
    this.tokens = Math.min(this.tokens + earned, PER_SECOND * CAP_SECONDS + earned);
    if (this.tokens < 1) {
      this.refused++;
      return false;
    }
    this.tokens -= 1;
    this.retries++;
    return true;
  }
}

module.exports = { RetryBudget, RATIO, PER_SECOND };
