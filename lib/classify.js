'use strict';
// Does an error say something about the database's health? The default answer is
// yes, unless the error is recognisably the caller's own fault (bad SQL, bad data,
// a violated constraint): the server answered, and opening the circuit over it
// would turn one bad query into an outage.
//
// What each client's errors mean is its family's to say (lib/clients/): the
// classifier asks the families along the error's `cause` chain. What is left here
// is not about any one client: execute()'s own timeout, and the default verdicts.

const { classifyError } = require('./clients');

// FALLBACK until lib/clients/mysql2.js and lib/clients/ioredis.js land (written
// alongside this file): mysql2's codes and ioredis's "Connection is closed." as they
// were recognised before the families existed. Delete this block, and its two uses
// below, once those families classify their own errors.
const FALLBACK_SQLSTATE = /^[0-9A-Z]{5}$/;
const FALLBACK_CALLER_CLASSES = new Set(['22', '23', '42']);
const FALLBACK_MYSQL_CALLER_CODES = new Set([
  'ER_PARSE_ERROR', 'ER_SYNTAX_ERROR', 'ER_DUP_ENTRY', 'ER_DUP_KEY', 'ER_NO_SUCH_TABLE',
  'ER_BAD_FIELD_ERROR', 'ER_BAD_NULL_ERROR', 'ER_DATA_TOO_LONG', 'ER_TRUNCATED_WRONG_VALUE',
  'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD', 'ER_WARN_DATA_OUT_OF_RANGE', 'ER_NO_REFERENCED_ROW',
  'ER_NO_REFERENCED_ROW_2', 'ER_ROW_IS_REFERENCED', 'ER_ROW_IS_REFERENCED_2',
  'ER_NON_UNIQ_ERROR', 'ER_WRONG_VALUE_COUNT_ON_ROW', 'ER_CHECK_CONSTRAINT_VIOLATED',
  'ER_DIVISION_BY_ZERO', 'ER_INVALID_JSON_TEXT',
]);
const FALLBACK_CONNECTION_CODES = new Set(['PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN']);
const FALLBACK_CONNECTION_MESSAGES = /Connection is closed/;

function fallbackCaller({ code, sqlState }) {
  if (typeof code === 'string' && FALLBACK_MYSQL_CALLER_CODES.has(code)) return true;
  return typeof sqlState === 'string' && FALLBACK_SQLSTATE.test(sqlState) &&
    FALLBACK_CALLER_CLASSES.has(sqlState.slice(0, 2));
}

function fallbackConnection({ code, message }) {
  return (typeof code === 'string' && FALLBACK_CONNECTION_CODES.has(code)) ||
    (typeof message === 'string' && FALLBACK_CONNECTION_MESSAGES.test(message));
}
// ---- end of FALLBACK

/**
 * The default failure classifier: true when `error` should count against the
 * circuit breaker. What a client family calls the caller's fault (SQL syntax, data
 * and constraint errors: SQLSTATE classes 22, 23, 42 and their MySQL counterparts;
 * ORM wrappers of those) does not count; everything else does, including errors it
 * cannot classify.
 * @param {unknown} error
 * @returns {boolean}
 */
function defaultIsFailure(error) {
  if (error === null || typeof error !== 'object') return true;
  try {
    const verdict = classifyError(error);
    if (verdict !== null) return verdict !== 'caller';
    return !fallbackCaller(error);
  } catch {
    return true; // unreadable: it counts
  }
}

/**
 * True when `error` means the connection failed (refused, reset, timed out, server
 * shutting down, SQLSTATE class 08, a client's own "connection closed"), as opposed
 * to the query failing: only these make an idempotent call run again elsewhere.
 * @param {unknown} error
 * @returns {boolean}
 */
function isConnectionError(error) {
  if (error === null || typeof error !== 'object') return false;
  try {
    // execute()'s own deadline: a connection error only when the connection answered
    // nothing else meanwhile; one slow call among answered ones is the call's problem.
    if (error.code === 'OMNIDB_TIMEOUT') return error.unresponsive !== false;
    const verdict = classifyError(error);
    if (verdict !== null) return verdict === 'connection';
    return fallbackConnection(error);
  } catch {
    return false; // a getter that throws: nothing recognisable
  }
}

module.exports = { defaultIsFailure, isConnectionError };
