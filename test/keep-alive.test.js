'use strict';
// The orchestrator's one timer keeps the process alive while monitoring runs, and
// only then (see lib/host-clock.js and binding/native_orchestrator.h).
const { runFixture } = require('./helpers');

test('a connected orchestrator keeps the process running, as a setInterval would', async () => {
  expect(await runFixture('keep-alive.js', 'monitoring')).toEqual({ code: 0, signal: null, stdout: 'disconnected after 5 checks', stderr: '' });
});

test('a pending circuit reset alone does not keep the process running', async () => {
  expect(await runFixture('keep-alive.js', 'reset')).toEqual({ code: 0, signal: null, stdout: 'circuit open', stderr: '' });
});
