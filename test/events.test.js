'use strict';
// Event listeners cannot break the orchestrator: throwing listeners, re-entrant calls.
//
// Jest intercepts uncaught exceptions in its workers, so the scenarios that must
// reach process 'uncaughtException' run in a child process (test/fixtures/uncaught.js)
// that listens for it and reports what it saw.
const path = require('path');
const { execFileSync } = require('child_process');
const { useOrchestrators, ManualClock, settle, flush } = require('./helpers');

const make = useOrchestrators();

function scenario(name) {
  const stdout = execFileSync(process.execPath, [path.join(__dirname, 'fixtures', 'uncaught.js'), name], {
    cwd: path.join(__dirname, '..'), encoding: 'utf8',
  });
  return JSON.parse(stdout);
}

/** Resolves on the next `event` (unlike events.once, not rejected by 'error'). */
const next = (db, event) => new Promise((resolve) => db.once(event, resolve));

describe('a listener that throws (child process)', () => {
  test("in 'circuit:open': the transition completes and the error reaches uncaughtException asynchronously", () => {
    const out = scenario('throw-in-circuit-open');
    // the caller gets its own error, never the listener's
    expect(out.result).toEqual({ ok: false, message: 'db down' });
    expect(out.recordThrew).toBe(false);
    expect(out.caught).toEqual(['listener bug (primary)', 'listener bug (other)']);
    // asynchronous: after the caller resumed / recordFailure returned; and the
    // failover that follows the throwing listener was still emitted
    expect(out.log).toEqual([
      'listener:primary', 'failover', 'caller resumed',
      'listener:other', 'recordFailure returned',
      'uncaught:listener bug (primary)', 'uncaught:listener bug (other)',
    ]);
    expect(out.stats).toEqual({
      primary: { status: 'healthy', circuit: 'open', failures: 1, failoverTo: 'replica' },
      replica: { status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null },
      other: { status: 'healthy', circuit: 'open', failures: 1, failoverTo: null },
    });
    expect(out.routed).toEqual({ ok: true, value: 'replica' });
  });

  test('fired from the real event loop (a circuit reset timer)', () => {
    const out = scenario('throw-on-loop');
    expect(out.caught).toEqual(['half-open listener bug']);
    expect(out.afterHalfOpen).toBe('half-open');
    expect(out.afterSuccesses).toBe('closed');
  });

  test("in 'health:changed': the circuit still opens and monitoring goes on", () => {
    const out = scenario('throw-in-health-changed');
    expect(out.caught).toEqual(['health listener bug', 'health listener bug']);
    expect(out.unhealthy).toEqual({ status: 'unhealthy', circuit: 'open', failures: 0, failoverTo: null });
    expect(out.opened).toBe(1);
    expect(out.recovered).toEqual({ status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null });
  });

  test("in 'connected' / 'disconnected': connect() and disconnect() still resolve", () => {
    const out = scenario('throw-in-lifecycle');
    expect(out.connect).toEqual({ ok: true });
    expect(out.disconnect).toEqual({ ok: true });
    expect(out.caught).toEqual(['connected listener bug', 'disconnected listener bug']);
  });
});

describe('re-entrant listeners', () => {
  test("disconnect() inside 'circuit:open' is safe", async () => {
    const end = jest.fn();
    const db = make({ connections: { primary: { end }, replica: {} }, failover: { primary: 'replica' }, circuitBreaker: { threshold: 1 } });
    let disconnecting;
    await db.connect();
    db.on('circuit:open', () => { disconnecting = db.disconnect(); });
    const disconnected = next(db, 'disconnected');
    await db.connect();
    const err = new Error('x');
    const r = await settle(db.execute('primary', () => Promise.reject(err)));
    expect(r.error).toBe(err);
    await expect(disconnecting).resolves.toBeUndefined();
    await disconnected;
    expect(end).toHaveBeenCalledTimes(1);
    expect(db.isConnected).toBe(false);
    const r2 = await settle(db.execute('primary', () => 1));
    expect(r2.error.code).toBe('OMNIDB_DISCONNECTED');
  });

  test("disconnect() inside 'circuit:open' raised by a health round on the real loop is safe", async () => {
    let calls = 0;
    const db = make({
      connections: { pg: {} },
      circuitBreaker: {},
      healthCheck: { interval: '5ms', checks: { pg: () => { calls += 1; return calls < 2; } } },
    });
    const disconnected = next(db, 'disconnected');
    let disconnecting;
    db.on('circuit:open', () => { disconnecting = db.disconnect(); });
    await db.connect();
    await disconnected;
    await expect(disconnecting).resolves.toBeUndefined();
    expect(db.getStats().pg.status).toBe('unhealthy');
    // no further rounds: a fresh orchestrator's rounds at the same interval witness it
    const after = calls;
    let witness = 0;
    await new Promise((resolve) => {
      const w = make({ connections: { w: {} }, healthCheck: { interval: '5ms', checks: { w: () => { witness += 1; if (witness === 3) resolve(); return true; } } } });
      w.connect();
    });
    expect(calls).toBe(after);
  });

  test("disconnect() inside 'health:changed' during connect()'s first round is safe", async () => {
    const clock = new ManualClock();
    const db = make({ connections: { pg: {}, redis: {} }, clock, healthCheck: { checks: { pg: () => false, redis: () => true } } });
    let disconnecting;
    db.on('health:changed', () => { disconnecting = db.disconnect(); });
    const seen = [];
    for (const e of ['connected', 'disconnected', 'circuit:open']) db.on(e, ({ name }) => seen.push(`${e}:${name}`));
    await expect(db.connect()).resolves.toBeUndefined();
    await expect(disconnecting).resolves.toBeUndefined();
    expect(db.isConnected).toBe(false);
    expect(seen).not.toContain('connected:pg');
    expect(seen.filter((e) => e.startsWith('disconnected:'))).toEqual(['disconnected:pg', 'disconnected:redis']);
    await clock.advance('1m');
    expect(db.isConnected).toBe(false);
  });

  test("execute() inside 'circuit:open' on another connection works", async () => {
    const db = make({ connections: { a: {}, b: {} }, circuitBreaker: { threshold: 1 } });
    let inner;
    db.on('circuit:open', ({ name }) => {
      if (name === 'a') inner = db.execute('b', (_, ctx) => ctx.name);
    });
    await settle(db.execute('a', () => Promise.reject(new Error('x'))));
    await expect(inner).resolves.toBe('b');
  });

  test("a failure recorded inside 'circuit:open' keeps events in order", async () => {
    const db = make({ connections: { a: {}, b: {} }, circuitBreaker: { threshold: 1 } });
    const order = [];
    db.on('circuit:open', ({ name }) => {
      order.push(`open:${name}`);
      if (name === 'a') db.recordFailure('b');
    });
    db.on('circuit:half-open', ({ name }) => order.push(`half-open:${name}`));
    db.recordFailure('a');
    await flush();
    expect(order).toEqual(['open:a', 'open:b']);
    expect(db.getStats().b.circuit).toBe('open');
  });
});
