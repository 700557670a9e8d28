// Type tests: in execute() and in a health check, the client is typed as the
// connection's own client, for the client libraries of README "Clients".
import { expectType } from 'tsd';
import { Pool } from 'pg';
import postgres from 'postgres';
import { Kysely, PostgresDialect } from 'kysely';
import knex, { Knex } from 'knex';
import { drizzle, NodePgDatabase } from 'drizzle-orm/node-postgres';
import { Orchestrator, probes } from '../..';

interface Tables {
  users: { id: number; name: string };
}

const pool = new Pool();
const sql = postgres('postgres://localhost/app');
const kysely = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: new Pool() }) });
const kx = knex({ client: 'pg', connection: 'postgres://localhost/app' });
const orm = drizzle(new Pool());

const db = new Orchestrator({
  connections: { pg: pool, pgjs: sql, kysely, knex: kx, drizzle: orm },
  failover: { pg: 'kysely' },
  healthCheck: { checks: { pg: 'auto', pgjs: 'auto', kysely: async (c) => { expectType<Kysely<Tables>>(c); return true; } } },
});
new Orchestrator({ connections: { pg: pool }, healthCheck: { checks: 'auto' } });

db.execute('pg', (c) => { expectType<Pool>(c); return c.query('SELECT 1'); });
db.execute('pgjs', (c) => { expectType<postgres.Sql<{}>>(c); return c`select 1`; });
db.execute('kysely', (c) => { expectType<Kysely<Tables>>(c); return c.selectFrom('users').select('name').execute(); })
  .then((rows) => expectType<{ name: string }[]>(rows));
db.execute('knex', (c) => { expectType<Knex<any, unknown[]>>(c); return c.raw('select 1'); });
db.execute('drizzle', (c) => { expectType<NodePgDatabase<Record<string, never>> & { $client: Pool }>(c); return c.execute('select 1'); });

probes.fromClient(pool);
probes.fromClient(sql);
probes.fromClient(kx);

// Redis and MySQL clients.
import Redis from 'ioredis';
import { createClient } from 'redis5';
import * as mysql from 'mysql2/promise';
import { createPool as createCallbackPool, Pool as CallbackPool } from 'mysql2';

const ioredis = new Redis({ lazyConnect: true });
const nodeRedis = createClient({ url: 'redis://localhost:6379' });
const mysqlPool = mysql.createPool({ uri: 'mysql://app@localhost/app' });
const callbackPool = createCallbackPool({ uri: 'mysql://app@localhost/app' });

const caches = new Orchestrator({
  connections: { cache: ioredis, sessions: nodeRedis, mysql: mysqlPool, legacy: callbackPool },
  healthCheck: { checks: 'auto' },
});
caches.execute('cache', (c) => { expectType<Redis>(c); return c.get('k'); })
  .then((v) => expectType<string | null>(v));
caches.execute('sessions', (c) => { expectType<typeof nodeRedis>(c); return c.get('k'); });
caches.execute('mysql', (c) => { expectType<mysql.Pool>(c); return c.query('SELECT 1'); });
caches.execute('legacy', (c) => { expectType<CallbackPool>(c); return true; });
probes.fromClient(ioredis);
probes.fromClient(mysqlPool);
