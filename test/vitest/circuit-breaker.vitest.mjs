// Vitest's fake timers (its own copy of @sinonjs/fake-timers) drive the standalone
// CircuitBreaker's reset timer, as test/circuit-breaker.test.js checks for Jest's:
// with Date (and performance) faked and not, advanceTimersByTime(resetTimeout) turns
// an open circuit half-open. Runs under test/vitest's config (*.vitest.mjs).
import { createRequire } from 'node:module';
import { describe, test, expect, vi, beforeEach, afterEach } from 'vitest';

const require = createRequire(import.meta.url);
const { CircuitBreaker } = require('../..');

const TIMERS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'];
const MODES = [
  ['default', undefined],
  ['performance not faked', { toFake: [...TIMERS, 'Date'] }],
  ['Date and performance not faked', { toFake: TIMERS }],
];

describe.each(MODES)('CircuitBreaker under vi.useFakeTimers(): %s', (mode, config) => {
  beforeEach(() => {
    vi.useFakeTimers(config);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  test('open → half-open after resetTimeout, not before', () => {
    const circuit = new CircuitBreaker({ threshold: 2, resetTimeout: '10s' });
    circuit.failure();
    expect(circuit.failure()).toBe(true);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(9999);
    expect(circuit.state).toBe('open');
    vi.advanceTimersByTime(1);
    expect(circuit.state).toBe('half-open');
  });

  test('execute() through the whole cycle: open, half-open, closed', async () => {
    const circuit = new CircuitBreaker({ threshold: 1, resetTimeout: 1000 });
    const boom = new Error('boom');
    await expect(circuit.execute(() => Promise.reject(boom))).rejects.toBe(boom);
    await expect(circuit.execute(async () => 'never')).rejects.toThrow('Circuit breaker is OPEN');
    await vi.advanceTimersByTimeAsync(1000);
    expect(circuit.state).toBe('half-open');
    await expect(circuit.execute(async () => 'a')).resolves.toBe('a');
    await expect(circuit.execute(async () => 'b')).resolves.toBe('b');
    expect(circuit.state).toBe('closed');
  });

  test('a failed trial reopens, and the next reset fires on the fake clock too', () => {
    const circuit = new CircuitBreaker({ threshold: 1, resetTimeout: '5s' });
    circuit.open();
    vi.runOnlyPendingTimers();
    expect(circuit.state).toBe('half-open');
    circuit.failure();
    expect(circuit.state).toBe('open');
    vi.advanceTimersByTime(5000);
    expect(circuit.state).toBe('half-open');
  });

  test('reset() clears the pending timer', () => {
    const circuit = new CircuitBreaker({ threshold: 1, resetTimeout: '5s' });
    circuit.failure();
    circuit.reset();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(circuit.state).toBe('closed');
  });
});
