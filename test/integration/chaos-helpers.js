'use strict';
// Shared plumbing for the real-server integration tests (failover.test.js,
// express.test.js, partial-faults.test.js): an unhandled-rejection guard that works inside
// Jest, an event recorder with bounded waits, a bounded poll for the few things that have
// no event, and chaos steps (connection-slot exhaustion, restoring the cluster).
// Not a test file itself (Jest only runs *.test.js).

const vm = require('vm');

/**
 * The real `process`. Inside Jest a test file sees a sandbox copy of `process` whose
 * events never fire (Node emits 'unhandledRejection' on the real one), so a guard
 * registered on the sandbox copy would never see anything. vm.runInThisContext runs in
 * the host's main context, where `process` is the real object.
 */
const realProcess = vm.runInThisContext('process');

/**
 * Collects every unhandled rejection from now on. `reasons` is the live list;
 * `dispose()` removes the listener (call it in afterAll).
 */
function watchUnhandledRejections() {
  const reasons = [];
  const onRejection = (reason) => reasons.push(reason);
  const targets = [...new Set([realProcess, process])];
  for (const t of targets) t.on('unhandledRejection', onRejection);
  return {
    reasons,
    /** Lets pending rejections surface, then returns and clears what was collected. */
    async drain() {
      await new Promise((resolve) => setImmediate(resolve));
      return reasons.splice(0).map((r) => (r instanceof Error ? `${r.name}: ${r.message}` : String(r)));
    },
    dispose() {
      for (const t of targets) t.removeListener('unhandledRejection', onRejection);
    },
  };
}

const EVENTS = ['health:changed', 'circuit:open', 'circuit:half-open', 'circuit:close', 'failover', 'recovery'];

/** The connection an event is about: `name` for most, `primary` for failover/recovery. */
const subject = (event, payload) => (event === 'failover' || event === 'recovery' ? payload.primary : payload.name);

/**
 * Records `{ event, payload, at }` for the orchestrator's state events, in order, and
 * lets a test await the first recorded event that matches a predicate (already seen or
 * still to come), bounded by a timeout that reports what was seen instead.
 */
class EventLog {
  constructor(emitter, events = EVENTS) {
    this.entries = [];
    this.waiters = new Set();
    for (const event of events) {
      emitter.on(event, (payload) => {
        const entry = { event, payload, at: Date.now() };
        this.entries.push(entry);
        for (const w of [...this.waiters]) {
          if (w.match(entry)) w.done(entry);
        }
      });
    }
  }

  /** Entries about one connection (`name`, or `primary` for failover/recovery). */
  about(name) {
    return this.entries.filter((e) => subject(e.event, e.payload) === name);
  }

  count(event, name) {
    return this.entries.filter((e) => e.event === event && (name === undefined || subject(e.event, e.payload) === name)).length;
  }

  /** A compact, readable trace for failure messages: `primary circuit:open(failure-threshold)`. */
  describe(entries = this.entries) {
    return entries.map(({ event, payload }) => {
      const detail = event === 'health:changed' ? `${payload.previous}->${payload.current}`
        : event === 'failover' || event === 'recovery' ? `->${payload.backup}` : payload.reason || '';
      return `${subject(event, payload)} ${event}(${detail})`;
    }).join(', ') || '(none)';
  }

  /**
   * Resolves with the first entry (from index `since` on) for which `match(entry)` is true.
   * @param {(e: {event: string, payload: object}) => boolean} match
   */
  waitFor(match, { timeout = 10000, what = 'an event', since = 0 } = {}) {
    const seen = this.entries.slice(since).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        done: (entry) => {
          clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          resolve(entry);
        },
      };
      waiter.timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${timeout} ms waiting for ${what}; events so far: ${this.describe()}`));
      }, timeout);
      this.waiters.add(waiter);
    });
  }

  /** Shorthand: the first `event` about `name` whose payload matches `fields`. */
  waitForEvent(event, name, fields = {}, opts = {}) {
    const match = (e) => e.event === event && subject(e.event, e.payload) === name &&
      Object.entries(fields).every(([k, v]) => e.payload[k] === v);
    return this.waitFor(match, { what: `${event} ${name} ${JSON.stringify(fields)}`, ...opts });
  }
}

/**
 * A bounded poll, for what has no event (a row showing up on the replica): checks,
 * then waits `interval` ms, at most `tries` times. Resolves with the first truthy value.
 */
async function poll(check, { tries = 250, interval = 20, what = 'a condition' } = {}) {
  let lastError;
  for (let i = 0; i < tries; i++) {
    try {
      const v = await check();
      if (v) return v;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  throw new Error(`gave up after ${tries} checks waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
}

/** A promise that resolves the first time `counter()` reaches `n`; call `.check()` after each change. */
function threshold(counter, n) {
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  const check = () => { if (counter() >= n) resolve(); };
  return { promise, check };
}

// Connection slots held by exhaustConnections() and not released yet: restoreCluster()
// releases them (a failed test must not leave the primary refusing every connection).
const heldSlots = new Set();

const EXHAUST_APP = 'omnidb-exhaust';
const quoteIdent = (name) => `"${String(name).replace(/"/g, '""')}"`;

/**
 * Takes every connection slot of the PostgreSQL server at `url` (a superuser URL: the
 * superuser-reserved slots are taken too) with raw pg Clients, so that any new connection
 * fails with SQLSTATE 53300 (too_many_connections) until `release()`.
 *
 * With `role` (a non-superuser role, the app's), the role's existing backends are
 * terminated first, so that the app's pool needs new connections and gets 53300. Its
 * reconnects would win the slots that frees (a terminated client hears of it before its
 * backend exits), so the role's new connections are refused with the same SQLSTATE 53300
 * through `ALTER ROLE ... CONNECTION LIMIT 0` until `release()`: a slot that frees for a
 * moment after the fill (a refused attempt's backend counted while it exits) cannot give
 * the app a connection in the middle of the fault. From the app's side it is one
 * continuous 53300.
 *
 * Resolves with `{ held, terminated, release }` once every slot is in use (`held` of them
 * ours, the rest kept by clients not terminated); `release()` closes ours (idempotent). Walsenders (the replica) have
 * slots of their own and keep streaming.
 */
async function exhaustConnections(url, { role, rounds = 200, batch = 8 } = {}) {
  const { Client } = require('pg');
  const held = [];
  const entry = { release: null };
  let released = null;
  let limited = null; // the role's connection limit before we set it to 0
  // Restores the role's limit, on a held client or, if none is left or it is gone, a
  // fresh one. It is a catalog change that outlives the test: a failure rejects release().
  const restoreLimit = async () => {
    if (limited === null) return;
    const sql = `ALTER ROLE ${quoteIdent(role)} CONNECTION LIMIT ${Number(limited)}`;
    limited = null;
    if (held.length > 0 && (await held[0].query(sql).then(() => true, () => false))) return;
    const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.query(sql);
    } finally {
      await c.end().catch(() => {});
    }
  };
  entry.release = () => {
    if (released === null) {
      heldSlots.delete(entry);
      const closeHeld = () => Promise.all(held.splice(0).map((c) => c.end().catch(() => {})));
      released = restoreLimit().then(closeHeld, (err) => closeHeld().then(() => { throw err; })).then(() => undefined);
    }
    return released;
  };
  heldSlots.add(entry);
  // One connection attempt: true if it got a slot, false on 53300.
  const open = async () => {
    const c = new Client({ connectionString: url, application_name: EXHAUST_APP, connectionTimeoutMillis: 5000 });
    c.on('error', () => {}); // a held slot whose server goes away
    try {
      await c.connect();
    } catch (err) {
      await c.end().catch(() => {});
      if (err && err.code === '53300') return false;
      throw err;
    }
    held.push(c);
    return true;
  };
  let admin = null; // the first held client
  let terminated = 0;
  try {
    if (!(await open())) throw new Error('exhaustConnections: the server has no free slot to start from');
    admin = held[0];
    const max = Number((await admin.query('SHOW max_connections')).rows[0].max_connections);
    if (role !== undefined) {
      const { rows } = await admin.query('SELECT rolconnlimit, rolsuper FROM pg_roles WHERE rolname = $1', [role]);
      if (rows.length !== 1) throw new Error(`exhaustConnections: no role ${role}`);
      if (rows[0].rolsuper) throw new Error(`exhaustConnections: role ${role} is a superuser (not subject to CONNECTION LIMIT)`);
      limited = rows[0].rolconnlimit;
      await admin.query(`ALTER ROLE ${quoteIdent(role)} CONNECTION LIMIT 0`);
      // pg_terminate_backend(pid, timeout) waits for each backend to exit.
      const { rows: killed } = await admin.query(
        `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))::int AS n FROM pg_stat_activity
          WHERE backend_type = 'client backend' AND usename = $1`, [role]);
      terminated = killed[0].n;
    }
    // Fill, `batch` at a time. A 53300 can be transient (another client's attempt holds a
    // slot for the moment it takes to be refused), so it ends only once established client
    // backends (ours and whoever else keeps one) fill all max_connections slots.
    const inUse = async () => Number((await admin.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend'")).rows[0].n);
    for (let round = 0; ; round++) {
      if (round >= rounds) throw new Error(`exhaustConnections: ${await inUse()} of ${max} slots in use (${held.length} held) after ${rounds} rounds`);
      const results = await Promise.all(Array.from({ length: batch }, open));
      if (results.includes(false)) {
        if ((await inUse()) >= max) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  } catch (err) {
    await entry.release();
    throw err;
  }
  return { held: held.length, terminated, release: entry.release };
}

/** Releases whatever exhaustConnections() still holds. */
async function releaseHeldConnections() {
  await Promise.all([...heldSlots].map((e) => e.release()));
}

/**
 * Puts the cluster back the way the tests expect it (no connection slots held, nothing
 * frozen, primary running as a primary, Redis running), whatever a failed test left
 * behind, so that one failure does not cascade.
 */
async function restoreCluster(cluster) {
  await releaseHeldConnections();
  for (const name of ['primary', 'replica', 'redis']) cluster.thaw(name);
  if (cluster.primary.pid === null) await cluster.restartPrimary();
  else if (await cluster.isInRecovery('primary')) await cluster.promotePrimary();
  if (cluster.redis && cluster.redis.pid === null) await cluster.startRedis();
}

/**
 * A JSON-over-HTTP client for `base()` (read at each call: the server starts in
 * beforeAll). Every request is bounded, so a hang fails with the route's name
 * instead of the test timeout.
 */
function httpClient(base) {
  const http = async (method, urlPath, body) => {
    const res = await fetch(base() + urlPath, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.json() };
  };
  return { get: (urlPath) => http('GET', urlPath), post: (urlPath, body) => http('POST', urlPath, body) };
}

/** SIGKILLs the primary and waits until `db` (recorded by `log`) has failed it over and marked it unhealthy. */
async function killPrimaryAndFailOver(cluster, log) {
  const since = log.entries.length;
  await cluster.killPrimary('SIGKILL');
  await log.waitForEvent('failover', 'primary', {}, { since });
  await log.waitForEvent('health:changed', 'primary', { current: 'unhealthy' }, { since });
}

/** SIGSTOPs the replica and waits until its health check calls it unhealthy. */
async function freezeReplica(cluster, log) {
  const since = log.entries.length;
  cluster.freeze('replica');
  await log.waitForEvent('health:changed', 'replica', { current: 'unhealthy' }, { since });
}

/** Thaws/restarts whatever is down, then waits until primary and replica are healthy and streaming again. */
async function restoreAndAwaitHealthy(cluster, log, db) {
  const since = log.entries.length;
  await restoreCluster(cluster);
  for (const name of ['primary', 'replica']) {
    if (db.health()[name].status !== 'healthy') {
      await log.waitForEvent('health:changed', name, { current: 'healthy' }, { since, timeout: 15000 });
    }
  }
  await cluster.waitForStreaming();
}

module.exports = {
  watchUnhandledRejections, EventLog, poll, threshold, restoreCluster, realProcess, httpClient,
  killPrimaryAndFailOver, freezeReplica, restoreAndAwaitHealthy, exhaustConnections, releaseHeldConnections,
};
