'use strict';
// What does execute() cost on the happy path, with each option the README
// recommends? Runs the same tiny async call bare, at the floor, through OmniDB with
// every option variant, through the standalone CircuitBreaker, through cockatiel and
// through opossum, interleaved in one process over several rounds, and prints
// per-call medians and ratios.
//
// The floor is what any wrapper that must see a rejection pays: the bare awaited
// call plus one `p.then(undefined, h)`. The deadline floor is what any wrapper that
// must settle a call at its deadline, whether or not fn ever settles, pays on top:
// a promise of its own (`new Promise`) that fn's promise settles.
//
// Options are written as a fresh literal on every call, as callers write them.
//
// Two orchestrators, the same connections: rows marked [breaker] run through one
// configured with the built-in circuit breaker (`circuitBreaker: { threshold: 5 }`,
// what cockatiel and opossum are compared with); rows marked [no breaker] through
// one without the `circuitBreaker` key (no breaker: calls run unguarded).
//
//   node bench/overhead.js [--rounds 15] [--calls 200000] [--json]
const { Orchestrator } = require('..');
const { CircuitBreaker } = require('..');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const ROUNDS = arg('rounds', 15);
const CALLS = arg('calls', 200000);
const JSON_OUT = process.argv.includes('--json');

const client = { value: 42 };
const query = async (c) => c.value;
const ignore = () => {};

async function main() {
  const { circuitBreaker, handleAll, ConsecutiveBreaker } = await import('cockatiel');
  const Opossum = require('opossum');

  const config = {
    connections: { primary: client, replica: { value: 7 } },
    failover: { primary: 'replica' },
    healthCheck: { interval: '1h', checks: { primary: async () => true, replica: async () => true } },
  };
  const db = new Orchestrator({ ...config, circuitBreaker: { threshold: 5 } });
  const nb = new Orchestrator(config);
  await db.connect();
  await nb.connect();
  if (db.getStats().primary.circuit !== 'closed' || nb.getStats().primary.circuit !== 'n/a') {
    throw new Error('bench: the [breaker] orchestrator must have a breaker and the [no breaker] one none');
  }
  const cockatiel = circuitBreaker(handleAll, { halfOpenAfter: 30000, breaker: new ConsecutiveBreaker(5) });
  const opossum = new Opossum(async (thunk) => thunk(), { resetTimeout: 30000 });
  const standalone = new CircuitBreaker({ threshold: 5 }); // omnidb's, on its own

  const variants = {
    'bare await fn(client)': () => query(client),
    'floor: + p.then(undefined, h)': () => {
      const p = query(client);
      p.then(undefined, ignore);
      return p;
    },
    'deadline floor: + new Promise settled by p': () => {
      const p = query(client);
      return new Promise((resolve, reject) => { p.then(resolve, reject); });
    },
    'execute(name, fn) [breaker]': () => db.execute('primary', query),
    'execute(name, fn, { idempotent: true }) [breaker]': () => db.execute('primary', query, { idempotent: true }),
    'execute(name, fn, { failover: false }) [breaker]': () => db.execute('primary', query, { failover: false }),
    "execute(name, fn, { timeout: '5s' }) [breaker]": () => db.execute('primary', query, { timeout: '5s' }),
    "execute(name, fn, { idempotent: true, timeout: '5s' }) [breaker]": () => db.execute('primary', query, { idempotent: true, timeout: '5s' }),
    'execute(name, fn) [no breaker]': () => nb.execute('primary', query),
    'execute(name, fn, { idempotent: true }) [no breaker]': () => nb.execute('primary', query, { idempotent: true }),
    "execute(name, fn, { timeout: '5s' }) [no breaker]": () => nb.execute('primary', query, { timeout: '5s' }),
    'cockatiel 4 execute()': () => cockatiel.execute(() => query(client)),
    'opossum 10 fire()': () => opossum.fire(() => query(client)),
    'CircuitBreaker execute(fn)': () => standalone.execute(() => query(client)),
  };
  const names = Object.keys(variants);
  const samples = Object.fromEntries(names.map((n) => [n, []]));

  async function run(fn, calls) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) await fn();
    return Number(process.hrtime.bigint() - start) / calls;
  }

  for (const n of names) await run(variants[n], CALLS / 4); // warm up every JIT tier
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order each round so no variant always runs after the same neighbour.
    for (let k = 0; k < names.length; k++) {
      const n = names[(r + k) % names.length];
      samples[n].push(await run(variants[n], CALLS));
    }
  }

  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
  const bare = median(samples[names[0]]);
  const floor = median(samples[names[1]]);
  const deadlineFloor = median(samples[names[2]]);
  const rows = names.map((n) => {
    const ns = median(samples[n]);
    return { variant: n, nsPerCall: ns, vsBare: ns / bare, vsFloor: ns / floor, vsDeadlineFloor: ns / deadlineFloor };
  });
  await db.disconnect();
  await nb.disconnect();
  opossum.shutdown();

  if (JSON_OUT) {
    console.log(JSON.stringify({ rounds: ROUNDS, calls: CALLS, node: process.version, breaker: { '[breaker]': { threshold: 5 }, '[no breaker]': null }, rows }));
    return;
  }
  console.log(`execute() overhead: ${ROUNDS} rounds x ${CALLS} calls each, node ${process.version}, medians`);
  console.log("[breaker]: circuitBreaker: { threshold: 5 }; [no breaker]: no circuitBreaker key\n");
  console.log('| variant | ns/call | vs bare | vs floor | vs deadline floor |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    console.log(`| ${row.variant} | ${row.nsPerCall.toFixed(1)} | ${row.vsBare.toFixed(2)}x | ${row.vsFloor.toFixed(2)}x | ${row.vsDeadlineFloor.toFixed(2)}x |`);
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
