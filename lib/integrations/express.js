'use strict';
// Express (and Connect / plain node:http): a middleware putting the orchestrator on
// the request, a readiness handler, and an error handler mapping OmniDB errors to
// 503/504. No dependency on express: all are plain (req, res[, next]) functions.

const { assertOrchestrator, readinessReport, readinessResponse, readinessHandlerOptions } = require('./readiness');
const { propertyOption } = require('./db-option');
const { errorMappingOptions, httpError } = require('./http-errors');

/**
 * Express middleware that attaches the orchestrator to every request as `req[property]`
 * (default `req.db`).
 * @param {import('../orchestrator').Orchestrator} db
 * @param {{ property?: string }} [options]
 * @returns {(req: object, res: object, next: (err?: unknown) => void) => void}
 */
function middleware(db, { property = 'db' } = {}) {
  assertOrchestrator(db, 'middleware(db)');
  propertyOption(property, 'middleware(db, { property })');
  return function omnidbMiddleware(req, res, next) {
    req[property] = db;
    if (typeof next === 'function') next();
  };
}

/** Sends through Express's res.status().json() when present, else plain node:http. */
function send(res, { statusCode, headers, body }) {
  if (typeof res.setHeader === 'function') {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  }
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
 * `{ status: 'unavailable', connections }` (see readinessReport()).
 * @param {import('../orchestrator').Orchestrator} db
 * @param {{ require?: string[], detail?: 'stats' | 'health' }} [options]
 * @returns {(req: object, res: object) => void}
 */
function readiness(db, options) {
  const opts = readinessHandlerOptions(db, options, 'readiness(db, options)');
  return function omnidbReadiness(req, res) {
    send(res, readinessResponse(db, opts));
  };
}

/**
 * Express error middleware (four arguments: mount it after the routes): an open
 * circuit answers 503 with Retry-After and `{ error: 'circuit_open', code, connection,
 * message, retryAfter }`, an execute() timeout 504; any other error, or any error once
 * the response has started, goes on to `next(err)` unchanged.
 * @param {import('../orchestrator').Orchestrator} db
 * @param {{ retryAfter?: number }} [options] seconds to send when no reset deadline is due (default 5)
 */
function errorHandler(db, options) {
  assertOrchestrator(db, 'errorHandler(db)');
  const opts = errorMappingOptions(options, 'errorHandler(db, options)');
  // Express recognises error handlers by their four parameters.
  return function omnidbErrorHandler(err, req, res, next) {
    const answer = res.headersSent ? null : httpError(db, err, opts);
    if (answer === null) {
      next(err);
      return;
    }
    send(res, answer);
  };
}

module.exports = { middleware, readiness, errorHandler, readinessReport };
