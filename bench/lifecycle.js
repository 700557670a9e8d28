'use strict';
// Does creating, connecting and disconnecting orchestrators leak? Runs N cycles
// (each with health checks on two connections and a few calls), forcing GC
// between batches, and prints RSS, heap and active resources before and after.
//
//   node --expose-gc bench/lifecycle.js [--cycles 1000]
const { Orchestrator } = require('..');

const i = process.argv.indexOf('--cycles');
const CYCLES = i > 0 ? Number(process.argv[i + 1]) : 1000;

// N-API finalizers run from the event loop, after GC: a loop of awaited promises
// alone would never let them run, as no real application does.
const turn = () => new Promise((r) => setImmediate(r));

async function snapshot() {
  for (let k = 0; k < 3; k++) {
    if (global.gc) global.gc();
    await turn();
  }
  const m = process.memoryUsage();
  return { rssMiB: m.rss / 2 ** 20, heapMiB: m.heapUsed / 2 ** 20, resources: process.getActiveResourcesInfo().length };
}

async function cycle() {
  const client = { query: async () => 1, end: async () => {} };
  const db = new Orchestrator({
    connections: { primary: client, replica: { query: async () => 2 } },
    failover: { primary: 'replica' },
    healthCheck: { interval: '10ms', checks: { primary: async (c) => (await c.query()) === 1, replica: async () => true } },
  });
  await db.connect();
  await db.execute('primary', (c) => c.query());
  await db.execute('primary', async () => { throw new Error('boom'); }).catch(() => {});
  await db.disconnect();
}

async function main() {
  if (!global.gc) console.log('(run with --expose-gc for steadier numbers)');
  for (let k = 0; k < 200; k++) {
    await cycle(); // warm up allocators and JIT
    if (k % 50 === 0) await turn();
  }
  const before = await snapshot();
  for (let k = 0; k < CYCLES; k++) {
    await cycle();
    if (k % 50 === 0) await turn();
  }
  const after = await snapshot();
  console.log(`${CYCLES} create/connect/disconnect cycles`);
  console.log('| | before | after | change |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const k of Object.keys(before)) {
    console.log(`| ${k} | ${before[k].toFixed(1)} | ${after[k].toFixed(1)} | ${after[k] - before[k] >= 0 ? '+' : ''}${(after[k] - before[k]).toFixed(1)} |`);
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
