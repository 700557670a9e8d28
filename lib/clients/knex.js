'use strict';
// Knex 3: the `knex` function. Closed with destroy() (its pool); checked natively when
// it talks to PostgreSQL with a connection it states (a string or an object), else with
// `select 1` through itself; its errors are the driver's, plus its own pool timeout.

const PG_DIALECTS = new Set(['postgresql', 'postgres', 'pg', 'pgnative', 'cockroachdb']);

module.exports = {
  name: 'knex',
  recognise(client) {
    return typeof client === 'function' && typeof client.raw === 'function' && typeof client.destroy === 'function' &&
      client.client !== null && typeof client.client === 'object' && typeof client.transaction === 'function';
  },
  close(client) {
    return client.destroy();
  },
  async check(client) {
    await client.raw('select 1');
    return true;
  },
  probe(client) {
    const inner = client.client;
    if (!PG_DIALECTS.has(inner.dialect) && !PG_DIALECTS.has(inner.driverName)) return null;
    const connection = inner.config && inner.config.connection;
    if (typeof connection === 'string') return { kind: 'postgres', fields: connection };
    if (connection === null || typeof connection !== 'object') return null; // a function: resolved per connection
    const fields = {};
    for (const key of ['connectionString', 'host', 'port', 'user', 'password', 'database', 'ssl']) {
      if (connection[key] !== undefined) fields[key] = connection[key];
    }
    if (typeof fields.password === 'function') return null;
    return { kind: 'postgres', fields };
  },
  classify(error) {
    // "Knex: Timeout acquiring a connection. The pool is probably full.": no connection came.
    return error.name === 'KnexTimeoutError' ? 'connection' : null;
  },
};
