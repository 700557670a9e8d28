'use strict';
// diagnostics_channel tracing of execute(): tracing:omnidb:execute:{start,end,asyncStart,asyncEnd,error}.
const diagnostics = require('diagnostics_channel');
const { useOrchestrators, ManualClock, settle } = require('./helpers');
const { CircuitOpenError } = require('..');

const make = useOrchestrators();
const trace = diagnostics.tracingChannel('omnidb:execute');

function setup() {
  return make({
    connections: { primary: { id: 'p' }, replica: { id: 'r' } },
    failover: { primary: 'replica' },
    clock: new ManualClock(),
    circuitBreaker: { threshold: 1, resetTimeout: '1m' },
  });
}

/** Subscribes to every tracing channel, returns the log and an unsubscribe function. */
function listen() {
  const log = [];
  const handlers = {};
  for (const event of ['start', 'end', 'asyncStart', 'asyncEnd', 'error']) {
    handlers[event] = (ctx) => log.push([event, { ...ctx }]);
  }
  trace.subscribe(handlers);
  return { log, stop: () => trace.unsubscribe(handlers) };
}

let sub = null;
afterEach(() => {
  if (sub !== null) sub.stop();
  sub = null;
});

test('unsubscribed: nobody listens, nothing is published', async () => {
  const db = setup();
  expect(trace.hasSubscribers).toBe(false);
  expect(trace.start.hasSubscribers).toBe(false);
  const published = [];
  const spy = jest.spyOn(trace, 'tracePromise').mockImplementation((...args) => { published.push(args); });
  try {
    await expect(db.execute('primary', async (c) => c.id)).resolves.toBe('p');
    await settle(db.execute('primary', async () => { throw new Error('x'); }));
  } finally {
    spy.mockRestore();
  }
  expect(published).toEqual([]);
});

test('a success publishes start, end, asyncStart, asyncEnd with the connection and its target', async () => {
  const db = setup();
  sub = listen();
  await expect(db.execute('primary', async (c) => c.id)).resolves.toBe('p');
  expect(sub.log).toEqual([
    ['start', { name: 'primary', target: 'primary', failover: false }],
    ['end', { name: 'primary', target: 'primary', failover: false }],
    ['asyncStart', { name: 'primary', target: 'primary', failover: false, result: 'p' }],
    ['asyncEnd', { name: 'primary', target: 'primary', failover: false, result: 'p' }],
  ]);
});

test('a failure publishes error with the error, and the failover that follows is in the next context', async () => {
  const db = setup();
  sub = listen();
  const boom = new Error('boom');
  await expect(db.execute('primary', async () => { throw boom; })).rejects.toBe(boom); // opens: threshold 1
  expect(sub.log.map(([e]) => e)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
  expect(sub.log[2][1]).toEqual({ name: 'primary', target: 'primary', failover: false, error: boom });
  sub.log.length = 0;
  await expect(db.execute('primary', async (c) => c.id)).resolves.toBe('r');
  expect(sub.log[0]).toEqual(['start', { name: 'primary', target: 'replica', failover: true }]);
  expect(sub.log[3][1].result).toBe('r');
});

test('a call rejected by an open circuit publishes error with the CircuitOpenError', async () => {
  const db = setup();
  await settle(db.execute('primary', async () => { throw new Error('x'); }));
  sub = listen();
  await settle(db.execute('primary', async () => 1, { failover: false }));
  expect(sub.log.map(([e]) => e)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
  expect(sub.log[0][1]).toEqual({ name: 'primary', target: 'primary', failover: false });
  expect(sub.log[2][1].error).toBeInstanceOf(CircuitOpenError);
});

test('a sync throw and an unknown name are traced too', async () => {
  const db = setup();
  sub = listen();
  await settle(db.execute('primary', () => { throw new Error('sync'); }));
  await settle(db.execute('nope', async () => 1));
  const errors = sub.log.filter(([e]) => e === 'error').map(([, ctx]) => [ctx.name, ctx.target, ctx.error.message]);
  expect(errors).toEqual([['primary', 'primary', 'sync'], ['nope', null, expect.stringContaining('nope')]]);
});

test('calls fn makes synchronously are traced in their own right', async () => {
  const db = setup();
  sub = listen();
  await db.execute('primary', (c) => db.execute('replica', async (r) => c.id + r.id));
  const starts = sub.log.filter(([e]) => e === 'start').map(([, ctx]) => ctx.name);
  expect(starts).toEqual(['primary', 'replica']);
});

test('after unsubscribing, tracing stops', async () => {
  const db = setup();
  const { log, stop } = listen();
  await db.execute('primary', async () => 1);
  expect(log).toHaveLength(4);
  stop();
  expect(trace.start.hasSubscribers).toBe(false);
  await db.execute('primary', async () => 1);
  expect(log).toHaveLength(4);
});
