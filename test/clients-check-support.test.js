'use strict';
// lib/clients/check-support.js: the waits the family checks share end with the
// check's signal and leave nothing behind (listeners, unobserved rejections).
const { EventEmitter } = require('events');
const { untilAborted, untilEvent, startCheck } = require('../lib/clients/check-support');

test('untilEvent resolves at a done event and removes every listener it added', async () => {
  const emitter = new EventEmitter();
  const waiting = untilEvent(emitter, { done: ['ready'], failed: ['error', 'end'] });
  expect(emitter.listenerCount('error')).toBe(1);
  emitter.emit('ready');
  await waiting;
  expect(emitter.eventNames()).toEqual([]);
});

test('untilEvent rejects with the failed event\'s error, or one naming the event', async () => {
  const emitter = new EventEmitter();
  const boom = new Error('ECONNREFUSED');
  const first = untilEvent(emitter, { done: ['ready'], failed: ['error', 'end'] });
  emitter.emit('error', boom);
  await expect(first).rejects.toBe(boom);
  const second = untilEvent(emitter, { done: ['ready'], failed: ['error', 'end'] });
  emitter.emit('end');
  await expect(second).rejects.toThrow("the client emitted 'end'");
  expect(emitter.eventNames()).toEqual([]);
});

test('untilEvent ends with the signal, listeners removed', async () => {
  const emitter = new EventEmitter();
  const controller = new AbortController();
  const reason = new Error('timed out');
  const waiting = untilEvent(emitter, { done: ['ready'], failed: ['error'] }, controller.signal);
  controller.abort(reason);
  await expect(waiting).rejects.toBe(reason);
  expect(emitter.eventNames()).toEqual([]);
  await expect(untilEvent(emitter, { done: ['ready'], failed: [] }, controller.signal)).rejects.toBe(reason);
  expect(emitter.eventNames()).toEqual([]);
});

test('untilAborted: the signal wins, already aborted or aborted while waiting', async () => {
  const controller = new AbortController();
  let reject;
  const slow = new Promise((_, r) => { reject = r; });
  const waiting = untilAborted(slow, controller.signal);
  controller.abort(new Error('stop'));
  await expect(waiting).rejects.toThrow('stop');
  reject(new Error('late')); // observed by untilAborted's own handler
  await expect(untilAborted(Promise.resolve(1), controller.signal)).rejects.toThrow('stop');
});

test('untilAborted passes the value through and removes its abort listener', async () => {
  const controller = new AbortController();
  await expect(untilAborted(Promise.resolve(7), controller.signal)).resolves.toBe(7);
  await expect(untilAborted(Promise.resolve(8))).resolves.toBe(8);
});

test('startCheck: result objects with the time since the start', () => {
  const clock = startCheck();
  expect(clock.healthy()).toEqual({ status: 'healthy', latencyMs: expect.any(Number) });
  expect(clock.unhealthy(new Error('refused'))).toEqual({ status: 'unhealthy', latencyMs: expect.any(Number), error: 'refused' });
  expect(clock.unhealthy('down')).toEqual({ status: 'unhealthy', latencyMs: expect.any(Number), error: 'down' });
});
