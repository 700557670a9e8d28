'use strict';
// Every error a user catches from OmniDB is born here, in JS: `instanceof` then
// works in any realm (Jest runs tests in its own), and each carries a stable `code`.

const { safeString } = require('./safe');

class OmniDbError extends Error {
  /**
   * @param {string} message
   * @param {string} code stable, machine-readable: 'OMNIDB_*'
   * @param {object} [props] extra fields copied onto the error
   */
  constructor(message, code, props) {
    super(message);
    this.code = code;
    if (props) Object.assign(this, props);
    Error.captureStackTrace(this, new.target);
  }
}

/** A config or argument problem: thrown synchronously, names the bad value. */
class ConfigError extends OmniDbError {
  /** @param {object} [props] extra fields, e.g. { cause } when reading the config threw */
  constructor(message, props) {
    super(message, 'OMNIDB_INVALID_CONFIG', props);
  }
}

/** The connection's circuit is open (or half-open with every trial slot taken). */
class CircuitOpenError extends OmniDbError {
  constructor(requested, connection, detail) {
    const prefix = `Connection "${requested}" is unavailable: `;
    super(`${prefix}Circuit open for "${connection}"${detail ? ` (${detail})` : ''}`,
      'OMNIDB_CIRCUIT_OPEN', { connection });
  }
}

/**
 * execute() ran past its `timeout` option. `unresponsive`: the connection answered
 * nothing else while the call waited (the server stopped answering, a connection
 * error), as opposed to this one call being slow.
 */
class TimeoutError extends OmniDbError {
  constructor(connection, timeout, unresponsive = true) {
    super(`Operation on "${connection}" timed out after ${timeout}ms` +
      (unresponsive ? '' : ' (the connection answered other calls meanwhile: this call was slow)'),
    'OMNIDB_TIMEOUT', { connection, timeout, unresponsive });
  }
}

/** execute()/recordFailure() named a connection the orchestrator does not have. */
class UnknownConnectionError extends OmniDbError {
  constructor(connection, available) {
    const name = safeString(connection);
    super(`Connection "${name}" is unavailable: no connection by that name. ` +
      `Available: ${available.join(', ')}`, 'OMNIDB_UNKNOWN_CONNECTION',
    { connection: name, available: available.slice() });
  }
}

for (const cls of [OmniDbError, ConfigError, CircuitOpenError, TimeoutError, UnknownConnectionError]) {
  Object.defineProperty(cls.prototype, 'name', { value: cls.name, enumerable: false, configurable: true, writable: true });
}

module.exports = { OmniDbError, ConfigError, CircuitOpenError, TimeoutError, UnknownConnectionError };
