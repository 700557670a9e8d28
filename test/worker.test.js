'use strict';
// An Orchestrator inside a worker thread, terminated with a health check in flight
// and timers armed: the process that owns the worker must neither crash nor hang.
// The owning process is a child (test/fixtures/worker-host.js), so that a native abort
// fails this test instead of killing the Jest runner.
const path = require('path');
const { once } = require('events');
const { Worker } = require('worker_threads');
const { runFixture } = require('./helpers');

const root = path.join(__dirname, '..');

const host = (...args) => runFixture('worker-host.js', ...args);

test.each([
  ['a check that never settles', 'hanging-check', 'check-in-flight'],
  ['checks that keep flapping', 'flapping-check', 'check-in-flight'],
  ['right after connect() (timers armed)', 'hanging-check', 'started'],
])('terminating a worker 20 times, %s, leaves the process running', async (_, mode, trigger) => {
  const r = await host(mode, trigger, '20');
  expect({ code: r.code, signal: r.signal, stderr: r.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
  expect(JSON.parse(r.stdout)).toEqual({ runs: 20, codes: [1], errors: [] });
});

test('a worker whose orchestrator disconnects exits by itself', async () => {
  const worker = new Worker(`
    const { parentPort } = require('worker_threads');
    const { Orchestrator } = require(${JSON.stringify(root)});
    const db = new Orchestrator({ connections: { pg: {} }, healthCheck: { interval: '10ms', checks: { pg: () => true } } });
    db.connect().then(() => db.disconnect()).then(() => parentPort.postMessage('done'));
  `, { eval: true });
  const messages = [];
  worker.on('message', (m) => messages.push(m));
  const [code] = await once(worker, 'exit');
  expect(code).toBe(0);
  expect(messages).toEqual(['done']);
});
