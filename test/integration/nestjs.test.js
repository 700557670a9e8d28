'use strict';
// omnidb/nestjs: the NestJS example (examples/nestjs/app.module.js) against a real
// PostgreSQL primary + streaming replica + Redis, over real HTTP (global fetch) to the
// Nest app listening on port 0: reads, writes, the terminus /health, then the primary
// killed (reads served by the replica, /health still 200), then the replica frozen too
// (/health 503), both restored, and app.close() disconnecting the orchestrator. Plus
// OmniDbModule.forRoot() with a ready-made orchestrator over fake clients, and the
// package's `omnidb/nestjs` subpath export.

require('reflect-metadata');
const path = require('path');
const { execFileSync } = require('child_process');
const { NestFactory } = require('@nestjs/core');
const { Module, Injectable } = require('@nestjs/common');
const { startCluster } = require('../harness/servers');
const { AppModule } = require('../../examples/nestjs/app.module');
const { OmniDbModule, OmniDbHealthIndicator, InjectOmniDb, OMNIDB_ORCHESTRATOR } = require('../../lib/nestjs');
const { Orchestrator, ManualClock, ConfigError } = require('../..');
const { watchUnhandledRejections, EventLog, httpClient, killPrimaryAndFailOver, freezeReplica, restoreAndAwaitHealthy } = require('./chaos-helpers');

jest.setTimeout(30000);

let cluster;
let app;
let appClosed = false;
let db;
let base;
let log;
const unhandled = watchUnhandledRejections();

beforeAll(async () => {
  cluster = await startCluster({ replica: true, redis: true });
  app = await NestFactory.create(AppModule.forRoot({
    primaryUrl: cluster.primary.url,
    replicaUrl: cluster.replica.url,
    redisUrl: cluster.redis.url,
    interval: '200ms',
    quiet: true,
  }), { logger: false, forceCloseConnections: true });
  db = app.get(OMNIDB_ORCHESTRATOR);
  log = new EventLog(db);
  await app.listen(0, '127.0.0.1'); // runs onModuleInit: the orchestrator connects first
  base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
}, 120000);

afterEach(async () => {
  expect(await unhandled.drain()).toEqual([]);
});

afterAll(async () => {
  try {
    if (app && !appClosed) await app.close();
    if (db) await db.disconnect(); // idempotent: a no-op after app.close()
  } finally {
    unhandled.dispose();
    if (cluster) await cluster.stop();
  }
}, 60000);

const { get, post } = httpClient(() => base);

const up = { status: 'healthy', circuit: 'closed', failoverTo: null };

test('the orchestrator is connected once the app listens', () => {
  expect(db).toBeInstanceOf(Orchestrator);
  expect(db.isConnected).toBe(true);
  expect(app.get(OmniDbHealthIndicator)).toBeInstanceOf(OmniDbHealthIndicator);
});

test('GET /items: 200, served by the primary', async () => {
  const { status, body } = await get('/items');
  expect(status).toBe(200);
  expect(body).toEqual({ servedBy: 'primary', items: expect.any(Array) });
});

test('POST /items: 201, and the row is read back', async () => {
  const name = `nest-${process.pid}-${Date.now()}`;
  const created = await post('/items', { name });
  expect(created.status).toBe(201);
  expect(created.body).toEqual({ id: expect.any(Number), name });
  const read = await get('/items');
  expect(read.status).toBe(200);
  expect(read.body.items).toContainEqual({ id: created.body.id, name });
});

test('GET /health: 200 from terminus with every connection up', async () => {
  const { status, body } = await get('/health');
  expect(status).toBe(200);
  const database = { status: 'up', connections: { primary: up, replica: up, cache: up } };
  expect(body).toEqual({ status: 'ok', info: { database }, error: {}, details: { database } });
});

test('primary killed: /items 200 from the replica, /health 200; replica frozen too: /health 503; both restored', async () => {
  try {
    await killPrimaryAndFailOver(cluster, log);

    const read = await get('/items');
    expect(read.status).toBe(200);
    expect(read.body.servedBy).toBe('replica');

    const write = await post('/items', { name: 'while-down' });
    expect(write.status).toBe(503);
    expect(write.body).toMatchObject({ code: 'OMNIDB_CIRCUIT_OPEN', connection: 'primary' });
    expect(write.headers['retry-after']).toMatch(/^[1-9]\d*$/); // OmniDbExceptionFilter: whole seconds until half-open

    const failedOver = await get('/health');
    expect(failedOver.status).toBe(200);
    expect(failedOver.body.status).toBe('ok');
    expect(failedOver.body.info.database).toEqual({
      status: 'up',
      connections: { primary: { status: 'unhealthy', circuit: 'open', failoverTo: 'replica' }, replica: up, cache: up },
    });

    await freezeReplica(cluster, log);
    const down = await get('/health');
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('error');
    expect(down.body.error.database).toEqual({
      status: 'down',
      unavailable: ['primary', 'replica'],
      connections: {
        primary: { status: 'unhealthy', circuit: 'open', failoverTo: null },
        replica: { status: 'unhealthy', circuit: 'open', failoverTo: null },
        cache: up,
      },
    });
    const refused = await get('/items');
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('OMNIDB_CIRCUIT_OPEN');
  } finally {
    await restoreAndAwaitHealthy(cluster, log, db); // thaw the replica, restart the primary
  }

  const health = await get('/health');
  expect(health.status).toBe(200);
  expect(health.body.info.database.connections).toEqual({ primary: up, replica: up, cache: up });
  const read = await get('/items');
  expect(read.status).toBe(200);
  expect(read.body.servedBy).toBe('primary');
  expect((await post('/items', { name: 'after-restore' })).status).toBe(201);
}, 60000);

test('app.close() disconnects the orchestrator (onApplicationShutdown)', async () => {
  const disconnected = [];
  db.on('disconnected', (e) => disconnected.push(e.name));
  appClosed = true;
  await app.close();
  expect(disconnected.sort()).toEqual(['cache', 'primary', 'replica']);
  expect(db.isConnected).toBe(false);
  await expect(db.execute('primary', (c) => c.query('SELECT 1'))).rejects.toMatchObject({ code: 'OMNIDB_DISCONNECTED' });
});

describe('OmniDbModule with fake clients', () => {
  /** A service using @InjectOmniDb(), written the plain-JS way. */
  class ItemsService {
    constructor(orchestrator) {
      this.orchestrator = orchestrator;
    }
  }
  Injectable()(ItemsService);
  InjectOmniDb()(ItemsService, undefined, 0);

  function fakeDb() {
    const clock = new ManualClock();
    const healthy = { primary: true, cache: true };
    const closed = [];
    const client = (name) => ({ name, end: async () => { closed.push(name); } });
    const orchestrator = new Orchestrator({
      connections: { primary: client('primary'), cache: client('cache') },
      healthCheck: { interval: '1s', checks: { primary: () => healthy.primary, cache: () => healthy.cache } },
      clock,
    });
    return { orchestrator, clock, healthy, closed };
  }

  test('forRoot(orchestrator): global provider and @InjectOmniDb(), connect on init, disconnect on close', async () => {
    const { orchestrator, clock, healthy, closed } = fakeDb();
    class FeatureModule {}
    Module({ providers: [ItemsService], exports: [ItemsService] })(FeatureModule); // no import of OmniDbModule: it is global
    class RootModule {}
    Module({ imports: [OmniDbModule.forRoot(orchestrator), FeatureModule] })(RootModule);

    const ctx = await NestFactory.createApplicationContext(RootModule, { logger: false });
    let ctxClosed = false;
    try {
      expect(ctx.get(ItemsService).orchestrator).toBe(orchestrator);
      expect(orchestrator.isConnected).toBe(true);

      const indicator = ctx.get(OmniDbHealthIndicator);
      const upNoBreaker = { ...up, circuit: 'n/a' }; // fakeDb() configures no circuit breaker
      expect(await indicator.isHealthy()).toEqual({
        omnidb: { status: 'up', connections: { primary: upNoBreaker, cache: upNoBreaker } },
      });
      healthy.cache = false;
      await clock.advance('1s');
      const down = await indicator.isHealthy('db');
      expect(down.db.status).toBe('down');
      expect(down.db.unavailable).toEqual(['cache']);
      expect(await indicator.isHealthy('db', { require: ['primary'] })).toMatchObject({ db: { status: 'up' } });
      await expect(indicator.isHealthy('db', { require: ['nope'] })).rejects.toThrow(ConfigError);

      ctxClosed = true;
      await ctx.close();
      expect(orchestrator.isConnected).toBe(false);
      expect(closed.sort()).toEqual(['cache', 'primary']);
    } finally {
      if (!ctxClosed) await ctx.close();
      await orchestrator.disconnect();
    }
  });

  test('forRootAsync({ imports, inject, useFactory }) builds the orchestrator from a config', async () => {
    const clock = new ManualClock();
    class ConfigModule {}
    Module({ providers: [{ provide: 'DB_CLIENT', useValue: { id: 'fake' } }], exports: ['DB_CLIENT'] })(ConfigModule);
    class RootModule {}
    Module({
      imports: [OmniDbModule.forRootAsync({
        imports: [ConfigModule],
        inject: ['DB_CLIENT'],
        useFactory: async (client) => ({ connections: { primary: client }, clock }),
      })],
    })(RootModule);
    const ctx = await NestFactory.createApplicationContext(RootModule, { logger: false });
    const orchestrator = ctx.get(OMNIDB_ORCHESTRATOR);
    try {
      expect(orchestrator).toBeInstanceOf(Orchestrator);
      expect(orchestrator.isConnected).toBe(true);
      expect(await orchestrator.execute('primary', (c) => c.id)).toBe('fake');
    } finally {
      await ctx.close();
      await orchestrator.disconnect();
    }
    expect(orchestrator.isConnected).toBe(false);
  });

  test('bad module options throw ConfigError', () => {
    expect(() => OmniDbModule.forRoot(null)).toThrow(ConfigError);
    expect(() => OmniDbModule.forRoot({})).toThrow(ConfigError);
    expect(() => OmniDbModule.forRootAsync({})).toThrow(/useFactory must be a function/);
  });
});

test("the package exports 'omnidb/nestjs' to require() and import", () => {
  const root = path.join(__dirname, '..', '..');
  const cjs = execFileSync(process.execPath, ['-e',
    "const n = require('omnidb/nestjs'); process.stdout.write([typeof n.OmniDbModule.forRoot, typeof n.InjectOmniDb, n.OMNIDB_ORCHESTRATOR].join())"],
  { cwd: root, encoding: 'utf8' });
  expect(cjs).toBe('function,function,OMNIDB_ORCHESTRATOR');
  const esm = execFileSync(process.execPath, ['--input-type=module', '-e',
    "import { OmniDbModule, OmniDbHealthIndicator } from 'omnidb/nestjs'; process.stdout.write(typeof OmniDbModule + typeof OmniDbHealthIndicator)"],
  { cwd: root, encoding: 'utf8' });
  expect(esm).toBe('functionfunction');
});
