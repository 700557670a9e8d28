'use strict';
// Constructor validation: every row of CONTRACT "Constructor errors", plus durations.
const {
  Orchestrator, ManualClock, OmniDbError, ConfigError, parseDuration,
} = require('..');
const { useOrchestrators } = require('./helpers');

const make = useOrchestrators();

/** Builds an Orchestrator and returns the error it threw (fails if none). */
function configError(config) {
  let db;
  try {
    db = new Orchestrator(config);
  } catch (err) {
    return err;
  }
  db.disconnect();
  throw new Error(`expected the constructor to throw for ${JSON.stringify(config)}`);
}

function expectConfigError(config, ...fragments) {
  const err = configError(config);
  expect(err).toBeInstanceOf(OmniDbError);
  expect(err).toBeInstanceOf(ConfigError);
  expect(err).toBeInstanceOf(Error);
  expect(err.code).toBe('OMNIDB_INVALID_CONFIG');
  for (const f of fragments) expect(err.message).toContain(f);
  return err;
}

const two = () => ({ a: { id: 'a' }, b: { id: 'b' } });

describe('config must be an object', () => {
  test.each([
    ['missing', undefined],
    ['null', null],
    ['a number', 5],
    ['a string', 'primary'],
    ['an array', []],
  ])('%s', (_, config) => {
    expectConfigError(config, 'Config must be an object');
  });

  test('the constructor throws synchronously (not a rejected promise)', () => {
    expect(() => new Orchestrator(null)).toThrow(ConfigError);
  });
});

describe('connections', () => {
  test.each([
    ['missing', {}],
    ['a number', { connections: 5 }],
    ['null', { connections: null }],
    ['an array', { connections: [{}] }],
    ['a string', { connections: 'pg' }],
  ])('%s: "Config must include a connections object"', (_, config) => {
    expectConfigError(config, 'Config must include a connections object');
  });

  test('empty: "At least one connection must be provided"', () => {
    expectConfigError({ connections: {} }, 'At least one connection must be provided');
  });

  test.each([
    ['null', null],
    ['undefined', undefined],
  ])('a %s client names the connection', (_, client) => {
    const err = expectConfigError({ connections: { good: {}, reportsDb: client } },
      'Client must not be null or undefined');
    expect(err.message).toContain('reportsDb');
  });

  test('any non-null client is accepted, including primitives-wrapping objects and functions', () => {
    const db = make({ connections: { obj: {}, fn() {}, arr: [] } });
    expect(db.list()).toEqual(['obj', 'fn', 'arr']);
  });
});

describe('failover', () => {
  test('a backup that is not a connection lists the available ones', () => {
    expectConfigError({ connections: { primary: {}, replica: {} }, failover: { primary: 'replca' } },
      'Failover config error: backup "replca" for primary "primary" not found in connections. Available: primary, replica');
  });

  test('an unknown backup inside an ordered list is caught too', () => {
    expectConfigError({ connections: { p: {}, r: {} }, failover: { p: ['r', 'ghost'] } },
      'backup "ghost" for primary "p" not found in connections');
  });

  test('a primary that is not a connection is rejected and named', () => {
    const err = expectConfigError({ connections: two(), failover: { ghost: 'a' } });
    expect(err.message).toContain('ghost');
  });

  test('failover to itself', () => {
    expectConfigError({ connections: two(), failover: { a: 'a' } }, 'cannot fail over to itself');
  });

  test('failover to itself inside a list', () => {
    expectConfigError({ connections: two(), failover: { a: ['b', 'a'] } }, 'cannot fail over to itself');
  });

  test('a two-connection cycle', () => {
    expectConfigError({ connections: two(), failover: { a: 'b', b: 'a' } },
      'Circular failover detected: a → b → a');
  });

  test('a three-connection cycle names the whole path', () => {
    expectConfigError({ connections: { a: {}, b: {}, c: {} }, failover: { a: 'b', b: 'c', c: 'a' } },
      'Circular failover detected: a → b → c → a');
  });

  test('a chain without a cycle is accepted', () => {
    const db = make({ connections: { a: {}, b: {}, c: {} }, failover: { a: 'b', b: 'c' } });
    expect(db.size).toBe(3);
  });

  test.each([
    ['a number', 5],
    ['an empty list', []],
    ['a list with a non-string', ['b', 3]],
  ])('a failover value that is %s is rejected', (_, value) => {
    const err = expectConfigError({ connections: two(), failover: { a: value } });
    expect(err.message).toContain('"a"');
  });
});

describe('durations', () => {
  test.each([
    ['250ms', 250],
    ['30s', 30000],
    ['5m', 300000],
    ['1h', 3600000],
    [1500, 1500],
    [1, 1],
  ])('parseDuration(%p) === %p', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  test.each(['30x', -1, '0s', 0, '', 'abc', NaN, Infinity, '-5s', null, {}])('parseDuration(%p) throws', (input) => {
    let err;
    try {
      parseDuration(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.code).toBe('OMNIDB_INVALID_CONFIG');
    expect(err.message).toContain('Invalid duration');
  });

  test.each([
    ["'30x'", '30x', "'30x'"],
    ['-1', -1, '-1'],
    ["'0s'", '0s', "'0s'"],
  ])('healthCheck.interval %s: "Invalid duration" and the value', (_, value, shown) => {
    expectConfigError({ connections: two(), healthCheck: { interval: value } },
      'Invalid duration', shown, 'healthCheck.interval');
  });

  test.each([
    ['a symbol', Symbol('ten'), 'Symbol(ten) (symbol)'],
    ['a bigint', 10n, '10n (bigint)'],
  ])('%s duration is named in the message, not described as an object', (_, value, shown) => {
    expectConfigError({ connections: two(), healthCheck: { interval: value } }, 'Invalid duration', shown);
  });

  test.each([
    ['healthCheck.timeout', (v) => ({ healthCheck: { timeout: v } })],
    ['healthCheck.retry.delay', (v) => ({ healthCheck: { retry: { retries: 1, delay: v } } })],
    ['circuitBreaker.resetTimeout', (v) => ({ circuitBreaker: { resetTimeout: v } })],
    ['closeTimeout', (v) => ({ closeTimeout: v })],
  ])('%s is validated as a duration', (option, build) => {
    const err = expectConfigError({ connections: two(), ...build('30x') }, 'Invalid duration', '30x');
    expect(err.message).toContain(option);
  });

  test('every accepted duration form builds an orchestrator', () => {
    for (const interval of ['250ms', '30s', '5m', '1h', 1000]) {
      const db = make({ connections: two(), healthCheck: { interval, timeout: '100ms' } });
      expect(db.size).toBe(2);
    }
  });
});

describe('circuit breaker numbers', () => {
  test.each([
    ['threshold', 0],
    ['threshold', -3],
    ['threshold', '5'],
    ['threshold', 2.5],
    ['threshold', NaN],
    ['halfOpenSuccesses', 0],
    ['halfOpenSuccesses', 'two'],
    ['halfOpenMaxCalls', 0],
  ])('%s = %p names the option', (option, value) => {
    expectConfigError({ connections: two(), circuitBreaker: { [option]: value } }, option);
  });

  test('valid numbers are accepted', () => {
    const db = make({ connections: two(), circuitBreaker: { threshold: 1, halfOpenSuccesses: 1, halfOpenMaxCalls: 3 } });
    expect(db.getStats().a.circuit).toBe('closed');
  });

  test('healthCheck.retry.retries must be a non-negative integer', () => {
    expectConfigError({ connections: two(), healthCheck: { retry: { retries: -1 } } }, 'retries');
  });

  test('isFailure must be a function', () => {
    expectConfigError({ connections: two(), circuitBreaker: { isFailure: true } }, 'isFailure');
  });
});

describe('external circuit breaker', () => {
  test.each([
    ['an empty object', {}],
    ['an object whose execute is not a function', { execute: 1 }],
    ['null', null],
    ['a string', 'opossum'],
  ])('%s', (_, use) => {
    expectConfigError({ connections: two(), circuitBreaker: { use } },
      'External circuit breaker must have execute() or fire() method');
  });

  test('a factory returning something without execute/fire is rejected at construction', () => {
    const err = expectConfigError({ connections: two(), circuitBreaker: { use: () => ({}) } },
      'External circuit breaker must have execute() or fire() method');
    expect(err.message).toContain('"a"');
  });

  test('objects with execute() or fire() are accepted', () => {
    expect(make({ connections: two(), circuitBreaker: { use: { execute: (fn) => fn() } } }).size).toBe(2);
    expect(make({ connections: two(), circuitBreaker: { use: { fire: (fn) => fn() } } }).size).toBe(2);
  });
});

describe('unknown option keys', () => {
  test('top level, with the closest known key', () => {
    const err = expectConfigError({ connections: two(), healthcheck: {} }, 'healthcheck', 'healthCheck');
    expect(err.message).toMatch(/Did you mean "healthCheck"/);
  });

  test('top level typo of connections', () => {
    expectConfigError({ connections: two(), failovr: {} }, 'failovr', '"failover"');
  });

  test('top level, nothing close: the key is named (and no bogus suggestion)', () => {
    const err = expectConfigError({ connections: two(), zzzzzzzzzzzz: 1 }, 'zzzzzzzzzzzz');
    expect(err.message).not.toMatch(/Did you mean/);
  });

  test('inside healthCheck', () => {
    expectConfigError({ connections: two(), healthCheck: { intervall: '1s' } }, 'intervall', '"interval"');
  });

  test('inside healthCheck.retry', () => {
    expectConfigError({ connections: two(), healthCheck: { retry: { retrys: 1 } } }, '"retrys"', '"retries"');
  });

  test('inside circuitBreaker', () => {
    expectConfigError({ connections: two(), circuitBreaker: { treshold: 3 } }, 'treshold', '"threshold"');
  });

  test('inside circuitBreaker, nothing close', () => {
    const err = expectConfigError({ connections: two(), circuitBreaker: { qqqqqqqqqq: 3 } }, 'qqqqqqqqqq');
    expect(err.message).not.toMatch(/Did you mean/);
  });
});

describe('health checks', () => {
  test('a check for an unknown connection names it', () => {
    expectConfigError({ connections: { primary: {}, replica: {} }, healthCheck: { checks: { analytics: () => true } } },
      'analytics');
  });

  test('a near-miss connection name suggests the real one', () => {
    expectConfigError({ connections: { primary: {}, replica: {} }, healthCheck: { checks: { primery: () => true } } },
      'primery', 'primary');
  });

  test('a check that is not a function names the connection', () => {
    expectConfigError({ connections: two(), healthCheck: { checks: { b: 'SELECT 1' } } }, 'healthCheck.checks.b');
  });

  test('clock must be a ManualClock', () => {
    expectConfigError({ connections: two(), clock: Date }, 'clock');
    expect(make({ connections: two(), clock: new ManualClock() }).size).toBe(2);
  });

  test.each([
    ['{ _attach() {} }', () => ({ _attach() {} }), 'an object with keys _attach'],
    ['a look-alike with every method', () => ({ now() { return 0; }, advance() {}, _attach() {}, _detach() {}, _setTimeout() {}, _clearTimeout() {} }), 'an object with keys now, advance'],
    ['Object.create(ManualClock.prototype)', () => Object.create(ManualClock.prototype), 'an object with no own keys'],
    ['a Proxy of a ManualClock', () => new Proxy(new ManualClock(), {}), 'Invalid clock'],
    ['a revoked Proxy', () => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); return proxy; }, 'a revoked Proxy'],
  ])('%s is refused at construction, naming the value (not a TypeError at connect())', (_, makeClock, shown) => {
    expectConfigError({ connections: two(), clock: makeClock() }, "Invalid clock: expected a ManualClock from 'omnidb'", shown);
  });

  test('a ManualClock subclass is a ManualClock', async () => {
    class Slow extends ManualClock {}
    const clock = new Slow(5);
    const db = make({ connections: two(), clock });
    await db.connect();
    expect(db.metrics().a.lastCheckAt).toBe(null);
  });

  test('a ManualClock from another copy of omnidb (another module registry) is accepted and drives it', async () => {
    let Other;
    jest.isolateModules(() => { Other = require('..').ManualClock; });
    expect(Other).not.toBe(ManualClock);
    const clock = new Other();
    let checks = 0;
    const db = make({ connections: two(), clock, healthCheck: { interval: '10s', checks: { a: () => { checks += 1; return true; } } } });
    await db.connect();
    await clock.advance('20s');
    expect(checks).toBe(3);
    await db.disconnect();
  });
});

describe('a config that throws when read is a ConfigError, never the thrown value', () => {
  const getter = (key, thrown, base = {}) => Object.defineProperty(base, key, { get() { throw thrown; }, enumerable: true });
  const revoked = () => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); return proxy; };
  const everyTrapThrows = (target = {}) => new Proxy(target, new Proxy({}, { get: () => () => { throw new Error('trap'); } }));

  test.each([
    ['the config is a Proxy whose every trap throws', () => everyTrapThrows({ connections: { a: {} } }), 'Config must be an object'],
    ['the config is a revoked Proxy', () => revoked(), 'Config must be an object'],
    ['config.connections is a throwing getter', () => getter('connections', 42), 'reading "connections" threw: 42'],
    ['a connection is a throwing getter', () => ({ connections: getter('pg', Object.create(null), { ok: {} }) }), 'Invalid config.connections: reading "pg" threw'],
    ['connections is a Proxy whose every trap throws', () => ({ connections: everyTrapThrows() }), 'config.connections'],
    ['connections is a revoked Proxy', () => ({ connections: revoked() }), 'config.connections'],
    ['failover is a Proxy that throws', () => ({ connections: two(), failover: everyTrapThrows({ a: 'b' }) }), 'failover'],
    ['a failover list has a throwing element', () => ({ connections: two(), failover: { a: getter('0', undefined, []) } }), 'failover "a"'],
    ['healthCheck.checks has a throwing getter', () => ({ connections: two(), healthCheck: { checks: getter('a', Symbol('s')) } }), 'healthCheck.checks: reading "a" threw: Symbol(s)'],
    ['healthCheck.interval is a throwing getter', () => ({ connections: two(), healthCheck: getter('interval', new Error('boom')) }), 'reading "interval" threw: boom'],
    ['healthCheck.retry is a Proxy that throws', () => ({ connections: two(), healthCheck: { retry: everyTrapThrows() } }), 'healthCheck.retry'],
    ['circuitBreaker.threshold is a throwing getter', () => ({ connections: two(), circuitBreaker: getter('threshold', null) }), 'reading "threshold" threw: null'],
    ['circuitBreaker.use.execute is a throwing getter', () => ({ connections: two(), circuitBreaker: { use: getter('execute', new Error('x')) } }), 'External circuit breaker must have execute() or fire() method'],
    ['metrics is a revoked Proxy', () => ({ connections: two(), metrics: revoked() }), 'Invalid metrics'],
  ])('%s', (_, build, fragment) => {
    expectConfigError(build(), fragment);
  });

  test('the value the getter threw is the error\'s cause', () => {
    const thrown = new Error('getter');
    const err = expectConfigError({ connections: getter('pg', thrown) });
    expect(err.cause).toBe(thrown);
  });

  test('every value is read once', () => {
    let reads = 0;
    const hc = { get interval() { reads += 1; return reads === 1 ? '10s' : 'not a duration'; } };
    make({ connections: two(), healthCheck: hc });
    expect(reads).toBe(1);
  });

  test('a forwarding Proxy of a valid config, and of its connections, works', () => {
    const db = make(new Proxy({ connections: new Proxy(two(), {}), healthCheck: { interval: '1s' } }, {}));
    expect(db.list()).toEqual(['a', 'b']);
  });
});

describe("healthCheck.checks: 'auto' with clients that throw when read", () => {
  const { probes } = require('..');
  const revoked = () => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); return proxy; };
  const hostile = [
    ['a client whose getters throw', () => Object.defineProperty({}, 'connectionParameters', { get() { throw new Error('x'); }, enumerable: true })],
    ['a revoked Proxy', revoked],
    ['a Proxy whose every trap throws', () => new Proxy({}, new Proxy({}, { get: () => () => { throw new Error('trap'); } }))],
  ];

  test.each(hostile)("%s is of no client family: 'auto' throws a ConfigError naming the connection", (_, makeClient) => {
    expect(() => make({ connections: { a: makeClient() }, healthCheck: { checks: 'auto' } }))
      .toThrow(expect.objectContaining({ name: 'ConfigError', message: expect.stringContaining(`'auto' for connection "a": no client family recognises it`) }));
  });

  test("checks: { name: 'auto' } asks for one connection; a plain object is of no family", () => {
    expect(() => make({ connections: { a: {}, b: {} }, healthCheck: { checks: { b: 'auto' } } }))
      .toThrow(/'auto' for connection "b": no client family recognises it \(received an object\)/);
  });

  test.each(hostile)('probes.fromClient(%s) throws a ConfigError', (_, makeClient) => {
    expect(() => probes.fromClient(makeClient())).toThrow(ConfigError);
  });

  test('a pg Pool look-alike whose options throw once it is recognised is a ConfigError naming the connection', () => {
    let reads = 0;
    // Recognising a pool reads `options` twice; building its probe reads it again.
    const pool = { totalCount: 0, query() {}, get options() { reads += 1; if (reads > 2) throw new Error('later read'); return {}; } };
    let err;
    try {
      new Orchestrator({ connections: { pg: pool }, healthCheck: { checks: 'auto' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('connection "pg"');
  });
});
