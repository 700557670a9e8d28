'use strict';
// A NestJS app wired through omnidb/nestjs, in plain JS (Nest's decorators applied as
// functions; no build step): the same connections as examples/express/app.js (a pg
// Pool for the primary, one for its streaming replica, an ioredis client), reads that
// fail over, writes pinned to the primary, and a terminus readiness check.
//
//   const { NestFactory } = require('@nestjs/core');
//   const app = await NestFactory.create(AppModule.forRoot({ primaryUrl, replicaUrl, redisUrl }));
require('reflect-metadata');
const {
  Module, Controller, Get, Post, Body, Inject, HttpException,
} = require('@nestjs/common');
const { TerminusModule, HealthCheckService } = require('@nestjs/terminus');
const { Pool } = require('pg');
const Redis = require('ioredis');
const { APP_FILTER } = require('@nestjs/core');
const { isConnectionError } = require('omnidb');
const { OmniDbModule, OmniDbHealthIndicator, OmniDbExceptionFilter, InjectOmniDb } = require('omnidb/nestjs');

const SETTINGS = 'EXAMPLE_SETTINGS';

/** Applies method (and parameter) decorators without decorator syntax. */
function decorate(Cls, method, decorators, params = []) {
  const descriptor = Object.getOwnPropertyDescriptor(Cls.prototype, method);
  Object.defineProperty(Cls.prototype, method, Reflect.decorate(decorators, Cls.prototype, method, descriptor) || descriptor);
  params.forEach((param, index) => param(Cls.prototype, method, index));
}

/**
 * An open circuit (503 + Retry-After) and a timeout (504) are OmniDbExceptionFilter's;
 * a lost connection is unavailable too (503); anything else goes to Nest as it is.
 */
function httpError(err) {
  return isConnectionError(err) ? new HttpException({ error: err.message, code: err.code }, 503) : err;
}

/** The Orchestrator config, built once Redis is ready (ioredis connects in the background). */
async function orchestratorConfig({ primaryUrl, replicaUrl, redisUrl, interval = '1s', onPoolError = () => {} }) {
  const pool = (url) => {
    // A short connect timeout: a dead server must fail a call, not park it.
    const p = new Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 1000, idleTimeoutMillis: 5000 });
    p.on('error', onPoolError); // an idle client's server died: the checks report it
    return p;
  };
  const redis = new Redis(redisUrl, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false, // fail at once while disconnected instead of queueing
    retryStrategy: (times) => Math.min(times * 50, 500),
  });
  redis.on('error', () => {}); // reconnects by itself; health checks report it
  if (redis.status !== 'ready') {
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 2000); // a Redis that stays down is the checks' to report
      timer.unref();
      redis.once('ready', () => { clearTimeout(timer); resolve(); });
    });
  }
  const pgCheck = async (p) => (await p.query('SELECT 1 AS ok')).rows[0].ok === 1;
  return {
    connections: { primary: pool(primaryUrl), replica: pool(replicaUrl), cache: redis },
    failover: { primary: 'replica' },
    healthCheck: {
      interval,
      timeout: '800ms',
      checks: { primary: pgCheck, replica: pgCheck, cache: async (r) => (await r.ping()) === 'PONG' },
    },
    circuitBreaker: { threshold: 3, resetTimeout: '2s', halfOpenSuccesses: 1 },
  };
}

class ItemsController {
  constructor(db) {
    this.db = db;
  }

  /** GET /items: a read; fails over to the replica, and retries once there if the primary dies mid-call. */
  async list() {
    try {
      const { rows } = await this.db.execute('primary', (c) => c.query(
        'SELECT id, name, pg_is_in_recovery() AS from_replica FROM (SELECT id, name FROM items ORDER BY id DESC LIMIT 5) i',
      ), { idempotent: true, timeout: '2s' });
      const fromReplica = rows.length > 0 ? rows[0].from_replica
        : (await this.db.execute('primary', (c) => c.query('SELECT pg_is_in_recovery() AS r'), { idempotent: true, timeout: '2s' })).rows[0].r;
      return { servedBy: fromReplica ? 'replica' : 'primary', items: rows.map(({ id, name }) => ({ id, name })) };
    } catch (err) {
      throw httpError(err);
    }
  }

  /** POST /items (201): a write, pinned to the primary; while it is down, a fast 503. */
  async create(body) {
    const name = body && typeof body.name === 'string' ? body.name : 'item';
    try {
      const { rows } = await this.db.execute('primary',
        (c) => c.query('INSERT INTO items (name) VALUES ($1) RETURNING id, name', [name]),
        { failover: false, timeout: '2s' });
      return rows[0];
    } catch (err) {
      throw httpError(err);
    }
  }
}
Controller('items')(ItemsController);
InjectOmniDb()(ItemsController, undefined, 0);
decorate(ItemsController, 'list', [Get()]);
decorate(ItemsController, 'create', [Post()], [Body()]);

class HealthController {
  constructor(health, omnidb) {
    this.health = health;
    this.omnidb = omnidb;
  }

  /** GET /health: 200, or 503 when a connection is down and nothing serves in its place. */
  check() {
    return this.health.check([() => this.omnidb.isHealthy('database')]);
  }
}
Controller('health')(HealthController);
Inject(HealthCheckService)(HealthController, undefined, 0);
Inject(OmniDbHealthIndicator)(HealthController, undefined, 1);
decorate(HealthController, 'check', [Get()]);

class SettingsModule {}
Module({})(SettingsModule);

class AppModule {
  /**
   * @param {{ primaryUrl: string, replicaUrl: string, redisUrl: string, interval?: string, quiet?: boolean }} settings
   */
  static forRoot(settings) {
    const settingsModule = {
      module: SettingsModule,
      providers: [{ provide: SETTINGS, useValue: settings }],
      exports: [SETTINGS],
    };
    return {
      module: AppModule,
      imports: [
        TerminusModule.forRoot({ logger: !settings.quiet }),
        OmniDbModule.forRootAsync({ imports: [settingsModule], inject: [SETTINGS], useFactory: orchestratorConfig }),
      ],
      controllers: [ItemsController, HealthController],
      providers: [{ provide: APP_FILTER, useExisting: OmniDbExceptionFilter }], // every route: 503/504 mapping
    };
  }
}
Module({})(AppModule);

module.exports = { AppModule, ItemsController, HealthController };
