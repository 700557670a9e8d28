'use strict';
// Client families: everything OmniDB knows about one kind of database client lives
// in one file of this folder, so adding a family is adding a file and one line to
// FAMILIES below. disconnect(), healthCheck.checks: 'auto', probes.fromClient(),
// defaultIsFailure() and isConnectionError() all ask the families; nothing else in
// lib/ tests for a client's shape.
//
// A family module exports an object:
//   name        'pg', 'ioredis', ... (shown in messages and metrics)
//   recognise(client) -> boolean
//               Whether `client` is of this family. Reads only what it must; may
//               throw (a getter, a Proxy): the caller treats a throw as "not this".
//   close(client, { timeoutMs }) -> Promise|void            (optional)
//               The graceful close (pg `end()`, Redis `quit()`, Kysely `destroy()`...);
//               `timeoutMs` is the closeTimeout it runs under, for a client whose own
//               close takes a deadline (postgres.js `end({ timeout })`).
//   forceClose(client, { timeoutMs }) -> Promise|void       (optional)
//               What to do when the graceful close fails or outlives its share of
//               closeTimeout (Redis `disconnect()`); the rest of the budget bounds it.
//   check(client, { signal }) -> Promise<HealthCheckResult>   (optional)
//               A health check through the client itself, for checks: 'auto' when
//               there is no native probe (or none built). Must settle on its own
//               when the server is down (no offline queue waits), honour `signal`.
//   probe(client) -> { kind: 'postgres'|'redis'|'mysql', fields } | null   (optional)
//               The native probe target derived from the client's own options
//               (fields as lib/probes.js takes them); null when it cannot tell.
//   emitters(client) -> EventEmitter[]      (optional)
//               The EventEmitters whose 'error' the orchestrator listens to while
//               connected, when not the client itself (Drizzle: its `$client`).
//   classify(error) -> 'caller' | 'connection' | null   (optional)
//               'caller': the caller's own fault, no sign of the server's health
//               (syntax, data, constraint, Redis reply errors); 'connection': the
//               connection failed (the call may not have reached the server);
//               null: this family does not recognise it. Must not throw on odd input.
//               classify() is asked for `error` and then each `cause` down the chain
//               (see classifyError), so an ORM wrapper needs only say what it adds.
//
// The generic family (generic.js) comes last and recognises every object: it closes
// through the first of end, close, quit, disconnect, destroy, $disconnect, and knows
// the Node network error codes.

const generic = require('./generic');

/**
 * In the order asked: the first family that recognises a client is its family. A
 * wrapper comes before what it wraps (a Drizzle db holds a pg Pool in `$client`).
 */
const FAMILIES = [
  require('./drizzle'),
  require('./prisma'),
  require('./kysely'),
  require('./knex'),
  require('./postgres'),
  require('./pg'),
  require('./ioredis'),
  require('./node-redis'),
  require('./mysql2'),
  generic,
];

/**
 * The family of `client`: the first whose recognise() says so. Never throws; a
 * client that throws when read is generic (closing it will report the throw).
 */
function familyOf(client) {
  for (const family of FAMILIES) {
    try {
      if (family.recognise(client)) return family;
    } catch {
      // not this family
    }
  }
  return generic;
}

/** A specific family of `client`, or null when only the generic one fits. */
function specificFamilyOf(client) {
  const family = familyOf(client);
  return family === generic ? null : family;
}

function isEmitter(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') &&
    typeof value.on === 'function' && typeof value.removeListener === 'function' && typeof value.emit === 'function';
}

/**
 * The EventEmitters to listen to for `client`'s 'error': its family's emitters(), else
 * the client itself when it is one. Never throws (a client that throws when read has none).
 */
function emittersOf(client) {
  try {
    const family = familyOf(client);
    const list = typeof family.emitters === 'function' ? family.emitters(client) : [client];
    return Array.isArray(list) ? list.filter(isEmitter) : [];
  } catch {
    return [];
  }
}

const MAX_CAUSE_DEPTH = 8;

/**
 * 'caller', 'connection' or null: what the families say about `error`, following its
 * `cause` chain (at most MAX_CAUSE_DEPTH links, cycles stopped). The first verdict
 * found, outermost error first, wins.
 */
function classifyError(error) {
  let e = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH; depth++) {
    if (e === null || typeof e !== 'object') return null;
    for (const family of FAMILIES) {
      if (typeof family.classify !== 'function') continue;
      let verdict = null;
      try {
        verdict = family.classify(e);
      } catch {
        verdict = null;
      }
      if (verdict !== null && verdict !== undefined) return verdict;
    }
    let next;
    try {
      next = e.cause;
    } catch {
      return null;
    }
    if (next === e) return null;
    e = next;
  }
  return null;
}

module.exports = { FAMILIES, familyOf, specificFamilyOf, classifyError, emittersOf };
