'use strict';
// Nothing outlives disconnect(): no timer, no handle keeping the process alive.
const { Orchestrator } = require('..');
const { runFixture } = require('./helpers');

const run = (...args) => runFixture('exits.js', ...args);

test('a script that connects and disconnects an orchestrator with health checks exits by itself', async () => {
  expect(await run('1')).toEqual({ code: 0, signal: null, stdout: 'done 1', stderr: '' });
});

test('so does one that does it 1,000 times', async () => {
  expect(await run('1000')).toEqual({ code: 0, signal: null, stdout: 'done 1000', stderr: '' });
});

function resourceCounts() {
  const counts = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] || 0) + 1;
  return counts;
}

test('1,000 create/connect/disconnect cycles leave getActiveResourcesInfo() as before', async () => {
  const before = resourceCounts();
  for (let i = 0; i < 1000; i++) {
    const db = new Orchestrator({
      connections: { pg: { end: async () => {} }, redis: { quit: () => {} } },
      circuitBreaker: { threshold: 1, resetTimeout: '1h' },
      healthCheck: { interval: '10ms', timeout: '1s', checks: { pg: async () => true, redis: () => false } },
    });
    await db.connect();
    await db.execute('pg', async () => 1, { timeout: '1h' });
    await db.disconnect();
  }
  // let close callbacks run
  await new Promise((resolve) => setImmediate(resolve));
  expect(resourceCounts()).toEqual(before);
});

test('an orchestrator that is never connected holds nothing either', async () => {
  const before = resourceCounts();
  const db = new Orchestrator({ connections: { pg: {} }, healthCheck: { checks: { pg: () => true } } });
  expect(resourceCounts()).toEqual(before);
  await db.disconnect();
  expect(resourceCounts()).toEqual(before);
});
