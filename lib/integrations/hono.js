'use strict';
// Hono (`omnidb/hono`): a middleware putting the orchestrator in the context
// variables (`c.var.db`, `c.get('db')`), a readiness handler, and an `app.onError`
// handler mapping OmniDB errors to 503/504. Hono routes a thrown error to its one
// onError handler, so any other error goes to `fallback` when you pass one, else to
// Hono's own default handling.

const { ConfigError } = require('../errors');
const { describe } = require('../safe');
const { assertOrchestrator, readinessReport, readinessResponse, readinessHandlerOptions } = require('./readiness');
const { errorMappingOptions, httpError } = require('./http-errors');
const { propertyOption } = require('./db-option');

let honoDefault;
/** The error handler a new Hono app starts with: HTTPException's response, else a logged 500. */
function defaultHandler() {
  if (honoDefault === undefined) {
    const { Hono } = require('hono');
    honoDefault = new Hono().errorHandler;
  }
  return honoDefault;
}

/** `app.use(middleware(db))`: `c.var[property]` / `c.get(property)` (default `'db'`). */
function middleware(db, { property = 'db' } = {}) {
  assertOrchestrator(db, 'middleware(db)');
  propertyOption(property, 'middleware(db, { property })');
  return async function omnidbMiddleware(c, next) {
    c.set(property, db);
    await next();
  };
}

/** A route handler: 200 `{ status: 'ok', connections }` or 503 `{ status: 'unavailable', connections }`. */
function readiness(db, options) {
  const opts = readinessHandlerOptions(db, options, 'readiness(db, options)');
  return function omnidbReadiness(c) {
    const { statusCode, headers, body } = readinessResponse(db, opts);
    return c.json(body, statusCode, headers);
  };
}

/**
 * `app.onError(errorHandler(db, { fallback }))`: an open circuit answers 503 with
 * Retry-After and a JSON body naming the connection, a timeout 504; any other error
 * is handed unchanged to `fallback(err, c)` (default: Hono's own handler).
 */
function errorHandler(db, options = {}) {
  assertOrchestrator(db, 'errorHandler(db)');
  if (options === null || typeof options !== 'object') {
    throw new ConfigError(`errorHandler(db, options): options must be an object, received ${describe(options)}`);
  }
  const { fallback, ...rest } = options;
  if (fallback !== undefined && typeof fallback !== 'function') {
    throw new ConfigError(`errorHandler(db, { fallback }): fallback must be an (err, c) => Response function, received ${describe(fallback)}`);
  }
  const opts = errorMappingOptions(rest, 'errorHandler(db, options)');
  const other = fallback === undefined ? defaultHandler() : fallback;
  return function omnidbErrorHandler(err, c) {
    const mapped = httpError(db, err, opts);
    if (mapped === null) return other(err, c);
    return c.json(mapped.body, mapped.statusCode, mapped.headers);
  };
}

module.exports = { middleware, readiness, errorHandler, readinessReport };
