'use strict';
// `npm run demo`: a live failover against real servers.
//
// Starts a PostgreSQL primary, a streaming replica and Redis on free ports (throwaway
// directories, always stopped), runs the Express example on top, drives steady HTTP
// load, SIGKILLs the primary, restarts it, and prints every OmniDB event with its
// offset, then a summary. Exits 0 when reads stayed up throughout.
//
// It also draws the story: demo-failover.svg (requests per 100 ms by what served them,
// failures, latency, the events as labelled lines) and demo-report.html (the same
// picture with the summary and the event list, self-contained), written to the
// current directory or to `--out DIR`; a sparkline of the same in the terminal.
const fs = require('fs');
const path = require('path');
const { startCluster } = require('../test/harness/servers');
const { createApp } = require('./express/app');
const { failoverSvg, reportHtml, sparkline } = require('./demo-chart');

const READERS = 4;
const KILL_AFTER_MS = 2000;
const DOWN_FOR_MS = 4000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function outDir() {
  const i = process.argv.indexOf('--out');
  const dir = path.resolve(i > 0 && process.argv[i + 1] ? process.argv[i + 1] : '.');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

// What the chart calls each event, from its name and payload.
function eventLabel(event, e) {
  if (event === 'health:changed') return `${e.name} ${e.current}`;
  return event;
}

async function main() {
  const out = outDir();
  const t0 = Date.now();
  const at = () => Date.now() - t0;
  const line = (offset, what, detail = '') => console.log(`${`+${offset}ms`.padStart(9)}  ${what.padEnd(18)} ${detail}`);

  console.log('starting PostgreSQL primary + streaming replica + Redis ...');
  const cluster = await startCluster({ replica: true, redis: true });
  let server;
  let db;
  let start;
  try {
    ({ app: server, db, start } = createApp({
      primaryUrl: cluster.primary.url,
      replicaUrl: cluster.replica.url,
      redisUrl: cluster.redis.url,
      interval: '1s',
    }));
    const events = [];
    for (const event of ['circuit:open', 'failover', 'health:changed', 'circuit:half-open', 'recovery', 'circuit:close']) {
      db.on(event, (e) => {
        const offset = at();
        const { timestamp, ...rest } = e;
        events.push({ event, offset, label: eventLabel(event, e), detail: JSON.stringify(rest) });
        line(offset, event, JSON.stringify(rest));
      });
    }
    await start();
    const http = server.listen(0, '127.0.0.1');
    await new Promise((resolve) => http.once('listening', resolve));
    const base = `http://127.0.0.1:${http.address().port}`;
    line(at(), 'ready', `app on ${base}, primary :${cluster.primary.port}, replica :${cluster.replica.port}, redis :${cluster.redis.port}`);

    const stats = { reads: 0, readFailures: 0, byReplica: 0, writes: 0, writesRejected: 0, writeFailures: 0, cacheReads: 0 };
    let killedAt = null;
    let firstReplicaReadAt = null;
    const failures = [];
    const samples = []; // { at, kind, latencyMs } per request, for the chart
    const chaos = []; // { offset, label, detail }
    const loadStart = at();
    const sample = (kind, began) => samples.push({ at: began - loadStart, kind, latencyMs: at() - began });
    let running = true;

    const reader = async (n) => {
      for (let i = 0; running; i++) {
        const began = at();
        try {
          if (n === 0 && i % 5 === 0) {
            const res = await fetch(`${base}/items`, {
              method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `w${i}` }),
            });
            stats.writes++;
            if (res.status === 503) stats.writesRejected++;
            else if (!res.ok) stats.writeFailures++;
            await res.arrayBuffer();
            sample(res.status === 503 ? 'refused' : res.ok ? 'write' : 'failed', began);
            continue;
          }
          const route = n === 1 ? '/cached/items' : '/items';
          const res = await fetch(base + route);
          const body = await res.json();
          stats.reads++;
          if (route === '/cached/items') stats.cacheReads++;
          if (!res.ok) {
            stats.readFailures++;
            failures.push(`${at()}ms ${res.status} ${body.error}`);
          } else if (body.servedBy === 'replica') {
            stats.byReplica++;
            if (killedAt !== null && firstReplicaReadAt === null) firstReplicaReadAt = at();
          }
          sample(!res.ok ? 'failed' : route === '/cached/items' ? 'cache' : body.servedBy, began);
        } catch (err) {
          stats.readFailures++;
          failures.push(`${at()}ms ${err.message}`);
          sample('failed', began);
        }
        await sleep(5);
      }
    };
    const load = Promise.all(Array.from({ length: READERS }, (_, n) => reader(n)));

    await sleep(KILL_AFTER_MS);
    killedAt = at();
    chaos.push({ offset: killedAt, label: 'kill primary (SIGKILL)', detail: 'SIGKILL to the PostgreSQL primary' });
    line(killedAt, 'CHAOS', 'primary SIGKILLed');
    await cluster.killPrimary('SIGKILL');
    await sleep(DOWN_FOR_MS);
    const restartAt = at();
    const recovered = new Promise((resolve) => db.once('recovery', () => resolve(at())));
    chaos.push({ offset: restartAt, label: 'restart primary', detail: 'pg_ctl start' });
    line(restartAt, 'CHAOS', 'primary restarting');
    await cluster.restartPrimary();
    let giveUp;
    const recoveryAt = await Promise.race([
      recovered,
      new Promise((resolve) => { giveUp = setTimeout(resolve, 20000, null); }),
    ]);
    clearTimeout(giveUp);
    await sleep(1000);
    running = false;
    await load;
    const loadEnd = at();

    const timeToReplica = firstReplicaReadAt === null ? null : firstReplicaReadAt - killedAt;
    const timeToRecovery = recoveryAt === null ? null : recoveryAt - restartAt;
    const summary = {
      'reads served': stats.reads - stats.readFailures,
      'reads failed': stats.readFailures,
      'reads served by the replica': stats.byReplica,
      'reads through the Redis cache route': stats.cacheReads,
      'writes attempted': stats.writes,
      'writes refused fast (503) while the primary was down': stats.writesRejected,
      'writes failed otherwise': stats.writeFailures,
      'kill -> first read served by the replica (ms)': timeToReplica,
      'restart -> recovery event (ms)': timeToRecovery,
    };
    console.log('\nsummary');
    console.table(summary);
    for (const f of failures.slice(0, 5)) console.log(`  failed read: ${f}`);

    const ok = stats.readFailures === 0 && timeToReplica !== null && timeToReplica <= 1500 && recoveryAt !== null &&
      events.some((e) => e.event === 'failover');
    const files = drawStory({ out, samples, chaos, events, summary, loadStart, loadEnd, killedAt, recoveryAt });
    console.log(ok ? '\nOK: no read failed; the replica served within 1.5 s of the kill; the primary recovered.'
      : '\nNOT OK: see the summary above.');
    console.log(`picture: ${files.svg}\nreport:  ${files.html}`);
    await new Promise((resolve) => http.close(resolve));
    await db.disconnect();
    db = null;
    process.exitCode = ok ? 0 : 1;
  } finally {
    if (db) await db.disconnect();
    await cluster.stop();
  }
}

/** Writes the SVG and the HTML report, and prints the sparkline. Returns the paths. */
function drawStory({ out, samples, chaos, events, summary, loadStart, loadEnd, killedAt, recoveryAt }) {
  const durationMs = loadEnd - loadStart;
  const marks = [...chaos, ...events].sort((a, b) => a.offset - b.offset)
    .map((e) => ({ at: e.offset - loadStart, label: e.label, detail: e.detail }));
  const outage = { from: killedAt - loadStart, to: (recoveryAt === null ? loadEnd : recoveryAt) - loadStart };
  const svg = failoverSvg({ samples, events: marks, durationMs, outage });
  const files = { svg: path.join(out, 'demo-failover.svg'), html: path.join(out, 'demo-report.html') };
  fs.writeFileSync(files.svg, svg);
  fs.writeFileSync(files.html, reportHtml({ svg, summary, events: marks }));

  const spark = sparkline({ samples, durationMs, width: 64 });
  const ruler = ' '.repeat(64).split('');
  const letters = { 'kill primary (SIGKILL)': 'K', failover: 'F', 'restart primary': 'R', recovery: 'V' };
  for (const m of marks) {
    if (letters[m.label] === undefined) continue;
    let i = Math.min(spark.primary.length - 1, Math.floor(m.at / spark.per));
    while (ruler[i] !== ' ' && i < ruler.length - 1) i++; // same cell as the previous mark: the next one
    ruler[i] = letters[m.label];
  }
  console.log(`\nrequests per ${spark.per} ms (K kill, F failover, R restart, V recovery)`);
  console.log(`  primary  |${spark.primary}|`);
  console.log(`  replica  |${spark.replica}|`);
  console.log(`  failed   |${spark.failed}|`);
  console.log(`  events   |${ruler.join('').slice(0, spark.primary.length)}|`);
  return files;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
