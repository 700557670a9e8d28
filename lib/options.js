'use strict';
// Validates the user's config and fills in every default, once, at construction.
// The core receives plain numbers and never parses user input. Every message
// follows one shape: where (option path, connection), what was expected, what came.
const { ConfigError, OmniDbError } = require('./errors');
const native = require('./native');
const { describe, safeMessage, safeGet, isArraySafe } = require('./safe');

const DURATION_HINT = "a positive duration such as '250ms', '30s', '5m', '1h' or a number of milliseconds";

const KNOWN = {
  config: ['connections', 'failover', 'healthCheck', 'circuitBreaker', 'clock', 'closeTimeout', 'metrics'],
  metrics: ['sampleEvery'],
  healthCheck: ['interval', 'timeout', 'retry', 'checks', 'rise', 'fall'],
  retry: ['retries', 'delay'],
  circuitBreaker: ['threshold', 'resetTimeout', 'halfOpenSuccesses', 'halfOpenMaxCalls', 'isFailure', 'use'],
};

/** describe(), plus the keys of an object: 'an object with keys _attach, now'. */
function describeObject(value) {
  const what = describe(value);
  if (what !== 'an object') return what;
  let keys = [];
  try {
    keys = Object.keys(value);
  } catch {
    return 'an object whose keys cannot be read';
  }
  return keys.length === 0 ? 'an object with no own keys' : `an object with keys ${keys.slice(0, 8).join(', ')}`;
}

function isPlainObject(value) {
  if (value === null || typeof value !== 'object') return false;
  try {
    if (Array.isArray(value)) return false;
    const proto = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === null;
  } catch {
    return false; // a revoked Proxy, or a Proxy whose getPrototypeOf trap throws
  }
}

function readError(where, what, err) {
  return new ConfigError(`Invalid ${where}: reading ${what} threw: ${safeMessage(err)}`, { cause: err });
}

/**
 * A snapshot of `object`'s own enumerable string keys, each value read once, in a
 * null-prototype object. The config is read only through snapshots: a getter or a
 * Proxy trap that throws becomes a ConfigError naming where, at the first read, and
 * nothing reads the user's object a second time (a getter cannot change its answer).
 */
function snapshot(object, where) {
  let keys;
  try {
    keys = Object.keys(object);
  } catch (err) {
    throw readError(where, 'its keys', err);
  }
  const out = Object.create(null);
  for (const key of keys) {
    try {
      out[key] = object[key];
    } catch (err) {
      throw readError(where, `"${key}"`, err);
    }
  }
  return out;
}

/** A copy of an array's elements, each read once (see snapshot()). */
function snapshotArray(array, where) {
  try {
    return Array.prototype.slice.call(array);
  } catch (err) {
    throw readError(where, 'its elements', err);
  }
}

function editDistance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}

/** The known key closest to `key`, or null when none is close enough to be a typo. */
function closest(key, known) {
  let best = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  // Close enough to be a typo, and not a whole rewrite of a short name ('d' is no 'a').
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) && bestDistance < key.length ? best : null;
}

function checkKeys(object, where, known) {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue;
    const guess = closest(key, known);
    throw new ConfigError(`Unknown option "${key}" in ${where}` +
      (guess ? `. Did you mean "${guess}"?` : `. Known options: ${known.join(', ')}`));
  }
}

/**
 * Milliseconds from '250ms', '30s', '5m', '1h' or a number of milliseconds.
 * @param {string|number} value
 * @param {string} [name] the option, for the error message
 * @returns {number}
 */
function parseDuration(value, name = 'duration') {
  const ms = (typeof value === 'string' || typeof value === 'number') ? native.parseDuration(value) : -1;
  if (ms < 0) {
    throw new ConfigError(`Invalid duration for ${name}: expected ${DURATION_HINT} (at most a week), ` +
      `but received ${describe(value)}`);
  }
  return ms;
}

function duration(object, key, where, fallback) {
  const value = object[key];
  return value === undefined ? fallback : parseDuration(value, `${where}.${key}`);
}

function integer(object, key, where, fallback, min) {
  const value = object[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 0x7fffffff) {
    throw new ConfigError(`Invalid ${where}.${key}: expected an integer >= ${min} but received ${describe(value)}`);
  }
  return value;
}

/**
 * The built-in breaker's numbers from a snapshot of its settings, defaults filled
 * in: one set of rules for the Orchestrator's `circuitBreaker` and the standalone
 * CircuitBreaker. `where` prefixes the option in messages ('circuitBreaker').
 */
function circuitSettings(cb, where) {
  const halfOpenSuccesses = integer(cb, 'halfOpenSuccesses', where, 2, 1);
  return {
    threshold: integer(cb, 'threshold', where, 5, 1),
    resetTimeout: duration(cb, 'resetTimeout', where, 30000),
    halfOpenSuccesses,
    halfOpenMaxCalls: integer(cb, 'halfOpenMaxCalls', where, halfOpenSuccesses, 1),
  };
}

function section(config, key) {
  const value = config[key];
  if (value === undefined) return {};
  if (!isPlainObject(value)) {
    throw new ConfigError(`Invalid ${key}: expected an object but received ${describe(value)}`);
  }
  const snap = snapshot(value, key);
  checkKeys(snap, `${key} config`, KNOWN[key]);
  return snap;
}

function normalizeFailover(config, names) {
  const failover = config.failover;
  if (failover === undefined) return [];
  if (!isPlainObject(failover)) {
    throw new ConfigError(`Invalid failover: expected an object mapping a connection to its backup(s) but received ${describe(failover)}`);
  }
  const spec = [];
  for (const [primary, value] of Object.entries(snapshot(failover, 'failover'))) {
    const list = typeof value === 'string' ? [value] : (isArraySafe(value) === true ? snapshotArray(value, `failover "${primary}"`) : null);
    if (list === null || list.length === 0 || !list.every((b) => typeof b === 'string')) {
      throw new ConfigError(`Invalid failover for "${primary}": expected a connection name or a non-empty ` +
        `array of connection names but received ${describe(value)}`);
    }
    spec.push([primary, list]);
  }
  const message = native.validateFailover(names, spec);
  if (message) throw new ConfigError(message);
  return spec;
}

function normalizeExternal(use) {
  if (use === undefined) return null;
  if (typeof use === 'function') return use;
  if (use === null || typeof use !== 'object' ||
      (typeof safeGet(use, 'execute') !== 'function' && typeof safeGet(use, 'fire') !== 'function')) {
    throw new ConfigError('External circuit breaker must have execute() or fire() method ' +
      `(circuitBreaker.use received ${describe(use)})`);
  }
  return use;
}

/**
 * Checks `config` and returns everything the Orchestrator needs, defaults filled in.
 * Throws ConfigError naming the bad value.
 */
function normalizeConfig(given) {
  if (!isPlainObject(given)) {
    throw new ConfigError(`Config must be an object, but received ${describe(given)}`);
  }
  const config = snapshot(given, 'config'); // from here on, only snapshots are read
  checkKeys(config, 'config', KNOWN.config);
  const givenConnections = config.connections;
  if (givenConnections === null || typeof givenConnections !== 'object' || isArraySafe(givenConnections) === true) {
    throw new ConfigError(`Config must include a connections object, e.g. { connections: { primary: pool } }, ` +
      `but connections is ${describe(givenConnections)}`);
  }
  const connections = snapshot(givenConnections, 'config.connections');
  const names = Object.keys(connections);
  if (names.length === 0) throw new ConfigError('At least one connection must be provided in config.connections');
  const clients = names.map((name) => {
    const client = connections[name];
    if (client === null || client === undefined) {
      throw new ConfigError(`Client must not be null or undefined: connection "${name}" is ${describe(client)}`);
    }
    return client;
  });

  const spec = normalizeFailover(config, names);
  const index = new Map(names.map((n, i) => [n, i]));
  const backups = names.map(() => []);
  for (const [primary, list] of spec) backups[index.get(primary)] = list.map((b) => index.get(b));

  const hc = section(config, 'healthCheck');
  const checks = names.map(() => null);
  // 'auto': a native probe where the client's family gives one, else a check through
  // the client (lib/clients/); a client no family knows is a ConfigError.
  const auto = (i) => require('./probes').autoCheck(clients[i], names[i], duration(hc, 'timeout', 'healthCheck', 5000)); // lazily: probes.js requires this file
  if (hc.checks === 'auto') {
    names.forEach((name, i) => { checks[i] = auto(i); });
  } else if (hc.checks !== undefined) {
    if (!isPlainObject(hc.checks)) {
      throw new ConfigError(`Invalid healthCheck.checks: expected 'auto' or an object of functions keyed by connection name but received ${describe(hc.checks)}`);
    }
    for (const [name, fn] of Object.entries(snapshot(hc.checks, 'healthCheck.checks'))) {
      if (!index.has(name)) {
        const guess = closest(name, names);
        throw new ConfigError(`Invalid healthCheck.checks: no connection named "${name}"` +
          (guess ? `. Did you mean "${guess}"?` : `. Available: ${names.join(', ')}`));
      }
      if (fn === undefined) continue;
      if (fn === 'auto') {
        checks[index.get(name)] = auto(index.get(name));
        continue;
      }
      if (typeof fn !== 'function') {
        throw new ConfigError(`Invalid healthCheck.checks.${name}: expected a function (client, { signal }) => boolean | 'healthy' | 'degraded' | 'unhealthy', or 'auto', but received ${describe(fn)}`);
      }
      checks[index.get(name)] = fn;
    }
  }
  let retry = {};
  if (hc.retry !== undefined) {
    if (!isPlainObject(hc.retry)) {
      throw new ConfigError(`Invalid healthCheck.retry: expected { retries, delay } but received ${describe(hc.retry)}`);
    }
    retry = snapshot(hc.retry, 'healthCheck.retry');
    checkKeys(retry, 'healthCheck.retry config', KNOWN.retry);
  }
  const health = {
    interval: duration(hc, 'interval', 'healthCheck', 30000),
    timeout: duration(hc, 'timeout', 'healthCheck', 5000),
    retries: integer(retry, 'retries', 'healthCheck.retry', 0, 0),
    retryDelay: duration(retry, 'delay', 'healthCheck.retry', 100),
    rise: integer(hc, 'rise', 'healthCheck', 1, 1),
    fall: integer(hc, 'fall', 'healthCheck', 1, 1),
  };

  // No breaker unless asked for: without the key (or with false) calls run unguarded,
  // nothing is counted and failover follows health alone. true: the built-in one with
  // its defaults; an object ({} included): the built-in one configured, or `use`.
  let cb = {};
  let breakerEnabled = false;
  if (config.circuitBreaker === true) {
    breakerEnabled = true;
  } else if (config.circuitBreaker !== undefined && config.circuitBreaker !== false) {
    if (!isPlainObject(config.circuitBreaker)) {
      throw new ConfigError('Invalid circuitBreaker: expected true (the defaults), false (no breaker) or an ' +
        `object such as { threshold: 5, resetTimeout: '30s' } but received ${describe(config.circuitBreaker)}`);
    }
    cb = section(config, 'circuitBreaker');
    breakerEnabled = true;
  }
  const external = normalizeExternal(cb.use);
  if (cb.isFailure !== undefined && typeof cb.isFailure !== 'function') {
    throw new ConfigError(`Invalid circuitBreaker.isFailure: expected a function (error) => boolean but received ${describe(cb.isFailure)}`);
  }
  const circuit = {
    // An external breaker decides on its own; the core only mirrors its state.
    enabled: breakerEnabled && external === null,
    ...circuitSettings(cb, 'circuitBreaker'),
  };

  const clock = config.clock;
  const { isManualClock } = require('./clock'); // here: clock.js requires this file
  if (clock !== undefined && !isManualClock(clock)) {
    throw new ConfigError(`Invalid clock: expected a ManualClock from 'omnidb' (new ManualClock()) but received ${describeObject(clock)}`);
  }

  const metrics = section(config, 'metrics');
  const sampleEvery = metrics.sampleEvery === undefined ? 128 : metrics.sampleEvery;
  if (typeof sampleEvery !== 'number' || !Number.isInteger(sampleEvery) || sampleEvery < 1 ||
      sampleEvery > 65536 || (sampleEvery & (sampleEvery - 1)) !== 0) {
    throw new ConfigError(`Invalid metrics.sampleEvery: expected a power of two from 1 to 65536 (1, 2, 4, ... 128) but received ${describe(sampleEvery)}`);
  }

  return {
    names,
    clients,
    sampleEvery,
    checks,
    breakerEnabled,
    external,
    isFailure: cb.isFailure,
    clock: clock || null,
    closeTimeout: duration(config, 'closeTimeout', 'config', 5000),
    native: { names, backups, hasCheck: checks.map(Boolean), circuit, health },
  };
}

const EXECUTE_OPTIONS = ['timeout', 'signal', 'idempotent', 'failover'];

// A brand check: AbortSignal's own `aborted` getter throws for anything that is not
// an AbortSignal (an object that only inherits from AbortSignal.prototype passes
// instanceof, then throws ERR_INVALID_THIS from inside the call). A forwarding Proxy
// of a real signal passes, and works: its methods reach the signal.
const abortedGetter = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted').get;
function isAbortSignal(value) {
  try {
    abortedGetter.call(value);
    return true;
  } catch {
    return false;
  }
}

function invalidArgument(message, cause) {
  return new OmniDbError(message, 'OMNIDB_INVALID_ARGUMENT', cause === undefined ? undefined : { cause });
}

/**
 * execute()'s options, read once into a plain { timeout, signal, idempotent,
 * failover } (absent ones undefined). An unknown key is an error naming the closest
 * known one (a typo such as failOver must never send a write to a backup). Each
 * property is read exactly once: a getter
 * or Proxy that throws, or returns something else on a second read, cannot throw out
 * of execute() or change its mind half-way. Throws OmniDbError
 * OMNIDB_INVALID_ARGUMENT naming the problem.
 */
function readExecuteOptions(options) {
  if (options === null || typeof options !== 'object') {
    throw invalidArgument(`Invalid execute() options: expected an object but received ${describe(options)}`);
  }
  let keys;
  try {
    keys = Object.keys(options);
  } catch (err) {
    throw invalidArgument(`Invalid execute() options: listing its keys threw: ${safeMessage(err)}`, err);
  }
  for (const key of keys) {
    if (EXECUTE_OPTIONS.includes(key)) continue;
    const guess = closest(key, EXECUTE_OPTIONS);
    throw invalidArgument(`Invalid execute() options: unknown option "${key}"` +
      (guess ? `. Did you mean "${guess}"?` : `. Known options: ${EXECUTE_OPTIONS.join(', ')}`));
  }
  const read = (key) => {
    try {
      return options[key];
    } catch (err) {
      throw invalidArgument(`Invalid execute() options: reading options.${key} threw: ${safeMessage(err)}`, err);
    }
  };
  const timeout = read('timeout');
  const signal = read('signal');
  const idempotent = read('idempotent');
  const failover = read('failover');
  const out = { timeout: undefined, signal: undefined, idempotent: undefined, failover: undefined };
  if (timeout !== undefined) {
    try {
      out.timeout = parseDuration(timeout, 'execute() options.timeout');
    } catch (err) {
      // The same message, with the code of a bad argument (README: 'a bad fn or options').
      throw invalidArgument(err.message);
    }
  }
  if (signal !== undefined) {
    if (!isAbortSignal(signal)) throw invalidArgument(`Invalid execute() options.signal: expected an AbortSignal but received ${describe(signal)}`);
    out.signal = signal;
  }
  if (idempotent !== undefined) {
    if (typeof idempotent !== 'boolean') throw invalidArgument(`Invalid execute() options.idempotent: expected a boolean but received ${describe(idempotent)}`);
    out.idempotent = idempotent;
  }
  if (failover !== undefined) {
    if (typeof failover !== 'boolean') throw invalidArgument(`Invalid execute() options.failover: expected a boolean but received ${describe(failover)}`);
    out.failover = failover;
  }
  return out;
}

module.exports = {
  normalizeConfig, parseDuration, describe, closest, readExecuteOptions,
  // for the standalone CircuitBreaker's config
  circuitSettings, isPlainObject, snapshot, checkKeys,
};
