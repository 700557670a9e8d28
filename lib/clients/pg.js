'use strict';
// node-postgres (`pg`): a Pool or a Client. Closed with end(); checked natively
// (libpq) from its own connection options, or with SELECT 1 through itself; its
// errors carry the server's SQLSTATE in `code`.
const { bySqlState } = require('./sqlstate');

// pg and pg-pool messages without a code: the connection is gone or never came.
const CONNECTION_MESSAGES = /Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|timeout exceeded when trying to connect|Cannot use a pool after calling end on the pool|connection timeout|server closed the connection unexpectedly/i;

function isClient(c) {
  return c.connectionParameters !== null && typeof c.connectionParameters === 'object' && typeof c.query === 'function';
}

function isPool(c) {
  return c.options !== null && typeof c.options === 'object' && typeof c.totalCount === 'number' &&
    typeof c.query === 'function';
}

/** libpq fields of a pg Client's resolved connection parameters. */
function fieldsFromParameters(cp) {
  const fields = { host: cp.host, port: cp.port, user: cp.user, password: cp.password, database: cp.database };
  if (cp.ssl !== undefined && cp.ssl !== null) fields.ssl = cp.ssl;
  if (typeof cp.application_name === 'string' && cp.application_name) fields.application_name = cp.application_name;
  if (typeof cp.options === 'string' && cp.options) fields.options = cp.options;
  return fields;
}

function fieldsFromPool(pool) {
  // pg's own Client class applies pg's defaults and PG* environment variables exactly.
  if (typeof pool.Client === 'function') {
    try {
      const cp = new pool.Client(pool.options).connectionParameters;
      if (cp && typeof cp === 'object') return fieldsFromParameters(cp);
    } catch {
      // fall through: read the options as given
    }
  }
  const o = pool.options;
  const fields = {};
  for (const key of ['connectionString', 'host', 'port', 'user', 'password', 'database', 'ssl']) {
    if (o[key] !== undefined) fields[key] = o[key];
  }
  if (fields.host === undefined && fields.connectionString === undefined) fields.host = 'localhost';
  return fields;
}

module.exports = {
  name: 'pg',
  recognise(client) {
    return client !== null && typeof client === 'object' && (isClient(client) || isPool(client));
  },
  close(client) {
    return client.end();
  },
  async check(client) {
    await client.query('SELECT 1');
    return true;
  },
  probe(client) {
    return { kind: 'postgres', fields: isClient(client) ? fieldsFromParameters(client.connectionParameters) : fieldsFromPool(client) };
  },
  classify(error) {
    const verdict = bySqlState(error.code);
    if (verdict !== null) return verdict;
    const { message } = error;
    return typeof message === 'string' && CONNECTION_MESSAGES.test(message) ? 'connection' : null;
  },
};
