'use strict';
// What an orchestrator reports about its connections: getStats(), health(),
// metrics() and the Prometheus families, read from the core's state table, its
// details() and the JS call metrics. Reading never changes state.
const { BOUNDS_MS, formatFamilies, collectors, Counter } = require('./metrics');
const { Slot, CIRCUIT_NAMES, HEALTH_NAMES } = require('./constants');

const ROUTE = Slot.ROUTE;
const CIRCUIT = Slot.CIRCUIT;
const FAILURES = Slot.FAILURES;
const SLOTS = Slot.COUNT;

// out[name] = value for any name, '__proto__' included (plain assignment would set
// the prototype instead of adding the key).
function put(out, name, value) {
  Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
}

class Stats {
  constructor({ names, state, native, metrics, clock, now, checks, breakerEnabled }) {
    this.names = names;
    this.state = state;
    this.native = native;
    this.m = metrics;
    this.clock = clock;
    this.now = now; // the core's clock
    this.checks = checks;
    this.breakerEnabled = breakerEnabled;
    this.external = null; // per connection: the ExternalBreaker adapters, when used
  }

  /** Per connection: `{ status, circuit, failures, failoverTo }`. */
  getStats() {
    const out = {};
    for (let i = 0; i < this.names.length; i++) {
      put(out, this.names[i], {
        status: HEALTH_NAMES[this.state[i * SLOTS + Slot.HEALTH]],
        circuit: this.circuitName(i),
        failures: this.failures(i),
        failoverTo: this.failoverTo(i),
      });
    }
    return out;
  }

  /** Per connection: `{ status }`, plus `failoverTo` when it is failed over. */
  health() {
    const out = {};
    for (let i = 0; i < this.names.length; i++) {
      const entry = { status: HEALTH_NAMES[this.state[i * SLOTS + Slot.HEALTH]] };
      const to = this.failoverTo(i);
      if (to !== null) entry.failoverTo = to;
      put(out, this.names[i], entry);
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
    const now = Math.floor(this.now()); // whole milliseconds, as the core keeps them
    const offset = this.clock !== null ? 0 : Date.now() - now;
    for (let i = 0; i < this.names.length; i++) {
      const d = this.native.details(i, now);
      Object.assign(stats[this.names[i]], {
        consecutiveSuccesses: d.consecutiveSuccesses,
        consecutiveFailures: d.consecutiveFailures,
        lastCheckAt: d.lastCheckAt < 0 ? null : d.lastCheckAt + offset,
        lastError: d.lastError === '' ? null : d.lastError,
        transitions: d.transitions.map(([from, to, at]) => ({
          from: HEALTH_NAMES[from], to: HEALTH_NAMES[to], timestamp: at + offset,
        })),
        ...this.m.snapshot(i),
        healthCheck: {
          checks: d.checks,
          timeouts: d.checkTimeouts,
          lastMs: d.checkLatencyLastMs < 0 ? null : d.checkLatencyLastMs,
          avgMs: d.checks === 0 ? null : d.checkLatencySumMs / d.checks,
          maxMs: d.checks === 0 ? null : d.checkLatencyMaxMs,
        },
        circuitTime: { closed: d.circuitMs[0], open: d.circuitMs[1], halfOpen: d.circuitMs[2] },
        // Milliseconds until the open circuit goes half-open on its timer; null when
        // none is due: closed, half-open, held open by a failed health check, external breaker.
        circuitResetInMs: d.circuitResetAt < 0 || this.external !== null
          ? null : Math.max(0, d.circuitResetAt - now),
      });
      // Only for checks that return result objects (native probes): { latencyMs, role, lagMs }.
      if (this.checks.info[i] !== null) Object.assign(stats[this.names[i]], this.checks.info[i]);
      // The last round that connected: whether it ran over TLS (native probes that say so).
      if (this.checks.tls[i] !== null) Object.assign(stats[this.names[i]].healthCheck, this.checks.tls[i]);
    }
    return stats;
  }

  /** The metrics in the Prometheus text exposition format (0.0.4), `omnidb_*` names. */
  prometheus() {
    return formatFamilies(this.families());
  }

  /**
   * Metric objects for a prom-client Registry: `for (const m of db.prometheusCollector())
   * registry.registerMetric(m)`. They read this orchestrator at each scrape.
   */
  prometheusCollector() {
    return collectors(() => this.families());
  }

  families() {
    const n = this.names.length;
    const m = this.m;
    const now = Math.floor(this.now());
    const details = this.names.map((_, i) => this.native.details(i, now));
    const per = (fn) => {
      const values = [];
      for (let i = 0; i < n; i++) fn(i, { connection: this.names[i] }, values);
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
        help: "1 for the connection's current circuit state, 0 for the others; state=\"n/a\" without a breaker, an external breaker's own state name when it is none of the three.",
        type: 'gauge',
        values: per((i, labels, out) => {
          const current = this.circuitName(i);
          for (const state of circuitStates) out.push({ labels: { ...labels, state }, value: current === state ? 1 : 0 });
          if (!circuitStates.includes(current)) out.push({ labels: { ...labels, state: current }, value: 1 });
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
          const current = this.state[i * SLOTS + Slot.HEALTH];
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
        help: "Failures counted by the circuit breaker (an external one's own count; 0 without a breaker).",
        type: 'gauge',
        values: per((i, labels, out) => out.push({ labels, value: this.failures(i) })),
      },
      {
        name: 'omnidb_failover_active',
        help: '1 while calls to the connection are routed to a backup.',
        type: 'gauge',
        values: per((i, labels, out) => out.push({ labels, value: this.state[i * SLOTS + ROUTE] === i ? 0 : 1 })),
      },
    ];
  }

  circuitName(i) {
    if (!this.breakerEnabled) return 'n/a';
    if (this.external !== null) return this.external[i].state();
    return CIRCUIT_NAMES[this.state[i * SLOTS + CIRCUIT]];
  }

  /** getStats().failures: the built-in breaker's consecutive failures, an external one's own count. */
  failures(i) {
    if (this.external !== null) return this.external[i].failures();
    return this.state[i * SLOTS + FAILURES];
  }

  failoverTo(i) {
    const route = this.state[i * SLOTS + ROUTE];
    return route === i ? null : this.names[route];
  }
}

module.exports = { Stats };
