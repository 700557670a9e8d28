'use strict';
// Call metrics: counters and the sampled latency histogram, kept in JS.
//
// Why here and not in the C++ core: execute()'s happy path makes no native call
// (see lib/orchestrator.js), and a call into the core to count or to record a
// latency sample would cost more than the whole happy path does. So calls are
// counted with one Float64Array increment, failures, rejections, timeouts and
// cancellations on the slow paths that handle them anyway, and latency samples go
// into a Float64Array of log buckets in place. What the core sees with its own `now`
// (time in each circuit state, health-check latency) is kept by the core and read
// through details() when metrics are asked for; see src/core/orchestrator.h.
//
// Latency is sampled: one call in `sampleEvery` (a power of two, default 128) per
// connection is timed, chosen by the call counter and a bitmask. On the happy path
// at most one sample per connection is in flight; a call due for a sample while
// one is pending is not timed (whether a call is timed never depends on its own
// duration, so the distribution is not biased).

// Bucket upper bounds in milliseconds: 0.01ms * 2^k, k = 0..22 (10µs .. ~42s), then +Inf.
const BOUNDS_MS = Object.freeze(Array.from({ length: 23 }, (_, k) => (2 ** k) / 100));
const BUCKETS = BOUNDS_MS.length + 1;

// Slow-path counters, per connection.
const FAILURES = 0;
const REJECTIONS = 1;
const TIMEOUTS = 2;
const CANCELLED = 3;
const COUNTERS = 4;

/** The bucket of a latency in ms: the first whose upper bound is >= it (le). */
function bucketOf(ms) {
  if (!(ms > 0.01)) return 0; // also NaN and negatives (a clock stepping back)
  if (ms > BOUNDS_MS[BOUNDS_MS.length - 1]) return BOUNDS_MS.length;
  // ceil(log2(x)) for x in units of 10µs, exactly and without Math.log2: the smallest
  // k with 2^k >= ceil(x) (2^k is an integer, so that is also the smallest >= x).
  return 32 - Math.clz32(Math.ceil(ms * 100) - 1);
}

class CallMetrics {
  /**
   * @param {number} size connections
   * @param {number} sampleEvery a power of two
   */
  constructor(size, sampleEvery) {
    this.size = size;
    this.sampleEvery = sampleEvery;
    this.mask = sampleEvery - 1;
    this.calls = new Float64Array(size); // every admitted call: the hot path's one increment
    this.counters = new Float64Array(size * COUNTERS);
    this.pending = new Float64Array(size).fill(-1); // the hot path's sample in flight: its start, or -1
    this.histogram = new Float64Array(size * BUCKETS); // per bucket, not cumulative
    this.sumMs = new Float64Array(size);
    this.maxMs = new Float64Array(size);
  }

  count(target, which) {
    this.counters[target * COUNTERS + which]++;
  }

  record(target, ms) {
    if (!(ms >= 0)) ms = 0;
    this.histogram[target * BUCKETS + bucketOf(ms)]++;
    this.sumMs[target] += ms;
    if (ms > this.maxMs[target]) this.maxMs[target] = ms;
  }

  samples(target) {
    let n = 0;
    for (let b = 0; b < BUCKETS; b++) n += this.histogram[target * BUCKETS + b];
    return n;
  }

  /**
   * The q-quantile (0..1) of the sampled latencies of `target` in ms, interpolated
   * linearly inside its bucket as Prometheus' histogram_quantile() does, and never
   * above the largest sample. null before the first sample.
   */
  quantile(target, q) {
    const n = this.samples(target);
    if (n === 0) return null;
    const rank = q * n;
    let below = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const c = this.histogram[target * BUCKETS + b];
      if (c > 0 && below + c >= rank) {
        const lower = b === 0 ? 0 : BOUNDS_MS[b - 1];
        const upper = b < BOUNDS_MS.length ? Math.min(BOUNDS_MS[b], this.maxMs[target]) : this.maxMs[target];
        if (upper <= lower) return upper;
        return lower + (upper - lower) * ((rank - below) / c);
      }
      below += c;
    }
    return this.maxMs[target];
  }

  /** The figures metrics() reports for `target`. */
  snapshot(target) {
    const c = target * COUNTERS;
    const total = this.calls[target];
    const failures = this.counters[c + FAILURES];
    const cancelled = this.counters[c + CANCELLED];
    const samples = this.samples(target);
    return {
      calls: {
        total,
        // Not failed: succeeded, or still in flight at the time of reading.
        successes: Math.max(0, total - failures - cancelled),
        failures,
        rejections: this.counters[c + REJECTIONS],
        timeouts: this.counters[c + TIMEOUTS],
        cancelled,
      },
      latency: {
        sampleEvery: this.sampleEvery,
        samples,
        sumMs: this.sumMs[target],
        maxMs: samples === 0 ? null : this.maxMs[target],
        p50: this.quantile(target, 0.5),
        p95: this.quantile(target, 0.95),
        p99: this.quantile(target, 0.99),
      },
    };
  }

  /** Cumulative bucket counts of `target`, one per BOUNDS_MS entry then +Inf. */
  cumulative(target) {
    const out = new Array(BUCKETS);
    let sum = 0;
    for (let b = 0; b < BUCKETS; b++) {
      sum += this.histogram[target * BUCKETS + b];
      out[b] = sum;
    }
    return out;
  }
}

// ---------------------------------------------------------------- Prometheus

function escapeLabel(value) {
  return String(value).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(value) {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v) {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return String(v);
}

/**
 * Families in prom-client's `get()` shape: `{ name, help, type, values: [{ labels,
 * value, metricName? }] }`, rendered as the Prometheus text format (0.0.4).
 */
function formatFamilies(families) {
  const lines = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const v of f.values) {
      const labels = Object.entries(v.labels).map(([k, l]) => `${k}="${escapeLabel(l)}"`).join(',');
      lines.push(`${v.metricName || f.name}${labels ? `{${labels}}` : ''} ${formatValue(v.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Metric objects a prom-client Registry accepts (`registry.registerMetric(m)`):
 * each has `name`, `help`, `type`, `aggregator` and an async `get()` reading the
 * orchestrator at scrape time. prom-client is never required.
 */
function collectors(build) {
  return build().map(({ name, help, type }) => ({
    name,
    help,
    type,
    aggregator: 'sum',
    async get() {
      const family = build().find((f) => f.name === name);
      // this.name: an OpenMetrics registry renames counters (drops _total) in place.
      return { name: this.name, help, type, values: family.values, aggregator: 'sum' };
    },
    reset() {}, // registry.resetMetrics(): these figures belong to the orchestrator
  }));
}

module.exports = {
  CallMetrics, BOUNDS_MS, bucketOf, formatFamilies, collectors,
  Counter: Object.freeze({ FAILURES, REJECTIONS, TIMEOUTS, CANCELLED }),
};
