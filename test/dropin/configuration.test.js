'use strict';
// omni-db docs/configuration.md, run against omnidb with in-memory client fakes.
//
// Examples and rules of the page not turned into a test here, and why:
// - The `connections` block builds PrismaClient, createClient and MongoClient: it needs
//   real databases; the same shapes run below as fakes.
// - "Names must be non-empty strings": CONTRACT.md settles that any connection name
//   works, so omnidb does not reject `''`; nothing to assert against the page.
// - "Maximum duration is 24 hours": omnidb accepts durations up to a week, a superset,
//   so every value omni-db accepts is accepted; a '25h' rejection is not asserted.
// - "External Circuit Breakers" (opossum) and `circuitBreaker` behaviour:
//   circuit-breaker.test.js runs that page's fuller examples; here only validation.

const CircuitBreaker = require('opossum');
const { Orchestrator, parseDuration } = require('../..');
const { fakePg, fakePinger, fakeRedis, fakePrisma, fakeMongo, trackOrchestrators } = require('./fakes');

const track = trackOrchestrators();

function withCheck(check, healthCheck = {}) {
  const client = fakePg('primary');
  const db = track(new Orchestrator({
    connections: { primary: client, other: fakePg('other') },
    healthCheck: { ...healthCheck, checks: { primary: check } },
  }));
  return db;
}

describe('Configuration object and connections', () => {
  test('connections, failover and healthCheck together make a valid config', () => {
    expect(() => track(new Orchestrator({
      connections: { primary: fakePg(), replica: fakePg() },
      failover: { primary: 'replica' },
      healthCheck: { interval: '30s' },
    }))).not.toThrow();
  });

  test('each key of connections becomes a connection name, and any object is a client', async () => {
    const db = track(new Orchestrator({
      connections: { primary: fakePrisma(), replica: fakePrisma(), cache: fakeRedis(), mongo: fakeMongo(), plain: {} },
    }));
    expect(db.list()).toEqual(['primary', 'replica', 'cache', 'mongo', 'plain']);
    await db.connect();
    expect(db.get('plain')).toEqual({});
  });

  test('at least one connection is required', () => {
    expect(() => new Orchestrator({ connections: {} })).toThrow('At least one connection must be provided');
  });
});

describe('failover', () => {
  test('primary -> replica and us-west -> us-east are accepted together', () => {
    const db = track(new Orchestrator({
      connections: { primary: fakePg(), replica: fakePg(), 'us-west': fakePg(), 'us-east': fakePg() },
      failover: { primary: 'replica', 'us-west': 'us-east' },
    }));
    expect(db.list()).toHaveLength(4);
  });

  test('a backup missing from connections is rejected', () => {
    expect(() => new Orchestrator({
      connections: { primary: fakePg() },
      failover: { primary: 'replica' },
    })).toThrow('Failover config error: backup "replica" for primary "primary" not found in connections');
  });

  test('circular failover a -> b -> a is detected and throws', () => {
    expect(() => new Orchestrator({
      connections: { a: fakePg(), b: fakePg() },
      failover: { a: 'b', b: 'a' },
    })).toThrow('Circular failover detected');
  });

  test('failover only triggers with health checks: without any, get() keeps returning the primary', async () => {
    const primary = fakePg('primary');
    const db = track(new Orchestrator({
      connections: { primary, replica: fakePg('replica') },
      failover: { primary: 'replica' },
    }));
    primary.down = true;
    await db.connect();
    expect(db.get('primary')).toBe(primary);
  });
});

describe('healthCheck.interval', () => {
  test.each([['5s', 5000], ['30s', 30000], ['1m', 60000], ['5m', 300000], ['1h', 3600000], ['500ms', 500]])(
    'the duration string %s is accepted and means %d ms',
    (value, ms) => {
      expect(parseDuration(value)).toBe(ms);
      expect(() => track(new Orchestrator({ connections: { a: {} }, healthCheck: { interval: value } }))).not.toThrow();
    },
  );

  test.each([['0s'], ['0ms'], ['-5s'], [0], [-1000]])('a zero or negative duration (%p) is rejected', (value) => {
    expect(() => new Orchestrator({ connections: { a: {} }, healthCheck: { interval: value } })).toThrow('Invalid duration');
  });

  test('checks run again every interval (default 30s; fake timers)', async () => {
    jest.useFakeTimers();
    const check = jest.fn(async () => true);
    const db = withCheck(check);
    await db.connect();
    const afterConnect = check.mock.calls.length;
    await jest.advanceTimersByTimeAsync(29_000);
    expect(check).toHaveBeenCalledTimes(afterConnect);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(check).toHaveBeenCalledTimes(afterConnect + 1);
  });
});

describe('healthCheck.timeout', () => {
  test('a check taking longer than timeout "5s" is marked unhealthy (fake timers)', async () => {
    jest.useFakeTimers();
    const db = withCheck(() => new Promise(() => {}), { timeout: '5s' });
    let settled = false;
    const connecting = db.connect().then(() => { settled = true; });
    await jest.advanceTimersByTimeAsync(4_999);
    expect(db.health().primary.status).toBe('healthy');
    await jest.advanceTimersByTimeAsync(1);
    await connecting;
    expect(settled).toBe(true);
    expect(db.health().primary.status).toBe('unhealthy');
  });
});

describe('healthCheck.checks', () => {
  test.each([
    [true, 'healthy'],
    ['healthy', 'healthy'],
    ['degraded', 'degraded'],
    ['unhealthy', 'unhealthy'],
    [false, 'unhealthy'],
  ])('a check returning %p makes the connection %s', async (result, status) => {
    const db = withCheck(async () => result);
    await db.connect();
    expect(db.health().primary.status).toBe(status);
  });

  test('a thrown error is caught and treated as unhealthy', async () => {
    const db = withCheck(async () => { throw new Error('boom'); });
    await expect(db.connect()).resolves.toBeUndefined();
    expect(db.health().primary.status).toBe('unhealthy');
  });

  test('a connection without a check function is assumed healthy', async () => {
    const db = withCheck(async () => false);
    await db.connect();
    expect(db.health().other).toEqual({ status: 'healthy' });
  });

  test('the page\'s postgres, redis and mongo checks pass against healthy clients', async () => {
    const db = track(new Orchestrator({
      connections: { postgres: fakePrisma(), redis: fakeRedis(), mongo: fakeMongo() },
      healthCheck: {
        checks: {
          postgres: async (client) => {
            await client.$queryRaw`SELECT 1`;
            return true;
          },
          redis: async (client) => {
            const pong = await client.ping();
            return pong === 'PONG';
          },
          mongo: async (client) => {
            await client.db().admin().ping();
            return true;
          },
        },
      },
    }));
    await db.connect();
    expect(db.health()).toEqual({ postgres: { status: 'healthy' }, redis: { status: 'healthy' }, mongo: { status: 'healthy' } });
  });

  test('health checks run in parallel: both start before either finishes', async () => {
    let release;
    const gate = new Promise((resolve) => { release = resolve; });
    const started = [];
    let bothStarted;
    const whenBoth = new Promise((resolve) => { bothStarted = resolve; });
    const check = (label) => async () => {
      started.push(label);
      if (started.length === 2) bothStarted();
      await gate;
      return true;
    };
    const db = track(new Orchestrator({
      connections: { a: fakePg(), b: fakePg() },
      healthCheck: { checks: { a: check('a'), b: check('b') } },
    }));
    const connecting = db.connect();
    await whenBoth;
    expect(started.sort()).toEqual(['a', 'b']);
    release();
    await connecting;
    expect(db.health()).toEqual({ a: { status: 'healthy' }, b: { status: 'healthy' } });
  });
});

describe('healthCheck.retry', () => {
  test('retries: 2 gives a failing check two more tries before it counts: fails twice, then passes -> healthy', async () => {
    let calls = 0;
    const db = withCheck(async () => ++calls > 2, { retry: { retries: 2, delay: '100ms' } });
    await db.connect();
    expect(calls).toBe(3);
    expect(db.health().primary.status).toBe('healthy');
  });

  test('retries: 2 with three failures marks the connection unhealthy after three attempts', async () => {
    const check = jest.fn(async () => false);
    const db = withCheck(check, { retry: { retries: 2, delay: '100ms' } });
    await db.connect();
    expect(check).toHaveBeenCalledTimes(3);
    expect(db.health().primary.status).toBe('unhealthy');
  });

  test('retries defaults to 0: one failed attempt marks the connection unhealthy', async () => {
    const check = jest.fn(async () => false);
    const db = withCheck(check);
    await db.connect();
    expect(check).toHaveBeenCalledTimes(1);
    expect(db.health().primary.status).toBe('unhealthy');
  });

  test('delay defaults to 100ms between retries (fake timers)', async () => {
    jest.useFakeTimers();
    const check = jest.fn(async () => check.mock.calls.length > 1);
    const db = withCheck(check, { retry: { retries: 1 } });
    const connecting = db.connect();
    await jest.advanceTimersByTimeAsync(99);
    expect(check).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    await connecting;
    expect(check).toHaveBeenCalledTimes(2);
    expect(db.health().primary.status).toBe('healthy');
  });
});

describe('circuitBreaker', () => {
  test('threshold 5, resetTimeout "30s" and halfOpenSuccesses 2 are accepted', () => {
    const db = track(new Orchestrator({
      connections: { primary: fakePg() },
      circuitBreaker: { threshold: 5, resetTimeout: '30s', halfOpenSuccesses: 2 },
    }));
    expect(db.getStats().primary.circuit).toBe('closed');
  });

  test.each([[0], [-1], ['5']])('threshold must be >= 1 (%p is rejected, naming the option)', (threshold) => {
    expect(() => new Orchestrator({ connections: { a: {} }, circuitBreaker: { threshold } })).toThrow('threshold');
  });

  test.each([[0], [-1], ['0s']])('resetTimeout must be positive (%p is rejected)', (resetTimeout) => {
    expect(() => new Orchestrator({ connections: { a: {} }, circuitBreaker: { resetTimeout } })).toThrow('Invalid duration');
  });

  test('resetTimeout accepts milliseconds as well as a duration string', () => {
    expect(() => track(new Orchestrator({ connections: { a: {} }, circuitBreaker: { resetTimeout: 30000 } }))).not.toThrow();
  });

  test.each([[0], [-2]])('halfOpenSuccesses must be >= 1 (%p is rejected, naming the option)', (halfOpenSuccesses) => {
    expect(() => new Orchestrator({ connections: { a: {} }, circuitBreaker: { halfOpenSuccesses } })).toThrow('halfOpenSuccesses');
  });

  test('an opossum breaker is accepted as circuitBreaker.use', () => {
    const asyncFn = async (fn) => fn();
    const breaker = new CircuitBreaker(asyncFn, { timeout: 3000 });
    try {
      expect(() => track(new Orchestrator({ connections: { a: fakePg() }, circuitBreaker: { use: breaker } }))).not.toThrow();
    } finally {
      breaker.shutdown();
    }
  });

  test('an external breaker is validated at construction: it needs execute() or fire()', () => {
    expect(() => new Orchestrator({ connections: { a: {} }, circuitBreaker: { use: {} } }))
      .toThrow('External circuit breaker must have execute() or fire() method');
  });
});

describe('"Full Example"', () => {
  test('the full configuration constructs, connects and reports every connection healthy', async () => {
    const primaryClient = fakePinger('primary');
    const replicaClient = fakePinger('replica');
    const redisClient = fakeRedis('cache');
    const db = track(new Orchestrator({
      connections: {
        primary: primaryClient,
        replica: replicaClient,
        cache: redisClient,
      },
      failover: {
        primary: 'replica',
      },
      healthCheck: {
        interval: '30s',
        timeout: '5s',
        retry: {
          retries: 2,
          delay: '100ms',
        },
        checks: {
          primary: async (c) => c.ping(),
          replica: async (c) => c.ping(),
          cache: async (c) => (await c.ping()) === 'PONG',
        },
      },
      circuitBreaker: {
        threshold: 5,
        resetTimeout: '30s',
        halfOpenSuccesses: 2,
      },
    }));
    await db.connect();
    expect(db.getStats()).toEqual({
      primary: { status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null },
      replica: { status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null },
      cache: { status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null },
    });
  });
});
