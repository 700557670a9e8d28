'use strict';
// Seeded property tests over odd input: constructor configs, execute() arguments,
// health-check results, clients' close methods and throwing listeners. Whatever the
// host passes, OmniDB answers through its API (an Orchestrator or an OmniDbError, a
// promise that settles, a disconnect() that resolves) and nothing escapes to the
// process: no crash, no unhandled rejection, no uncaught exception, no leaked handle.
//
// Deterministic by default (fixed seeds). To explore:
//   OMNIDB_FUZZ_SEED=123 OMNIDB_FUZZ_RUNS=2000 npx jest test/fuzz.test.js
// A failure prints the run's seed; OMNIDB_FUZZ_SEED=<that seed> OMNIDB_FUZZ_RUNS=1
// replays exactly that run of every property.
const vm = require('vm');
const util = require('util');
const diagnostics = require('diagnostics_channel');
const { Orchestrator, ManualClock, OmniDbError } = require('..');
const { Fuzz, seedFor, show } = require('./helpers/fuzz');
const { runFixture } = require('./helpers');

// Inside Jest, `process` is the test file's sandbox copy: listen on the real one too.
const realProcess = vm.runInThisContext('process');

const BASE_SEED = process.env.OMNIDB_FUZZ_SEED !== undefined ? Number(process.env.OMNIDB_FUZZ_SEED) >>> 0 : 0x0b1d5eed;
const RUNS = process.env.OMNIDB_FUZZ_RUNS !== undefined ? Math.max(1, Number(process.env.OMNIDB_FUZZ_RUNS) | 0) : null;
const runsOf = (fallback) => (RUNS === null ? fallback : RUNS);

const ESCAPED = { unhandled: [], uncaught: [] };
let currentProperty = '(setup)';
const onUnhandled = (reason) => ESCAPED.unhandled.push(`${currentProperty}: ${show(reason)}`);
const onUncaught = (err) => ESCAPED.uncaught.push(`${currentProperty}: ${show(err)}`);
const targets = [...new Set([realProcess, process])];
const made = []; // every Orchestrator built, each disconnected by its run
let baseline = null;

// Jest's own handlers are set aside while this file runs: they would fail the suite
// on the first escape with whatever they can print of a hostile value (a Proxy that
// throws on every read), where ours record every escape with the property that let it
// out, and the last test reports them all.
const setAside = [];

beforeAll(() => {
  baseline = resourceCounts();
  for (const event of ['unhandledRejection', 'uncaughtException']) {
    for (const listener of realProcess.rawListeners(event)) {
      setAside.push([event, listener]);
      realProcess.removeListener(event, listener);
    }
  }
  for (const t of targets) {
    t.on('unhandledRejection', onUnhandled);
    t.on('uncaughtException', onUncaught);
  }
});

afterAll(() => {
  for (const t of targets) {
    t.removeListener('unhandledRejection', onUnhandled);
    t.removeListener('uncaughtException', onUncaught);
  }
  for (const [event, listener] of setAside.splice(0)) realProcess.on(event, listener);
});

function resourceCounts() {
  const counts = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] || 0) + 1;
  return counts;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Settles into { settled, ok, value | error }, or { settled: false } after `ms` of real time. */
function within(promise, ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ settled: false }), ms);
    Promise.prototype.then.call(promise,
      (value) => { clearTimeout(timer); resolve({ settled: true, ok: true, value }); },
      (error) => { clearTimeout(timer); resolve({ settled: true, ok: false, error }); });
  });
}

// Both read values that may be hostile (a revoked Proxy, throwing getters): never throw.
function codeOf(err) {
  try {
    if (!(err instanceof OmniDbError)) return null;
    return typeof err.code === 'string' && err.code.startsWith('OMNIDB_') ? err.code : null;
  } catch {
    return null;
  }
}

function messageOf(err) {
  try {
    return err instanceof OmniDbError && typeof err.message === 'string' ? err.message : '';
  } catch {
    return '';
  }
}

function isTypeError(err) {
  try {
    return err instanceof TypeError;
  } catch {
    return false;
  }
}

function track(db) {
  made.push(db);
  return db;
}

/**
 * Runs `body(fz, fail)` once per seed, `batch` runs at a time, and returns every
 * violation found, each naming the seed that replays it.
 */
async function property(label, runs, body, batch = 1) {
  currentProperty = label;
  const problems = [];
  let done = 0;
  for (let i = 0; i < runs; i += batch) {
    const group = [];
    const fails = [];
    const escapedBefore = ESCAPED.unhandled.length + ESCAPED.uncaught.length;
    for (let j = i; j < Math.min(runs, i + batch); j++) {
      const runSeed = (BASE_SEED + j) >>> 0;
      const fz = new Fuzz(seedFor(runSeed, label));
      const fail = (what) => problems.push(`${what}\n      seed ${runSeed} (OMNIDB_FUZZ_SEED=${runSeed} OMNIDB_FUZZ_RUNS=1): ${fz.story()}`);
      fails.push(fail);
      group.push(Promise.resolve().then(() => body(fz, fail)).then(
        () => { done += 1; },
        (err) => fail(`the property itself threw: ${show(err)} ${err && err.stack}`),
      ));
    }
    await Promise.all(group);
    await tick(); // let an unhandled rejection of these runs surface, and name them
    const escapedNow = [...ESCAPED.unhandled, ...ESCAPED.uncaught].length;
    if (escapedNow > escapedBefore) {
      for (const fail of fails) fail(`${escapedNow - escapedBefore} unhandled rejection(s) or uncaught exception(s) during ${fails.length > 1 ? 'this batch of runs' : 'this run'} (listed by the last test)`);
    }
  }
  currentProperty = `${label} (after)`;
  return { problems: problems.slice(0, 15), count: problems.length, done };
}

// ------------------------------------------------------------------ constructor

const BAD_DURATIONS = ['30x', -1, '0s', 0, '', ' 30s', '1d', NaN, Infinity, 1.5, '1e3', null, true, {}, [], Symbol('d'), 604800001, -0, 1n];

/** What a bad duration's message must contain: 'Invalid duration' and the value, when it prints. */
function durationMessage(value) {
  if (typeof value === 'string') return ['Invalid duration', `'${value}'`];
  if (typeof value === 'number') return ['Invalid duration', String(value)];
  if (typeof value === 'bigint') return ['Invalid duration', `${value}n`];
  if (typeof value === 'symbol') return ['Invalid duration', value.toString()];
  return ['Invalid duration'];
}

function genClient(fz) {
  return fz.oneOf('client', [
    ['{}', () => ({})],
    ['query object', () => ({ query() { return 1; }, end() {} })],
    ['class instance', () => new (class Pool { async end() {} })()],
    ['function (knex-like)', () => Object.assign(function knex() {}, { destroy() {} })],
    ['null-prototype object', () => Object.create(null)],
    ['frozen object', () => Object.freeze({ close() {} })],
    ['forwarding Proxy', () => fz.proxy({ end() {} }, 'forward')],
    ['Proxy throwing on get', () => fz.proxy({}, 'throw-get')],
    ['Proxy throwing on every trap', () => fz.proxy({}, 'throw-all')],
    ['revoked Proxy', () => fz.proxy({}, 'revoked')],
    ['throwing getters', () => fz.throwingGetter('connectionParameters', fz.throwingGetter('options', fz.throwingGetter('end')))],
    ['number', () => 42],
    ['string', () => 'postgres://nowhere'],
    ['symbol', () => Symbol('client')],
  ]);
}

function genConfig(fz) {
  const want = { errors: [], maybe: false };
  const bad = (...includes) => want.errors.push(includes);
  const maybe = () => { want.maybe = true; };

  // The config itself.
  const shape = fz.int(100);
  if (shape < 6) {
    const value = fz.oneOf('config', [
      ['undefined', () => undefined], ['null', () => null], ['42', () => 42], ['string', () => 'cfg'],
      ['array', () => []], ['symbol', () => Symbol('cfg')], ['function', () => () => {}],
    ]);
    bad('Config must be an object');
    return { config: value, want, names: [] };
  }
  if (shape < 9) {
    const mode = fz.pick(['throw-all', 'throw-get', 'revoked']);
    fz.note(`config: Proxy ${mode}`);
    bad();
    return { config: fz.proxy({ connections: { a: {} } }, mode), want, names: [] };
  }

  const nullPrototype = fz.bool(0.1);
  const config = nullPrototype ? Object.create(null) : {};
  if (nullPrototype) fz.note('config: null prototype');
  config.closeTimeout = '50ms';

  // connections
  let names = [];
  const c = fz.int(100);
  if (c < 4) {
    fz.note('connections missing');
    bad('Config must include a connections object');
  } else if (c < 8) {
    config.connections = fz.oneOf('connections', [['null', () => null], ['42', () => 42], ['array', () => [{}]], ['string', () => 'pg']]);
    bad('Config must include a connections object');
  } else if (c < 11) {
    fz.note('connections empty');
    config.connections = {};
    bad('At least one connection must be provided');
  } else {
    names = fz.names(1 + fz.int(4));
    const connections = fz.bool(0.15) ? Object.create(null) : {};
    for (const name of names) Object.defineProperty(connections, name, { value: genClient(fz), enumerable: true, configurable: true, writable: true });
    names = Object.keys(connections); // the orchestrator's order: integer-like keys first
    fz.note(`names=${names.map(show).join(',')}`);
    const twist = fz.int(100);
    if (twist < 8) {
      const victim = fz.pick(names);
      connections[victim] = fz.bool() ? null : undefined;
      fz.note(`client of ${show(victim)} is ${show(connections[victim])}`);
      bad('Client must not be null or undefined', `"${victim}"`);
    } else if (twist < 12) {
      const victim = fz.pick(names);
      fz.throwingGetter(victim, connections);
      fz.note(`connection ${show(victim)} is a throwing getter`);
      bad();
    } else if (twist < 16) {
      fz.note('connections: Proxy');
      const mode = fz.pick(['forward', 'throw-all', 'throw-get', 'revoked']);
      fz.note(`connections proxy mode ${mode}`);
      if (mode === 'forward') maybe(); else bad();
      config.connections = fz.proxy(connections, mode);
    } else if (twist < 20) {
      fz.note('extra symbol key on connections');
      connections[Symbol('hidden')] = {};
    }
    if (config.connections === undefined) config.connections = connections;
  }

  // failover
  if (fz.bool(0.35)) {
    const [a, b, cName] = names.length > 0 ? names : ['x', 'y', 'z'];
    const pick = fz.int(100);
    if (names.length === 0) {
      config.failover = { x: 'y' };
      fz.note('failover with no connections');
    } else if (pick < 30 && names.length >= 2) {
      const value = fz.bool() ? b : [b];
      config.failover = { [a]: value };
      fz.note(`failover ${show(a)} -> ${show(b)}`);
    } else if (pick < 40 && names.length >= 3) {
      config.failover = { [a]: [b, cName] };
      fz.note('failover a -> [b, c]');
    } else if (pick < 50) {
      config.failover = { [a]: 'nope-not-a-connection' };
      fz.note('failover to a missing connection');
      bad('not found in connections');
    } else if (pick < 60) {
      config.failover = { [a]: a };
      fz.note('failover to itself');
      bad('cannot fail over to itself');
    } else if (pick < 70 && names.length >= 2) {
      config.failover = { [a]: b, [b]: a };
      fz.note('failover cycle');
      bad('Circular failover detected');
    } else if (pick < 80) {
      config.failover = { [a]: fz.pick([42, [], [42], null, {}]) };
      fz.note(`failover value ${show(config.failover[a])}`);
      bad('Invalid failover');
    } else if (pick < 88) {
      config.failover = fz.pick([42, 'a', [], null]);
      fz.note(`failover ${show(config.failover)}`);
      bad('Invalid failover');
    } else {
      config.failover = fz.proxy({ [a]: a }, fz.pick(['throw-all', 'revoked']));
      fz.note('failover Proxy that throws');
      bad();
    }
  }

  // healthCheck
  if (fz.bool(0.5)) {
    const hc = {};
    if (fz.bool(0.5)) {
      if (fz.bool(0.8)) hc.interval = fz.pick(['10ms', '30s', 50]);
      else { hc.interval = fz.pick(BAD_DURATIONS); bad(...durationMessage(hc.interval)); }
      fz.note(`interval ${show(hc.interval)}`);
    }
    if (fz.bool(0.4)) {
      if (fz.bool(0.8)) hc.timeout = fz.pick(['20ms', '1s', 100]);
      else { hc.timeout = fz.pick(BAD_DURATIONS); bad(...durationMessage(hc.timeout)); }
      fz.note(`timeout ${show(hc.timeout)}`);
    }
    if (fz.bool(0.2)) {
      const r = fz.int(6);
      if (r === 0) { hc.retry = 3; bad('healthCheck.retry'); }
      else if (r === 1) { hc.retry = { retries: -1 }; bad('retries'); }
      else if (r === 2) { hc.retry = { retry: 1 }; bad('"retry"', 'retries'); }
      else if (r === 3) { hc.retry = { delay: fz.pick(BAD_DURATIONS) }; bad(...durationMessage(hc.retry.delay)); }
      else hc.retry = { retries: fz.int(3), delay: '5ms' };
      fz.note(`retry ${show(hc.retry)}`);
    }
    if (fz.bool(0.15)) {
      hc.fall = fz.pick([1, 2, 0, 'x']);
      if (hc.fall === 0 || hc.fall === 'x') bad('fall');
      fz.note(`fall ${show(hc.fall)}`);
    }
    if (fz.bool(0.5)) {
      const k = fz.int(100);
      if (k < 15) {
        hc.checks = 'auto';
        fz.note("checks 'auto'");
        // No client genClient() makes is of a family 'auto' knows: a ConfigError naming it.
        if (names.length > 0) bad("healthCheck.checks 'auto' for connection");
      } else if (k < 25) {
        hc.checks = fz.pick([42, 'manual', []]);
        fz.note(`checks ${show(hc.checks)}`);
        bad('Invalid healthCheck.checks');
      } else if (k < 35) {
        hc.checks = { 'no-such-connection': () => true };
        fz.note('check for an unknown connection');
        bad('no connection named');
      } else if (k < 42 && names.length > 0) {
        hc.checks = { [names[0]]: fz.pick([true, 'healthy', 42]) };
        fz.note(`check is ${show(hc.checks[names[0]])}`);
        bad('expected a function');
      } else if (k < 48 && names.length > 0) {
        hc.checks = fz.throwingGetter(names[0]);
        fz.note('check is a throwing getter');
        bad();
      } else if (k < 52) {
        hc.checks = fz.proxy({}, fz.pick(['throw-all', 'revoked']));
        fz.note('checks Proxy that throws');
        bad();
      } else {
        hc.checks = {};
        for (const n of names) {
          if (fz.bool(0.7)) Object.defineProperty(hc.checks, n, { value: fz.bool() ? () => true : () => 'degraded', enumerable: true });
        }
        fz.note('checks: functions');
      }
    }
    if (fz.bool(0.1)) {
      const [key, guess] = fz.pick([['intervall', 'interval'], ['timout', 'timeout'], ['check', 'checks'], ['zzzzzz', null]]);
      hc[key] = 1;
      fz.note(`healthCheck unknown key ${key}`);
      bad(`"${key}"`, ...(guess ? [guess] : []));
    }
    config.healthCheck = hc;
    if (fz.bool(0.04)) {
      config.healthCheck = fz.pick([42, 'fast', [], null]);
      fz.note(`healthCheck ${show(config.healthCheck)}`);
      bad('Invalid healthCheck');
    }
  }

  // circuitBreaker
  if (fz.bool(0.5)) {
    const k = fz.int(100);
    if (k < 10) { config.circuitBreaker = true; fz.note('circuitBreaker true'); }
    else if (k < 18) { config.circuitBreaker = false; fz.note('circuitBreaker false'); }
    else if (k < 24) { config.circuitBreaker = fz.pick([42, 'on', []]); fz.note(`circuitBreaker ${show(config.circuitBreaker)}`); bad('Invalid circuitBreaker'); }
    else {
      const cb = {};
      const field = fz.int(10);
      if (field === 0) { cb.threshold = fz.pick([0, -1, 1.5, '5', NaN]); bad('threshold'); }
      else if (field === 1) { cb.halfOpenSuccesses = fz.pick([0, 'x', 2.5]); bad('halfOpenSuccesses'); }
      else if (field === 2) { cb.resetTimeout = fz.pick(BAD_DURATIONS); bad(...durationMessage(cb.resetTimeout)); }
      else if (field === 3) { cb.use = fz.pick([42, {}, 'opossum', null]); bad('External circuit breaker must have execute() or fire() method'); }
      else if (field === 4) { cb.use = () => ({}); bad('External circuit breaker must have execute() or fire() method'); }
      else if (field === 5) { cb.use = fz.bomb(); fz.note('use() throws'); bad(); }
      else if (field === 6) { cb.use = fz.throwingGetter('execute'); fz.note('use.execute is a throwing getter'); bad(); }
      else if (field === 7) { cb.isFailure = 'always'; bad('isFailure'); }
      else if (field === 8) { cb.treshold = 3; bad('"treshold"', 'threshold'); }
      else { cb.threshold = 1 + fz.int(5); cb.resetTimeout = '1s'; cb.use = fz.bool(0.3) ? { execute: (f) => f() } : undefined; if (cb.use === undefined) delete cb.use; }
      fz.note(`circuitBreaker ${Object.keys(cb).join(',')}`);
      config.circuitBreaker = cb;
    }
  }

  // clock
  if (fz.bool(0.2)) {
    config.clock = fz.oneOf('clock', [
      ['ManualClock', () => new ManualClock()],
      ['ManualClock subclass', () => new (class extends ManualClock {})()],
      ['{ _attach() {} }', () => { bad('clock'); return { _attach() {} }; }],
      ['Object.create(ManualClock.prototype)', () => { bad('clock'); return Object.create(ManualClock.prototype); }],
      ['Proxy of a ManualClock', () => { bad('clock'); return new Proxy(new ManualClock(), {}); }],
      ['42', () => { bad('clock'); return 42; }],
      ['null', () => { bad('clock'); return null; }],
    ]);
  }

  // closeTimeout, metrics, unknown keys
  if (fz.bool(0.08)) {
    config.closeTimeout = fz.pick(BAD_DURATIONS);
    fz.note(`closeTimeout ${show(config.closeTimeout)}`);
    bad(...durationMessage(config.closeTimeout));
  }
  if (fz.bool(0.1)) {
    const s = fz.pick([1, 2, 128, 3, 0, 'x', 1 << 20]);
    config.metrics = { sampleEvery: s };
    fz.note(`sampleEvery ${show(s)}`);
    if (![1, 2, 128].includes(s)) bad('sampleEvery');
  }
  if (fz.bool(0.12)) {
    const [key, guess] = fz.pick([
      ['connection', 'connections'], ['healthcheck', 'healthCheck'], ['failOver', 'failover'],
      ['circuitbreaker', 'circuitBreaker'], ['closetimeout', 'closeTimeout'], ['__proto__', null], ['zzzzzz', null],
    ]);
    Object.defineProperty(config, key, { value: 1, enumerable: true, configurable: true, writable: true });
    fz.note(`unknown key ${key}`);
    bad(`"${key}"`, ...(guess ? [guess] : []));
  }
  return { config, want, names };
}

test('constructor: any config gives an Orchestrator or an OmniDbError with a code, and a working one', async () => {
  const result = await property('constructor', runsOf(400), async (fz, fail) => {
    const { config, want, names } = genConfig(fz);
    let db = null;
    let thrown = null;
    let threw = false;
    try {
      db = new Orchestrator(config);
    } catch (err) {
      threw = true;
      thrown = err;
    }
    if (threw) {
      if (codeOf(thrown) === null) return fail(`constructor threw a non-OmniDbError: ${show(thrown)}`);
      if (want.errors.length === 0 && !want.maybe) return fail(`constructor rejected a valid config: ${show(thrown)}`);
      const message = messageOf(thrown);
      if (want.errors.length > 0 && !want.maybe && !want.errors.some((needles) => needles.every((n) => message.includes(n)))) {
        return fail(`constructor's message ${show(message)} contains none of ${JSON.stringify(want.errors)}`);
      }
      return undefined;
    }
    track(db);
    if (want.errors.length > 0) fail(`constructor accepted a bad config (expected one of ${JSON.stringify(want.errors)})`);
    // A working orchestrator: every name is listed, reported, connectable, closable.
    try {
      const listed = db.list();
      if (names.length > 0 && JSON.stringify(listed) !== JSON.stringify(names)) fail(`list() is ${show(listed)}, not the connection names`);
      for (const [what, out] of [['getStats()', db.getStats()], ['health()', db.health()], ['metrics()', db.metrics()]]) {
        const keys = Reflect.ownKeys(out);
        if (JSON.stringify(keys) !== JSON.stringify(listed)) fail(`${what} has keys ${keys.map(show).join(',')}, not ${listed.map(show).join(',')}`);
      }
      if (typeof db.prometheus() !== 'string') fail('prometheus() is not a string');
    } catch (err) {
      fail(`a reporting method threw: ${show(err)}`);
    }
    const connected = await within(db.connect(), 2000);
    if (!connected.settled || !connected.ok) fail(`connect() did not resolve: ${connected.settled ? show(connected.error) : 'still pending'}`);
    const disconnected = await within(db.disconnect(), 2000);
    if (!disconnected.settled || !disconnected.ok) fail(`disconnect() did not resolve: ${disconnected.settled ? show(disconnected.error) : 'still pending'}`);
    return undefined;
  });
  expect(result).toEqual({ problems: [], count: 0, done: runsOf(400) });
});

// ------------------------------------------------------------------ execute()

const KNOWN_OPTIONS = ['timeout', 'signal', 'idempotent', 'failover'];
const TYPOS = [['failOver', 'failover'], ['idempotant', 'idempotent'], ['timeOut', 'timeout'], ['signl', 'signal'],
  ['Timeout', 'timeout'], ['fail_over', 'failover'], ['idempotency', 'idempotent'], ['qqqqqqq', null]];

/**
 * A call's fn and what it may produce: `resolves` (a value, compared with Object.is),
 * or `rejects` (any value this run's generators threw, or a TypeError the engine
 * raises for a revoked Proxy). `hangs`: settles only when the harness releases it.
 */
function genFn(fz, harness) {
  const value = () => fz.oneOf('resolves with', [
    ['42', () => 42], ['undefined', () => undefined], ['null', () => null], ['NaN', () => NaN],
    ['object', () => ({ rows: [] })], ['null-prototype object', () => Object.create(null)],
    ['symbol', () => Symbol('r')], ['function', () => function r() {}], ['long string', () => 'r'.repeat(5000)],
  ]);
  const throwable = () => {
    const t = fz.throwable();
    fz.thrown.push(t);
    return t;
  };
  return fz.oneOf('fn', [
    ['returns a value', () => { const v = value(); return { fn: () => v, resolves: [v] }; }],
    ['async returns a value', () => { const v = value(); return { fn: async () => v, resolves: [v] }; }],
    ['throws', () => { const t = throwable(); return { fn: () => { throw t; }, rejects: true }; }],
    ['returns Promise.reject', () => { const t = throwable(); return { fn: () => Promise.reject(t), rejects: true }; }],
    ['async throws', () => { const t = throwable(); return { fn: async () => { throw t; }, rejects: true }; }],
    ['thenable resolving', () => { const v = value(); return { fn: () => ({ then(resolve) { resolve(v); } }), resolves: [v] }; }],
    ['thenable rejecting', () => { const t = throwable(); return { fn: () => ({ then(_, reject) { reject(t); } }), rejects: true }; }],
    ['thenable whose then getter throws', () => ({ fn: () => fz.throwingGetter('then'), rejects: true })],
    ['thenable whose then throws', () => ({ fn: () => ({ then: fz.bomb() }), rejects: true })],
    ['real Promise whose then getter throws', () => {
      const v = value();
      return { fn: () => fz.throwingGetter('then', Promise.resolve(v)), resolves: [v], rejects: true };
    }],
    ['returns a revoked Proxy', () => ({ fn: () => fz.proxy({}, 'revoked'), rejects: true, typeError: true })],
    ['returns a Proxy throwing on every trap', () => ({ fn: () => fz.proxy({}, 'throw-all'), rejects: true })],
    ['returns a Proxy throwing on get', () => ({ fn: () => fz.proxy({}, 'throw-get'), rejects: true })],
    ['callable Proxy whose apply throws', () => ({ fn: new Proxy(function f() {}, { apply: fz.bomb() }), rejects: true })],
    ['revoked function Proxy', () => ({ fn: fz.proxy(function f() {}, 'revoked'), rejects: true, typeError: true })],
    ['a class (throws TypeError when called)', () => ({ fn: class Query {}, rejects: true, typeError: true })],
    ['reads ctx', () => ({
      fn: (client, ctx) => (ctx !== null && typeof ctx === 'object' && ctx.signal instanceof AbortSignal && typeof ctx.name === 'string' ? 'ctx-ok' : 'ctx-bad'),
      resolves: ['ctx-ok'],
    })],
    ['hangs, then resolves', () => {
      const v = value();
      return { fn: () => harness.hang((resolve) => resolve(v)), resolves: [v], hangs: true };
    }],
    ['hangs, then rejects', () => {
      const t = throwable();
      return { fn: () => harness.hang((_, reject) => reject(t)), rejects: true, hangs: true };
    }],
    ['hangs until its signal aborts', () => ({
      fn: (client, ctx) => harness.hang((_, reject) => reject(new Error('released')), ctx && ctx.signal),
      rejects: true, hangs: true, released: true,
    })],
  ]);
}

function genNotFn(fz) {
  return fz.oneOf('fn (not a function)', [
    ['undefined', () => undefined], ['null', () => null], ['string', () => 'SELECT 1'], ['42', () => 42],
    ['object', () => ({ call() {} })], ['symbol', () => Symbol('fn')], ['Proxy of an object', () => fz.proxy({}, 'throw-all')],
  ]);
}

/** Options and what they are: none, valid (with their effect), invalid (with message needles), or either. */
function genOptions(fz, harness) {
  const k = fz.int(100);
  if (k < 30) return { kind: 'none', options: undefined };
  const effect = { timeout: false, signal: null, abortEarly: false, aborted: false };
  const valid = () => {
    const o = {};
    if (fz.bool(0.5)) { o.timeout = fz.pick(['1s', 500, '2s']); effect.timeout = true; }
    if (fz.bool(0.35)) {
      const controller = new AbortController();
      const reason = fz.bool(0.3) ? undefined : fz.throwable();
      if (reason !== undefined) fz.thrown.push(reason);
      const when = fz.int(3);
      if (when === 0) { controller.abort(reason); effect.aborted = true; }
      if (when === 1) { harness.early.push(() => controller.abort(reason)); effect.abortEarly = true; }
      o.signal = controller.signal;
      effect.signal = controller.signal;
      fz.note(`signal ${['already aborted', 'aborted early', 'never aborted'][when]}`);
    }
    if (fz.bool(0.4)) o.idempotent = fz.bool();
    if (fz.bool(0.3)) o.failover = fz.bool();
    if (fz.bool(0.1)) { o.timeout = undefined; effect.timeout = false; }
    fz.note(`options ${JSON.stringify(Object.keys(o))}`);
    return o;
  };
  if (k < 55) return { kind: 'valid', options: valid(), effect };
  if (k < 60) { const o = Object.assign(Object.create(null), valid()); fz.note('null prototype'); return { kind: 'valid', options: o, effect }; }
  if (k < 63) { fz.note('frozen'); return { kind: 'valid', options: Object.freeze(valid()), effect }; }
  if (k < 66) { fz.note('forwarding Proxy'); return { kind: 'valid', options: new Proxy(valid(), {}), effect }; }
  if (k < 74) {
    const [key, guess] = fz.pick(TYPOS);
    const o = valid();
    o[key] = fz.pick([false, true, '1s']);
    fz.note(`unknown key ${key}`);
    return { kind: 'invalid', options: o, needles: [`"${key}"`, ...(guess ? [`"${guess}"`] : [])] };
  }
  if (k < 80) {
    const options = fz.oneOf('options', [['null', () => null], ['42', () => 42], ['string', () => 'fast'], ['true', () => true], ['symbol', () => Symbol('o')]]);
    return { kind: 'invalid', options, needles: [] };
  }
  if (k < 88) {
    const [key, v] = fz.pick([
      ['timeout', '10x'], ['timeout', 0], ['timeout', -1], ['timeout', NaN], ['timeout', {}], ['timeout', '0s'],
      ['signal', { aborted: false }], ['signal', 'signal'], ['signal', Object.create(AbortSignal.prototype)],
      ['idempotent', 'yes'], ['idempotent', 1], ['idempotent', null], ['failover', 'false'], ['failover', 0], ['failover', null],
    ]);
    fz.note(`options.${key} = ${show(v)}`);
    return { kind: 'invalid', options: { [key]: v }, needles: [key] };
  }
  if (k < 94) {
    const key = fz.pick(KNOWN_OPTIONS);
    fz.note(`options.${key} is a throwing getter`);
    return { kind: 'invalid', options: fz.throwingGetter(key), needles: [] };
  }
  if (k < 97) {
    const mode = fz.pick(['throw-all', 'revoked', 'throw-get']);
    fz.note(`options Proxy ${mode}`);
    return { kind: 'invalid', options: fz.proxy({ timeout: '1s' }, mode), needles: [] };
  }
  const options = fz.oneOf('options (either)', [['array', () => []], ['function', () => () => {}], ['symbol key', () => ({ [Symbol('x')]: 1 })], ['Date', () => new Date()]]);
  return { kind: 'either', options, effect };
}

function genName(fz, names) {
  if (fz.bool(0.75)) return { name: fz.pick(names), known: true };
  const value = fz.oneOf('name (unknown)', [
    ['symbol', () => Symbol('primary')], ['throwing toString', () => ({ toString: fz.bomb() })],
    ['throwing toPrimitive', () => ({ [Symbol.toPrimitive]: fz.bomb() })], ['null-prototype object', () => Object.create(null)],
    ['undefined', () => undefined], ['null', () => null], ['number', () => 0], ['String object', () => new String(names[0])],
    ['array', () => [names[0]]], ['revoked Proxy', () => fz.proxy({}, 'revoked')], ['toString', () => 'toString'],
    ['__proto__', () => '__proto__'], ['other string', () => 'no-such-connection'],
  ]);
  return { name: value, known: names.includes(value) };
}

/** Checks one settled call against what its arguments allow. Returns a problem or null. */
function judgeCall(fz, call, r) {
  const { name, fnSpec, opts, breakerMayOpen, afterDisconnect } = call;
  if (!r.settled) return 'the promise never settled';
  const code = r.ok ? null : codeOf(r.error);
  const codes = new Set();
  if (afterDisconnect) codes.add('OMNIDB_DISCONNECTED');
  if (!name.known) codes.add('OMNIDB_UNKNOWN_CONNECTION');
  if (fnSpec === null) codes.add('OMNIDB_INVALID_ARGUMENT');
  if (opts.kind === 'invalid') codes.add('OMNIDB_INVALID_ARGUMENT');
  if (codes.size > 0) {
    if (r.ok) return `resolved with ${show(r.value)} though it should reject with ${[...codes].join('/')}`;
    if (afterDisconnect) return code !== null ? null : `rejected with ${show(r.error)}, not an OmniDbError`;
    if (!codes.has(code)) return `rejected with ${show(r.error)}, expected ${[...codes].join('/')}`;
    if (call.called) return 'fn was called though the call was invalid';
    if (code === 'OMNIDB_INVALID_ARGUMENT' && opts.kind === 'invalid' && codes.size === 1 && fnSpec !== null) {
      const message = messageOf(r.error);
      const missing = opts.needles.filter((n) => !message.includes(n));
      if (missing.length > 0) return `message ${show(message)} lacks ${missing.join(', ')}`;
    }
    return null;
  }
  // Arguments that may or may not be options: an OmniDbError rejection is fine.
  if (opts.kind === 'either' && code === 'OMNIDB_INVALID_ARGUMENT') return null;
  if (breakerMayOpen && code === 'OMNIDB_CIRCUIT_OPEN') return null;
  const effect = opts.effect || {};
  if (effect.aborted) {
    if (r.ok || !Object.is(r.error, effect.signal.reason)) return `expected the already-aborted signal's reason, got ${r.ok ? `value ${show(r.value)}` : show(r.error)}`;
    return call.called ? 'fn was called with an already-aborted signal' : null;
  }
  if (fnSpec.hangs) {
    if (effect.abortEarly) {
      return !r.ok && Object.is(r.error, effect.signal.reason) ? null : `expected the signal's reason, got ${r.ok ? show(r.value) : show(r.error)}`;
    }
    if (effect.timeout) return code === 'OMNIDB_TIMEOUT' ? null : `expected OMNIDB_TIMEOUT, got ${r.ok ? `value ${show(r.value)}` : show(r.error)}`;
  } else if (effect.abortEarly && !r.ok && Object.is(r.error, effect.signal.reason)) {
    return null; // fn settled in a later microtask than the abort
  }
  if (r.ok) {
    if (fnSpec.resolves && fnSpec.resolves.some((v) => Object.is(v, r.value))) return null;
    return `resolved with ${show(r.value)}, expected ${fnSpec.resolves ? fnSpec.resolves.map(show).join(' or ') : 'a rejection'}`;
  }
  if (fnSpec.rejects) {
    if (fz.threw(r.error)) return null;
    if (fnSpec.released && !isTypeError(r.error) && messageOf(r.error) === '' && show(r.error) === '[object Error]: released') return null;
    if (fnSpec.typeError && isTypeError(r.error)) return null;
  }
  return `rejected with ${show(r.error)}, which fn did not throw${fnSpec.rejects ? '' : ` (expected ${fnSpec.resolves.map(show).join(' or ')})`}`;
}

function traceSubscribers() {
  const channel = diagnostics.tracingChannel('omnidb:execute');
  const handlers = { start() {}, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
  channel.subscribe(handlers);
  return () => channel.unsubscribe(handlers);
}

test('execute(): never throws, always settles, with fn\'s own error or an OmniDbError with a code', async () => {
  const result = await property('execute', runsOf(250), async (fz, fail) => {
    const clock = new ManualClock();
    const connections = {};
    for (const n of fz.names(1 + fz.int(3))) Object.defineProperty(connections, n, { value: fz.bool(0.8) ? {} : genClient(fz), enumerable: true });
    const names = Object.keys(connections); // the orchestrator's order: integer-like keys first
    const breakerMayOpen = fz.bool(0.35);
    const config = {
      connections, clock, closeTimeout: '50ms',
      circuitBreaker: breakerMayOpen ? { threshold: 1 + fz.int(3), resetTimeout: '1s' } : { threshold: 100000 },
    };
    if (names.length > 1 && fz.bool(0.5)) config.failover = { [names[0]]: names.slice(1) };
    fz.note(`names=${names.map(show).join(',')} breakerMayOpen=${breakerMayOpen} failover=${config.failover !== undefined}`);
    let db;
    try {
      db = track(new Orchestrator(config));
    } catch (err) {
      return fail(`constructor threw on a valid config: ${show(err)}`);
    }
    const untrace = fz.bool(0.2) ? traceSubscribers() : null;
    if (untrace) fz.note('traced');
    const pending = [];
    const harness = {
      early: [],
      hanging: [],
      released: false,
      // A promise settled by `settle(resolve, reject)` when the harness releases it,
      // or (with a signal) rejected with the signal's reason when it aborts.
      hang(settle, signal) {
        return new Promise((resolve, reject) => {
          if (signal instanceof AbortSignal) signal.addEventListener('abort', () => reject(signal.reason), { once: true });
          if (harness.released) settle(resolve, reject);
          else harness.hanging.push(() => settle(resolve, reject));
        });
      },
    };
    const calls = [];
    const callCount = 1 + fz.int(6);
    const disconnectedAt = fz.bool(0.1) ? fz.int(callCount) : -1;
    let disconnecting = null;
    try {
      for (let i = 0; i < callCount; i++) {
        if (i === disconnectedAt) { disconnecting = db.disconnect(); fz.note(`disconnect before call ${i}`); }
        fz.note(`call ${i}:`);
        const name = genName(fz, names);
        const fnSpec = fz.bool(0.9) ? genFn(fz, harness) : null;
        const fn = fnSpec !== null ? fnSpec.fn : genNotFn(fz);
        const opts = genOptions(fz, harness);
        const call = { name, fnSpec, opts, breakerMayOpen, afterDisconnect: disconnecting !== null, called: false };
        const counted = typeof fn === 'function' && fnSpec !== null
          ? new Proxy(fn, { apply(target, self, args) { call.called = true; return Reflect.apply(target, self, args); } })
          : fn;
        let p;
        try {
          p = db.execute(name.name, counted, opts.options);
        } catch (err) {
          fail(`call ${i}: execute() threw synchronously: ${show(err)}`);
          continue;
        }
        if (!util.types.isPromise(p)) {
          fail(`call ${i}: execute() returned ${show(p)}, not a Promise`);
          continue;
        }
        calls.push(call);
        pending.push(within(p, 3000).then((r) => {
          const problem = judgeCall(fz, call, r);
          if (problem !== null) fail(`call ${i}: ${problem}`);
        }));
      }
    } finally {
      if (untrace) untrace();
    }
    await tick();
    for (const abort of harness.early) abort();
    await tick();
    await clock.advance('1m'); // every timeout falls due, retries included
    harness.released = true;
    for (const release of harness.hanging.splice(0)) release();
    await Promise.all(pending);
    // Reporting works for any name, whatever happened.
    try {
      for (const [what, out] of [['getStats()', db.getStats()], ['health()', db.health()], ['metrics()', db.metrics()]]) {
        const keys = Reflect.ownKeys(out);
        if (JSON.stringify(keys) !== JSON.stringify(names)) fail(`${what} has keys ${keys.map(show).join(',')}`);
      }
    } catch (err) {
      fail(`a reporting method threw: ${show(err)}`);
    }
    const closed = await within(disconnecting || db.disconnect(), 2000);
    if (!closed.settled || !closed.ok) fail('disconnect() did not resolve');
    return undefined;
  });
  expect(result).toEqual({ problems: [], count: 0, done: runsOf(250) });
});

test('sync methods (get, has, recordSuccess, recordFailure) return or throw an OmniDbError for any name or error', async () => {
  const result = await property('sync-methods', runsOf(150), async (fz, fail) => {
    const connections = {};
    for (const n of fz.names(1 + fz.int(3))) Object.defineProperty(connections, n, { value: {}, enumerable: true });
    const names = Object.keys(connections);
    const db = track(new Orchestrator({ connections, circuitBreaker: { threshold: 3 } }));
    for (let i = 0; i < 6; i++) {
      const { name } = genName(fz, names);
      const method = fz.pick(['get', 'has', 'recordSuccess', 'recordFailure', 'recordFailure with error']);
      fz.note(method);
      try {
        if (method === 'recordFailure with error') db.recordFailure(name, fz.throwable());
        else db[method](name);
      } catch (err) {
        if (codeOf(err) === null) fail(`${method}(${show(name)}) threw ${show(err)}`);
      }
    }
    await db.disconnect();
  });
  expect(result).toEqual({ problems: [], count: 0, done: runsOf(150) });
});

// ------------------------------------------------------------------ health checks

/** A check and the status it must lead to (null: depends on the round). */
function genCheck(fz) {
  const t = () => {
    const v = fz.throwable();
    fz.thrown.push(v);
    return v;
  };
  const hangUntilAborted = (_, ctx) => new Promise((resolve, reject) => {
    ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
  });
  return fz.oneOf('check', [
    ['true', () => ({ check: () => true, status: 'healthy' })],
    ["'healthy'", () => ({ check: () => 'healthy', status: 'healthy' })],
    ["'degraded'", () => ({ check: () => 'degraded', status: 'degraded' })],
    ['false', () => ({ check: () => false, status: 'unhealthy' })],
    ["'unhealthy'", () => ({ check: () => 'unhealthy', status: 'unhealthy' })],
    ['async true', () => ({ check: async () => true, status: 'healthy' })],
    ['result object', () => ({ check: () => ({ status: 'healthy', latencyMs: 3, role: 'primary', lagMs: 0 }), status: 'healthy' })],
    ['result object degraded', () => ({ check: () => ({ status: 'degraded', latencyMs: 900 }), status: 'degraded' })],
    ['result object unhealthy with error', () => ({ check: () => ({ status: 'unhealthy', error: 'disk full' }), status: 'unhealthy' })],
    ['null-prototype result object', () => ({ check: () => Object.assign(Object.create(null), { status: 'healthy' }), status: 'healthy' })],
    ['result object behind a forwarding Proxy', () => ({ check: () => new Proxy({ status: 'degraded' }, {}), status: 'degraded' })],
    ['result object whose status getter throws', () => ({ check: () => fz.throwingGetter('status'), status: 'unhealthy' })],
    ['result object whose latencyMs getter throws', () => ({ check: () => fz.throwingGetter('latencyMs', { status: 'healthy' }), status: null })],
    ['result object whose error getter throws', () => ({ check: () => fz.throwingGetter('error', { status: 'unhealthy' }), status: 'unhealthy' })],
    ['Proxy throwing on every trap', () => ({ check: () => fz.proxy({}, 'throw-all'), status: 'unhealthy' })],
    ['revoked Proxy', () => ({ check: () => fz.proxy({}, 'revoked'), status: 'unhealthy' })],
    ['status is a throwing-toString object', () => ({ check: () => ({ status: { toString: fz.bomb() } }), status: 'unhealthy' })],
    ['status getter that changes its answer', () => {
      let n = 0;
      return { check: () => ({ get status() { n += 1; return n % 2 === 1 ? 'healthy' : 42; } }), status: null };
    }],
    ['odd value', () => {
      const v = fz.oddValue();
      return { check: () => v, status: v === true ? 'healthy' : 'unhealthy' };
    }],
    ['throws', () => ({ check: fz.bomb(), status: 'unhealthy' })],
    ['rejects', () => ({ check: () => Promise.reject(t()), status: 'unhealthy' })],
    ['async throws', () => ({ check: async () => { throw t(); }, status: 'unhealthy' })],
    ['thenable whose then getter throws', () => ({ check: () => fz.throwingGetter('then'), status: 'unhealthy' })],
    ['thenable resolving true', () => ({ check: () => ({ then(resolve) { resolve(true); } }), status: 'healthy' })],
    ['thenable rejecting, then resolving', () => ({ check: () => ({ then(resolve, reject) { reject(t()); resolve(true); } }), status: 'unhealthy' })],
    ['resolves with a revoked Proxy', () => ({ check: async () => fz.proxy({}, 'revoked'), status: 'unhealthy' })],
    ['hangs until aborted', () => ({ check: hangUntilAborted, status: 'unhealthy' })],
    ['hangs forever', () => ({ check: () => new Promise(() => {}), status: 'unhealthy' })],
    ['reads ctx', () => ({
      check: (client, ctx) => ctx.signal instanceof AbortSignal && typeof ctx.name === 'string' && typeof ctx.attempt === 'number',
      status: 'healthy',
    })],
    ['alternates', () => {
      let n = 0;
      return { check: () => { n += 1; return n % 2 === 0; }, status: null };
    }],
  ]);
}

const STATUSES = ['healthy', 'degraded', 'unhealthy'];

test('health checks: any return, throw or hang is a status, never a crash', async () => {
  const result = await property('health', runsOf(160), async (fz, fail) => {
    const useClock = fz.bool(0.8);
    const clock = useClock ? new ManualClock() : null;
    const names = Object.keys(Object.fromEntries(fz.names(1 + fz.int(3)).map((n) => [n, 1]))); // integer-like keys first
    const connections = {};
    const checks = {};
    const expected = new Map();
    for (const n of names) {
      Object.defineProperty(connections, n, { value: {}, enumerable: true });
      if (fz.bool(0.85)) {
        const { check, status } = genCheck(fz);
        Object.defineProperty(checks, n, { value: check, enumerable: true });
        expected.set(n, status);
      } else {
        expected.set(n, 'healthy');
      }
    }
    const retries = fz.bool(0.15) ? 1 : 0;
    const config = {
      connections, closeTimeout: '50ms',
      healthCheck: { interval: '10ms', timeout: '20ms', checks, ...(retries ? { retry: { retries, delay: '5ms' } } : {}) },
    };
    if (clock) config.clock = clock;
    if (fz.bool(0.5)) config.circuitBreaker = fz.pick([false, { threshold: 2, resetTimeout: '1m' }]);
    if (names.length > 1 && fz.bool(0.5)) config.failover = { [names[0]]: names[1] };
    fz.note(`clock=${useClock} retries=${retries} names=${names.map(show).join(',')} circuitBreaker=${show(config.circuitBreaker)} failover=${config.failover !== undefined}`);
    const db = track(new Orchestrator(config));
    const changes = [];
    db.on('health:changed', (e) => changes.push(e));
    const errors = [];
    const listens = fz.bool(0.6);
    if (listens) db.on('error', (e) => errors.push(e));

    const connecting = db.connect();
    if (!util.types.isPromise(connecting)) return fail('connect() did not return a promise');
    // connect() waits for the first round's verdict: a timeout, plus a retry's delay and timeout.
    if (clock) await clock.advance(retries ? '50ms' : '25ms');
    const connected = await within(connecting, 2000);
    if (!connected.settled || !connected.ok) fail(`connect() did not resolve: ${connected.settled ? show(connected.error) : 'still pending'}`);
    const judge = (when) => {
      const health = db.health();
      for (const n of names) {
        const entry = Object.prototype.hasOwnProperty.call(health, n) ? health[n] : undefined;
        if (entry === undefined || !STATUSES.includes(entry.status)) { fail(`${when}: health() has no status for ${show(n)}`); continue; }
        if (retries === 0 && expected.get(n) !== null && entry.status !== expected.get(n)) fail(`${when}: ${show(n)} is ${entry.status}, expected ${expected.get(n)}`);
      }
      if (config.failover && retries === 0 && expected.get(names[0]) === 'unhealthy' && expected.get(names[1]) === 'healthy') {
        const to = db.getStats()[names[0]].failoverTo;
        if (to !== names[1]) fail(`${when}: ${show(names[0])} is unhealthy with a healthy backup, yet failoverTo is ${show(to)}`);
      }
    };
    judge('after connect()');
    if (clock) await clock.advance('45ms');
    else await sleep(40);
    judge('after a few rounds');
    const stats = db.metrics();
    if (Reflect.ownKeys(stats).length !== names.length) fail('metrics() lost a connection');
    const closed = await within(db.disconnect(), 2000);
    if (!closed.settled || !closed.ok) fail('disconnect() did not resolve');

    // The events said what happened, in a shape listeners can rely on.
    const last = new Map();
    for (const e of changes) {
      if (!names.includes(e.name) || !STATUSES.includes(e.previous) || !STATUSES.includes(e.current) || e.previous === e.current || typeof e.timestamp !== 'number') {
        fail(`odd health:changed ${show(e.name)} ${show(e.previous)} -> ${show(e.current)}`);
      }
      const was = last.has(e.name) ? last.get(e.name) : 'healthy';
      if (e.previous !== was) fail(`health:changed for ${show(e.name)} starts from ${e.previous}, but it was ${was}`);
      last.set(e.name, e.current);
    }
    for (const e of errors) {
      if (!names.includes(e.name) || typeof e.message !== 'string' || !['health-check', 'disconnect', 'client'].includes(e.context) || typeof e.timestamp !== 'number') {
        fail(`odd error event: name ${show(e.name)} context ${show(e.context)} message ${show(e.message)}`);
      }
    }
    return undefined;
  }, 8);
  expect(result).toEqual({ problems: [], count: 0, done: runsOf(160) });
});

// ------------------------------------------------------------------ disconnect()

const CLOSE_ORDER = ['end', 'close', 'quit', 'disconnect', 'destroy', '$disconnect'];

/** A client and how its close behaves: `method` is the one that must be called once (or null), `fails` whether closing it fails. */
function genClosable(fz, shared) {
  const calls = { count: 0 };
  const hangs = () => new Promise(() => {});
  const behaviour = () => fz.oneOf('close', [
    ['returns', () => ({ fn: () => { calls.count += 1; }, fails: false })],
    ['async resolves', () => ({ fn: async () => { calls.count += 1; }, fails: false })],
    ['throws', () => ({ fn: () => { calls.count += 1; fz.boom(); }, fails: true })],
    ['rejects', () => ({ fn: () => { calls.count += 1; const v = fz.throwable(); fz.thrown.push(v); return Promise.reject(v); }, fails: true })],
    ['hangs forever', () => ({ fn: () => { calls.count += 1; return hangs(); }, fails: true })],
    ['thenable whose then getter throws', () => ({ fn: () => { calls.count += 1; return fz.throwingGetter('then'); }, fails: true })],
  ]);
  const k = fz.int(100);
  if (k < 55) {
    const method = fz.pick(CLOSE_ORDER);
    const { fn, fails } = behaviour();
    const client = fz.bool(0.2) ? Object.create(null) : { query() {} };
    client[method] = fn;
    if (fz.bool(0.2)) client.notClose = 1;
    fz.note(`client with ${method}()`);
    return { client, method, calls, fails };
  }
  if (k < 65) {
    const method = fz.pick(CLOSE_ORDER);
    fz.note(`client whose ${method} getter throws`);
    return { client: fz.throwingGetter(method, { query() {} }), method: null, calls, fails: true };
  }
  if (k < 72) {
    fz.note('revoked Proxy client');
    return { client: fz.proxy({ end() {} }, 'revoked'), method: null, calls, fails: true };
  }
  if (k < 78) {
    fz.note('Proxy client throwing on every trap');
    return { client: fz.proxy({ end() {} }, 'throw-all'), method: null, calls, fails: true };
  }
  if (k < 84) {
    fz.note('several close methods');
    const client = {};
    for (const m of CLOSE_ORDER) if (fz.bool(0.5)) client[m] = behaviour().fn;
    return { client, method: null, calls, fails: null };
  }
  if (k < 88) {
    fz.note('end is not a function, close is');
    const client = { end: 'not a function', close() { calls.count += 1; } };
    return { client, method: 'close', calls, fails: false };
  }
  if (k < 92 && shared !== null) {
    fz.note('shared with another connection');
    return shared;
  }
  const client = fz.oneOf('client without close', [['{}', () => ({})], ['42', () => 42], ['string', () => 'x'], ['symbol', () => Symbol('c')], ['frozen', () => Object.freeze({})]]);
  return { client, method: null, calls, fails: false };
}

test('disconnect(): always resolves, whatever a client\'s close does, and reports every connection', async () => {
  const result = await property('disconnect', runsOf(160), async (fz, fail) => {
    const names = Object.keys(Object.fromEntries(fz.names(1 + fz.int(4)).map((n) => [n, 1]))); // integer-like keys first
    const connections = {};
    const clients = new Map();
    let previous = null;
    for (const n of names) {
      const c = genClosable(fz, previous);
      clients.set(n, c);
      previous = c;
      Object.defineProperty(connections, n, { value: c.client, enumerable: true });
    }
    const clock = fz.bool(0.5) ? new ManualClock() : undefined;
    const db = track(new Orchestrator({ connections, clock, closeTimeout: '50ms', healthCheck: { interval: '10ms' } }));
    const disconnected = [];
    db.on('disconnected', (e) => disconnected.push(e.name));
    const errors = [];
    const listens = fz.bool(0.6);
    if (listens) db.on('error', (e) => errors.push(e));
    const connect = fz.bool(0.7);
    fz.note(`connect=${connect} listens=${listens}`);
    if (connect) {
      const c = await within(db.connect(), 2000);
      if (!c.settled || !c.ok) fail('connect() did not resolve');
    }
    let first;
    let second;
    try {
      first = db.disconnect();
      second = db.disconnect();
    } catch (err) {
      return fail(`disconnect() threw synchronously: ${show(err)}`);
    }
    const [a, b] = await Promise.all([within(first, 2000), within(second, 2000)]);
    if (!a.settled || !a.ok) return fail(`disconnect() did not resolve: ${a.settled ? show(a.error) : 'still pending'}`);
    if (!b.settled || !b.ok) fail('a second disconnect() did not resolve');
    await tick();
    // 'disconnected' once per connection after a connect(), none without one.
    const want = connect ? names : [];
    if (JSON.stringify(disconnected) !== JSON.stringify(want)) fail(`disconnected events for ${disconnected.map(show).join(',')}, expected ${want.map(show).join(',')}`);
    const seen = new Set();
    for (const n of names) {
      const c = clients.get(n);
      if (seen.has(c)) continue; // a shared client is closed once, for its first connection
      seen.add(c);
      if (c.method !== null && c.calls.count !== 1) fail(`${c.method}() of ${show(n)} was called ${c.calls.count} times, expected once`);
      if (listens && c.fails === true && !errors.some((e) => e.name === n && e.context === 'disconnect')) fail(`no 'error' event for the failed close of ${show(n)}`);
    }
    for (const e of errors) {
      if (e.context === 'disconnect' && (typeof e.message !== 'string' || !names.includes(e.name))) fail(`odd disconnect error event ${show(e.name)} ${show(e.message)}`);
    }
    const after = await within(db.execute(names[0], () => 1), 500);
    if (!after.settled || after.ok || codeOf(after.error) !== 'OMNIDB_DISCONNECTED') fail('execute() after disconnect() did not reject with OMNIDB_DISCONNECTED');
    const again = await within(db.connect(), 500);
    if (!again.settled || again.ok || codeOf(again.error) !== 'OMNIDB_DISCONNECTED') fail('connect() after disconnect() did not reject with OMNIDB_DISCONNECTED');
    return undefined;
  }, 10);
  expect(result).toEqual({ problems: [], count: 0, done: runsOf(160) });
});

// ------------------------------------------------------------------ listeners

// A listener's throw is the host's own bug and is rethrown to 'uncaughtException', as
// any EventEmitter listener's would be; Jest fails a test on any uncaught exception,
// so this part runs in a child process (test/fixtures/fuzz-listeners.js). There, the
// same seeded script runs twice, with quiet and with throwing listeners: the events
// must match, each thrown value must surface exactly once, and nothing else may.
test('event listeners that throw change nothing but their own uncaught error (child process)', async () => {
  currentProperty = 'listeners';
  const runs = runsOf(40);
  const out = await runFixture('fuzz-listeners.js', String(BASE_SEED), String(runs));
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  const report = JSON.parse(out.stdout);
  expect(report).toEqual({ runs, surfaced: expect.any(Number), problems: [] });
  expect(report.surfaced).toBeGreaterThan(runs); // the listeners did throw, and often
});

// ------------------------------------------------------------------ the whole run

test('the whole run: no unhandled rejection, no uncaught exception, no leaked handle', async () => {
  currentProperty = 'final';
  const closing = await Promise.all(made.map((db) => within(db.disconnect(), 2000)));
  expect(closing.filter((r) => !r.settled || !r.ok).map((r) => (r.settled ? show(r.error) : 'pending'))).toEqual([]);
  // Let close callbacks run, then wait (bounded) until no kind of resource is above
  // its baseline. (Jest's own timers come and go: fewer than at the start is fine.)
  const excess = () => {
    const now = resourceCounts();
    const out = {};
    for (const [kind, n] of Object.entries(now)) if (n > (baseline[kind] || 0)) out[kind] = `${n} (baseline ${baseline[kind] || 0})`;
    return out;
  };
  const deadline = Date.now() + 2000;
  while (Object.keys(excess()).length > 0 && Date.now() < deadline) await sleep(10);
  expect(excess()).toEqual({});
  await tick();
  expect(ESCAPED).toEqual({ unhandled: [], uncaught: [] });
});
