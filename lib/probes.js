'use strict';
// Native health probes: PostgreSQL (libpq), Redis (hiredis) and MySQL/MariaDB (MariaDB
// Connector/C) checks that run on
// Node's own libuv loop, need no JS client and never block the JS thread.
//
//   healthCheck: { checks: {
//     primary: probes.postgres(process.env.PRIMARY_URL, { role: 'primary' }),
//     cache: probes.redis(process.env.REDIS_URL, { degradedAfter: '50ms' }),
//   } }
//
// Each probe is a health-check function `(client, { signal, name, attempt, timeout? })`
// resolving to `{ status, latencyMs, role?, lagMs?, error? }`. Everything the user gives
// is checked once, at the call (ConfigError naming the value, never a password): targets
// in lib/probe-targets.js, options here; the addon receives one plain object with every
// default filled in.
const native = require('./native');
const { ConfigError, OmniDbError } = require('./errors');
const { parseDuration, describe } = require('./options');
const { safeMessage } = require('./safe');
const { FAMILIES, specificFamilyOf } = require('./clients');
const { writeTlsFiles, removeTlsFiles } = require('./probe-tls-files');
const {
  isPlainObject, bad, text, checkKeys, pgConfigFrom, pgFields, describePg, redisFields, redisConfigFrom, describeRedis,
  mysqlTarget, describeMysql,
} = require('./probe-targets');

/** Marks probe functions, so an orchestrator can close their connections at disconnect(). */
const PROBE = Symbol.for('omnidb.probe');

const DEFAULT_TIMEOUT = 5000;
const COMMON_OPTIONS = ['timeout', 'degradedAfter', 'role', 'maxLag', 'persistent', 'detectRole'];
const PG_OPTIONS = [...COMMON_OPTIONS, 'query'];
const REDIS_OPTIONS = COMMON_OPTIONS;
const MYSQL_OPTIONS = [...COMMON_OPTIONS, 'query'];


const ROLES = { any: 0, primary: 1, master: 1, replica: 2, standby: 2, slave: 2 };

// ------------------------------------------------------------------ options

function probeOptions(options, where, known, config) {
  if (options === undefined) options = {};
  if (!isPlainObject(options)) throw bad(where, 'an object', options);
  checkKeys(options, where, known);
  const duration = (key) => (options[key] === undefined ? -1 : parseDuration(options[key], `${where}.${key}`));
  const flag = (key, fallback) => {
    if (options[key] === undefined) return fallback;
    if (typeof options[key] !== 'boolean') throw bad(`${where}.${key}`, 'a boolean', options[key]);
    return options[key];
  };
  const role = options.role === undefined ? 'any' : options.role;
  if (!Object.prototype.hasOwnProperty.call(ROLES, role)) {
    throw bad(`${where}.role`, "'primary' (a connection that must accept writes), 'replica' or 'any'", options.role);
  }
  config.timeout = options.timeout === undefined ? 0 : parseDuration(options.timeout, `${where}.timeout`);
  config.degradedAfter = duration('degradedAfter');
  config.maxLag = duration('maxLag');
  config.requiredRole = ROLES[role];
  config.persistent = flag('persistent', true);
  config.detectRole = flag('detectRole', true);
  if (!config.detectRole && (config.requiredRole !== 0 || config.maxLag >= 0)) {
    throw new ConfigError(`Invalid ${where}: role and maxLag need role detection; remove detectRole: false`);
  }
  if (known.includes('query')) {
    config.query = options.query === undefined ? 'SELECT 1' : text(options.query, `${where}.query`);
  }
  return config;
}

function requireSupport(kind) {
  const support = native.probeSupport;
  if (support === undefined || typeof native.NativeProbe !== 'function') {
    throw new OmniDbError('Native probes are missing from the loaded addon: run `npm rebuild omnidb` ' +
      '(in a checkout of omnidb: `npm run build`).',
      'OMNIDB_PROBE_UNAVAILABLE');
  }
  if (!support[kind]) {
    const [lib, pkg] = kind === 'postgres' ? ['libpq', 'libpq-dev']
      : kind === 'mysql' ? ['MariaDB Connector/C', 'libmariadb-dev'] : ['hiredis', 'libhiredis-dev'];
    throw new OmniDbError(`probes.${kind}() needs ${lib}, and the addon was built without it: ` +
      `install ${pkg} (apt-get install -y ${pkg}; scripts/bootstrap.sh installs it) and rebuild it from source: ` +
      '`npm rebuild omnidb --build-from-source` in an app, `npm run build` in a checkout.',
    'OMNIDB_PROBE_UNAVAILABLE');
  }
  // libpq is loaded on the first probe that needs it (the addon does not link it).
  const missing = typeof native.probeLibraryError === 'function' ? native.probeLibraryError(kind) : '';
  if (missing) {
    throw new OmniDbError(`probes.${kind}() needs libpq (libpq.so.5) at run time, and it could not be loaded ` +
      `(${missing}): install libpq5 (apt-get install -y libpq5); everything else in omnidb works without it.`,
    'OMNIDB_PROBE_UNAVAILABLE');
  }
}

// ------------------------------------------------------------------ the check function

// The addon leaves a round's figures in a Float64Array: [latencyMs, lagMs, code], with
// code = status | role << 2 | lagKind << 5 (src/probes/probe_io.h); the promise value is the
// error text, if any. Building the result here is cheaper than building it in C++.
const STATUS_NAMES = ['healthy', 'degraded', 'unhealthy'];
const ROLE_NAMES = [undefined, 'primary', 'standby', 'master', 'replica'];
// code >> 8: 0 not said, 1 plaintext, 2 TLS of an unknown version, 3.. these (probe_io.h).
const TLS_PROTOCOLS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

function decodeResult(view, error) {
  const code = view[2];
  const result = { status: STATUS_NAMES[code & 3], latencyMs: view[0] };
  const role = ROLE_NAMES[(code >> 2) & 7];
  if (role !== undefined) result.role = role;
  const lagKind = (code >> 5) & 7;
  if (lagKind === 1) result.lagMs = view[1];
  else if (lagKind === 2) result.lagMs = null;
  const tls = code >> 8;
  if (tls === 1) result.tls = false;
  else if (tls > 1) {
    result.tls = true;
    if (tls > 2) result.tlsProtocol = TLS_PROTOCOLS[tls - 3];
  }
  if (error !== undefined) result.error = error;
  return result;
}

// ---- pacing: at most STARTS_PER_TURN native rounds start per event-loop turn.
// A round's first write wakes a server process; hundreds of them in one synchronous burst
// (an orchestrator starts every check of a round at once) hold the loop for tens of ms
// on a small machine, mostly in the kernel and the hypervisor rather than in our code.
// Rounds over the budget wait for the next turn (a setImmediate), so the loop keeps
// turning between slices; a round of hundreds still finishes within milliseconds.
const STARTS_PER_TURN = 16;
const pacer = { budget: STARTS_PER_TURN, queue: [], head: 0, immediate: null };

function admitNow() {
  if (pacer.head !== pacer.queue.length || pacer.budget === 0) return false;
  pacer.budget--;
  armTurn();
  return true;
}

function enqueueStart(start) {
  pacer.queue.push(start);
  armTurn();
  pacer.immediate.ref(); // queued work keeps the process alive; a mere budget reset does not
}

function armTurn() {
  if (pacer.immediate !== null) return;
  pacer.immediate = setImmediate(nextTurn);
  pacer.immediate.unref();
}

function nextTurn() {
  pacer.immediate = null;
  pacer.budget = STARTS_PER_TURN;
  const q = pacer.queue;
  while (pacer.head < q.length && pacer.budget > 0) {
    pacer.budget--;
    const start = q[pacer.head];
    q[pacer.head++] = undefined;
    start();
  }
  if (pacer.head === q.length) {
    q.length = 0;
    pacer.head = 0;
  }
  if (pacer.budget < STARTS_PER_TURN) {
    armTurn();
    if (pacer.head < q.length) pacer.immediate.ref();
  }
}

const CLOSED_RESULT = Object.freeze({ status: 'unhealthy', latencyMs: 0, error: 'closed' });

function makeCheck(config, description) {
  const { NativeProbe } = native;
  const { timeout: fixedTimeout, ...nativeConfig } = config;
  const { tlsFiles } = config; // PEM contents libpq reads from files: written while the probe is open
  const view = new Float64Array(3);
  let probe = null;
  let written = null; // { dir, paths } of tlsFiles, from the first round until close()
  let round = null; // the round in flight: { promise, waiters, queued, resolve }

  function open() {
    if (tlsFiles === undefined) return new NativeProbe(nativeConfig, view);
    written = writeTlsFiles(tlsFiles);
    return new NativeProbe({ ...nativeConfig, params: [...nativeConfig.params, ...Object.entries(written.paths)] }, view);
  }

  // The round ends (and `view` may be written again) only after this first reaction.
  function begin(entry) {
    entry.queued = false;
    if (probe === null) {
      try {
        probe = open();
      } catch (err) {
        if (round === entry) round = null;
        return Promise.resolve({ status: 'unhealthy', latencyMs: 0,
          error: `${description}: could not write the TLS certificates to a private temporary file: ${safeMessage(err)}` });
      }
    }
    return probe.check(entry.ms).then((error) => {
      if (round === entry) round = null;
      return decodeResult(view, error);
    });
  }

  /**
   * Runs one probe round natively; resolves to `{ status, latencyMs, role?, lagMs?, error? }`.
   * Rejects only with `signal.reason` when the signal aborts (the native round is cancelled).
   */
  function check(_client, ctx) {
    const signal = ctx !== undefined && ctx !== null ? ctx.signal : undefined;
    if (signal !== undefined && signal !== null && signal.aborted) return Promise.reject(signal.reason);
    let entry = round;
    if (entry === null) {
      const ms = fixedTimeout > 0 ? fixedTimeout
        : (ctx && typeof ctx.timeout === 'number' && ctx.timeout > 0 ? ctx.timeout : DEFAULT_TIMEOUT);
      // Concurrent callers share the round: they ask the same server the same question.
      entry = { promise: null, waiters: 0, queued: false, resolve: null, ms };
      round = entry;
      if (admitNow()) {
        entry.promise = begin(entry);
      } else {
        const queued = entry;
        queued.queued = true;
        queued.promise = new Promise((resolve) => { queued.resolve = resolve; });
        enqueueStart(() => {
          if (queued.queued) queued.resolve(begin(queued));
        });
      }
    }
    if (signal === undefined || signal === null) return entry.promise;
    entry.waiters++;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        // The last waiter to give up cancels the native round (connection dropped).
        if (--entry.waiters === 0 && round === entry) {
          round = null;
          if (entry.queued) entry.queued = false; // never started
          else probe.cancel();
        }
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      entry.promise.then((result) => {
        signal.removeEventListener('abort', onAbort);
        entry.waiters--;
        resolve(result);
      });
    });
  }

  /** Closes the probe's kept connection (a round in flight resolves unhealthy, 'closed'). */
  check.close = () => {
    if (round !== null && round.queued) {
      round.queued = false;
      round.resolve(CLOSED_RESULT);
    }
    if (probe !== null) probe.close();
    round = null;
    if (written !== null) {
      // The files go now; a later round writes them anew (and opens a new native probe on them).
      removeTlsFiles(written.dir);
      written = null;
      probe = null;
    }
  };
  Object.defineProperty(check, 'description', { value: description, enumerable: true });
  Object.defineProperty(check, PROBE, { value: config.kind });
  return check;
}

// ------------------------------------------------------------------ public

/**
 * A native PostgreSQL health check for `healthCheck.checks`.
 * @param {string|object} target postgres:// URL, conninfo string, or { host, port, user, password, database, ssl, sslmode, socketPath, ... }
 * @param {object} [options] { query, timeout, degradedAfter, role, maxLag, persistent, detectRole }
 */
function postgres(target, options) {
  requireSupport('postgres');
  const config = pgConfigFrom(pgFields(target, 'probes.postgres() target'), 'probes.postgres() target');
  probeOptions(options, 'probes.postgres() options', PG_OPTIONS, config);
  return makeCheck(config, describePg(config));
}

/**
 * A native Redis health check (PING, ROLE) for `healthCheck.checks`.
 * @param {string|object} target redis:// or unix:// URL, or { host, port, path, username, password, db }
 * @param {object} [options] { timeout, degradedAfter, role, maxLag, persistent, detectRole }
 */
function redis(target, options) {
  requireSupport('redis');
  const config = redisConfigFrom(redisFields(target, 'probes.redis() target'), 'probes.redis() target');
  probeOptions(options, 'probes.redis() options', REDIS_OPTIONS, config);
  return makeCheck(config, describeRedis(config));
}

/**
 * A native MySQL/MariaDB health check (the query, @@global.read_only, the replica status)
 * for `healthCheck.checks`.
 * @param {string|object} target mysql:// or mariadb:// URL, or { host, port, user, password, database, socketPath }
 * @param {object} [options] { query, timeout, degradedAfter, role, maxLag, persistent, detectRole }
 */
function mysql(target, options) {
  requireSupport('mysql');
  const config = mysqlTarget(target);
  probeOptions(options, 'probes.mysql() options', MYSQL_OPTIONS, config);
  return makeCheck(config, describeMysql(config));
}

// ------------------------------------------------------------------ from a client

// The native probe kinds a client family's probe() may name: how to build each from
// the family's fields. (A family says what it knows, lib/clients/; this file checks it.)
const TARGETS = {
  postgres: { options: PG_OPTIONS, build: (fields, where) => pgConfigFrom(pgFields(fields, where), where), describe: describePg },
  redis: { options: REDIS_OPTIONS, build: (fields, where) => redisConfigFrom(redisFields(fields, where), where), describe: describeRedis },
  mysql: { options: MYSQL_OPTIONS, build: (fields, where) => mysqlTarget(fields, where), describe: describeMysql },
};

/** The families 'auto' and fromClient() know, by name. */
function knownFamilies(withProbe) {
  const names = FAMILIES.filter((f) => f.name !== 'generic' && (!withProbe || typeof f.probe === 'function')).map((f) => f.name);
  return names.join(', ');
}

function familyName(family) {
  return family === null ? 'none' : family.name;
}

/**
 * `{ family, target }` for `client`: its family (null when no family recognises it) and
 * the native probe target that family derives from the client's options (null when it
 * cannot tell, or has no probe). Throws ConfigError when reading the options throws.
 */
function targetOf(client, where) {
  let family = null;
  try {
    family = specificFamilyOf(client);
  } catch {
    family = null;
  }
  let target = null;
  try {
    if (family !== null && typeof family.probe === 'function') target = family.probe(client) || null;
  } catch (err) {
    if (err instanceof OmniDbError) throw err;
    // A recognised client whose options then throw when read (a getter, a Proxy).
    throw new ConfigError(`Invalid ${where}: reading the client's connection options threw: ${safeMessage(err)}`, { cause: err });
  }
  return { family, target };
}

function buildProbe(target, options, where) {
  const spec = TARGETS[target.kind];
  if (spec === undefined) {
    throw new ConfigError(`Invalid ${where}: its family names a native probe of kind ${describe(target.kind)}, which this build does not have`);
  }
  requireSupport(target.kind);
  const config = spec.build(target.fields, `${where} (its connection options)`);
  probeOptions(options, `${where} options`, spec.options, config);
  return makeCheck(config, spec.describe(config));
}

/** Whether a native probe of `kind` can run here (known and built into the addon). */
function nativeKind(kind) {
  const support = native.probeSupport;
  return TARGETS[kind] !== undefined && support !== undefined && support[kind] === true && typeof native.NativeProbe === 'function';
}

/**
 * A native probe for the server a client talks to, from the client's own options:
 * pg Pool or Client, postgres.js, Knex on PostgreSQL, Drizzle over one of those,
 * ioredis, node-redis (lib/clients/ says which). Throws ConfigError for anything else.
 */
function fromClient(client, options) {
  const where = 'probes.fromClient() client';
  const { family, target } = targetOf(client, where);
  if (target === null) {
    throw new ConfigError(family === null
      ? `Invalid ${where}: expected a client OmniDB can probe natively (${knownFamilies(true)}) but received ${describeClient(client)}`
      : `Invalid ${where}: a native probe target cannot be derived from this ${family.name} client's options; ` +
        'pass its server to probes.postgres(url) / probes.redis(url), or use checks: \'auto\', which checks it through the client');
  }
  return buildProbe(target, options, where);
}

/**
 * For healthCheck.checks: 'auto' (or checks: { name: 'auto' }): a native probe when the
 * client's family gives a target and the addon has that kind, else a check through the
 * client itself (its family's check()). ConfigError, naming the connection and what it
 * received, when no family recognises the client.
 */
function autoCheck(client, name, timeout) {
  const where = `healthCheck.checks 'auto' for connection "${name}"`;
  const { family, target } = targetOf(client, where);
  // A native probe when its kind is built in; when it is not and there is no check
  // through the client either, buildProbe() says what to install.
  if (target !== null && (nativeKind(target.kind) || family === null || typeof family.check !== 'function')) {
    return buildProbe(target, { timeout }, where);
  }
  if (family === null || typeof family.check !== 'function') {
    throw new ConfigError(`Invalid ${where}: no client family recognises it (received ${describeClient(client)}); ` +
      `'auto' knows ${knownFamilies(false)} clients. ` +
      'Give this connection a check function instead: checks: { ' + JSON.stringify(name) + ': async (client) => ... }');
  }
  const check = (c, ctx) => family.check(c, ctx);
  Object.defineProperty(check, 'description', { value: `${familyName(family)} check through the client`, enumerable: true });
  return check;
}

function describeClient(client) {
  const what = describe(client);
  if (client === null || (typeof client !== 'object' && typeof client !== 'function')) return what;
  try {
    const ctor = Object.getPrototypeOf(client) && Object.getPrototypeOf(client).constructor;
    const named = ctor && typeof ctor.name === 'string' && ctor.name !== '' && ctor.name !== 'Object' && ctor.name !== 'Function' ? ` (${ctor.name})` : '';
    const keys = Object.keys(client).slice(0, 6);
    return `${what}${named}${keys.length ? ` with keys ${keys.join(', ')}` : ''}`;
  } catch {
    return what;
  }
}

const probes = { postgres, redis, mysql, fromClient };

module.exports = { probes, autoCheck, PROBE, mysqlTarget };
