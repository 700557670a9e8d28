'use strict';
// Fastify plugin (`omnidb/fastify`, marked the way fastify-plugin marks a plugin, so it
// decorates the instance it is registered on): the orchestrator as `fastify.db` and `request.db`,
// connect() on onReady (before listen() resolves), disconnect() on onClose, an
// optional readiness route, and the OmniDB error mapping.
//
// The mapping is a route-level error handler added (onRoute) to every route
// declared after the plugin has loaded (`await app.register(omnidb, ...)`, or routes
// in plugins registered after it) that has none of its own; Fastify runs it first and
// hands what it rethrows (every error but OmniDB's) to the scope's error handler:
// yours, set before or after the plugin, or Fastify's default. No setErrorHandler(),
// so nothing of yours is replaced. `errorHandler: false` turns it off; then
// `reply.omnidbError(err)` maps from your own handler.

const { ConfigError } = require('../errors');
const { describe } = require('../safe');
const { readinessResponse, validateReadinessOptions } = require('./readiness');
const { errorMappingOptions, httpError } = require('./http-errors');
const { toOrchestrator, propertyOption } = require('./db-option');

const WHERE = 'omnidb fastify plugin';

function routeOptions(db, readiness) {
  if (readiness === undefined || readiness === false) return null;
  const spec = typeof readiness === 'string' ? { url: readiness } : readiness;
  if (spec === null || typeof spec !== 'object' || typeof spec.url !== 'string' || !spec.url.startsWith('/')) {
    throw new ConfigError(`${WHERE}: readiness must be a path ('/ready') or { url, require?, detail? }, received ${describe(readiness)}`);
  }
  const { url, ...rest } = spec;
  return { url, opts: validateReadinessOptions(db, rest, `${WHERE}: readiness`) };
}

/** Sends the 503/504 for an OmniDB error; false (nothing sent) for any other error. */
function replyWith(db, opts, reply, err) {
  const answer = reply.sent ? null : httpError(db, err, opts);
  if (answer === null) return false;
  reply.code(answer.statusCode).headers(answer.headers).send(answer.body);
  return true;
}

async function omnidbPlugin(fastify, options) {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError(`${WHERE}: options must be an object, received ${describe(options)}`);
  }
  const { db: given, property = 'db', readiness, errorHandler = true, connect = true, retryAfter } = options;
  propertyOption(property, `${WHERE}: property`);
  const mapping = errorMappingOptions(retryAfter === undefined ? undefined : { retryAfter }, WHERE);
  if (typeof errorHandler !== 'boolean' || typeof connect !== 'boolean') {
    throw new ConfigError(`${WHERE}: errorHandler and connect must be booleans, received ${describe(errorHandler)} and ${describe(connect)}`);
  }
  const db = toOrchestrator(given, `${WHERE}: db`);
  const route = routeOptions(db, readiness);

  fastify.decorate(property, db);
  fastify.decorateRequest(property, { getter: () => db });
  // One per app: a second registration (another orchestrator) keeps the first's.
  if (!fastify.hasReplyDecorator('omnidbError')) {
    fastify.decorateReply('omnidbError', function omnidbError(err) { return replyWith(db, mapping, this, err); });
  }
  if (connect) fastify.addHook('onReady', () => db.connect());
  fastify.addHook('onClose', () => db.disconnect());

  if (route !== null) {
    fastify.get(route.url, (request, reply) => {
      const { statusCode, headers, body } = readinessResponse(db, route.opts);
      reply.code(statusCode).headers(headers).send(body);
    });
  }

  if (errorHandler) {
    // A route-level error handler on every route without one: Fastify chains it in
    // front of the scope's handler, so what it rethrows reaches yours (or Fastify's
    // default) unchanged, whether you set yours before or after registering omnidb.
    const mapOrRethrow = function omnidbErrorHandler(err, request, reply) {
      if (replyWith(db, mapping, reply, err)) return reply;
      throw err;
    };
    fastify.addHook('onRoute', (added) => {
      if (added.errorHandler === undefined) added.errorHandler = mapOrRethrow;
    });
  }
}

// What fastify-plugin does, without the dependency: Fastify reads these symbols.
// skip-override: no encapsulation, the decorations land on the registering instance;
// plugin-meta: Fastify checks the version range and the name (registered once).
function markPlugin(fn, meta) {
  fn[Symbol.for('skip-override')] = true;
  fn[Symbol.for('fastify.display-name')] = meta.name;
  fn[Symbol.for('plugin-meta')] = meta;
  return fn;
}

const plugin = markPlugin(omnidbPlugin, { fastify: '4.x || 5.x', name: 'omnidb' });

/** For your own error handler (`errorHandler: false`): sends the 503/504 of an OmniDB error, false for any other. */
function replyError(reply, err) {
  return reply.omnidbError(err);
}

module.exports = plugin;
module.exports.default = plugin;
module.exports.omnidb = plugin;
module.exports.replyError = replyError;
