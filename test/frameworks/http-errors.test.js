'use strict';
// lib/integrations/http-errors.js: the one error mapping, without a framework.
const { httpError, errorMappingOptions } = require('../../lib/integrations/http-errors');
const { ManualClock, CircuitOpenError, TimeoutError, ConfigError } = require('../..');
const { useOrchestrators } = require('../helpers');

const make = useOrchestrators();
const opts = errorMappingOptions(undefined, 'test');

test('an error from another copy of omnidb (same code, another class) maps the same', () => {
  const db = make({ connections: { primary: {} } });
  const foreign = Object.assign(new Error('Connection "x" is unavailable: Circuit open for "primary"'), { code: 'OMNIDB_CIRCUIT_OPEN', connection: 'primary' });
  expect(httpError(db, foreign, opts)).toEqual({
    statusCode: 503,
    headers: { 'retry-after': '5', 'cache-control': 'no-store' },
    body: { error: 'circuit_open', code: 'OMNIDB_CIRCUIT_OPEN', connection: 'primary', message: foreign.message, retryAfter: 5 },
  });
  expect(httpError(db, new TimeoutError('primary', 250), opts).statusCode).toBe(504);
});

test('a half-open circuit with every trial slot taken: Retry-After 1', async () => {
  const clock = new ManualClock();
  const db = make({ connections: { a: {} }, circuitBreaker: { threshold: 1, resetTimeout: '1s', halfOpenMaxCalls: 1 }, clock });
  await db.connect();
  await db.execute('a', async () => { throw new Error('x'); }).catch(() => {});
  await clock.advance('1s');
  let release;
  const trial = db.execute('a', () => new Promise((resolve) => { release = resolve; }));
  const refused = await db.execute('a', async () => 1).catch((e) => e);
  expect(refused).toBeInstanceOf(CircuitOpenError);
  expect(httpError(db, refused, opts).headers['retry-after']).toBe('1');
  release();
  await trial;
});

test.each([
  [null], [undefined], ['OMNIDB_CIRCUIT_OPEN'], [42], [new Error('plain')],
  [Object.assign(new Error('x'), { code: 'ECONNREFUSED' })],
])('anything else is not ours: %p', (err) => {
  const db = make({ connections: { a: {} } });
  expect(httpError(db, err, opts)).toBeNull();
});

test('nor is a Proxy whose traps throw (and reading it does not throw)', () => {
  const db = make({ connections: { a: {} } });
  expect(httpError(db, new Proxy({}, { get() { throw new Error('trap'); } }), opts)).toBeNull();
});

test('a throwing connection getter or an unknown name still answers, with the fallback seconds', () => {
  const db = make({ connections: { a: {} } });
  const odd = { code: 'OMNIDB_CIRCUIT_OPEN', message: 'm', get connection() { throw new Error('getter'); } };
  expect(httpError(db, odd, { retryAfter: 3 })).toMatchObject({ statusCode: 503, headers: { 'retry-after': '3' }, body: { connection: 'undefined' } });
  expect(httpError(db, new CircuitOpenError('zz', 'zz'), { retryAfter: 4 }).headers['retry-after']).toBe('4');
});

test.each([[0], [1.5], ['5'], [-1], [null]])('retryAfter %p is refused with a ConfigError naming it', (retryAfter) => {
  expect(() => errorMappingOptions({ retryAfter }, 'errorHandler(db, options)')).toThrow(ConfigError);
  expect(() => errorMappingOptions({ retryAfter }, 'errorHandler(db, options)')).toThrow(/retryAfter must be a whole number of seconds >= 1, received/);
});

test('readinessReport() validates its options like the handlers do', () => {
  const { readinessReport } = require('../..');
  const db = make({ connections: { a: {} } });
  expect(readinessReport(db)).toEqual({ ready: true, unavailable: [], connections: { a: { status: 'healthy', circuit: 'n/a', failoverTo: null } } });
  expect(() => readinessReport(db, { require: ['b'] })).toThrow(/unknown connection "b". Available: a/);
  expect(() => readinessReport({}, {})).toThrow(/db must be an Orchestrator, received an object/);
});
