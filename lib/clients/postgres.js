'use strict';
// postgres.js 3 (`postgres`): the `sql` tag function. Closed with end(), which waits
// for queries in flight and is told to destroy the connections after half of
// closeTimeout; checked natively from its options (one host) or with `select 1`
// through itself; its server errors are PostgresError with the SQLSTATE in `code`.
const { bySqlState } = require('./sqlstate');

// Its own codes for a connection that closed, was destroyed by end({ timeout }),
// never connected in time, or was ended before the query ran.
const CONNECTION_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT', 'CONNECTION_ENDED']);
// Its own codes for a query it refused to send: the caller's.
const CALLER_CODES = new Set(['UNDEFINED_VALUE', 'NOT_TAGGED_CALL', 'MAX_PARAMETERS_EXCEEDED', 'UNSAFE_TRANSACTION', 'COPY_IN_PROGRESS']);

function first(value) {
  return Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
}

module.exports = {
  name: 'postgres.js',
  recognise(client) {
    return typeof client === 'function' && client.options !== null && typeof client.options === 'object' &&
      typeof client.unsafe === 'function' && typeof client.begin === 'function' && typeof client.end === 'function' &&
      typeof client.reserve === 'function';
  },
  close(client, { timeoutMs } = {}) {
    const seconds = typeof timeoutMs === 'number' && timeoutMs > 0 ? timeoutMs / 2000 : 0;
    return client.end({ timeout: seconds });
  },
  async check(client, { signal } = {}) {
    const query = client.unsafe('select 1');
    const onAbort = () => query.cancel();
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    try {
      await query;
      return true;
    } finally {
      if (signal) signal.removeEventListener('abort', onAbort);
    }
  },
  probe(client) {
    const o = client.options;
    // Several hosts (failover inside the client), a socket path or a password function:
    // not one server a native probe can reach with what it knows.
    if (Array.isArray(o.host) && o.host.length !== 1) return null;
    if (typeof o.pass === 'function' || typeof o.path === 'string') return null;
    const fields = { host: first(o.host), port: first(o.port), user: o.user, password: o.pass || undefined, database: o.database };
    if (o.ssl === false || o.ssl === 'disable') fields.sslmode = 'disable';
    else if (o.ssl === 'require' || o.ssl === 'prefer' || o.ssl === 'allow' || o.ssl === 'verify-full') fields.sslmode = o.ssl;
    else if (o.ssl === true) fields.sslmode = 'verify-full';
    else if (o.ssl !== undefined && o.ssl !== null) return null; // a TLS options object: certificates in memory
    return { kind: 'postgres', fields };
  },
  classify(error) {
    const { code } = error;
    if (typeof code !== 'string') return null;
    if (CONNECTION_CODES.has(code)) return 'connection';
    if (CALLER_CODES.has(code)) return 'caller';
    return bySqlState(code);
  },
};
