'use strict';
// The one error mapping every framework integration applies: an open circuit is a
// 503 with Retry-After (whole seconds until the circuit goes half-open) and a JSON
// body naming the connection; an execute() timeout is a 504; any other error is not
// ours (null), and each integration hands it to the framework unchanged.
// Errors are recognised by their stable `code`, so copies of omnidb loaded in other
// realms (Jest, workers, two installs) map the same.

const { ConfigError } = require('../errors');
const { safeGet, safeString, safeMessage, describe } = require('../safe');

const CIRCUIT_OPEN = 'OMNIDB_CIRCUIT_OPEN';
const TIMEOUT = 'OMNIDB_TIMEOUT';
const DEFAULT_RETRY_AFTER = 5;

/** `{ retryAfter }` checked once: the seconds to send when no reset deadline is known. */
function errorMappingOptions(options, fn) {
  if (options === undefined) return { retryAfter: DEFAULT_RETRY_AFTER };
  if (options === null || typeof options !== 'object') {
    throw new ConfigError(`${fn}: options must be an object, received ${describe(options)}`);
  }
  const { retryAfter = DEFAULT_RETRY_AFTER } = options;
  if (!Number.isInteger(retryAfter) || retryAfter < 1) {
    throw new ConfigError(`${fn}: retryAfter must be a whole number of seconds >= 1, received ${describe(retryAfter)}`);
  }
  return { retryAfter };
}

/**
 * Whole seconds until `connection`'s circuit goes half-open: its reset deadline
 * rounded up (at least 1); 1 when it is half-open (trial slots free up as trials end);
 * `fallback` when no deadline is due (held open by a failed health check until a check
 * passes, an external breaker, an unknown name).
 */
function retryAfterSeconds(db, connection, fallback) {
  let entry;
  try {
    const metrics = db.metrics();
    entry = Object.prototype.hasOwnProperty.call(metrics, connection) ? metrics[connection] : undefined;
  } catch {
    return fallback; // a disconnected or foreign orchestrator: the header still goes out
  }
  if (entry === undefined) return fallback;
  if (typeof entry.circuitResetInMs === 'number') return Math.max(1, Math.ceil(entry.circuitResetInMs / 1000));
  if (entry.circuit === 'half-open') return 1;
  return fallback;
}

/**
 * The HTTP answer for an OmniDB error, or null for any other error (left to the
 * framework). `body.connection` is the connection whose circuit is open (for a
 * failover chain, the last one tried) or that timed out.
 * @returns {{ statusCode: 503 | 504, headers: Record<string, string>, body: object } | null}
 */
function httpError(db, err, { retryAfter: fallback }) {
  if (err === null || (typeof err !== 'object' && typeof err !== 'function')) return null;
  const code = safeGet(err, 'code');
  if (code !== CIRCUIT_OPEN && code !== TIMEOUT) return null;
  const connection = safeString(safeGet(err, 'connection'));
  const message = safeMessage(err);
  if (code === TIMEOUT) {
    return {
      statusCode: 504,
      headers: { 'cache-control': 'no-store' },
      body: { error: 'timeout', code, connection, message },
    };
  }
  const retryAfter = retryAfterSeconds(db, connection, fallback);
  return {
    statusCode: 503,
    headers: { 'retry-after': String(retryAfter), 'cache-control': 'no-store' },
    body: { error: 'circuit_open', code, connection, message, retryAfter },
  };
}

module.exports = { errorMappingOptions, httpError, retryAfterSeconds, CIRCUIT_OPEN, TIMEOUT };
