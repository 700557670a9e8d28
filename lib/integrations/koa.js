'use strict';
// Koa (`omnidb/koa`): a middleware putting the orchestrator on the context
// (`ctx.db`), a readiness handler, and an error middleware mapping OmniDB errors to
// 503/504. Plain async (ctx, next) functions: no dependency on koa at run time.

const { assertOrchestrator, readinessReport, readinessResponse, readinessHandlerOptions } = require('./readiness');
const { errorMappingOptions, httpError } = require('./http-errors');
const { propertyOption } = require('./db-option');

/** `app.use(middleware(db))`: `ctx[property]` (default `ctx.db`) for every request. */
function middleware(db, { property = 'db' } = {}) {
  assertOrchestrator(db, 'middleware(db)');
  propertyOption(property, 'middleware(db, { property })');
  return function omnidbMiddleware(ctx, next) {
    ctx[property] = db;
    return next();
  };
}

function answer(ctx, { statusCode, headers, body }) {
  ctx.status = statusCode;
  ctx.set(headers);
  ctx.body = body;
}

/** A route handler: 200 `{ status: 'ok', connections }` or 503 `{ status: 'unavailable', connections }`. */
function readiness(db, options) {
  const opts = readinessHandlerOptions(db, options, 'readiness(db, options)');
  return function omnidbReadiness(ctx) {
    answer(ctx, readinessResponse(db, opts));
  };
}

/**
 * `app.use(errorHandler(db))` before the routes: an open circuit thrown downstream
 * answers 503 with Retry-After and a JSON body naming the connection, a timeout 504;
 * any other error (or any once the response has started) is rethrown unchanged, to
 * your outer middleware or Koa's own handling.
 */
function errorHandler(db, options) {
  assertOrchestrator(db, 'errorHandler(db)');
  const opts = errorMappingOptions(options, 'errorHandler(db, options)');
  return async function omnidbErrorHandler(ctx, next) {
    try {
      await next();
    } catch (err) {
      const mapped = ctx.headerSent ? null : httpError(db, err, opts);
      if (mapped === null) throw err;
      answer(ctx, mapped);
    }
  };
}

module.exports = { middleware, readiness, errorHandler, readinessReport };
