'use strict';
// The standalone CircuitBreaker (docs/circuit-breaker.md "Standalone Usage" and
// "API Reference" of omni-db): states, thresholds, half-open, manual tracking,
// reset() and open(), its error, its config errors, and its reset timer under
// Jest's fake timers and real time.
const path = require('path');
const { execFileSync } = require('child_process');
const {
  CircuitBreaker, Orchestrator, OmniDbError, ConfigError, ManualClock,
} = require('..');
const { deferred, settle } = require('./helpers');

const OPEN = 'Circuit breaker is OPEN';
const boom = () => Promise.reject(new Error('boom'));
const ok = async () => 'ok';

async function failTimes(circuit, n) {
  for (let i = 0; i < n; i++) await settle(circuit.execute(boom));
}

afterEach(() => {
  jest.useRealTimers();
});

describe('closed → open', () => {
  test('starts closed with no failures and lets calls through', async () => {
    const circuit = new CircuitBreaker();
    expect(circuit.state).toBe('closed');
    expect(circuit.failures).toBe(0);
    expect(circuit.canExecute()).toBe(true);
    await expect(circuit.execute(ok)).resolves.toBe('ok');
  });

  test('opens after `threshold` consecutive failures (default 5)', async () => {
    const circuit = new CircuitBreaker();
    await failTimes(circuit, 4);
    expect(circuit).toMatchObject({ state: 'closed', failures: 4 });
    await failTimes(circuit, 1);
    expect(circuit).toMatchObject({ state: 'open', failures: 5 });
    expect(circuit.canExecute()).toBe(false);
  });

  test('opens after a configured threshold', async () => {
    const circuit = new CircuitBreaker({ threshold: 3 });
    await failTimes(circuit, 2);
    expect(circuit.state).toBe('closed');
    await failTimes(circuit, 1);
    expect(circuit.state).toBe('open');
  });

  test('a success resets the consecutive count', async () => {
    const circuit = new CircuitBreaker({ threshold: 3 });
    await failTimes(circuit, 2);
    await circuit.execute(ok);
    expect(circuit.failures).toBe(0);
    await failTimes(circuit, 2);
    expect(circuit).toMatchObject({ state: 'closed', failures: 2 });
  });

  test('execute() settles with fn\'s own result and rethrows fn\'s own error unchanged', async () => {
    const circuit = new CircuitBreaker();
    const value = { rows: [1] };
    await expect(circuit.execute(async () => value)).resolves.toBe(value);
    const error = new Error('syntax error');
    await expect(circuit.execute(() => Promise.reject(error))).rejects.toBe(error);
    const thrown = new TypeError('thrown synchronously');
    await expect(circuit.execute(() => { throw thrown; })).rejects.toBe(thrown);
    const notAnError = { reason: 'a plain object' };
    await expect(circuit.execute(() => Promise.reject(notAnError))).rejects.toBe(notAnError);
    expect(circuit.failures).toBe(3);
  });

  test('execute() accepts a function returning a plain value or a thenable', async () => {
    const circuit = new CircuitBreaker({ threshold: 1 });
    await expect(circuit.execute(() => 42)).resolves.toBe(42);
    await expect(circuit.execute(() => ({ then: (resolve) => resolve('thenable') }))).resolves.toBe('thenable');
    await expect(circuit.execute(() => ({ then: (_, reject) => reject(new Error('no')) }))).rejects.toThrow('no');
    expect(circuit.state).toBe('open');
  });

  test('the state is updated before the caller resumes after execute()', async () => {
    const circuit = new CircuitBreaker({ threshold: 1 });
    let seen = null;
    try {
      await circuit.execute(boom);
    } catch {
      seen = circuit.state;
    }
    expect(seen).toBe('open');
  });

  test('execute() with something other than a function rejects without counting', async () => {
    const circuit = new CircuitBreaker({ threshold: 1 });
    for (const bad of [undefined, null, 'SELECT 1', {}]) {
      const error = await circuit.execute(bad).catch((e) => e);
      expect(error).toBeInstanceOf(OmniDbError);
      expect(error.code).toBe('OMNIDB_INVALID_ARGUMENT');
      expect(error.message).toMatch(/expected a function/);
    }
    expect(circuit).toMatchObject({ state: 'closed', failures: 0 });
  });

  test('breakers are independent', async () => {
    const a = new CircuitBreaker({ threshold: 1 });
    const b = new CircuitBreaker({ threshold: 1 });
    await failTimes(a, 1);
    expect(a.state).toBe('open');
    expect(b.state).toBe('closed');
  });
});

describe('open', () => {
  test('execute() rejects with exactly "Circuit breaker is OPEN" without calling fn', async () => {
    const circuit = new CircuitBreaker({ threshold: 2 });
    await failTimes(circuit, 2);
    const fn = jest.fn(ok);
    const error = await circuit.execute(fn).catch((e) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(OmniDbError);
    expect(error.message).toBe(OPEN);
    expect(error.code).toBe('OMNIDB_CIRCUIT_OPEN');
  });

  test('each refusal is a fresh error with its own stack', async () => {
    const circuit = new CircuitBreaker({ threshold: 1 });
    await failTimes(circuit, 1);
    const [a, b] = await Promise.all([circuit.execute(ok).catch((e) => e), circuit.execute(ok).catch((e) => e)]);
    expect(a).not.toBe(b);
    expect(a.stack).toContain(OPEN);
  });

  test('a late success of a call admitted before the circuit opened does not close it', async () => {
    const circuit = new CircuitBreaker({ threshold: 1 });
    const slow = deferred();
    const late = circuit.execute(() => slow.promise);
    await failTimes(circuit, 1);
    slow.resolve('late');
    await expect(late).resolves.toBe('late');
    expect(circuit.state).toBe('open');
    expect(circuit.failures).toBe(0); // the success still breaks the run of failures
  });
});

describe('open → half-open → closed (fake timers)', () => {
  test('half-open after resetTimeout (default 30s), not before', async () => {
    jest.useFakeTimers();
    const circuit = new CircuitBreaker({ threshold: 1 });
    await failTimes(circuit, 1);
    jest.advanceTimersByTime(29999);
    expect(circuit.state).toBe('open');
    jest.advanceTimersByTime(1);
    expect(circuit.state).toBe('half-open');
    expect(circuit.canExecute()).toBe(true);
  });

  test('resetTimeout as a duration string or milliseconds', async () => {
    jest.useFakeTimers();
    const a = new CircuitBreaker({ threshold: 1, resetTimeout: '10s' });
    const b = new CircuitBreaker({ threshold: 1, resetTimeout: 2500 });
    await failTimes(a, 1);
    await failTimes(b, 1);
    jest.advanceTimersByTime(2500);
    expect([a.state, b.state]).toEqual(['open', 'half-open']);
    jest.advanceTimersByTime(7500);
    expect(a.state).toBe('half-open');
  });

  test('halfOpenSuccesses (default 2) successes close it; fewer leave it half-open', async () => {
    jest.useFakeTimers();
    const circuit = new CircuitBreaker({ threshold: 1, resetTimeout: '1s' });
    await failTimes(circuit, 1);
    jest.advanceTimersByTime(1000);
    await circuit.execute(ok);
    expect(circuit.state).toBe('half-open');
    await circuit.execute(ok);
    expect(circuit).toMatchObject({ state: 'closed', failures: 0 });
  });

  test('a configured halfOpenSuccesses', async () => {
    jest.useFakeTimers();
    const circuit = new CircuitBreaker({ threshold: 1, resetTimeout: '1s', halfOpenSuccesses: 3 });
    await failTimes(circuit, 1);
    jest.advanceTimersByTime(1000);
    await circuit.execute(ok);
    await circuit.execute(ok);
    expect(circuit.state).toBe('half-open');
    await circuit.execute(ok);
    expect(circuit.state).toBe('closed');
  });

  test('any failure in half-open reopens it, even after a success, and the timer starts over', async () => {
    jest.useFakeTimers();
    const circuit = new CircuitBreaker({ threshold: 3, resetTimeout: '1s', halfOpenSuccesses: 3 });
    await failTimes(circuit, 3);
    jest.advanceTimersByTime(1000);
    await circuit.execute(ok);
    await failTimes(circuit, 1); // one failure, far below the threshold
    expect(circuit.state).toBe('open');
    jest.advanceTimersByTime(999);
    expect(circuit.state).toBe('open');
    jest.advanceTimersByTime(1);
    expect(circuit.state).toBe('half-open');
    // The successes before the reopening do not count any more.
    await circuit.execute(ok);
    await circuit.execute(ok);
    expect(circuit.state).toBe('half-open');
    await circuit.execute(ok);
    expect(circuit.state).toBe('closed');
  });

  test('half-open admits halfOpenMaxCalls trial calls at once (default halfOpenSuccesses)', async () => {
    jest.useFakeTimers();
    const circuit = new CircuitBreaker({ threshold: 1, resetTimeout: '1s' });
    await failTimes(circuit, 1);
    jest.advanceTimersByTime(1000);
    const first = deferred();
    const second = deferred();
    const a = circuit.execute(() => first.promise);
    const b = circuit.execute(() => second.promise);
    expect(circuit.canExecute()).toBe(false);
    const fn = jest.fn(ok);
    await expect(circuit.execute(fn)).rejects.toThrow(OPEN);
    expect(fn).not.toHaveBeenCalled();
    first.resolve(1);
    await a;
    expect(circuit.canExecute()).toBe(true);
    second.resolve(2);
    await b;
    expect(circuit.state).toBe('closed');
  });

  test('halfOpenMaxCalls configured', async () => {
    jest.useFakeTimers();
    const circuit = new CircuitBreaker({ threshold: 1, resetTimeout: '1s', halfOpenSuccesses: 1, halfOpenMaxCalls: 3 });
    await failTimes(circuit, 1);
    jest.advanceTimersByTime(1000);
    const hold = deferred();
    const calls = [1, 2, 3].map(() => circuit.execute(() => hold.promise));
    await expect(circuit.execute(ok)).rejects.toThrow(OPEN);
    hold.resolve('x');
    await expect(Promise.all(calls)).resolves.toEqual(['x', 'x', 'x']);
    expect(circuit.state).toBe('closed');
  });

  test('with Date faked too: the default jest.useFakeTimers()', async () => {
    jest.useFakeTimers();
    const before = Date.now();
    const circuit = new CircuitBreaker({ threshold: 1, resetTimeout: '10s' });
    await failTimes(circuit, 1);
    jest.advanceTimersByTime(10000);
    expect(circuit.state).toBe('half-open');
    expect(Date.now() - before).toBe(10000); // Date moved with the fake clock
  });

  test('with Date and performance left real', async () => {
    jest.useFakeTimers({ doNotFake: ['Date', 'performance'] });
    const before = Date.now();
    const circuit = new CircuitBreaker({ threshold: 1, resetTimeout: '10s' });
    await failTimes(circuit, 1);
    jest.advanceTimersByTime(10000);
    expect(circuit.state).toBe('half-open');
    expect(Date.now() - before).toBeLessThan(10000); // real time did not pass 10 s
  });

  test('jest.runOnlyPendingTimers() and runAllTimers() fire the reset', async () => {
    jest.useFakeTimers();
    const a = new CircuitBreaker({ threshold: 1, resetTimeout: '1h' });
    await failTimes(a, 1);
    jest.runOnlyPendingTimers();
    expect(a.state).toBe('half-open');
    const b = new CircuitBreaker({ threshold: 1, resetTimeout: '1h' });
    await failTimes(b, 1);
    jest.runAllTimers();
    expect(b.state).toBe('half-open');
  });

  test('an open circuit holds exactly one timer; closing drops it', async () => {
    jest.useFakeTimers();
    const circuit = new CircuitBreaker({ threshold: 1, resetTimeout: '1s' });
    expect(jest.getTimerCount()).toBe(0);
    await failTimes(circuit, 3); // failures while open arm nothing more
    expect(jest.getTimerCount()).toBe(1);
    circuit.open(); // re-arms: the old timer is cleared
    expect(jest.getTimerCount()).toBe(1);
    circuit.reset();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(5000);
    expect(circuit.state).toBe('closed');
  });

  test('failures while open do not restart the reset timer', async () => {
    jest.useFakeTimers();
    const circuit = new CircuitBreaker({ threshold: 1, resetTimeout: '1s' });
    await failTimes(circuit, 1);
    jest.advanceTimersByTime(600);
    circuit.failure();
    jest.advanceTimersByTime(400);
    expect(circuit.state).toBe('half-open');
  });
});

describe('real timers', () => {
  test('half-open once resetTimeout has really passed', async () => {
    const circuit = new CircuitBreaker({ threshold: 1, resetTimeout: '50ms' });
    await failTimes(circuit, 1);
    expect(circuit.state).toBe('open');
    // Armed after the breaker's own 50 ms timer, this one fires after it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(circuit.state).toBe('half-open');
  });

  test('an open breaker does not keep the process alive', () => {
    const lib = path.join(__dirname, '..');
    const script = `
      const { CircuitBreaker } = require(${JSON.stringify(lib)});
      const circuit = new CircuitBreaker({ threshold: 1, resetTimeout: '1h' });
      circuit.failure();
      const again = new CircuitBreaker();
      again.open();
      process.stdout.write(circuit.state + ' ' + again.state);
    `;
    // A ref'd timer would hold the child for an hour: the timeout turns that into a failure.
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 });
    expect(out).toBe('open open');
  });
});

describe('manual tracking: canExecute(), success(), failure()', () => {
  test('failure() counts and returns whether the circuit is open now', () => {
    const circuit = new CircuitBreaker({ threshold: 2 });
    expect(circuit.failure()).toBe(false);
    expect(circuit.failures).toBe(1);
    expect(circuit.failure()).toBe(true);
    expect(circuit.state).toBe('open');
    expect(circuit.failure()).toBe(true); // still open
    expect(circuit.failures).toBe(3);
  });

  test('success() clears the failure count; in half-open it counts toward closing', () => {
    jest.useFakeTimers();
    const circuit = new CircuitBreaker({ threshold: 2, resetTimeout: '1s' });
    circuit.failure();
    circuit.success();
    expect(circuit.failures).toBe(0);
    circuit.failure();
    circuit.failure();
    jest.advanceTimersByTime(1000);
    circuit.success();
    expect(circuit.state).toBe('half-open');
    circuit.success();
    expect(circuit.state).toBe('closed');
  });

  test('failure() in half-open reopens and returns true', () => {
    jest.useFakeTimers();
    const circuit = new CircuitBreaker({ threshold: 5, resetTimeout: '1s' });
    circuit.open();
    jest.advanceTimersByTime(1000);
    expect(circuit.state).toBe('half-open');
    expect(circuit.failure()).toBe(true);
    expect(circuit.state).toBe('open');
  });

  test('canExecute(): closed and half-open yes, open no', () => {
    jest.useFakeTimers();
    const circuit = new CircuitBreaker({ threshold: 1, resetTimeout: '1s' });
    expect(circuit.canExecute()).toBe(true);
    circuit.failure();
    expect(circuit.canExecute()).toBe(false);
    jest.advanceTimersByTime(1000);
    expect(circuit.canExecute()).toBe(true);
  });

  test('the documented pattern: check, call, report', async () => {
    const circuit = new CircuitBreaker({ threshold: 3, resetTimeout: '10s', halfOpenSuccesses: 2 });
    const db = { query: jest.fn().mockRejectedValue(new Error('ECONNREFUSED')) };
    async function guarded(sql) {
      if (circuit.canExecute()) {
        try {
          await db.query(sql);
          circuit.success();
        } catch (err) {
          circuit.failure();
          throw err;
        }
      }
    }
    for (let i = 0; i < 5; i++) await settle(guarded('SELECT 1'));
    expect(db.query).toHaveBeenCalledTimes(3);
    expect(circuit.state).toBe('open');
  });

  test('the documented wrapper: fall back on "Circuit breaker is OPEN"', async () => {
    const circuit = new CircuitBreaker({ threshold: 3, resetTimeout: '10s', halfOpenSuccesses: 2 });
    const db = { query: jest.fn().mockRejectedValue(new Error('ECONNREFUSED')) };
    async function users() {
      try {
        return await circuit.execute(async () => db.query('SELECT * FROM users'));
      } catch (err) {
        if (err.message === 'Circuit breaker is OPEN') return 'cached';
        throw err;
      }
    }
    for (let i = 0; i < 3; i++) await expect(users()).rejects.toThrow('ECONNREFUSED');
    await expect(users()).resolves.toBe('cached');
    expect(db.query).toHaveBeenCalledTimes(3);
  });
});

describe('reset() and open()', () => {
  test('reset() closes an open circuit and clears failures; the old timer never fires', async () => {
    jest.useFakeTimers();
    const circuit = new CircuitBreaker({ threshold: 2, resetTimeout: '1s' });
    await failTimes(circuit, 2);
    circuit.reset();
    expect(circuit).toMatchObject({ state: 'closed', failures: 0 });
    jest.advanceTimersByTime(1000);
    expect(circuit.state).toBe('closed');
    await expect(circuit.execute(ok)).resolves.toBe('ok');
  });

  test('reset() from half-open and from closed with failures', async () => {
    jest.useFakeTimers();
    const circuit = new CircuitBreaker({ threshold: 3, resetTimeout: '1s' });
    circuit.open();
    jest.advanceTimersByTime(1000);
    circuit.reset();
    expect(circuit.state).toBe('closed');
    circuit.failure();
    circuit.failure();
    circuit.reset();
    expect(circuit.failures).toBe(0);
    circuit.failure();
    circuit.failure();
    expect(circuit.state).toBe('closed'); // counting started over
  });

  test('open() opens without a failure and goes half-open after resetTimeout', async () => {
    jest.useFakeTimers();
    const circuit = new CircuitBreaker({ resetTimeout: '5s' });
    circuit.open();
    expect(circuit).toMatchObject({ state: 'open', failures: 0 });
    const fn = jest.fn(ok);
    await expect(circuit.execute(fn)).rejects.toThrow(OPEN);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(5000);
    expect(circuit.state).toBe('half-open');
  });

  test('open() on an open circuit starts its reset timer over', () => {
    jest.useFakeTimers();
    const circuit = new CircuitBreaker({ resetTimeout: '30s' });
    circuit.open();
    jest.advanceTimersByTime(20000);
    circuit.open();
    jest.advanceTimersByTime(20000);
    expect(circuit.state).toBe('open');
    jest.advanceTimersByTime(10000);
    expect(circuit.state).toBe('half-open');
  });

  test('open() from half-open reopens', () => {
    jest.useFakeTimers();
    const circuit = new CircuitBreaker({ resetTimeout: '1s' });
    circuit.open();
    jest.advanceTimersByTime(1000);
    circuit.open();
    expect(circuit.state).toBe('open');
  });
});

describe('the same state machine as the Orchestrator\'s circuits', () => {
  test('one script of outcomes and resets leaves both in the same state at every step', async () => {
    // ManualClock.advance() lets promises settle through setImmediate: leave it real.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'clearImmediate', 'nextTick', 'queueMicrotask'] });
    const settings = { threshold: 3, resetTimeout: '1s', halfOpenSuccesses: 2 };
    const clock = new ManualClock();
    const db = new Orchestrator({ connections: { pg: {} }, circuitBreaker: settings, clock });
    const circuit = new CircuitBreaker(settings);
    const script = ['F', 'S', 'F', 'F', 'F', 'F', 'wait', 'S', 'F', 'wait', 'S', 'S', 'F', 'F', 'S', 'F'];
    const seen = [];
    for (const step of script) {
      if (step === 'F') {
        db.recordFailure('pg');
        circuit.failure();
      } else if (step === 'S') {
        db.recordSuccess('pg');
        circuit.success();
      } else {
        await clock.advance('1s');
        jest.advanceTimersByTime(1000);
      }
      const { circuit: state, failures } = db.getStats().pg;
      expect({ step, state: circuit.state, failures: circuit.failures }).toEqual({ step, state, failures });
      seen.push(state);
    }
    expect(new Set(seen)).toEqual(new Set(['closed', 'open', 'half-open']));
    await db.disconnect();
  });
});

describe('config', () => {
  const make = (config) => () => new CircuitBreaker(config);
  const configError = (config) => {
    try {
      new CircuitBreaker(config);
    } catch (err) {
      return err;
    }
    throw new Error(`no error for ${JSON.stringify(config)}`);
  };

  test('every error is a ConfigError with code OMNIDB_INVALID_CONFIG', () => {
    const err = configError({ threshold: 0 });
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toBeInstanceOf(OmniDbError);
    expect(err.code).toBe('OMNIDB_INVALID_CONFIG');
  });

  test('an unknown key names the closest known one', () => {
    expect(make({ treshold: 3 })).toThrow('Unknown option "treshold" in CircuitBreaker config. Did you mean "threshold"?');
    expect(make({ resetTimout: '1s' })).toThrow('Did you mean "resetTimeout"?');
    expect(make({ halfOpenSucesses: 1 })).toThrow('Did you mean "halfOpenSuccesses"?');
    expect(make({ zzz: 1 })).toThrow('Known options: threshold, resetTimeout, halfOpenSuccesses, halfOpenMaxCalls');
    // The Orchestrator's own keys are no standalone options.
    expect(make({ use: {} })).toThrow('Unknown option "use"');
  });

  test.each([["'30x'", '30x'], ['-1', -1], ["'0s'", '0s'], ['0', 0], ['NaN', NaN], ['true', true]])(
    'resetTimeout %s: Invalid duration naming the value', (_, value) => {
      const err = configError({ resetTimeout: value });
      expect(err.message).toContain('Invalid duration for CircuitBreaker.resetTimeout');
      expect(err.message).toContain(String(value));
    },
  );

  test.each([0, -1, 2.5, NaN, '3', null])('threshold %p names the option', (value) => {
    expect(make({ threshold: value })).toThrow(/Invalid CircuitBreaker\.threshold: expected an integer >= 1/);
  });

  test.each([0, -2, '2', 1.5])('halfOpenSuccesses %p names the option', (value) => {
    expect(make({ halfOpenSuccesses: value })).toThrow(/Invalid CircuitBreaker\.halfOpenSuccesses: expected an integer >= 1/);
  });

  test('halfOpenMaxCalls is checked the same way', () => {
    expect(make({ halfOpenMaxCalls: 0 })).toThrow(/Invalid CircuitBreaker\.halfOpenMaxCalls/);
  });

  test('the same rules and wording as the Orchestrator\'s circuitBreaker option', () => {
    const orchestratorError = (circuitBreaker) => {
      try {
        new Orchestrator({ connections: { pg: {} }, circuitBreaker });
      } catch (err) {
        return err.message;
      }
      throw new Error('no error');
    };
    for (const bad of [{ threshold: 0 }, { resetTimeout: '30x' }, { halfOpenSuccesses: 'two' }, { treshold: 1 }]) {
      const standalone = configError(bad).message;
      const orchestrator = orchestratorError(bad);
      expect(standalone.replace(/CircuitBreaker( config)?/, '<where>'))
        .toBe(orchestrator.replace(/circuitBreaker( config)?/, '<where>'));
    }
  });

  test('a config that is not an object', () => {
    for (const bad of [null, 'threshold', 5, [], new Map()]) {
      expect(make(bad)).toThrow(/Invalid CircuitBreaker config: expected an object/);
    }
  });

  test('a getter that throws becomes a ConfigError naming the key', () => {
    const config = { get threshold() { throw new Error('nope'); } };
    expect(make(config)).toThrow(/reading "threshold" threw: nope/);
  });

  test('valid configs', () => {
    expect(make({})).not.toThrow();
    expect(make(undefined)).not.toThrow();
    expect(make({ threshold: 1, resetTimeout: '250ms', halfOpenSuccesses: 1, halfOpenMaxCalls: 10 })).not.toThrow();
    expect(make({ resetTimeout: '1h' })).not.toThrow();
  });
});
