'use strict';
// Shared plumbing for the real-server integration tests (failover.test.js,
// express.test.js): an unhandled-rejection guard that works inside Jest, an event
// recorder with bounded waits, and a bounded poll for the few things that have no event.
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

/**
 * Puts the cluster back the way the tests expect it (nothing frozen, primary and Redis
 * running), whatever a failed test left behind, so that one failure does not cascade.
 */
async function restoreCluster(cluster) {
  for (const name of ['primary', 'replica', 'redis']) cluster.thaw(name);
  if (cluster.primary.pid === null) await cluster.restartPrimary();
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
    return { status: res.status, body: await res.json() };
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
  killPrimaryAndFailOver, freezeReplica, restoreAndAwaitHealthy,
};
