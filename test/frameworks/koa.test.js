'use strict';
// omnidb/koa mounted in a real Koa app (with @koa/router) on a free port.
const { once } = require('events');
const Koa = require('koa');
const Router = require('@koa/router');
const { describeIntegration, routes } = require('./setup');
const integration = require('omnidb/koa');
const { ConfigError } = require('../..');

async function start({ db, slow }) {
  await db.connect();
  const app = new Koa();
  const passed = [];
  app.silent = true; // Koa's own handler answers; the 'error' event below records it
  app.on('error', (err) => passed.push(err));
  app.use(integration.errorHandler(db));
  app.use(integration.middleware(db));
  const router = new Router();
  router.get('/ready', integration.readiness(db));
  router.get('/users', async (ctx) => { ctx.body = (await routes.users(ctx.db)).rows; });
  router.get('/slow', async (ctx) => { ctx.body = await routes.slow(ctx.db, slow); });
  router.get('/teapot', async () => routes.teapot());
  app.use(router.routes());
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: server.address().port,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await db.disconnect();
    },
    expectOwnError(res, message) {
      // Koa's default: err.status and, for an error not exposed (no `expose`), the status text.
      expect(res.body).toBe("I'm a Teapot");
      expect(passed).toHaveLength(1);
      expect(passed[0].message).toBe(message);
      expect(passed[0].status).toBe(418);
    },
  };
}

describeIntegration('Koa', start);

test('the Koa helpers check their arguments', () => {
  expect(() => integration.middleware({})).toThrow(ConfigError);
  expect(() => integration.errorHandler(null)).toThrow(/db must be an Orchestrator, received null/);
});
