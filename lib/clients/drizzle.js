'use strict';
// Drizzle ORM 0.45 (any driver). It has no close of its own: closing, checking and
// probing go to the client it wraps (`$client`: a pg Pool, a postgres.js sql, a mysql2
// pool...) through that client's family. Query errors are DrizzleQueryError with the
// driver's error as `cause`, which the classifier follows; a rollback the caller asked
// for (tx.rollback()) is the caller's.

// Required lazily: ./index requires this file.
const families = () => require('./index');

function inner(client) {
  const wrapped = client.$client;
  const family = families().familyOf(wrapped);
  return { wrapped, family };
}

module.exports = {
  name: 'drizzle',
  recognise(client) {
    const wrapped = client !== null && typeof client === 'object' ? client.$client : undefined;
    return wrapped !== null && (typeof wrapped === 'object' || typeof wrapped === 'function') &&
      typeof client.select === 'function' && typeof client.transaction === 'function';
  },
  close(client, options) {
    const { wrapped, family } = inner(client);
    if (typeof family.close === 'function') return family.close(wrapped, options);
    return undefined;
  },
  forceClose(client, options) {
    const { wrapped, family } = inner(client);
    if (typeof family.forceClose === 'function') return family.forceClose(wrapped, options);
    return undefined;
  },
  check(client, ctx) {
    const { wrapped, family } = inner(client);
    if (typeof family.check === 'function') return family.check(wrapped, ctx);
    return client.execute('select 1').then(() => true);
  },
  probe(client) {
    const { wrapped, family } = inner(client);
    return typeof family.probe === 'function' ? family.probe(wrapped) : null;
  },
  emitters(client) {
    const { wrapped, family } = inner(client);
    return typeof family.emitters === 'function' ? family.emitters(wrapped) : [wrapped];
  },
  classify(error) {
    return error.name === 'DrizzleError' && error.message === 'Rollback' ? 'caller' : null;
  },
};
