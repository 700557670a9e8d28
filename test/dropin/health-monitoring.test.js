'use strict';
// omni-db docs/health-monitoring.md, run against omnidb with in-memory client fakes.
//
// Examples of the page not turned into a test here, and why:
// - "Use Lightweight Queries" (`SELECT COUNT(*) FROM large_table` is "bad"): advice on
//   what to query, no behaviour of the library; the good check is run below.
// - The `alerting.notify(...)` calls: the reader's own alerting; the listener that
//   would call it is run and its argument checked.
// - "Circuit Breaker Integration", healthy: the page says a recovered connection's
//   circuit does not close by itself but goes through half-open trials. CONTRACT.md
//   settles the opposite for omnidb (a return to healthy closes the circuit,
//   reason 'health-recovered'); the settled behaviour is asserted.

const { Orchestrator } = require('../..');
const { fakePg, fakePinger, fakeRedis, fakePrisma, collect, trackOrchestrators } = require('./fakes');

const track = trackOrchestrators();

// A mysql2 connection: execute() resolves to [rows, fields].
function fakeMysql() {
  const client = {
    down: false,
    async execute(sql) {
      if (client.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return [[{ 1: 1, sql }], []];
    },
    async end() {},
  };
  return client;
}

function single(check, healthCheck = {}, extra = {}) {
  const client = fakePinger('primary');
  const db = track(new Orchestrator({
    connections: { primary: client },
    healthCheck: { ...healthCheck, checks: check === undefined ? {} : { primary: check } },
    ...extra,
  }));
  return { db, client };
}

describe('Enabling Health Monitoring', () => {
  test('monitoring starts at connect() (settled: its first round runs inside connect()) and stops at disconnect() (fake timers)', async () => {
    jest.useFakeTimers();
    const check = jest.fn(async () => true);
    const { db } = single(check, { interval: '30s' });
    expect(check).not.toHaveBeenCalled();
    await db.connect();
    expect(check).toHaveBeenCalledTimes(1);
    await db.disconnect();
    await jest.advanceTimersByTimeAsync(120_000);
    expect(check).toHaveBeenCalledTimes(1);
  });

  test('monitoring keeps running every interval while connected (fake timers)', async () => {
    jest.useFakeTimers();
    const check = jest.fn(async () => true);
    const { db } = single(check, { interval: '30s' });
    await db.connect();
    await jest.advanceTimersByTimeAsync(90_000);
    expect(check).toHaveBeenCalledTimes(4);
  });
});

describe('Custom Health Check Functions', () => {
  test('the postgres, redis and mysql checks of the page pass against healthy clients', async () => {
    const db = track(new Orchestrator({
      connections: { postgres: fakePrisma(), redis: fakeRedis(), mysql: fakeMysql() },
      healthCheck: {
        checks: {
          postgres: async (client) => {
            await client.$queryRaw`SELECT 1`;
            return true;
          },
          redis: async (client) => (await client.ping()) === 'PONG',
          mysql: async (client) => {
            const [rows] = await client.execute('SELECT 1');
            return rows.length > 0;
          },
        },
      },
    }));
    await db.connect();
    expect(db.health()).toEqual({ postgres: { status: 'healthy' }, redis: { status: 'healthy' }, mysql: { status: 'healthy' } });
  });

  test('each check receives its own connection\'s client', async () => {
    const seen = {};
    const clients = { postgres: fakePrisma(), redis: fakeRedis() };
    const db = track(new Orchestrator({
      connections: clients,
      healthCheck: { checks: { postgres: async (c) => { seen.postgres = c; return true; }, redis: async (c) => { seen.redis = c; return true; } } },
    }));
    await db.connect();
    expect(seen.postgres).toBe(clients.postgres);
    expect(seen.redis).toBe(clients.redis);
  });
});

describe('Health Check Rules', () => {
  test.each([
    ['returns true', async () => true, 'healthy'],
    ["returns 'healthy'", async () => 'healthy', 'healthy'],
    ["returns 'degraded'", async () => 'degraded', 'degraded'],
    ['returns false', async () => false, 'unhealthy'],
    ['throws an error', async () => { throw new Error('down'); }, 'unhealthy'],
  ])('a check that %s makes the connection %s', async (what, check, status) => {
    const { db } = single(check);
    await db.connect();
    expect(db.health().primary.status).toBe(status);
  });

  test('a connection with no check defined is assumed healthy', async () => {
    const { db } = single(undefined);
    await db.connect();
    expect(db.health()).toEqual({ primary: { status: 'healthy' } });
  });

  test('a check that times out makes the connection unhealthy (timeout "5s", fake timers)', async () => {
    jest.useFakeTimers();
    const { db } = single(() => new Promise(() => {}), { timeout: '5s' });
    const connecting = db.connect();
    await jest.advanceTimersByTimeAsync(5_000);
    await connecting;
    expect(db.health().primary.status).toBe('unhealthy');
  });
});

describe('Checking Health Status', () => {
  test('health() reports each connection\'s status, degraded included', async () => {
    const db = track(new Orchestrator({
      connections: { primary: fakePinger(), replica: fakePinger(), cache: fakeRedis() },
      healthCheck: { checks: { cache: async () => 'degraded' } },
    }));
    await db.connect();
    expect(db.health()).toEqual({
      primary: { status: 'healthy' },
      replica: { status: 'healthy' },
      cache: { status: 'degraded' },
    });
  });

  test('in failover, health() shows the primary unhealthy with failoverTo, the replica healthy', async () => {
    const primary = fakePinger('primary');
    primary.down = true;
    const db = track(new Orchestrator({
      connections: { primary, replica: fakePinger('replica') },
      failover: { primary: 'replica' },
      healthCheck: { checks: { primary: async (c) => c.ping(), replica: async (c) => c.ping() } },
    }));
    await db.connect();
    expect(db.health()).toEqual({
      primary: { status: 'unhealthy', failoverTo: 'replica' },
      replica: { status: 'healthy' },
    });
  });
});

describe('Listening for Health Changes', () => {
  test('health:changed gives name, previous and current; current is "unhealthy" when a connection goes down', async () => {
    const { db } = single(async () => false);
    const changes = collect(db, 'health:changed');
    await db.connect();
    expect(changes).toEqual([{ name: 'primary', previous: 'healthy', current: 'unhealthy', timestamp: expect.any(Number), error: expect.any(String) }]);
  });
});

describe('Best Practices', () => {
  test('"Set Reasonable Intervals": interval "5s" in development runs a round every 5s (fake timers)', async () => {
    jest.useFakeTimers();
    const check = jest.fn(async () => true);
    const { db } = single(check, { interval: '5s' });
    await db.connect();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(check).toHaveBeenCalledTimes(3);
  });

  test('"Handle Connection Pools": the pool check takes a client, queries it and releases it', async () => {
    const pool = fakePg('pg');
    const db = track(new Orchestrator({
      connections: { pg: pool },
      healthCheck: {
        checks: {
          pg: async (p) => {
            const client = await p.connect();
            try {
              await client.query('SELECT 1');
              return true;
            } finally {
              client.release();
            }
          },
        },
      },
    }));
    await db.connect();
    expect(db.health().pg.status).toBe('healthy');
    expect(pool.released).toBe(1);
    expect(pool.queries).toEqual(['SELECT 1']);
  });
});

describe('Circuit Breaker Integration', () => {
  test('unhealthy: the circuit opens at once (circuit:open)', async () => {
    const { db } = single(async () => false, {}, { circuitBreaker: {} });
    const opens = collect(db, 'circuit:open');
    await db.connect();
    expect(opens).toEqual([expect.objectContaining({ name: 'primary', reason: 'health-check-failed' })]);
    expect(db.getStats().primary.circuit).toBe('open');
  });

  test('healthy again (settled): the circuit closes with reason "health-recovered" (fake timers: next round)', async () => {
    jest.useFakeTimers();
    let healthy = false;
    const { db } = single(async () => healthy, { interval: '30s' }, { circuitBreaker: {} });
    const closes = collect(db, 'circuit:close');
    await db.connect();
    healthy = true;
    await jest.advanceTimersByTimeAsync(30_000);
    expect(closes).toEqual([expect.objectContaining({ name: 'primary', reason: 'health-recovered' })]);
    expect(db.getStats().primary.circuit).toBe('closed');
  });
});
