'use strict';
// omnidb/nestjs's OmniDbExceptionFilter in a real Nest app (Express platform) on a free port.
require('reflect-metadata');
const { NestFactory, HttpAdapterHost, APP_FILTER } = require('@nestjs/core');
const { Module, Controller, Get, HttpException } = require('@nestjs/common');
const { describeIntegration, routes, setup, get } = require('./setup');
const { OmniDbModule, OmniDbExceptionFilter, InjectOmniDb } = require('omnidb/nestjs');

/** Applies method decorators without decorator syntax. */
function decorate(Cls, method, decorators) {
  const descriptor = Object.getOwnPropertyDescriptor(Cls.prototype, method);
  Object.defineProperty(Cls.prototype, method, Reflect.decorate(decorators, Cls.prototype, method, descriptor) || descriptor);
}

function appModule(db, slow, providers = []) {
  class UsersController {
    constructor(orchestrator) { this.db = orchestrator; }
    async users() { return (await routes.users(this.db)).rows; }
    slow() { return routes.slow(this.db, slow); }
    teapot() { throw new HttpException('short and stout', 418); }
    boom() { throw new Error('boom'); }
  }
  InjectOmniDb()(UsersController, undefined, 0);
  decorate(UsersController, 'users', [Get('users')]);
  decorate(UsersController, 'slow', [Get('slow')]);
  decorate(UsersController, 'teapot', [Get('teapot')]);
  decorate(UsersController, 'boom', [Get('boom')]);
  Controller()(UsersController);
  class AppModule {}
  Module({ imports: [OmniDbModule.forRoot(db)], controllers: [UsersController], providers })(AppModule);
  return AppModule;
}

async function listen(app) {
  await app.listen(0, '127.0.0.1');
  return app.getHttpServer().address().port;
}

async function start({ db, slow }) {
  const app = await NestFactory.create(appModule(db, slow), { logger: false });
  app.useGlobalFilters(app.get(OmniDbExceptionFilter));
  const port = await listen(app);
  return {
    port,
    close: () => app.close(), // OmniDbModule disconnects on shutdown
    expectOwnError(res, message) {
      expect(res.body).toEqual({ statusCode: 418, message }); // Nest's own HttpException response
    },
  };
}

describeIntegration('NestJS', start, { readinessRoute: false });

describe('OmniDbExceptionFilter', () => {
  test('as an APP_FILTER provider: OmniDB errors mapped, an unknown error is still Nest\'s 500', async () => {
    const env = await setup();
    const app = await NestFactory.create(appModule(env.db, env.slow, [{ provide: APP_FILTER, useExisting: OmniDbExceptionFilter }]), { logger: false });
    const port = await listen(app);
    try {
      expect(await get(port, '/boom')).toMatchObject({ status: 500, body: { statusCode: 500, message: 'Internal server error' } });
      await env.tripPrimary();
      const res = await get(port, '/users');
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('30');
      expect(res.body).toMatchObject({ error: 'circuit_open', connection: 'primary', retryAfter: 30 });
    } finally {
      await app.close();
    }
    expect(env.db.isConnected).toBe(false);
  });

  test('constructed by hand with options', async () => {
    const env = await setup();
    const app = await NestFactory.create(appModule(env.db, env.slow), { logger: false });
    app.useGlobalFilters(new OmniDbExceptionFilter(env.db, app.get(HttpAdapterHost), { retryAfter: 11 }));
    const port = await listen(app);
    try {
      await env.setHealthy({ primary: false });
      const res = await get(port, '/users');
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('11');
    } finally {
      await app.close();
    }
  });
});
