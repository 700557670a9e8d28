'use strict';
// The ioredis and node-redis families (lib/clients/): recognising the real clients,
// classifying the real libraries' error classes, probe targets from the clients' own
// options, and closing clients that never connected. No server needed: the clients
// here are never connected (lazyConnect, or node-redis before connect()).
const IORedis6 = require('ioredis');
const IORedis5 = require('ioredis5');
const redis4 = require('redis4');
const redis5 = require('redis5');
const { MaxRetriesPerRequestError: MaxRetries6 } = require('ioredis/built/errors');
const { MaxRetriesPerRequestError: MaxRetries5 } = require('ioredis5/built/errors');
const { SimpleError: IOSimpleError6 } = require('ioredis/built/resp/errors');
const { familyOf, classifyError } = require('../lib/clients');
const ioredisFamily = require('../lib/clients/ioredis');
const nodeRedisFamily = require('../lib/clients/node-redis');
const { replyVerdict } = require('../lib/clients/redis-replies');
const { defaultIsFailure, isConnectionError } = require('../lib/classify');
const { probes } = require('../lib/probes');

const IOREDIS = [['ioredis 5', IORedis5], ['ioredis 6', IORedis6]];
const NODE_REDIS = [['node-redis 4', redis4], ['node-redis 5', redis5]];

const lazy = [];
function ioClient(Redis, ...args) {
  const c = new Redis(...args);
  lazy.push(c);
  return c;
}
afterAll(() => {
  for (const c of lazy) c.disconnect();
});

describe.each(IOREDIS)('%s', (_, Redis) => {
  test('a client and a Cluster are the ioredis family', () => {
    expect(familyOf(ioClient(Redis, { lazyConnect: true })).name).toBe('ioredis');
    expect(familyOf(ioClient(Redis.Cluster, [{ host: '127.0.0.1', port: 7000 }], { lazyConnect: true })).name).toBe('ioredis');
  });

  test('probe(): the server from the client\'s options, a native probe target', () => {
    const c = ioClient(Redis, 'redis://app:s3cret@10.1.2.3:7001/4', { lazyConnect: true });
    const target = ioredisFamily.probe(c);
    expect(target).toEqual({ kind: 'redis', fields: expect.objectContaining({ host: '10.1.2.3', port: 7001, username: 'app', password: 's3cret', db: 4 }) });
    expect(typeof probes.redis(target.fields)).toBe('function'); // redisConfigFrom takes the fields as they are
    const socket = ioredisFamily.probe(ioClient(Redis, { path: '/run/redis.sock', lazyConnect: true }));
    expect(socket.fields).toEqual(expect.objectContaining({ path: '/run/redis.sock', host: undefined, port: undefined }));
  });

  test('probe(): null for a Cluster, Sentinel and TLS, where a native probe cannot follow', () => {
    expect(ioredisFamily.probe(ioClient(Redis.Cluster, [{ port: 7000 }], { lazyConnect: true }))).toBeNull();
    expect(ioredisFamily.probe(ioClient(Redis, { sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'mymaster', lazyConnect: true }))).toBeNull();
    expect(ioredisFamily.probe(ioClient(Redis, { tls: {}, lazyConnect: true }))).toBeNull();
  });

  test('closing a client that never connected ends it at once, without connecting', async () => {
    const c = ioClient(Redis, { port: 1, lazyConnect: true });
    await ioredisFamily.close(c);
    expect(c.status).toBe('end');
    await expect(ioredisFamily.close(c)).resolves.toBeUndefined(); // already ended: nothing to do
    expect(c.status).toBe('end');
  });

  test('check() with an aborted signal rejects with its reason and sends nothing', async () => {
    const c = ioClient(Redis, { port: 1, lazyConnect: true });
    const reason = new Error('stop');
    await expect(ioredisFamily.check(c, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(c.status).toBe('wait');
  });

  test('check() of an ended client: unhealthy at once', async () => {
    const c = ioClient(Redis, { lazyConnect: true });
    c.disconnect();
    const result = await ioredisFamily.check(c, {});
    expect(result).toEqual({ status: 'unhealthy', latencyMs: expect.any(Number), error: expect.stringContaining('closed') });
  });
});

describe.each(NODE_REDIS)('%s', (_, redis) => {
  test('a client is the node-redis family', () => {
    expect(familyOf(redis.createClient()).name).toBe('node-redis');
  });

  test('probe(): host, port, credentials and database from the url or the socket options', () => {
    const fromUrl = nodeRedisFamily.probe(redis.createClient({ url: 'redis://app:s3cret@10.1.2.3:7001/4' }));
    expect(fromUrl).toEqual({ kind: 'redis', fields: expect.objectContaining({ host: '10.1.2.3', port: 7001, username: 'app', password: 's3cret', db: 4 }) });
    expect(typeof probes.redis(fromUrl.fields)).toBe('function');
    const fromSocket = nodeRedisFamily.probe(redis.createClient({ socket: { host: 'cache', port: 6380 }, database: 2 }));
    expect(fromSocket.fields).toEqual(expect.objectContaining({ host: 'cache', port: 6380, db: 2 }));
    expect(nodeRedisFamily.probe(redis.createClient({ socket: { path: '/run/redis.sock' } })).fields.path).toBe('/run/redis.sock');
  });

  test('probe(): null for TLS', () => {
    expect(nodeRedisFamily.probe(redis.createClient({ url: 'rediss://cache:6380' }))).toBeNull();
    expect(nodeRedisFamily.probe(redis.createClient({ socket: { host: 'cache', tls: true } }))).toBeNull();
  });

  test('closing a client that was never connected does nothing (no ClientClosedError)', async () => {
    const c = redis.createClient();
    expect(nodeRedisFamily.close(c)).toBeUndefined();
    expect(nodeRedisFamily.forceClose(c)).toBeUndefined();
  });

  test('check() of a client never connected: unhealthy at once, not connected by the check', async () => {
    const c = redis.createClient({ socket: { port: 1 } });
    const result = await nodeRedisFamily.check(c, {});
    expect(result).toEqual({ status: 'unhealthy', latencyMs: expect.any(Number), error: expect.stringContaining('closed') });
    expect(c.isOpen).toBe(false);
  });
});

describe('Redis reply errors', () => {
  const CALLER = [
    'WRONGTYPE Operation against a key holding the wrong kind of value',
    'ERR value is not an integer or out of range',
    "ERR unknown command 'NOPE', with args beginning with: ",
    "ERR wrong number of arguments for 'get' command",
    'ERR syntax error',
    'EXECABORT Transaction discarded because of previous errors.',
    'NOSCRIPT No matching script. Please use EVAL.',
    "NOPERM User app has no permissions to run the 'flushall' command",
    'BUSYGROUP Consumer Group name already exists',
  ];
  const CONNECTION = [
    'LOADING Redis is loading the dataset in memory',
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
    "READONLY You can't write against a read only replica.",
    'CLUSTERDOWN The cluster is down',
    'TRYAGAIN Multiple keys request during rehashing of slot',
    'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.',
    "OOM command not allowed when used memory > 'maxmemory'.",
    'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.',
    'NOREPLICAS Not enough good replicas to write.',
    'NOAUTH Authentication required.',
    'WRONGPASS invalid username-password pair or user is disabled.',
    'ERR max number of clients reached',
  ];

  const makers = [
    ['ioredis 5 ReplyError', (m) => new IORedis5.ReplyError(m)],
    ['ioredis 6 ReplyError', (m) => new IORedis6.ReplyError(m)],
    ['ioredis 6 SimpleError (RESP3)', (m) => new IOSimpleError6(m)],
    ['node-redis 4 ErrorReply', (m) => new redis4.ErrorReply(m)],
    ['node-redis 5 ErrorReply', (m) => new redis5.ErrorReply(m)],
    ['node-redis 5 SimpleError', (m) => new redis5.SimpleError(m)],
  ];

  describe.each(makers)('%s', (_, make) => {
    test.each(CALLER)('the caller\'s: %s (circuit untouched, no retry)', (message) => {
      const error = make(message);
      expect(classifyError(error)).toBe('caller');
      expect(defaultIsFailure(error)).toBe(false);
      expect(isConnectionError(error)).toBe(false);
    });
    test.each(CONNECTION)('the server\'s: %s (counts, an idempotent call runs elsewhere)', (message) => {
      const error = make(message);
      expect(classifyError(error)).toBe('connection');
      expect(defaultIsFailure(error)).toBe(true);
      expect(isConnectionError(error)).toBe(true);
    });
    test('a redirection the client did not follow counts and is not retried', () => {
      const error = make('MOVED 3999 127.0.0.1:6381');
      expect(classifyError(error)).toBeNull();
      expect(defaultIsFailure(error)).toBe(true);
      expect(isConnectionError(error)).toBe(false);
    });
  });

  test('a plain Error whose message reads like a reply is not taken for one', () => {
    const error = new Error('ERR value is not an integer or out of range');
    expect(defaultIsFailure(error)).toBe(true);
  });

  test.each([['node-redis 4', redis4], ['node-redis 5', redis5]])('%s MultiErrorReply: the caller\'s only when every failed reply is', (_, redis) => {
    const multi = (...messages) => new redis.MultiErrorReply(['OK', ...messages.map((m) => new redis.ErrorReply(m))],
      messages.map((__, i) => i + 1));
    expect(classifyError(multi('WRONGTYPE Operation against a key', 'ERR syntax error'))).toBe('caller');
    expect(classifyError(multi('WRONGTYPE Operation against a key', 'LOADING Redis is loading'))).toBe('connection');
  });

  test('replyVerdict reads the prefix only', () => {
    expect(replyVerdict('ERR')).toBe('caller');
    expect(replyVerdict('ERRX something')).toBeNull();
    expect(replyVerdict(undefined)).toBeNull();
  });
});

describe('Redis connection errors', () => {
  const cases = [
    ['ioredis 5 MaxRetriesPerRequestError', () => new MaxRetries5(20)],
    ['ioredis 6 MaxRetriesPerRequestError', () => new MaxRetries6(20)],
    ['ioredis "Connection is closed."', () => new Error('Connection is closed.')],
    ['ioredis offline queue disabled', () => new Error("Stream isn't writeable and enableOfflineQueue options is false")],
    ['ioredis commandTimeout', () => new Error('Command timed out')],
    ['ioredis socketTimeout', () => new Error("Socket timeout. Expecting data, but didn't receive any in 100ms.")],
    ['ioredis Cluster not ready', () => new Error("Cluster isn't ready and enableOfflineQueue options is false")],
    ...[['4', redis4], ['5', redis5]].flatMap(([v, redis]) => [
      [`node-redis ${v} ClientOfflineError`, () => new redis.ClientOfflineError()],
      [`node-redis ${v} ClientClosedError`, () => new redis.ClientClosedError()],
      [`node-redis ${v} SocketClosedUnexpectedlyError`, () => new redis.SocketClosedUnexpectedlyError()],
      [`node-redis ${v} ConnectionTimeoutError`, () => new redis.ConnectionTimeoutError()],
      [`node-redis ${v} DisconnectsClientError`, () => new redis.DisconnectsClientError()],
    ]),
    ['node-redis 5 SocketTimeoutError', () => new redis5.SocketTimeoutError(100)],
  ];
  test.each(cases)('%s: a connection error (counts; an idempotent call runs elsewhere)', (_, make) => {
    const error = make();
    expect(isConnectionError(error)).toBe(true);
    expect(defaultIsFailure(error)).toBe(true);
  });

  test('found along a cause chain (an app error wrapping the client\'s)', () => {
    const wrapped = new Error('cache read failed', { cause: new redis5.ClientOfflineError() });
    expect(isConnectionError(wrapped)).toBe(true);
    const caller = new Error('bad counter', { cause: new IORedis6.ReplyError('ERR value is not an integer or out of range') });
    expect(defaultIsFailure(caller)).toBe(false);
  });

  test('ioredis: a command the connection\'s mode refuses (subscriber, monitor) is the caller\'s', () => {
    expect(classifyError(new Error('Connection in subscriber mode, only subscriber commands may be used'))).toBe('caller');
    expect(classifyError(new Error("Connection is in monitoring mode, can't process commands."))).toBe('caller');
  });

  test('node-redis WatchError is the caller\'s (a lost optimistic transaction); AbortError is not classified', () => {
    expect(classifyError(new redis4.WatchError())).toBe('caller');
    expect(classifyError(new redis5.AbortError())).toBeNull();
  });

  test('odd input: no throw, nothing recognised', () => {
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    for (const v of [Object.create(null), revoked.proxy, { name: 42, message: {} }]) {
      expect(() => ioredisFamily.classify(v)).not.toThrow();
      expect(classifyError(v)).toBeNull();
    }
  });
});
