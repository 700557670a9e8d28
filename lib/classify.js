'use strict';
// Does an error say something about the database's health? The default answer is
// yes, unless the error is recognisably the caller's own fault (bad SQL, bad data,
// a violated constraint): the server answered, and opening the circuit over it
// would turn one bad query into an outage.

const { classifyError } = require('./clients');

// PostgreSQL SQLSTATE classes (also used by MySQL's sqlState): 22 data exception,
// 23 integrity constraint violation, 42 syntax error or access rule violation.
const CALLER_CLASSES = new Set(['22', '23', '42']);

// Prisma's query errors that mean the request, not the server, was wrong.
const PRISMA_CALLER_CODES = new Set(['P2000', 'P2002', 'P2003', 'P2004', 'P2011', 'P2025']);

const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * The default failure classifier: true when `error` should count against the
 * circuit breaker. SQL syntax, data and constraint errors (SQLSTATE classes 22, 23,
 * 42 and their MySQL counterparts) do not count; everything else does, including
 * errors it cannot classify.
 * @param {unknown} error
 * @returns {boolean}
 */
function defaultIsFailure(error) {
  if (error === null || typeof error !== 'object') return true;
  try {
    return failure(error);
  } catch {
    return true; // unreadable: it counts
  }
}

function failure(error) {
  const verdict = classifyError(error);
  if (verdict !== null) return verdict !== 'caller';
  const { code, sqlState } = error;
  if (typeof code === 'string') {
    if (SQLSTATE.test(code) && CALLER_CLASSES.has(code.slice(0, 2))) return false;
    if (PRISMA_CALLER_CODES.has(code)) return false;
  }
  if (typeof sqlState === 'string' && SQLSTATE.test(sqlState) &&
      CALLER_CLASSES.has(sqlState.slice(0, 2))) {
    return false;
  }
  return true;
}

// Errors that say the connection itself failed: the call may not have reached the
// server, or its answer was lost. Only these make an idempotent call retry elsewhere.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN',
  // PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
  '57P01', '57P02', '57P03', '53300',
  // mysql2
  'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN',
]);
// Client messages without a code: pg ("Connection terminated unexpectedly", "...due to
// connection timeout"), ioredis ("Connection is closed.").
const CONNECTION_MESSAGES = /Connection terminated|Connection is closed|connection timeout|Client has encountered a connection error|server closed the connection unexpectedly/i;

/**
 * True when `error` means the connection failed (refused, reset, timed out, server
 * shutting down, SQLSTATE class 08), as opposed to the query failing.
 * @param {unknown} error
 * @returns {boolean}
 */
function isConnectionError(error) {
  if (error === null || typeof error !== 'object') return false;
  try {
    return connectionError(error);
  } catch {
    return false; // a getter that throws: nothing recognisable
  }
}

function connectionError(error) {
  const { code, message } = error;
  // execute()'s own deadline: a connection error only when the connection answered
  // nothing else meanwhile; one slow call among answered ones is the call's problem.
  if (code === 'OMNIDB_TIMEOUT') return error.unresponsive !== false;
  const verdict = classifyError(error);
  if (verdict !== null) return verdict === 'connection';
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || (SQLSTATE.test(code) && code.startsWith('08')))) {
    return true;
  }
  return typeof message === 'string' && CONNECTION_MESSAGES.test(message);
}

module.exports = { defaultIsFailure, isConnectionError };
