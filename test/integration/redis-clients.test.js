'use strict';
// The Redis client families against real Redis servers (test/harness/servers.js, two
// clusters for two Redis servers) with the real clients: ioredis 5 and 6, node-redis 4
// and 5. For each: execute() returns results; reply errors (WRONGTYPE, ERR ...) leave
// a threshold-1 circuit closed; killing Redis opens it, and what the client raises in
// flight and while Redis is down are connection errors, so idempotent reads run again
// on the second Redis; the family check reports unhealthy within its deadline while
// Redis is down; disconnect() closes the client, gracefully while Redis is up and by
// force while it is down or frozen; a process that uses the client exits by itself.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { once } = require('events');
const { spawn } = require('child_process');
const { startCluster, waitFor } = require('../harness/servers');
const { Orchestrator } = require('../..');
const { isConnectionError } = require('../../lib/classify');
const { familyOf } = require('../../lib/clients');
const { VARIANTS, LABELS, makeRedisClient, command, isClosed } = require('./redis-clients-helpers');

jest.setTimeout(60000);

const stateOf = (pid) => {
  try {
    return /^\S+ \(.*\) (\S)/.exec(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))[1];
  } catch {
    return null;
  }
};

let main; // the Redis that gets killed
let spare; // the second Redis, where idempotent reads run again
const open = new Set(); // clients to close whatever a test did

beforeAll(async () => {
  [main, spare] = await Promise.all([
    startCluster({ replica: false, redis: true }),
    startCluster({ replica: false, redis: true }),
  ]);
}, 120000);

afterAll(async () => {
  for (const c of open) {
    try {
      await familyOf(c).forceClose(c);
    } catch {
      // already closed
    }
  }
  await Promise.all([main && main.stop(), spare && spare.stop()]);
});

async function client(variant, cluster, options) {
  const c = await makeRedisClient(variant, cluster.redis.url, options);
  open.add(c);
  return c;
}

async function ensureMainUp() {
  main.thaw('redis');
  try {
    await main.startRedis();
  } catch (err) {
    if (!/already running/.test(err.message)) throw err;
  }
}

afterEach(ensureMainUp);

describe.each(VARIANTS.map((v) => [LABELS[v], v]))('%s', (_, variant) => {
  const family = () => require(variant.startsWith('ioredis') ? '../../lib/clients/ioredis' : '../../lib/clients/node-redis');

  test('execute() returns results; reply errors leave a threshold-1 circuit closed; the check is healthy', async () => {
    const cache = await client(variant, main);
    expect(familyOf(cache)).toBe(family());
    const db = new Orchestrator({
      connections: { cache },
      circuitBreaker: { threshold: 1 },
      healthCheck: { interval: '1h', checks: { cache: (c, { signal }) => family().check(c, { signal }) } },
    });
    await db.connect();
    try {
      expect(db.health().cache.status).toBe('healthy');
      await db.execute('cache', (c) => command(variant, c, 'SET', `${variant}:n`, 'not a number'));
      expect(await db.execute('cache', (c) => command(variant, c, 'GET', `${variant}:n`))).toBe('not a number');

      const replies = [
        ['INCR', `${variant}:n`], // ERR value is not an integer or out of range
        ['LPUSH', `${variant}:n`, 'x'], // WRONGTYPE
        ['NOSUCHCOMMAND'], // ERR unknown command
        ['GET'], // ERR wrong number of arguments
      ];
      for (const args of replies) {
        const error = await db.execute('cache', (c) => command(variant, c, ...args)).then(() => null, (e) => e);
        expect(error).toBeInstanceOf(Error);
        expect(error.message).toMatch(/^(ERR|WRONGTYPE) /);
        expect(isConnectionError(error)).toBe(false);
        expect(db.getStats().cache.circuit).toBe('closed');
      }
      expect(await family().check(cache, {})).toEqual({ status: 'healthy', latencyMs: expect.any(Number) });
    } finally {
      await db.disconnect();
    }
    expect(isClosed(variant, cache)).toBe(true); // the graceful close (QUIT) finished
  });

  test('Redis killed: connection errors in flight and while down, the circuit opens, idempotent reads run on the spare', async () => {
    const cache = await client(variant, main);
    const backup = await client(variant, spare);
    await command(variant, backup, 'SET', `${variant}:k`, 'from the spare');
    await command(variant, backup, 'DEL', `${variant}:q`);
    await command(variant, backup, 'RPUSH', `${variant}:q`, 'queued on the spare');
    const db = new Orchestrator({
      connections: { cache, backup },
      failover: { cache: 'backup' },
      circuitBreaker: { threshold: 1, resetTimeout: '1h' },
      closeTimeout: '1s',
    });
    // The killed client's own 'error' becomes an OmniDB 'error' event (context 'client'),
    // which events.once() would take as its rejection: wait for the event itself.
    db.on('error', () => {});
    const opened = new Promise((resolve) => db.once('circuit:open', (e) => resolve([e])));
    await db.connect();
    try {
      // In flight: BLPOP blocks on the main Redis (its list is empty) until it dies.
      let ranOn = [];
      const inFlight = db.execute('cache', (c) => {
        ranOn.push(c === cache ? 'main' : 'spare');
        return command(variant, c, 'BLPOP', `${variant}:q`, '5');
      }, { idempotent: true });
      const direct = command(variant, cache, 'BLPOP', `${variant}:other`, '5').then(() => null, (e) => e);
      await new Promise((resolve) => setTimeout(resolve, 100)); // both BLPOPs written before the kill
      await main.stopRedis('SIGKILL');

      expect(await inFlight).toEqual([`${variant}:q`, 'queued on the spare']);
      expect(ranOn).toEqual(['main', 'spare']);
      const inFlightError = await direct;
      expect(inFlightError).toBeInstanceOf(Error);
      expect(isConnectionError(inFlightError)).toBe(true);
      const [event] = await opened;
      expect(event.name).toBe('cache');

      // While down: the client's own error is a connection error, raised at once.
      const whileDown = await command(variant, cache, 'GET', `${variant}:k`).then(() => null, (e) => e);
      expect(whileDown).toBeInstanceOf(Error);
      expect(isConnectionError(whileDown)).toBe(true);

      ranOn = [];
      const read = await db.execute('cache', (c) => {
        ranOn.push(c === cache ? 'main' : 'spare');
        return command(variant, c, 'GET', `${variant}:k`);
      }, { idempotent: true });
      expect(read).toBe('from the spare');
      expect(ranOn).toEqual(['spare']); // the open circuit routes to the backup
    } finally {
      const started = Date.now();
      await db.disconnect();
      expect(Date.now() - started).toBeLessThan(2000 * 2); // forced close of the dead one, within 2 x closeTimeout
    }
    expect(isClosed(variant, cache)).toBe(true);
    expect(isClosed(variant, backup)).toBe(true);
  });

  test.each([['fail-fast options', true], ['the client\'s default options (offline queue on)', false]])(
    'while Redis is down the family check reports unhealthy within its deadline (%s)', async (__, failFast) => {
      const cache = await client(variant, main, { failFast });
      await main.stopRedis('SIGKILL');
      const deadline = AbortSignal.timeout(3000);
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await family().check(cache, { signal: deadline }));
      expect(deadline.aborted).toBe(false);
      for (const r of results) expect(r).toEqual({ status: 'unhealthy', latencyMs: expect.any(Number), error: expect.any(String) });

      // Through an orchestrator: the connection goes unhealthy at connect().
      const db = new Orchestrator({
        connections: { cache },
        healthCheck: { interval: '1h', timeout: '3s', checks: { cache: (c, { signal }) => family().check(c, { signal }) } },
        closeTimeout: '1s',
      });
      db.on('error', () => {});
      await db.connect();
      expect(db.health().cache.status).toBe('unhealthy');
      await db.disconnect();
      expect(isClosed(variant, cache)).toBe(true);

      await main.startRedis();
      const back = await makeRedisClient(variant, main.redis.url, { failFast });
      open.add(back);
      expect((await family().check(back, {})).status).toBe('healthy');
      await family().close(back);
    });

  test('frozen Redis: the graceful close cannot finish, the forced one comes within 2 x closeTimeout', async () => {
    const cache = await client(variant, main);
    const db = new Orchestrator({ connections: { cache }, closeTimeout: '1s' });
    const errors = [];
    db.on('error', (e) => errors.push(e));
    await db.connect();
    main.freeze('redis');
    // A signal is delivered asynchronously: until Redis is stopped, it could still answer QUIT.
    await waitFor(() => stateOf(main.redis.pid) === 'T', { timeout: 5000, interval: 5, what: 'Redis to be stopped' });
    const started = Date.now();
    await db.disconnect();
    const took = Date.now() - started;
    main.thaw('redis');
    // node-redis 5's close() waits only for pending replies (none here); the others
    // say QUIT and wait for the answer, which a frozen server never sends.
    expect(took >= 900).toBe(variant !== 'redis5');
    expect(took).toBeLessThan(2000 * 2); // the forced close came in time
    expect(isClosed(variant, cache)).toBe(true);
    expect(errors).toEqual([]); // closed by force: nothing to report
  });

  test.each([['up', false], ['killed before disconnect()', true]])('a process that connects, runs a command and disconnects exits by itself (Redis %s)', async (__, kill) => {
    const child = spawn(process.execPath, [path.join(__dirname, '../fixtures/redis-client-exit.js'), variant, main.redis.url, kill ? 'wait' : ''],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let pending = kill;
    child.stdout.on('data', (d) => {
      out += d;
      if (!pending || !out.includes('PONG')) return;
      pending = false;
      // Redis dies while the process holds its client; then it disconnects.
      main.stopRedis('SIGKILL').then(() => child.stdin.end('go\n'), (e) => child.kill() && (err += e.message));
    });
    child.stderr.on('data', (d) => (err += d));
    if (!kill) child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    const [code, signal] = await once(child, 'exit');
    clearTimeout(timer);
    expect({ code, signal, err }).toEqual({ code: 0, signal: null, err: '' });
    expect(out).toContain('PONG');
  });
});

// The README's Redis example ("Redis clients: offline queues and failover"), as written,
// in a child process; the main Redis is killed, then the example's read runs: it must
// come back from the replica at once, not wait in the client's offline queue.
test('the README\'s Redis example: a read while Redis is down runs on the replica at once', async () => {
  const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Redis clients: offline queues and failover'));
  const example = /```js\n([\s\S]*?)```/.exec(section)[1];
  const root = path.join(__dirname, '../..');
  const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'omnidb-readme-')), 'redis-example.js');
  fs.writeFileSync(script, `${example.replace("require('omnidb')", `require(${JSON.stringify(root)})`)}
(async () => {
  const { once: onceEvent } = require('events');
  await Promise.all([cache, cacheReplica].map((c) => c.status === 'ready' || onceEvent(c, 'ready')));
  await db.connect();
  await cacheReplica.set('user:1', 'from the replica');
  process.stdout.write('ready\\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.destroy();
  const started = Date.now();
  const user = await cachedUser(1);
  process.stdout.write(JSON.stringify({ user, ms: Date.now() - started }) + '\\n');
  await db.disconnect();
})().catch((err) => { process.stderr.write(String(err && err.stack)); process.exitCode = 1; });
`);
  const child = spawn(process.execPath, [script], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_PATH: path.join(root, 'node_modules'), REDIS_URL: main.redis.url, REDIS_REPLICA_URL: spare.redis.url },
  });
  let out = '';
  let err = '';
  let killed = false;
  child.stdout.on('data', (d) => {
    out += d;
    if (killed || !out.includes('ready')) return;
    killed = true;
    main.stopRedis('SIGKILL').then(() => child.stdin.end('go\n'), (e) => { err += e.message; child.kill(); });
  });
  child.stderr.on('data', (d) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  fs.rmSync(path.dirname(script), { recursive: true, force: true });
  expect({ code, failed: /Error:/.test(err) ? err : '' }).toEqual({ code: 0, failed: '' });
  const result = JSON.parse(out.trim().split('\n').pop());
  expect(result.user).toBe('from the replica');
  expect(result.ms).toBeLessThan(1000); // no offline-queue wait (that would be seconds)
});
