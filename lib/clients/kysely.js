'use strict';
// Kysely 0.28, any dialect. Closed with destroy() (which closes the dialect's pool);
// checked with `select 1` through its own executor (the pool behind it is private,
// so no native probe); the errors it raises are its driver's (pg, mysql2...), which
// their families classify. Its own NoResultError (executeTakeFirstOrThrow) is the
// caller's.

// A compiled raw query, as kysely's CompiledQuery.raw('select 1') builds it.
const SELECT_1 = Object.freeze({
  sql: 'select 1',
  parameters: Object.freeze([]),
  query: Object.freeze({ kind: 'RawNode', sqlFragments: Object.freeze(['select 1']), parameters: Object.freeze([]) }),
  queryId: Object.freeze({ queryId: 'omnidb-health-check' }),
});

module.exports = {
  name: 'kysely',
  recognise(client) {
    return client !== null && typeof client === 'object' && typeof client.selectFrom === 'function' &&
      typeof client.getExecutor === 'function' && typeof client.destroy === 'function' &&
      typeof client.executeQuery === 'function';
  },
  close(client) {
    return client.destroy();
  },
  async check(client) {
    await client.executeQuery(SELECT_1);
    return true;
  },
  classify(error) {
    // NoResultError sets no name of its own: its message and its query node tell it.
    return error.message === 'no result' && error.node !== null && typeof error.node === 'object' &&
      typeof error.node.kind === 'string' ? 'caller' : null;
  },
};
