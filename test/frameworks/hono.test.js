'use strict';
// omnidb/hono mounted in a real Hono app served by @hono/node-server on a free port.
const { serve } = require('@hono/node-server');
const { Hono } = require('hono');
const { HTTPException } = require('hono/http-exception');
const { describeIntegration, routes, setup, get } = require('./setup');
const integration = require('omnidb/hono');

function listen(app) {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve({ server, port: info.port }));
  });
}

function mount(app, db, slow) {
  app.use(integration.middleware(db));
  app.get('/ready', integration.readiness(db));
  app.get('/users', async (c) => c.json((await routes.users(c.var.db)).rows));
  app.get('/slow', async (c) => c.json(await routes.slow(c.get('db'), slow)));
  app.get('/teapot', () => { throw new HTTPException(418, { message: 'short and stout' }); });
  app.get('/boom', () => { throw new Error('boom'); });
}

async function start({ db, slow }) {
  await db.connect();
  const app = new Hono();
  mount(app, db, slow);
  app.onError(integration.errorHandler(db));
  const { server, port } = await listen(app);
  return {
    port,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await db.disconnect();
    },
    expectOwnError(res, message) {
      expect(res.body).toBe(message); // Hono's default: the HTTPException's own response
    },
  };
}

describeIntegration('Hono', start);

describe('Hono errorHandler', () => {
  test("other errors go to Hono's default handler (a logged 500) or to your fallback, unchanged", async () => {
    const env = await setup();
    await env.db.connect();
    const seen = [];
    const withDefault = new Hono();
    mount(withDefault, env.db, env.slow);
    withDefault.onError(integration.errorHandler(env.db));
    const withFallback = new Hono();
    mount(withFallback, env.db, env.slow);
    withFallback.onError(integration.errorHandler(env.db, {
      retryAfter: 9,
      fallback: (err, c) => { seen.push(err); return c.json({ mine: err.message }, 500); },
    }));
    const a = await listen(withDefault);
    const b = await listen(withFallback);
    const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const plain = await get(a.port, '/boom');
      expect(plain.status).toBe(500);
      expect(plain.body).toBe('Internal Server Error');
      expect(logged).toHaveBeenCalledWith(expect.objectContaining({ message: 'boom' }));
      const mine = await get(b.port, '/boom');
      expect(mine.body).toEqual({ mine: 'boom' });
      expect(seen).toHaveLength(1);
      expect(seen[0].message).toBe('boom');
      await env.setHealthy({ primary: false });
      const open = await get(b.port, '/users');
      expect(open.status).toBe(503);
      expect(open.headers['retry-after']).toBe('9');
      expect(seen).toHaveLength(1);
    } finally {
      logged.mockRestore();
      await new Promise((resolve) => a.server.close(resolve));
      await new Promise((resolve) => b.server.close(resolve));
      await env.db.disconnect();
    }
  });

  test('fallback must be a function', () => {
    const { Orchestrator } = require('../..');
    expect(() => integration.errorHandler(new Orchestrator({ connections: { a: {} } }), { fallback: 'x' }))
      .toThrow(/fallback must be an \(err, c\) => Response function, received 'x' \(string\)/);
  });
});
