'use strict';
// omni-db docs/getting-started.md, run against omnidb with in-memory client fakes.
//
// Examples of the page not turned into a test here, and why:
// - `npm install omni-db` and the ESM requirement: installation, not behaviour
//   (omnidb's own ESM entry is covered by test/esm.test.js).
// - "Complete Example" builds `new PrismaClient()` and `createClient({ url })`: it needs
//   a real database; the same code runs below with fakes in place of both clients.

const { Orchestrator } = require('../..');
const { fakePg, fakeRedis, fakePrisma, fakeMongo, collect, trackOrchestrators } = require('./fakes');

const track = trackOrchestrators();

function stepOne() {
  const postgresClient = fakePg('postgres');
  const redisClient = fakeRedis('redis');
  const mongoClient = fakeMongo('mongo');
  const db = track(new Orchestrator({
    connections: {
      postgres: postgresClient,
      redis: redisClient,
      mongo: mongoClient,
    },
  }));
  return { db, postgresClient, redisClient, mongoClient };
}

describe('Getting Started, steps 1-4', () => {
  test('step 1: an Orchestrator is configured with connections alone', () => {
    const { db } = stepOne();
    expect(db.list()).toEqual(['postgres', 'redis', 'mongo']);
  });

  test('step 2: after connect(), `Managing ${db.size} connections` reads "Managing 3 connections"', async () => {
    const { db } = stepOne();
    await db.connect();
    expect(`Managing ${db.size} connections`).toBe('Managing 3 connections');
  });

  test('step 3: get() hands back the very clients given, used as they normally are', async () => {
    const { db, postgresClient, redisClient } = stepOne();
    await db.connect();
    const pg = db.get('postgres');
    const cache = db.get('redis');
    expect(pg).toBe(postgresClient);
    expect(cache).toBe(redisClient);
    await pg.query('SELECT * FROM users');
    await expect(cache.get('session:abc')).resolves.toBeNull();
    expect(postgresClient.queries).toEqual(['SELECT * FROM users']);
  });

  test('step 4: disconnect() resolves', async () => {
    const { db } = stepOne();
    await db.connect();
    await expect(db.disconnect()).resolves.toBeUndefined();
  });
});

describe('Getting Started, "Complete Example"', () => {
  function complete() {
    const prisma = fakePrisma('primary');
    const redis = fakeRedis('cache');
    const db = track(new Orchestrator({
      connections: {
        primary: prisma,
        cache: redis,
      },
    }));
    return { db, prisma, redis };
  }

  test('the connected listener runs once per connection (its argument is the { name, timestamp } payload of events.md)', async () => {
    const { db } = complete();
    const seen = [];
    db.on('connected', (name) => { seen.push(name); });
    await db.connect();
    expect(seen).toEqual([
      { name: 'primary', timestamp: expect.any(Number) },
      { name: 'cache', timestamp: expect.any(Number) },
    ]);
  });

  test('the disconnected listener runs once per connection in the finally block', async () => {
    const { db } = complete();
    const disconnected = collect(db, 'disconnected');
    await db.connect();
    try {
      await db.get('cache').get('users');
    } finally {
      await db.disconnect();
    }
    expect(disconnected.map((e) => e.name)).toEqual(['primary', 'cache']);
  });

  test('the tagged $queryRaw call and the cache read go straight to the clients', async () => {
    const { db } = complete();
    await db.connect();
    try {
      const users = await db.get('primary').$queryRaw`SELECT * FROM users`;
      const cached = await db.get('cache').get('users');
      expect(users).toHaveLength(1);
      expect(users[0].sql).toBe('SELECT * FROM users');
      expect(cached).toBeNull();
    } finally {
      await db.disconnect();
    }
  });
});
