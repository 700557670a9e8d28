'use strict';
// In-memory stand-ins for the clients the omni-db docs pass to an Orchestrator: just
// the methods each page's example calls, plus a `down` switch that makes every call
// fail the way a dead server would (ECONNREFUSED). They hold no sockets, so the
// examples run unchanged without a database.

function refused(what) {
  const err = new Error(`connect ECONNREFUSED 127.0.0.1 (${what})`);
  err.code = 'ECONNREFUSED';
  return err;
}

/** A pg Pool: query(), connect() handing out a client with release(), end(). */
function fakePg(label = 'pg') {
  const pool = {
    label,
    down: false,
    queries: [],
    ended: 0,
    async query(sql, params) {
      if (pool.down) throw refused(label);
      pool.queries.push(params === undefined ? sql : [sql, params]);
      return { rows: [{ from: label }] };
    },
    async connect() {
      if (pool.down) throw refused(label);
      return { query: (sql) => pool.query(sql), release() { pool.released = (pool.released || 0) + 1; } };
    },
    async end() { pool.ended++; },
  };
  return pool;
}

/** A generic client whose ping() resolves to true (the docs' `async (c) => c.ping()`). */
function fakePinger(label = 'client') {
  const client = {
    label,
    down: false,
    async ping() {
      if (client.down) throw refused(label);
      return true;
    },
    async query() {
      if (client.down) throw refused(label);
      return { rows: [{ from: label }] };
    },
    async end() {},
  };
  return client;
}

/** A Redis client (ioredis / node-redis surface): ping() -> 'PONG', get/set/setEx, quit(). */
function fakeRedis(label = 'redis') {
  const data = new Map();
  const client = {
    label,
    down: false,
    quits: 0,
    async ping() {
      if (client.down) throw refused(label);
      return 'PONG';
    },
    async get(key) {
      if (client.down) throw refused(label);
      return data.has(key) ? data.get(key) : null;
    },
    async set(key, value) {
      if (client.down) throw refused(label);
      data.set(key, String(value));
      return 'OK';
    },
    async setEx(key, seconds, value) {
      return client.set(key, value);
    },
    async quit() { client.quits++; return 'OK'; },
  };
  return client;
}

/** A PrismaClient: the $queryRaw tag, $connect/$disconnect and a `user` model. */
function fakePrisma(label = 'prisma') {
  const users = [];
  const client = {
    label,
    down: false,
    disconnects: 0,
    $queryRaw(strings, ...values) {
      if (client.down) return Promise.reject(refused(label));
      return Promise.resolve([{ sql: strings.join('?'), values, from: label }]);
    },
    async $connect() {
      if (client.down) throw refused(label);
    },
    async $disconnect() { client.disconnects++; },
    user: {
      async create({ data }) {
        if (client.down) throw refused(label);
        users.push(data);
        return { id: users.length, ...data, from: label };
      },
      async findMany() {
        if (client.down) throw refused(label);
        return users.map((u, i) => ({ id: i + 1, ...u, from: label }));
      },
    },
  };
  return client;
}

/** A MongoClient: db().admin().ping(), db(name).collection(name).insertOne(), close(). */
function fakeMongo(label = 'mongo') {
  const inserted = [];
  const client = {
    label,
    down: false,
    inserted,
    closed: 0,
    db() {
      return {
        admin: () => ({
          async ping() {
            if (client.down) throw refused(label);
            return { ok: 1 };
          },
        }),
        collection: () => ({
          async insertOne(doc) {
            if (client.down) throw refused(label);
            inserted.push(doc);
            return { acknowledged: true };
          },
        }),
      };
    },
    async close() { client.closed++; },
  };
  return client;
}

/** The payloads `emitter` emits for `event` from now on, in order (a live array). */
function collect(emitter, event) {
  const seen = [];
  emitter.on(event, (payload) => seen.push(payload));
  return seen;
}

/**
 * `track(db)` returns `db` and disconnects it after the test, then restores real
 * timers, so a failing assertion never leaves monitoring running into the next test.
 */
function trackOrchestrators() {
  const made = [];
  afterEach(async () => {
    const pending = made.splice(0);
    await Promise.all(pending.map((db) => db.disconnect()));
    jest.useRealTimers();
  });
  return (db) => {
    made.push(db);
    return db;
  };
}

module.exports = { fakePg, fakePinger, fakeRedis, fakePrisma, fakeMongo, collect, refused, trackOrchestrators };
