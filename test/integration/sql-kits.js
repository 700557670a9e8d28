'use strict';
// One kit per SQL client family for the integration tests (sql-clients.test.js and its
// child process, test/fixtures/sql-client-exit.js): how to make that library's client
// for a URL and run raw SQL through it, as its users would. Not a test file itself.

const path = require('path');
const { spawnSync } = require('child_process');

const PRISMA_SCHEMA = path.join(__dirname, '..', 'fixtures', 'prisma', 'schema.prisma');
const PRISMA_CLIENT = path.join(__dirname, '..', 'fixtures', 'prisma', 'generated');

/**
 * `prisma generate` for test/fixtures/prisma/schema.prisma, offline. The CLI insists on
 * having its schema engine binary (for migrate, which generate does not use) and would
 * download it; PRISMA_SCHEMA_ENGINE_BINARY naming any existing file skips that.
 */
function generatePrisma() {
  const cli = path.join(__dirname, '..', '..', 'node_modules', 'prisma', 'build', 'index.js');
  const run = spawnSync(process.execPath, [cli, 'generate', '--schema', PRISMA_SCHEMA], {
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' },
    encoding: 'utf8',
    timeout: 120000,
  });
  if (run.status !== 0) throw new Error(`prisma generate failed (${run.status ?? run.signal}):\n${run.stdout}\n${run.stderr}`);
}

const pgPool = (url) => {
  const { Pool } = require('pg');
  return new Pool({ connectionString: url, connectionTimeoutMillis: 2000, max: 4 });
};

const KITS = {
  pg: {
    native: true,
    make: pgPool,
    raw: async (c, text) => (await c.query(text)).rows,
  },
  'postgres.js': {
    native: true,
    make: (url) => require('postgres')(url, { connect_timeout: 2, max: 4, onnotice: () => {} }),
    raw: async (c, text) => [...(await c.unsafe(text))],
  },
  kysely: {
    native: false,
    make: (url) => {
      const { Kysely, PostgresDialect } = require('kysely');
      // Kysely keeps its pool private, out of OmniDB's reach, and checks clients out of
      // it without an 'error' listener: both listeners are the user's to add (README
      // "Clients"), or a killed server's error is uncaught (idle or mid-query).
      const pool = pgPool(url);
      pool.on('error', () => {});
      pool.on('connect', (client) => client.on('error', () => {}));
      return new Kysely({ dialect: new PostgresDialect({ pool }) });
    },
    raw: async (c, text) => {
      const { sql } = require('kysely');
      return (await sql.raw(text).execute(c)).rows;
    },
  },
  knex: {
    native: true,
    make: (url) => require('knex')({ client: 'pg', connection: url, pool: { min: 0, max: 4 }, acquireConnectionTimeout: 3000 }),
    raw: async (c, text) => (await c.raw(text)).rows,
  },
  drizzle: {
    native: true,
    make: (url) => require('drizzle-orm/node-postgres').drizzle(pgPool(url)),
    raw: async (c, text) => (await c.execute(text)).rows,
  },
  prisma: {
    native: false,
    setup: generatePrisma,
    make: (url) => {
      const { PrismaClient } = require(PRISMA_CLIENT);
      const { PrismaPg } = require('@prisma/adapter-pg');
      return new PrismaClient({ adapter: new PrismaPg({ connectionString: url, connectionTimeoutMillis: 2000, max: 4 }) });
    },
    raw: (c, text) => c.$queryRawUnsafe(text),
  },
};

module.exports = { KITS, generatePrisma };
