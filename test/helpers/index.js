'use strict';
// Shared test plumbing: orchestrators that are always disconnected, event
// recorders, and promises settled by hand.
const { Orchestrator, ManualClock } = require('../..');

/**
 * Registers an afterEach that disconnects every Orchestrator made through the
 * returned factory, so no test leaves a timer or handle behind.
 */
function useOrchestrators() {
  const made = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((db) => db.disconnect()));
  });
  return function make(config) {
    const db = new Orchestrator(config);
    made.push(db);
    return db;
  };
}

const ALL_EVENTS = [
  'health:changed', 'circuit:open', 'circuit:half-open', 'circuit:close',
  'failover', 'recovery', 'connected', 'disconnected', 'shutdown',
];

/** Records `[event, payload]` pairs in order for the named events (default: all but 'error'). */
function record(db, events = ALL_EVENTS) {
  const log = [];
  for (const event of events) db.on(event, (payload) => log.push([event, payload]));
  // Non-enumerable, so toEqual on the log compares only the entries.
  Object.defineProperty(log, 'of', { value: (event) => log.filter(([e]) => e === event).map(([, p]) => p) });
  Object.defineProperty(log, 'names', { value: () => log.map(([e]) => e) });
  return log;
}

/** A promise with its resolve/reject exposed. */
function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/** Settles a promise into `{ ok, value }` / `{ ok: false, error }` without throwing. */
async function settle(promise) {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A health check driven by a mutable result: `check.result = false`, or a function. */
function scriptedCheck(initial = true) {
  const check = (client, ctx) => {
    check.calls.push({ client, ctx });
    const r = check.result;
    return typeof r === 'function' ? r(client, ctx) : r;
  };
  check.result = initial;
  check.calls = [];
  return check;
}

/** Lets pending promise reactions and immediates run. */
function flush() {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A primary failing over to a replica, both with checks whose answers the test sets
 * through `health`, on a ManualClock: interval 10s, threshold 2, resetTimeout 1m.
 */
function primaryAndReplica(make, extra = {}) {
  const clock = new ManualClock();
  const health = { primary: true, replica: true };
  const db = make({
    connections: { primary: {}, replica: {} },
    failover: { primary: 'replica' },
    clock,
    healthCheck: { interval: '10s', checks: { primary: () => health.primary, replica: () => health.replica } },
    circuitBreaker: { threshold: 2, resetTimeout: '1m' },
    ...extra,
  });
  return { db, clock, health };
}

/**
 * Runs test/fixtures/<name> in a child node process and resolves with how it ended
 * and what it printed. A child that never exits is caught by Jest's own timeout; a
 * native abort fails the calling test instead of the runner.
 */
function runFixture(name, ...args) {
  return runFixtureWith([], name, ...args);
}

/** runFixture with node's own flags first (`['--expose-gc']`). */
async function runFixtureWith(nodeArgs, name, ...args) {
  const { spawn } = require('child_process');
  const { once } = require('events');
  const path = require('path');
  const child = spawn(process.execPath, [...nodeArgs, path.join(__dirname, '..', 'fixtures', name), ...args],
    { cwd: path.join(__dirname, '..', '..') });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const [code, signal] = await once(child, 'exit');
  return { code, signal, stdout, stderr };
}

module.exports = {
  Orchestrator, ManualClock, useOrchestrators, record, deferred, settle, scriptedCheck, flush, runFixture,
  runFixtureWith, primaryAndReplica,
};
