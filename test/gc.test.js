'use strict';
// A connected orchestrator is a live resource, like a ref'd timer: it keeps
// monitoring when the application drops its last reference, and becomes garbage
// only once disconnected. Runs in a child process with --expose-gc.
const { runFixtureWith } = require('./helpers');

test('monitoring survives GC without references, and disconnect() makes it collectable', async () => {
  const { code, signal, stdout, stderr } = await runFixtureWith(['--expose-gc'], 'gc.js');
  expect(stderr).toBe('');
  expect({ code, signal }).toEqual({ code: 0, signal: null }); // exits by itself
  expect(stdout.trim().split('\n').map((line) => JSON.parse(line))).toEqual([
    { phase: 'connected', checksContinue: true, collected: false },
    { phase: 'disconnected', collected: true, checksAfterDisconnect: 0 },
  ]);
});
