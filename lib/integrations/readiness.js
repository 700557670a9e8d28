'use strict';
// The one readiness verdict every framework integration answers with: which required
// connections nothing serves, and the per-connection detail of the response body.
// No HTTP here: each framework module turns readinessResponse() into its own reply.

const { ConfigError } = require('../errors');
const { setOwn, describe } = require('../safe');

const DETAILS = ['stats', 'health'];

/** Throws ConfigError unless `db` looks like an Orchestrator. */
function assertOrchestrator(db, fn) {
  if (db === null || typeof db !== 'object' || typeof db.getStats !== 'function' || typeof db.execute !== 'function') {
    throw new ConfigError(`${fn}: db must be an Orchestrator, received ${describe(db)}`);
  }
}

/**
 * The readiness verdict, without HTTP: `ready` is false when any connection in
 * `require` (default: all) is `unhealthy` or has an open circuit AND is not failed
 * over to a backup that serves it. `connections` has `{ status, circuit, failoverTo }`
 * for every connection (`detail: 'health'`: `db.health()`'s `{ status, failoverTo? }`).
 * @param {import('../orchestrator').Orchestrator} db
 * @param {{ require?: string[], detail?: 'stats' | 'health' }} [options]
 * @returns {{ ready: boolean, unavailable: string[], connections: object }}
 */
function readinessReport(db, options = {}) {
  assertOrchestrator(db, 'readinessReport(db, options)');
  return verdict(db, validateReadinessOptions(db, options, 'readinessReport(db, options)'));
}

/** readinessReport() with options already checked (validateReadinessOptions()). */
function verdict(db, { require: required, detail }) {
  const stats = db.getStats();
  const names = required === undefined ? Object.keys(stats) : required;
  const unavailable = [];
  for (const name of names) {
    const s = Object.prototype.hasOwnProperty.call(stats, name) ? stats[name] : undefined;
    if (s === undefined) {
      unavailable.push(name); // not configured (validateReadinessOptions() refuses it up front)
      continue;
    }
    const down = s.status === 'unhealthy' || s.circuit === 'open';
    if (down && s.failoverTo === null) unavailable.push(name);
  }
  let connections;
  if (detail === 'health') {
    connections = db.health();
  } else {
    connections = {};
    for (const [name, s] of Object.entries(stats)) {
      setOwn(connections, name, { status: s.status, circuit: s.circuit, failoverTo: s.failoverTo }); // any name, '__proto__' included
    }
  }
  return { ready: unavailable.length === 0, unavailable, connections };
}

/** Checks readiness options once, at mount time: a copy with defaults filled in. */
function validateReadinessOptions(db, options, fn) {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError(`${fn}: options must be an object, received ${describe(options)}`);
  }
  const { require: required, detail = 'stats' } = options;
  if (required !== undefined) {
    if (!Array.isArray(required) || required.some((n) => typeof n !== 'string')) {
      throw new ConfigError(`${fn}: require must be an array of connection names, received ${JSON.stringify(required)}`);
    }
    for (const name of required) {
      if (!db.has(name)) {
        throw new ConfigError(`${fn}: require names unknown connection "${name}". Available: ${db.list().join(', ')}`);
      }
    }
  }
  if (!DETAILS.includes(detail)) {
    throw new ConfigError(`${fn}: detail must be 'stats' or 'health', received ${JSON.stringify(detail)}`);
  }
  return { require: required === undefined ? undefined : required.slice(), detail };
}

/**
 * What a readiness route answers: 200 `{ status: 'ok', connections }` or 503
 * `{ status: 'unavailable', connections }`, never cached.
 * @returns {{ statusCode: 200 | 503, headers: object, body: object }}
 */
function readinessResponse(db, opts) {
  const { ready, connections } = verdict(db, opts);
  return {
    statusCode: ready ? 200 : 503,
    headers: { 'cache-control': 'no-store' },
    body: { status: ready ? 'ok' : 'unavailable', connections },
  };
}

/** The readiness options of a `readiness(db, options)` factory, checked once. */
function readinessHandlerOptions(db, options, fn) {
  assertOrchestrator(db, fn);
  return validateReadinessOptions(db, options === undefined ? {} : options, fn);
}

module.exports = { assertOrchestrator, readinessReport, verdict, validateReadinessOptions, readinessResponse, readinessHandlerOptions };
