'use strict';
// The Fastify, Koa and Hono examples (examples/<name>/app.js) against a real PostgreSQL
// primary + streaming replica, over real HTTP: 200 everywhere; the primary killed
// (reads served by the replica, the pinned write a 503 with Retry-After naming the
// primary, readiness still 200 since the replica serves); the primary restarted
// (writes 201 again); then the example's server.js started as its own process answers
// and exits by itself on SIGTERM.

const path = require('path');
const { spawn } = require('child_process');
const { once } = require('events');
const { startCluster } = require('../harness/servers');
const { watchUnhandledRejections, EventLog, killPrimaryAndFailOver, restoreAndAwaitHealthy, restoreCluster } = require('./chaos-helpers');

jest.setTimeout(60000);

let cluster;
const unhandled = watchUnhandledRejections();

beforeAll(async () => {
  cluster = await startCluster({ replica: true, redis: false }); // with its `items` table
}, 120000);

afterEach(async () => {
  await restoreCluster(cluster); // whatever a failed test left down
  expect(await unhandled.drain()).toEqual([]);
});

afterAll(async () => {
  try {
    unhandled.dispose();
  } finally {
    if (cluster) await cluster.stop();
  }
}, 60000);

/** A request without keep-alive: `{ status, headers, body }`. */
async function request(base, method, urlPath) {
  const res = await fetch(base + urlPath, { method, headers: { connection: 'close' }, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  return { status: res.status, headers: Object.fromEntries(res.headers), body: /json/.test(res.headers.get('content-type')) ? JSON.parse(text) : text };
}

describe.each(['fastify', 'koa', 'hono'])('examples/%s', (name) => {
  const { createApp } = require(`../../examples/${name}/app`);

  test('serves, fails over while the primary is down (pinned writes: 503 + Retry-After), recovers, and closes', async () => {
    const running = await createApp({ primaryUrl: cluster.primary.url, replicaUrl: cluster.replica.url, interval: '200ms' }).listen();
    const log = new EventLog(running.db);
    const base = `http://127.0.0.1:${running.port}`;
    try {
      expect(await request(base, 'GET', '/ready')).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect(await request(base, 'POST', `/items?name=${name}-1`)).toMatchObject({ status: 201, body: { name: `${name}-1` } });
      expect(await request(base, 'GET', '/items')).toMatchObject({ status: 200, body: { servedBy: 'primary', names: expect.arrayContaining([`${name}-1`]) } });

      await killPrimaryAndFailOver(cluster, log);
      const write = await request(base, 'POST', `/items?name=${name}-2`);
      expect(write.status).toBe(503);
      expect(Number(write.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(write.headers['retry-after']).toMatch(/^\d+$/);
      expect(write.body).toMatchObject({ error: 'circuit_open', code: 'OMNIDB_CIRCUIT_OPEN', connection: 'primary' });
      expect(await request(base, 'GET', '/items')).toMatchObject({ status: 200, body: { servedBy: 'replica', names: expect.any(Array) } });
      const ready = await request(base, 'GET', '/ready');
      expect(ready).toMatchObject({ status: 200, body: { connections: { primary: { status: 'unhealthy', failoverTo: 'replica' } } } });

      await restoreAndAwaitHealthy(cluster, log, running.db);
      expect(await request(base, 'POST', `/items?name=${name}-3`)).toMatchObject({ status: 201, body: { name: `${name}-3` } });
      expect(await request(base, 'GET', '/items')).toMatchObject({ status: 200, body: { servedBy: 'primary', names: expect.arrayContaining([`${name}-3`]) } });
    } finally {
      await running.close();
    }
    expect(running.db.isConnected).toBe(false);
  });

  test('server.js answers, then exits by itself on SIGTERM', async () => {
    const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'examples', name, 'server.js')], {
      env: { ...process.env, PRIMARY_URL: cluster.primary.url, REPLICA_URL: cluster.replica.url, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = once(child, 'exit');
    const [line] = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (\S+)\n/.exec(out);
        if (m) resolve([m[1]]);
      });
      child.once('exit', (code) => reject(new Error(`server.js exited (${code}) before listening: ${stderr}`)));
    });
    expect(await request(line, 'GET', '/ready')).toMatchObject({ status: 200, body: { status: 'ok' } });
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
  });
});
