'use strict';
// omnidb/fastify registered in a real Fastify app on a free port.
const path = require('path');
const Fastify = require('fastify');
const { describeIntegration, routes, setup, get, fakeClient } = require('./setup');
const omnidb = require('omnidb/fastify');
const { runFixture } = require('../helpers');
const { Orchestrator, ConfigError } = require('../..');

/** Listens on a free port: the port (app.inject() needs ESM-only cookie, which Jest cannot load on Node 20). */
async function listen(app) {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server.address().port;
}

function routesOf(app, slow) {
  app.get('/users', async (request) => (await routes.users(request.db)).rows);
  app.get('/slow', (request) => routes.slow(request.db, slow));
  app.get('/teapot', async () => routes.teapot());
}

async function start({ db, slow }, { ownHandler } = {}) {
  const app = Fastify();
  const seen = [];
  const mine = (err, request, reply) => {
    seen.push(err);
    reply.code(err.statusCode || 500).send({ mine: true, message: err.message });
  };
  if (ownHandler === 'before') app.setErrorHandler(mine);
  await app.register(omnidb, { db, readiness: '/ready' });
  if (ownHandler === 'after') app.setErrorHandler(mine);
  if (ownHandler === 'child') {
    await app.register(async (child) => {
      child.setErrorHandler(mine);
      routesOf(child, slow);
    });
  } else {
    routesOf(app, slow);
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    seen,
    port: app.server.address().port,
    close: () => app.close(),
    expectOwnError(res, message) {
      // Fastify's default handler: its JSON shape, the app's status and message.
      expect(res.body).toEqual({ statusCode: 418, error: "I'm a Teapot", message });
    },
  };
}

describeIntegration('Fastify', (env) => start(env));

describe('Fastify plugin', () => {
  test('decorates the instance and the request, connects on onReady and disconnects on onClose', async () => {
    const { db } = await setup();
    const app = Fastify();
    await app.register(omnidb, { db });
    let fromRequest;
    app.get('/', async (request) => { fromRequest = request.db; return 'ok'; });
    expect(app.db).toBe(db);
    expect(db.isConnected).toBe(false);
    await app.ready();
    expect(db.isConnected).toBe(true);
    expect((await get(await listen(app), '/')).body).toBe('ok');
    expect(fromRequest).toBe(db);
    await app.close();
    expect(db.isConnected).toBe(false);
  });

  test('builds the orchestrator from a config and closes its clients with the app', async () => {
    const primary = fakeClient('primary');
    const app = Fastify();
    await app.register(omnidb, { db: { connections: { primary } }, property: 'omni' });
    await app.ready();
    expect(app.omni).toBeInstanceOf(Orchestrator);
    expect(app.omni.isConnected).toBe(true);
    await app.close();
    expect(primary.closed).toBe(true);
  });

  test.each(['before', 'after', 'child'])("your error handler (set %s the plugin) keeps every other error, unchanged; OmniDB's are mapped", async (ownHandler) => {
    const env = await setup();
    const warned = jest.spyOn(process, 'emitWarning'); // Fastify's FSTWRN004 when a handler is overridden
    const app = await start(env, { ownHandler });
    try {
      const teapot = await get(app.port, '/teapot');
      expect(teapot.status).toBe(418);
      expect(teapot.body).toEqual({ mine: true, message: 'short and stout' });
      expect(app.seen).toHaveLength(1);
      expect(app.seen[0].statusCode).toBe(418);
      await env.tripPrimary();
      const open = await get(app.port, '/users');
      expect(open.status).toBe(503);
      expect(open.headers['retry-after']).toBe('30');
      expect(app.seen).toHaveLength(1);
      expect(warned).not.toHaveBeenCalled(); // no setErrorHandler() of ours: nothing overridden
    } finally {
      warned.mockRestore();
      await app.close();
    }
  });

  test('errorHandler: false leaves error handling alone; reply.omnidbError() maps in your own handler', async () => {
    const env = await setup();
    const app = Fastify();
    await app.register(omnidb, { db: env.db, errorHandler: false, retryAfter: 7 });
    app.setErrorHandler((err, request, reply) => {
      if (reply.omnidbError(err)) return reply;
      return reply.code(500).send({ other: err.message });
    });
    app.get('/users', async (request) => (await routes.users(request.db)).rows);
    app.get('/boom', async () => { throw new Error('boom'); });
    const port = await listen(app);
    try {
      expect((await get(port, '/boom')).body).toEqual({ other: 'boom' });
      await env.setHealthy({ primary: false });
      const res = await get(port, '/users');
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('7');
      expect(omnidb.replyError).toEqual(expect.any(Function));
    } finally {
      await app.close();
    }
  });

  test('readiness with options: only the required connections decide', async () => {
    const env = await setup();
    const app = Fastify();
    await app.register(omnidb, { db: env.db, readiness: { url: '/ready/replica', require: ['replica'], detail: 'health' } });
    const port = await listen(app);
    try {
      await env.setHealthy({ primary: false });
      const res = await get(port, '/ready/replica');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok', connections: { primary: { status: 'unhealthy' }, replica: { status: 'healthy' } } });
    } finally {
      await app.close();
    }
  });

  test.each([
    [{}, /db: expected an Orchestrator config or an Orchestrator, received undefined/],
    [{ db: { connections: { a: {} } }, readiness: 'ready' }, /readiness must be a path/],
    [{ db: { connections: { a: {} } }, readiness: { url: '/r', require: ['nope'] } }, /unknown connection "nope"/],
    [{ db: { connections: { a: {} } }, retryAfter: 0 }, /retryAfter must be a whole number of seconds >= 1, received 0 \(number\)/],
    [{ db: { connections: { a: {} } }, property: '' }, /property must be a non-empty string/],
  ])('bad options %j fail registration with a ConfigError', async (options, message) => {
    const app = Fastify();
    const err = await app.register(omnidb, options).ready().then(() => null, (e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(message);
    await app.close();
  });

  test('a process with the plugin, health checks on real timers and a request exits by itself after app.close()', async () => {
    const result = await runFixture(path.join('..', 'frameworks', 'fixtures', 'fastify-exits.js'));
    expect(result).toEqual({ code: 0, signal: null, stdout: 'served 200, closed', stderr: '' });
  });
});
