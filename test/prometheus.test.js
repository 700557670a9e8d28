'use strict';
// db.prometheus() (text exposition 0.0.4) and db.prometheusCollector() in a real
// prom-client Registry. prom-client has no exposition parser, so the text is checked
// line by line against the format's grammar, and families against their TYPE.
const client = require('prom-client');
const { useOrchestrators, ManualClock, settle } = require('./helpers');

const make = useOrchestrators();

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const LABELS = `\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE})(?:,[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE})*\\}`;
const VALUE = '(?:[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?|[-+]Inf|NaN)';
const SAMPLE = new RegExp(`^(${NAME})(${LABELS})? (${VALUE})$`);
const HELP = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

/** Parses the text format strictly; throws on any line that does not fit. */
function parse(text) {
  expect(text.endsWith('\n')).toBe(true);
  const families = new Map();
  let current = null;
  for (const line of text.slice(0, -1).split('\n')) {
    let m;
    if ((m = HELP.exec(line))) {
      expect(families.has(m[1])).toBe(false); // each family once
      current = { name: m[1], type: null, samples: [] };
      families.set(m[1], current);
    } else if ((m = TYPE.exec(line))) {
      expect(current && current.name).toBe(m[1]);
      current.type = m[2];
    } else if ((m = SAMPLE.exec(line))) {
      expect(current).not.toBeNull();
      const suffixes = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] }[current.type] || [''];
      expect(suffixes.map((s) => current.name + s)).toContain(m[1]);
      const labels = {};
      if (m[2]) for (const [, k, v] of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
      current.samples.push({ name: m[1], labels, value: Number(m[3].replace('+Inf', 'Infinity')) });
    } else {
      throw new Error(`Not a line of the Prometheus text format: ${JSON.stringify(line)}`);
    }
  }
  return families;
}

function setup() {
  const clock = new ManualClock();
  const db = make({
    connections: { primary: {}, 'replica "eu"\\1': {} },
    failover: { primary: 'replica "eu"\\1' },
    clock,
    healthCheck: { interval: '10s', checks: { primary: () => true } },
    circuitBreaker: { threshold: 1, resetTimeout: '1m' },
    metrics: { sampleEvery: 1 },
  });
  return { db, clock };
}

async function exercise(db, clock) {
  await db.connect();
  for (let ms = 1; ms <= 4; ms++) await db.execute('primary', () => clock.advance(ms).then(() => 'ok'));
  await settle(db.execute('primary', async () => { throw new Error('down'); })); // opens, fails over
  await settle(db.execute('primary', async () => 1, { failover: false })); // rejected
  await clock.advance('2s');
}

test('prometheus() is valid text exposition with omnidb_* families and a connection label', async () => {
  const { db, clock } = setup();
  await exercise(db, clock);
  const families = parse(db.prometheus());
  expect([...families.keys()]).toEqual([
    'omnidb_calls_total', 'omnidb_call_failures_total', 'omnidb_call_rejections_total',
    'omnidb_call_timeouts_total', 'omnidb_call_cancelled_total', 'omnidb_call_duration_seconds',
    'omnidb_circuit_state', 'omnidb_circuit_state_seconds_total', 'omnidb_health_status',
    'omnidb_health_check_duration_seconds', 'omnidb_health_check_timeouts_total',
    'omnidb_consecutive_failures', 'omnidb_failover_active',
  ]);
  for (const f of families.values()) {
    expect(f.type).not.toBeNull();
    if (f.name.endsWith('_total')) expect(f.type).toBe('counter');
    for (const s of f.samples) expect(['primary', 'replica "eu"\\1'].map((n) => n.replace(/\\/g, '\\\\').replace(/"/g, '\\"'))).toContain(s.labels.connection);
  }
  const value = (name, metric, labels) => families.get(name).samples
    .find((s) => s.name === metric && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).value;
  expect(value('omnidb_calls_total', 'omnidb_calls_total', { connection: 'primary' })).toBe(5);
  expect(value('omnidb_call_failures_total', 'omnidb_call_failures_total', { connection: 'primary' })).toBe(1);
  expect(value('omnidb_call_rejections_total', 'omnidb_call_rejections_total', { connection: 'primary' })).toBe(1);
  expect(value('omnidb_circuit_state', 'omnidb_circuit_state', { connection: 'primary', state: 'open' })).toBe(1);
  expect(value('omnidb_circuit_state', 'omnidb_circuit_state', { connection: 'primary', state: 'closed' })).toBe(0);
  expect(value('omnidb_failover_active', 'omnidb_failover_active', { connection: 'primary' })).toBe(1);
  expect(value('omnidb_circuit_state_seconds_total', 'omnidb_circuit_state_seconds_total', { connection: 'primary', state: 'open' })).toBe(2);
  expect(value('omnidb_health_check_duration_seconds', 'omnidb_health_check_duration_seconds_count', { connection: 'primary' })).toBe(1);

  // The histogram: cumulative, ascending le, +Inf last and equal to _count; _sum in seconds.
  const h = families.get('omnidb_call_duration_seconds').samples.filter((s) => s.labels.connection === 'primary');
  const buckets = h.filter((s) => s.name.endsWith('_bucket'));
  expect(buckets[buckets.length - 1].labels.le).toBe('+Inf');
  for (let i = 1; i < buckets.length; i++) {
    expect(Number(buckets[i].labels.le.replace('+Inf', 'Infinity'))).toBeGreaterThan(Number(buckets[i - 1].labels.le));
    expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);
  }
  const count = h.find((s) => s.name.endsWith('_count')).value;
  expect(count).toBe(5);
  expect(buckets[buckets.length - 1].value).toBe(count);
  expect(h.find((s) => s.name.endsWith('_sum')).value).toBeCloseTo(0.01, 6); // 1+2+3+4 ms, the failure ~0
  expect(buckets.find((s) => s.labels.le === '0.00256').value).toBe(3); // 0ms (the failure), 1ms, 2ms
});

test('prometheusCollector() registers in a prom-client Registry and renders the same text', async () => {
  const { db, clock } = setup();
  await exercise(db, clock);
  const registry = new client.Registry();
  for (const metric of db.prometheusCollector()) registry.registerMetric(metric);
  const text = await registry.metrics();
  // prom-client joins families with a blank line; otherwise the exposition is ours.
  expect(text.replace(/\n\n/g, '\n')).toBe(db.prometheus());
  parse(text.replace(/\n\n/g, '\n'));
  const json = await registry.getMetricsAsJSON();
  const calls = json.find((m) => m.name === 'omnidb_calls_total');
  expect(calls.type).toBe('counter');
  expect(calls.values).toContainEqual({ labels: { connection: 'primary' }, value: 5 });
  registry.resetMetrics(); // must not throw; our figures are the orchestrator's
  expect(await registry.getSingleMetricAsString('omnidb_calls_total')).toContain('omnidb_calls_total{connection="primary"} 5');
});

test('the collector reads live values at each scrape, and coexists with prom-client metrics', async () => {
  const { db, clock } = setup();
  const registry = new client.Registry();
  for (const metric of db.prometheusCollector()) registry.registerMetric(metric);
  const own = new client.Counter({ name: 'app_requests_total', help: 'x', registers: [registry] });
  own.inc();
  expect(await registry.metrics()).toContain('omnidb_calls_total{connection="primary"} 0');
  await db.execute('primary', () => clock.advance(1).then(() => 1));
  const text = await registry.metrics();
  expect(text).toContain('omnidb_calls_total{connection="primary"} 1');
  expect(text).toContain('app_requests_total 1');
});

test('OpenMetrics registries get _total counters and # EOF', async () => {
  const { db } = setup();
  const registry = new client.Registry(client.Registry.OPENMETRICS_CONTENT_TYPE);
  for (const metric of db.prometheusCollector()) registry.registerMetric(metric);
  const text = await registry.metrics();
  expect(text).toContain('# TYPE omnidb_calls counter');
  expect(text).toContain('omnidb_calls_total{connection="primary"} 0');
  expect(text.endsWith('# EOF\n')).toBe(true);
});
