'use strict';
// `npm run demo`: a live failover against real servers.
//
// Starts a PostgreSQL primary, a streaming replica and Redis on free ports (throwaway
// directories, always stopped), runs the Express example on top, drives steady HTTP
// load, SIGKILLs the primary, restarts it, and prints every OmniDB event with its
// offset, then a summary. Exits 0 when reads stayed up throughout.
const { startCluster } = require('../test/harness/servers');
const { createApp } = require('./express/app');

const READERS = 4;
const KILL_AFTER_MS = 2000;
const DOWN_FOR_MS = 4000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
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
        events.push({ event, offset });
        const { timestamp, ...rest } = e;
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
    let running = true;

    const reader = async (n) => {
      for (let i = 0; running; i++) {
        try {
          if (n === 0 && i % 5 === 0) {
            const res = await fetch(`${base}/items`, {
              method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `w${i}` }),
            });
            stats.writes++;
            if (res.status === 503) stats.writesRejected++;
            else if (!res.ok) stats.writeFailures++;
            await res.arrayBuffer();
            continue;
          }
          const path = n === 1 ? '/cached/items' : '/items';
          const res = await fetch(base + path);
          const body = await res.json();
          stats.reads++;
          if (path === '/cached/items') stats.cacheReads++;
          if (!res.ok) {
            stats.readFailures++;
            failures.push(`${at()}ms ${res.status} ${body.error}`);
          } else if (body.servedBy === 'replica') {
            stats.byReplica++;
            if (killedAt !== null && firstReplicaReadAt === null) firstReplicaReadAt = at();
          }
        } catch (err) {
          stats.readFailures++;
          failures.push(`${at()}ms ${err.message}`);
        }
        await sleep(5);
      }
    };
    const load = Promise.all(Array.from({ length: READERS }, (_, n) => reader(n)));

    await sleep(KILL_AFTER_MS);
    killedAt = at();
    line(killedAt, 'CHAOS', 'primary SIGKILLed');
    await cluster.killPrimary('SIGKILL');
    await sleep(DOWN_FOR_MS);
    const restartAt = at();
    const recovered = new Promise((resolve) => db.once('recovery', () => resolve(at())));
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

    const timeToReplica = firstReplicaReadAt === null ? null : firstReplicaReadAt - killedAt;
    const timeToRecovery = recoveryAt === null ? null : recoveryAt - restartAt;
    console.log('\nsummary');
    console.table({
      'reads served': stats.reads - stats.readFailures,
      'reads failed': stats.readFailures,
      'reads served by the replica': stats.byReplica,
      'reads through the Redis cache route': stats.cacheReads,
      'writes attempted': stats.writes,
      'writes refused fast (503) while the primary was down': stats.writesRejected,
      'writes failed otherwise': stats.writeFailures,
      'kill -> first read served by the replica (ms)': timeToReplica,
      'restart -> recovery event (ms)': timeToRecovery,
    });
    for (const f of failures.slice(0, 5)) console.log(`  failed read: ${f}`);

    const ok = stats.readFailures === 0 && timeToReplica !== null && timeToReplica <= 1500 && recoveryAt !== null &&
      events.some((e) => e.event === 'failover');
    console.log(ok ? '\nOK: no read failed; the replica served within 1.5 s of the kill; the primary recovered.'
      : '\nNOT OK: see the summary above.');
    await new Promise((resolve) => http.close(resolve));
    await db.disconnect();
    db = null;
    process.exitCode = ok ? 0 : 1;
  } finally {
    if (db) await db.disconnect();
    await cluster.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
