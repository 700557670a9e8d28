'use strict';
// omnidb/express mounted in a real Express app on a free port.
const { once } = require('events');
const express = require('express');
const { describeIntegration, routes } = require('./setup');
const integration = require('omnidb/express');
const root = require('../..');

async function start({ db, slow }) {
  await db.connect();
  const app = express();
  app.use(integration.middleware(db));
  app.get('/ready', integration.readiness(db));
  const wrap = (fn) => async (req, res, next) => {
    try { res.json(await fn(req)); } catch (err) { next(err); }
  };
  app.get('/users', wrap(async (req) => (await routes.users(req.db)).rows));
  app.get('/slow', wrap((req) => routes.slow(req.db, slow)));
  app.get('/teapot', wrap(async () => routes.teapot()));
  app.use(integration.errorHandler(db));
  const passed = [];
  app.use((err, req, res, next) => { passed.push(err); next(err); }); // what reaches Express's own handler
  app.set('env', 'test'); // Express's own handler: no log; its page shows the stack
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: server.address().port,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await db.disconnect();
    },
    expectOwnError(res, message) {
      expect(passed).toHaveLength(1);
      expect(passed[0]).toBeInstanceOf(Error);
      expect(passed[0].message).toBe(message);
      expect(res.headers['content-type']).toMatch(/^text\/html/); // finalhandler's page
      expect(res.body).toContain(`<pre>Error: ${message}<br>`);
    },
  };
}

describeIntegration('Express', start);

test("the package root keeps exporting the Express integration", () => {
  expect(root.middleware).toBe(integration.middleware);
  expect(root.readiness).toBe(integration.readiness);
  expect(root.errorHandler).toBe(integration.errorHandler);
  expect(root.readinessReport).toBe(integration.readinessReport);
  expect(integration.errorHandler(new root.Orchestrator({ connections: { a: {} } }))).toHaveLength(4);
});
