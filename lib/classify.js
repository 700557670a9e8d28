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
    return verdict !== 'caller';
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
    return verdict === 'connection';
  } catch {
    return false; // a getter that throws: nothing recognisable
  }
}

module.exports = { defaultIsFailure, isConnectionError };
