// A consumer of every entry point, type-checked by test/types-resolution.test.js under
// TypeScript's node10, node16 and bundler resolution (one tsconfig each).
import Fastify from 'fastify';
import Koa from 'koa';
import { Hono } from 'hono';
import { Orchestrator, readinessReport, errorHandler, middleware, readiness } from 'omnidb';
import * as express from 'omnidb/express';
import omnidbFastify from 'omnidb/fastify';
import * as koa from 'omnidb/koa';
import * as hono from 'omnidb/hono';
import { OmniDbModule, OmniDbExceptionFilter, OmniDbHealthIndicator } from 'omnidb/nestjs';

const client = { query: async (sql: string) => ({ rows: [sql] }) };
const db = new Orchestrator({ connections: { primary: client, replica: client }, failover: { primary: 'replica' } });

const report = readinessReport(db, { require: ['primary'] });
const ready: boolean = report.ready;
const unavailable: Array<'primary' | 'replica'> = report.unavailable;
// @ts-expect-error: not a connection of db
readinessReport(db, { require: ['nope'] });
const handlers = [middleware(db), readiness(db), errorHandler(db, { retryAfter: 2 }), express.errorHandler(db)];

const app = Fastify();
app.register(omnidbFastify, { db, readiness: { url: '/ready', require: ['primary'] }, retryAfter: 3 });
app.get('/users', async (request, reply) => {
  const served: boolean = reply.omnidbError(new Error('x'));
  return { stats: request.db.getStats(), health: app.db.health(), served };
});
// @ts-expect-error: db is required
app.register(omnidbFastify, {});

const k = new Koa<Koa.DefaultState, koa.OmniDbContext<typeof db>>();
k.use(koa.errorHandler(db));
k.use(koa.middleware(db));
k.use(async (ctx) => {
  ctx.body = await ctx.db.execute('primary', (c) => c.query('SELECT 1'));
});

const h = new Hono<hono.OmniDbEnv<typeof db>>();
h.use(hono.middleware(db));
h.onError(hono.errorHandler(db, { fallback: (err, c) => c.text(err.message, 500) }));
h.get('/ready', hono.readiness(db));
h.get('/users', async (c) => c.json((await c.var.db.execute('primary', (cl) => cl.query('SELECT 1'))).rows));

const nest = OmniDbModule.forRoot({ connections: { primary: client } });
const filter: typeof OmniDbExceptionFilter = OmniDbExceptionFilter;
const indicator: typeof OmniDbHealthIndicator = OmniDbHealthIndicator;

export { ready, unavailable, handlers, nest, filter, indicator };
