'use strict';
// mysql2 (3): a Pool (`createPool()`) or a Connection (`createConnection()`), in the
// callback flavour or the promise one (`mysql2/promise`, or `pool.promise()`), whose
// objects wrap the callback ones (`.pool`, `.connection`). Everything here goes
// through the callback object underneath, so both flavours behave alike.
const { bySqlState } = require('./sqlstate');
const { untilAborted, startCheck } = require('./check-support');

// Error codes (mysql2 `code`) of the caller's own mistakes: the server answered, the
// statement was wrong (syntax, unknown table or column, bad data, a violated constraint).
const CALLER_CODES = new Set([
  'ER_PARSE_ERROR', 'ER_SYNTAX_ERROR', 'ER_EMPTY_QUERY', 'ER_DUP_ENTRY', 'ER_DUP_KEY', 'ER_DUP_UNIQUE',
  'ER_DUP_ENTRY_WITH_KEY_NAME', 'ER_NO_SUCH_TABLE', 'ER_BAD_TABLE_ERROR', 'ER_BAD_FIELD_ERROR',
  'ER_BAD_NULL_ERROR', 'ER_DATA_TOO_LONG', 'ER_TRUNCATED_WRONG_VALUE', 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD',
  'ER_WARN_DATA_OUT_OF_RANGE', 'ER_WARN_DATA_TRUNCATED', 'ER_NO_REFERENCED_ROW', 'ER_NO_REFERENCED_ROW_2',
  'ER_ROW_IS_REFERENCED', 'ER_ROW_IS_REFERENCED_2', 'ER_NON_UNIQ_ERROR', 'ER_WRONG_VALUE_COUNT_ON_ROW',
  'ER_WRONG_VALUE_COUNT', 'ER_CHECK_CONSTRAINT_VIOLATED', 'ER_CONSTRAINT_FAILED', 'ER_DIVISION_BY_ZERO',
  'ER_INVALID_JSON_TEXT', 'ER_INVALID_JSON_TEXT_IN_PARAM', 'ER_TABLE_EXISTS_ERROR', 'ER_DB_CREATE_EXISTS',
  'ER_SP_DOES_NOT_EXIST', 'ER_WRONG_ARGUMENTS', 'ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT',
  'ER_WRONG_NUMBER_OF_COLUMNS_IN_SELECT', 'ER_TABLEACCESS_DENIED_ERROR', 'ER_COLUMNACCESS_DENIED_ERROR',
  'ER_SIGNAL_EXCEPTION', 'ER_CANT_DROP_FIELD_OR_KEY', 'ER_DUP_FIELDNAME', 'ER_WRONG_FIELD_SPEC',
  'ER_NO_DEFAULT_FOR_FIELD', 'ER_UNKNOWN_TABLE', 'ER_WRONG_FIELD_WITH_GROUP', 'ER_NOT_SUPPORTED_YET',
]);

// The connection failed, or the server cannot run statements on it now (and did not
// run this one): shutting down, out of connections, read-only after a failover.
const CONNECTION_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST', // the server closed the connection
  'PROTOCOL_SEQUENCE_TIMEOUT', // the query's `timeout` passed with no answer
  'PROTOCOL_PACKETS_OUT_OF_ORDER', 'PROTOCOL_INCORRECT_PACKET_SEQUENCE',
  'ER_CON_COUNT_ERROR', // too many connections
  'ER_TOO_MANY_USER_CONNECTIONS', 'ER_USER_LIMIT_REACHED',
  'ER_SERVER_SHUTDOWN', // shutting down
  'ER_CONNECTION_KILLED', // MariaDB: the connection was killed
  'ER_NET_READ_ERROR', 'ER_NET_READ_INTERRUPTED', 'ER_NET_ERROR_ON_WRITE', 'ER_NET_WRITE_INTERRUPTED',
  'ER_OPTION_PREVENTS_STATEMENT', // --read-only: a write reached a server that is a replica now
  'ER_READ_ONLY_MODE', 'ER_SERVER_OFFLINE_MODE',
]);

// mysql2's own errors without a code.
const CONNECTION_MESSAGES = new Set([
  "Can't add new command when connection is in closed state",
  'Pool is closed.',
]);

function isCoreConnection(c) {
  return c !== null && typeof c === 'object' && c.config !== null && typeof c.config === 'object' &&
    typeof c.ping === 'function' && typeof c.query === 'function' && typeof c.execute === 'function' &&
    typeof c.end === 'function' && typeof c.destroy === 'function' && typeof c.changeUser === 'function';
}

function isCorePool(p) {
  return p !== null && typeof p === 'object' && p.config !== null && typeof p.config === 'object' &&
    p.config.connectionConfig !== null && typeof p.config.connectionConfig === 'object' &&
    typeof p.getConnection === 'function' && typeof p.query === 'function' && typeof p.end === 'function';
}

/** The callback object under `client`: { pool } or { connection }, or null. */
function coreOf(client) {
  if (client === null || typeof client !== 'object') return null;
  // The promise wrappers first: they have the callback objects' methods too, returning promises.
  if (isCorePool(client.pool)) return { pool: client.pool }; // PromisePool
  if (isCoreConnection(client.connection)) return { connection: client.connection }; // PromiseConnection
  if (isCorePool(client)) return { pool: client };
  if (isCoreConnection(client)) return { connection: client };
  return null;
}

// `fn(callback)` as a promise.
function call(fn) {
  return new Promise((resolve, reject) => {
    fn((error) => (error ? reject(error) : resolve()));
  });
}

// The sockets of a connection, or of every connection of a pool (mysql2 keeps them
// in `_allConnections`; a pool's connections leave it as they end).
function socketsOf(owner, isPool) {
  let connections = [owner];
  if (isPool) {
    const all = owner._allConnections;
    connections = all && typeof all.toArray === 'function' ? all.toArray() : [];
  }
  const sockets = [];
  for (const c of connections) {
    const s = c && c.stream;
    if (s && typeof s.once === 'function' && typeof s.destroy === 'function') sockets.push(s);
  }
  return sockets;
}

// A connection that failed for good (mysql2 never reconnects one): its error, or null.
function brokenConnection(connection) {
  if (connection.state === 'error') return connection.fatalError || new Error('mysql2 connection failed');
  return null;
}

function verdictOf(error) {
  const { code, message } = error;
  if (typeof code === 'string') {
    if (CALLER_CODES.has(code)) return 'caller';
    if (CONNECTION_CODES.has(code)) return 'connection';
  }
  if (typeof message === 'string' && CONNECTION_MESSAGES.has(message)) return 'connection';
  // A code this list does not know yet: the server's SQLSTATE says what kind it is
  // (22 data, 23 constraint, 42 syntax or access rule: the caller's fault).
  return bySqlState(error.sqlState) === 'caller' ? 'caller' : null;
}

module.exports = {
  name: 'mysql2',
  recognise: (client) => coreOf(client) !== null,

  /**
   * end(): the pool's connections, or the connection, say QUIT; done when their
   * sockets have closed (end()'s callback comes when QUIT is sent, and a frozen
   * server would keep the socket open: closeTimeout then brings forceClose()).
   */
  async close(client) {
    const { pool, connection } = coreOf(client);
    const sockets = socketsOf(pool || connection, pool !== undefined);
    if (pool) {
      await call((cb) => pool.end(cb));
    } else if (brokenConnection(connection) !== null) {
      connection.destroy();
    } else {
      await call((cb) => connection.end(cb));
    }
    await Promise.all(sockets.map((s) => (s.closed || s.destroyed ? null : new Promise((resolve) => s.once('close', resolve)))));
  },

  /** Every socket destroyed: closed without waiting for the server. */
  forceClose(client) {
    const { pool, connection } = coreOf(client);
    if (connection) connection.destroy();
    for (const s of socketsOf(pool || connection, pool !== undefined)) s.destroy();
  },

  async check(client, { signal } = {}) {
    if (signal && signal.aborted) throw signal.reason;
    const clock = startCheck();
    try {
      const { pool, connection } = coreOf(client);
      if (pool) {
        // The pool opens a connection when it has no idle one: refused or timed out
        // (connectTimeout) by itself when the server is down.
        await untilAborted(call((cb) => pool.query('SELECT 1', cb)), signal);
      } else {
        const broken = brokenConnection(connection);
        if (broken !== null) return clock.unhealthy(broken);
        await untilAborted(call((cb) => connection.ping(cb)), signal);
      }
      return clock.healthy();
    } catch (error) {
      if (signal && signal.aborted) throw signal.reason;
      return clock.unhealthy(error);
    }
  },

  /**
   * The server this client talks to, for a native probe: { host, port, user,
   * password, database, socketPath }; null for TLS (the native probe has none) or a
   * custom stream.
   */
  probe(client) {
    const { pool, connection } = coreOf(client);
    const c = pool ? pool.config.connectionConfig : connection.config;
    if (c.ssl || c.stream) return null;
    const fields = { host: c.host, port: c.port, user: c.user, database: c.database };
    if (typeof c.password === 'string') fields.password = c.password;
    if (typeof c.socketPath === 'string' && c.socketPath !== '') fields.socketPath = c.socketPath;
    return { kind: 'mysql', fields };
  },

  classify(error) {
    try {
      return verdictOf(error);
    } catch {
      return null; // a getter or Proxy that throws: nothing recognisable
    }
  },

  CALLER_CODES,
};
