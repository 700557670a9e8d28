'use strict';
// The README's "Example: Express", run as written: the code block is taken from
// README.md, saved as a file whose `require('omnidb')` resolves to this package, and
// run as its own Node process against the harness's primary and streaming replica
// (PRIMARY_URL, REPLICA_URL, PORT, as the example reads them). Under a steady stream of
// GET /users, the primary is SIGKILLed: the pg Pool's idle clients then emit 'error'
// (the example adds no listener of its own), and every read must still answer 200,
// served by the replica once the primary has failed over. The process must survive
// it, and exit 0 on SIGTERM (its shutdownOnSignal()).

const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');
const { Client } = require('pg');
const { startCluster } = require('../harness/servers');
const { poll, restoreCluster } = require('./chaos-helpers');

jest.setTimeout(60000);

const ROOT = path.join(__dirname, '..', '..');
let cluster;
let dir;
let child = null;
let output = '';

/** The code block under "## Example: Express" in README.md. */
function readmeExample() {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Example: Express'));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  if (match === null) throw new Error('README.md has no js code block under "## Example: Express"');
  return match[1];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function sql(url, text) {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  c.on('error', () => {});
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end().catch(() => {});
  }
}

/** Resolves when the child has printed `text` (stdout or stderr), or rejects on exit / timeout. */
function waitForOutput(text, timeout = 20000) {
  return new Promise((resolve, reject) => {
    const done = (fn, value) => {
      clearTimeout(timer);
      child.stdout.removeListener('data', check);
      child.stderr.removeListener('data', check);
      child.removeListener('exit', exited);
      fn(value);
    };
    const check = () => { if (output.includes(text)) done(resolve); };
    const exited = (code, signal) => done(reject, new Error(`the example exited (${code ?? signal}) before printing "${text}":\n${output}`));
    const timer = setTimeout(() => done(reject, new Error(`timed out waiting for "${text}"; output so far:\n${output}`)), timeout);
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('exit', exited);
    check();
  });
}

beforeAll(async () => {
  cluster = await startCluster({ replica: true, redis: false });
  await sql(cluster.primary.url, "CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL); INSERT INTO users (name) VALUES ('ada'), ('grace')");
  await poll(async () => (await sql(cluster.replica.url, 'SELECT count(*)::int AS n FROM users'))[0].n === 2, { what: 'the users table on the replica' });
  // The example as written, in a directory where `omnidb` is this package.
  fs.mkdirSync(path.join(ROOT, 'tmp'), { recursive: true });
  dir = fs.mkdtempSync(path.join(ROOT, 'tmp', 'readme-express-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'omnidb'), 'dir');
  // A package of its own: inside this repository `require('omnidb')` would otherwise
  // resolve as a self-reference of the package, not through node_modules as for a user.
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'readme-express', private: true }));
  fs.writeFileSync(path.join(dir, 'app.js'), readmeExample());
}, 120000);

afterAll(async () => {
  try {
    if (child !== null && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  } finally {
    if (cluster) await cluster.stop();
  }
}, 60000);

test('SIGKILL of the primary under steady reads: 0 failed reads, the process survives, then exits 0 on SIGTERM', async () => {
  const port = await freePort();
  child = spawn(process.execPath, ['app.js'], {
    cwd: dir,
    env: { ...process.env, PRIMARY_URL: cluster.primary.url, REPLICA_URL: cluster.replica.url, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const base = `http://127.0.0.1:${port}`;
  await poll(async () => (await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) })).status === 200,
    { tries: 200, interval: 50, what: 'the example to answer /health' });

  // Two readers, back to back, until told to stop.
  const failed = [];
  let reads = 0;
  let stop = false;
  const reader = async () => {
    while (!stop) {
      try {
        const res = await fetch(`${base}/users`, { signal: AbortSignal.timeout(10000) });
        const body = await res.json();
        if (res.status !== 200) failed.push(`${res.status} ${JSON.stringify(body)}`);
        else reads++;
      } catch (err) {
        failed.push(`${err.name}: ${err.message}`);
      }
    }
  };
  const readers = [reader(), reader()];
  try {
    await poll(() => reads >= 20, { what: '20 reads before the kill' });
    // A burst first, so that the Pool holds idle clients when the server dies: those are
    // the ones that emit 'error' with nothing of the example's own listening.
    const burst = await Promise.all(Array.from({ length: 8 }, () => fetch(`${base}/users`, { signal: AbortSignal.timeout(10000) })));
    expect(burst.map((r) => r.status)).toEqual(Array(8).fill(200));
    await cluster.killPrimary('SIGKILL');
    await waitForOutput('primary -> replica'); // the example's own failover log
    const after = reads;
    await poll(() => reads >= after + 40, { what: '40 reads after the failover' });
  } finally {
    stop = true;
    await Promise.all(readers);
  }
  expect(failed).toEqual([]);
  expect(reads).toBeGreaterThanOrEqual(60);
  expect(child.exitCode).toBeNull(); // still serving: no uncaught 'error' from the pool
  expect(output).not.toMatch(/Unhandled 'error' event|uncaught/i);
  const health = await (await fetch(`${base}/health`)).json();
  // Failed over by its open circuit or by its check, whichever came first.
  expect(health.connections.primary).toMatchObject({ failoverTo: 'replica' });

  await restoreCluster(cluster);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.kill('SIGTERM');
  expect(await exited).toEqual({ code: 0, signal: null });
});
