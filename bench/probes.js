'use strict';
// Native probes at scale, against local servers (test/harness/servers.js):
//
// 1. 200 PostgreSQL + 200 Redis probes at once, every round: each round must finish
//    inside one health-check interval while the event loop stays responsive
//    (perf_hooks.monitorEventLoopDelay p99 under 10 ms).
// 2. CPU time per check (process.cpuUsage, user + system, this process only): a native
//    probe round against `SELECT 1` through `pg` and `PING` through `ioredis`, each with
//    one connection per server and the same concurrency. Bar: native <= 1/3 of those.
//
//   node bench/probes.js [--probes 200] [--rounds 30] [--warmup 30] [--repeats 5] [--interval 1000] [--json]
//
// 3. When MariaDB is installed (test/harness/mariadb.js): CPU per check of native MySQL
//    probes (with and without role detection), same concurrency. No JS-client row: the
//    project does not depend on mysql2.
//
// PostgreSQL gets max_connections = 1200 first (the harness default of 100 is too few:
// the CPU comparison keeps 4 x 200 connections open at once).
const { monitorEventLoopDelay } = require('perf_hooks');
const pg = require('pg');
const Redis = require('ioredis');
const { startCluster } = require('../test/harness/servers');
const { startMariaDb, findMariaDbBinaries } = require('../test/harness/mariadb');
const { probes } = require('..');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const N = arg('probes', 200);
const ROUNDS = arg('rounds', 30);
const WARMUP = arg('warmup', 30); // rounds per variant before measuring: every client JIT-warm
const REPEATS = arg('repeats', 5); // interleaved measurement passes; medians are reported
const INTERVAL = arg('interval', 1000);
const JSON_OUT = process.argv.includes('--json');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs `rounds` rounds of `fns` all at once; CPU µs per call (total, user, sys). */
async function measure(fns, rounds) {
  if (global.gc) global.gc();
  const walls = [];
  const cpu0 = process.cpuUsage();
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    const results = await Promise.all(fns.map((fn) => fn()));
    walls.push(performance.now() - t);
    for (const x of results) {
      if (x && typeof x === 'object' && x.status && x.status !== 'healthy') throw new Error(`probe failed: ${x.error}`);
    }
  }
  const d = process.cpuUsage(cpu0);
  const calls = rounds * fns.length;
  return { total: (d.user + d.system) / calls, user: d.user / calls, sys: d.system / calls, walls };
}

const pct = (xs, p) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** A MariaDB for the MySQL rows, or null (with the reason printed) when none is installed. */
async function maybeMariaDb() {
  try {
    findMariaDbBinaries();
  } catch (err) {
    console.error(`bench: no MySQL rows: ${err.message}`);
    return null;
  }
  return startMariaDb({ replica: false, maxConnections: 3 * N + 50 });
}

async function main() {
  const started = await Promise.allSettled([startCluster({ replica: false, redis: true }), maybeMariaDb()]);
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((r) => r.status === 'fulfilled' && r.value && r.value.stop()));
    throw failed.reason;
  }
  const [cluster, maria] = started.map((r) => r.value);
  try {
    await cluster.psql('primary', 'ALTER SYSTEM SET max_connections = 1200', { db: 'postgres' });
    await cluster.restartPrimary();
    const pgUrl = cluster.primary.url;
    const redisUrl = cluster.redis.url;
    const out = { probes: N, rounds: ROUNDS, interval: INTERVAL };

    // ---- 1. 200 + 200 at once, round after round, under an event-loop monitor --------------
    const pgProbes = Array.from({ length: N }, () => probes.postgres(pgUrl));
    const redisProbes = Array.from({ length: N }, () => probes.redis(redisUrl));
    const all = [...pgProbes, ...redisProbes].map((p) => () => p(null, {}));
    const connectDelay = monitorEventLoopDelay({ resolution: 1 });
    connectDelay.enable();
    const t0 = performance.now();
    const first = await Promise.all(all.map((fn) => fn()));
    const connectRound = performance.now() - t0;
    connectDelay.disable();
    const unhealthy = first.filter((r) => r.status !== 'healthy');
    if (unhealthy.length) throw new Error(`${unhealthy.length} probes failed the first round: ${unhealthy[0].error}`);

    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const walls = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t = performance.now();
      const results = await Promise.all(all.map((fn) => fn()));
      walls.push(performance.now() - t);
      if (results.some((x) => x.status !== 'healthy')) throw new Error('a probe failed in a steady round');
      await sleep(20); // let the monitor sample the loop between rounds too
    }
    delay.disable();
    out.atOnce = {
      connectRoundMs: connectRound,
      connectLoopDelayP99Ms: connectDelay.percentile(99) / 1e6,
      roundMsMedian: pct(walls, 50),
      roundMsMax: Math.max(...walls),
      loopDelayP99Ms: delay.percentile(99) / 1e6,
      loopDelayMaxMs: delay.max / 1e6,
    };
    for (const p of [...pgProbes, ...redisProbes]) p.close();

    // ---- 2. CPU per check: native vs pg / ioredis, same concurrency, interleaved -------------
    // Every variant is set up first, then measured in turn over REPEATS passes; medians.
    // The servers share this machine's CPUs, so single measurements drift.
    const variants = {};
    const cleanups = [];
    const nativeSet = (name, make) => {
      const ps = Array.from({ length: N }, make);
      variants[name] = ps.map((p) => () => p(null, {}));
      cleanups.push(() => ps.forEach((p) => p.close()));
    };
    nativeSet('nativePg', () => probes.postgres(pgUrl));
    nativeSet('nativePgNoRole', () => probes.postgres(pgUrl, { detectRole: false }));
    nativeSet('nativeRedis', () => probes.redis(redisUrl));
    nativeSet('nativeRedisNoRole', () => probes.redis(redisUrl, { detectRole: false }));
    if (maria) {
      nativeSet('nativeMysql', () => probes.mysql(maria.primary.url));
      nativeSet('nativeMysqlNoRole', () => probes.mysql(maria.primary.url, { detectRole: false }));
    }
    const pgClients = Array.from({ length: N }, () => new pg.Client({ connectionString: pgUrl }));
    await Promise.all(pgClients.map((c) => c.connect()));
    variants.pg = pgClients.map((c) => () => c.query('SELECT 1'));
    cleanups.push(() => Promise.all(pgClients.map((c) => c.end())));
    // How JS health checks are usually written: pool.query('SELECT 1'), one pool per server.
    const pools = Array.from({ length: N }, () => new pg.Pool({ connectionString: pgUrl, max: 1 }));
    variants.pgPool = pools.map((p) => () => p.query('SELECT 1'));
    cleanups.push(() => Promise.all(pools.map((p) => p.end())));
    const redisClients = Array.from({ length: N }, () => new Redis(redisUrl, { lazyConnect: true }));
    await Promise.all(redisClients.map((c) => c.connect()));
    variants.ioredis = redisClients.map((c) => () => c.ping());
    cleanups.push(() => redisClients.forEach((c) => c.disconnect()));

    for (const fns of Object.values(variants)) await measure(fns, WARMUP);
    const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    for (let pass = 0; pass < REPEATS; pass++) {
      for (const [name, fns] of Object.entries(variants)) samples[name].push(await measure(fns, ROUNDS));
    }
    const cpu = {};
    for (const [name, list] of Object.entries(samples)) {
      const med = (key) => pct(list.map((m) => m[key]), 50);
      cpu[name] = { total: med('total'), user: med('user'), sys: med('sys') };
    }
    for (const c of cleanups) await c();
    out.cpuMicrosPerCheck = cpu;
    out.ratio = {
      pg: cpu.nativePg.total / cpu.pg.total,
      pgPool: cpu.nativePg.total / cpu.pgPool.total,
      redis: cpu.nativeRedis.total / cpu.ioredis.total,
      pgUser: cpu.nativePg.user / cpu.pg.user,
      redisUser: cpu.nativeRedis.user / cpu.ioredis.user,
    };

    const bars = {
      [`every round of ${2 * N} probes inside one ${INTERVAL} ms interval`]: out.atOnce.roundMsMax < INTERVAL,
      'event-loop delay p99 < 10 ms': out.atOnce.loopDelayP99Ms < 10,
      'native PostgreSQL CPU <= 1/3 of pg Client SELECT 1': out.ratio.pg <= 1 / 3,
      'native Redis CPU <= 1/3 of ioredis PING': out.ratio.redis <= 1 / 3,
    };
    out.bars = bars;
    if (JSON_OUT) {
      console.log(JSON.stringify(out, null, 2));
    } else {
      const f = (x, d = 1) => x.toFixed(d);
      console.log(`${N} PostgreSQL + ${N} Redis probes at once, ${ROUNDS} rounds (node ${process.version})`);
      console.log(`  first round (connects)    ${f(out.atOnce.connectRoundMs)} ms, loop delay p99 ${f(out.atOnce.connectLoopDelayP99Ms, 2)} ms`);
      console.log(`  steady round              median ${f(out.atOnce.roundMsMedian)} ms, max ${f(out.atOnce.roundMsMax)} ms`);
      console.log(`  event-loop delay          p99 ${f(out.atOnce.loopDelayP99Ms, 2)} ms, max ${f(out.atOnce.loopDelayMaxMs, 2)} ms`);
      const row = (name, m, extra = '') => console.log(`  ${name.padEnd(32)}${f(m.total).padStart(6)} = ${f(m.user).padStart(5)} user + ${f(m.sys).padStart(5)} sys${extra}`);
      console.log(`CPU per check, µs (process.cpuUsage, median of ${REPEATS} interleaved passes of ${ROUNDS} rounds)`);
      row('native postgres', cpu.nativePg);
      row('native postgres, detectRole:false', cpu.nativePgNoRole);
      row('pg Client SELECT 1', cpu.pg, `   native/pg ${f(out.ratio.pg, 2)} (user only ${f(out.ratio.pgUser, 2)})`);
      row('pg Pool SELECT 1', cpu.pgPool, `   native/pg ${f(out.ratio.pgPool, 2)}`);
      row('native redis (PING + ROLE)', cpu.nativeRedis);
      row('native redis, detectRole:false', cpu.nativeRedisNoRole);
      row('ioredis PING', cpu.ioredis, `   native/ioredis ${f(out.ratio.redis, 2)} (user only ${f(out.ratio.redisUser, 2)})`);
      if (cpu.nativeMysql) {
        row('native mysql (+ read_only, status)', cpu.nativeMysql);
        row('native mysql, detectRole:false', cpu.nativeMysqlNoRole);
      }
      for (const [name, ok] of Object.entries(bars)) console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}`);
    }
    process.exitCode = Object.values(bars).every(Boolean) ? 0 : 1;
  } finally {
    await Promise.all([cluster.stop(), maria && maria.stop()]);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
