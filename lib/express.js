'use strict';
// Express (and Connect / plain node:http) integration: a middleware that puts the
// orchestrator on the request, and a readiness handler for Kubernetes-style probes.
// No dependency on express: both are plain (req, res[, next]) functions.

const { ConfigError } = require('./errors');
const { setOwn } = require('./safe');

const DETAILS = ['stats', 'health'];

function assertOrchestrator(db, fn) {
  if (db === null || typeof db !== 'object' || typeof db.getStats !== 'function' || typeof db.execute !== 'function') {
    throw new ConfigError(`${fn}(db): db must be an Orchestrator, received ${db === null ? 'null' : typeof db}`);
  }
}

/**
 * Express middleware that attaches the orchestrator to every request as `req[property]`
 * (default `req.db`).
 * @param {import('./orchestrator').Orchestrator} db
 * @param {{ property?: string }} [options]
 * @returns {(req: object, res: object, next: (err?: unknown) => void) => void}
 */
function middleware(db, { property = 'db' } = {}) {
  assertOrchestrator(db, 'middleware');
  if (typeof property !== 'string' || property === '') {
    throw new ConfigError(`middleware(db, { property }): property must be a non-empty string, received ${JSON.stringify(property)}`);
  }
  return function omnidbMiddleware(req, res, next) {
    req[property] = db;
    if (typeof next === 'function') next();
  };
}

/**
 * The readiness verdict, without HTTP: `ready` is false when any connection in
 * `require` (default: all) is `unhealthy` or has an open circuit AND is not failed
 * over to a backup that serves it. `connections` has `{ status, circuit, failoverTo }`
 * for every connection (`detail: 'health'`: `db.health()`'s `{ status, failoverTo? }`).
 * @param {import('./orchestrator').Orchestrator} db
 * @param {{ require?: string[], detail?: 'stats' | 'health' }} [options]
 */
function readinessReport(db, { require: required, detail = 'stats' } = {}) {
  const stats = db.getStats();
  const names = required === undefined ? Object.keys(stats) : required;
  const unavailable = [];
  for (const name of names) {
    const s = stats[name];
    if (s === undefined) {
      unavailable.push(name); // not configured (checked up front by readiness(); here, be safe)
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

function validateReadinessOptions(db, options, fn) {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError(`${fn}: options must be an object, received ${options === null ? 'null' : typeof options}`);
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

/** Sends JSON through Express's res.status().json() when present, else plain node:http. */
function sendJson(res, statusCode, body) {
  if (typeof res.setHeader === 'function' && !res.headersSent) res.setHeader('Cache-Control', 'no-store');
  if (typeof res.status === 'function' && typeof res.json === 'function') {
    res.status(statusCode).json(body);
    return;
  }
  res.statusCode = statusCode;
  if (typeof res.setHeader === 'function') res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/**
 * A readiness-probe handler: 200 `{ status: 'ok', connections }` or 503
 * `{ status: 'unavailable', connections }` (see {@link readinessReport}).
 * @param {import('./orchestrator').Orchestrator} db
 * @param {{ require?: string[], detail?: 'stats' | 'health' }} [options]
 * @returns {(req: object, res: object) => void}
 */
function readiness(db, options = {}) {
  assertOrchestrator(db, 'readiness');
  const opts = validateReadinessOptions(db, options, 'readiness(db, options)');
  return function omnidbReadiness(req, res) {
    const { ready, connections } = readinessReport(db, opts);
    sendJson(res, ready ? 200 : 503, { status: ready ? 'ok' : 'unavailable', connections });
  };
}

module.exports = { middleware, readiness, readinessReport, validateReadinessOptions };
