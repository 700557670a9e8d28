'use strict';
const { once } = require('events');
// lib/clients/: each SQL family recognises the real client objects of its library
// (built, never connected: no server here), closes them its way, derives the native
// probe target from their options, and classifies the errors those libraries raise.
// The Orchestrator side: 'auto' and probes.fromClient() through the families, the
// 'error' listener on EventEmitter clients, the OMNIDB_NO_HEALTH_CHECK warning.
// Against real servers: test/integration/sql-clients.test.js.
const { EventEmitter } = require('events');
const { Pool, Client } = require('pg');
const { DatabaseError } = require('pg-protocol');
const postgres = require('postgres');
const knex = require('knex');
const { Kysely, PostgresDialect, NoResultError } = require('kysely');
const { drizzle } = require('drizzle-orm/node-postgres');
const { drizzle: drizzlePostgres } = require('drizzle-orm/postgres-js');
const { DrizzleQueryError } = require('drizzle-orm/errors');
const { PrismaClientKnownRequestError, PrismaClientInitializationError } = require('@prisma/client/runtime/client');
const { Orchestrator, ConfigError, probes, defaultIsFailure, isConnectionError } = require('..');
const { familyOf, classifyError, emittersOf } = require('../lib/clients');
const { closeClient } = require('../lib/lifecycle');
const native = require('../lib/native');

const URL = 'postgres://app:secret@db.example:6543/shop';
const made = [];
afterAll(async () => {
  await Promise.all(made.map((c) => closeClient('t', c, 2000, () => {})));
});
const keep = (c) => {
  made.push(c);
  return c;
};

const pgError = (code, message = 'server said no', severity = 'ERROR') => Object.assign(new DatabaseError(message, 1, 'error'), { code, severity });
const prismaError = (code, cause) => new PrismaClientKnownRequestError('Raw query failed', {
  code, clientVersion: '7.0.0', meta: { driverAdapterError: { name: 'DriverAdapterError', cause } },
});

describe('families recognise the real client objects, most specific first', () => {
  const pool = keep(new Pool({ connectionString: URL }));
  const sql = keep(postgres(URL));
  const cases = [
    ['pg Pool', () => pool, 'pg'],
    ['pg Client', () => new Client({ connectionString: URL }), 'pg'],
    ['postgres.js sql', () => sql, 'postgres.js'],
    ['Knex (pg)', () => keep(knex({ client: 'pg', connection: URL })), 'knex'],
    ['Kysely (PostgresDialect)', () => keep(new Kysely({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: URL }) }) })), 'kysely'],
    ['Drizzle over a pg Pool (not taken for the pool)', () => drizzle(pool), 'drizzle'],
    ['Drizzle over postgres.js', () => drizzlePostgres(sql), 'drizzle'],
    ['a Prisma client', () => ({ $connect() {}, $disconnect() {}, $queryRawUnsafe() {} }), 'prisma'],
    ['a plain object', () => ({ end() {} }), 'generic'],
  ];
  test.each(cases)('%s', (_, build, name) => {
    expect(familyOf(build()).name).toBe(name);
  });
});

describe('native probe targets from the clients\' own options', () => {
  const skipUnlessBuilt = native.probeSupport && native.probeSupport.postgres;
  const expected = 'postgres://app@db.example:6543/shop';
  test.each([
    ['pg Pool', () => keep(new Pool({ connectionString: URL }))],
    ['pg Client', () => new Client({ connectionString: URL })],
    ['postgres.js', () => keep(postgres(URL))],
    ['Knex with a connection string', () => keep(knex({ client: 'pg', connection: URL }))],
    ['Knex with a connection object', () => keep(knex({ client: 'pg', connection: { host: 'db.example', port: 6543, user: 'app', password: 'secret', database: 'shop' } }))],
    ['Drizzle over a pg Pool', () => drizzle(keep(new Pool({ connectionString: URL })))],
    ['Drizzle over postgres.js', () => drizzlePostgres(keep(postgres(URL)))],
  ])('probes.fromClient(%s) probes the server it talks to', (_, build) => {
    expect(skipUnlessBuilt).toBe(true); // the addon here is built with libpq
    const probe = probes.fromClient(build());
    expect(probe.description).toBe(expected);
    probe.close();
  });

  test('a client whose target cannot be told (postgres.js with several hosts, Kysely) is a ConfigError saying so', () => {
    const multi = keep(postgres('postgres://app@a.example:5432,b.example:5432/shop'));
    expect(() => probes.fromClient(multi)).toThrow(/cannot be derived from this postgres\.js client's options/);
    const kysely = keep(new Kysely({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: URL }) }) }));
    expect(() => probes.fromClient(kysely)).toThrow(/cannot be derived from this kysely client's options/);
  });

  test('anything else is a ConfigError naming what it received', () => {
    expect(() => probes.fromClient({ query() {} })).toThrow(ConfigError);
    expect(() => probes.fromClient({ query() {} })).toThrow(/expected a client OmniDB can probe natively \(.*pg.*\) but received an object with keys query/);
  });
});

describe("checks: 'auto'", () => {
  test('a native probe for the pg family, a check through the client for Kysely; disconnect() closes both', async () => {
    const pool = new Pool({ connectionString: URL });
    const kysely = new Kysely({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: URL }) }) });
    let destroyed = 0;
    const destroy = kysely.destroy.bind(kysely);
    kysely.destroy = () => { destroyed++; return destroy(); };
    const db = new Orchestrator({ connections: { pool, kysely }, healthCheck: { checks: 'auto', interval: '1h' } });
    await db.disconnect();
    expect(pool.ended).toBe(true);
    expect(destroyed).toBe(1);
  });

  test("an addon built without libpq: 'auto' checks a pg Pool through the pool itself; fromClient() says what to install", () => {
    const support = native.probeSupport;
    native.probeSupport = { ...support, postgres: false };
    try {
      const pool = keep(new Pool({ connectionString: URL }));
      const { autoCheck } = require('../lib/probes');
      expect(autoCheck(pool, 'primary', 1000).description).toBe('pg check through the client');
      expect(() => probes.fromClient(pool)).toThrow(/needs libpq.*libpq-dev/);
    } finally {
      native.probeSupport = support;
    }
  });

  test("checks: { name: 'auto' } next to functions; a client of no family is a ConfigError naming it", () => {
    const pool = keep(new Pool({ connectionString: URL }));
    expect(() => new Orchestrator({ connections: { pool, other: {} }, healthCheck: { checks: { pool: 'auto', other: 'auto' } } }))
      .toThrow(/healthCheck\.checks 'auto' for connection "other": no client family recognises it \(received an object\)/);
    const db = new Orchestrator({ connections: { pool, other: {} }, healthCheck: { checks: { pool: 'auto', other: async () => true } } });
    return db.disconnect();
  });
});

describe('closing through the family', () => {
  test('Knex and Kysely close with destroy(), Drizzle closes its $client, postgres.js with end({ timeout })', async () => {
    const calls = [];
    const spy = (obj, method, label) => {
      const real = obj[method].bind(obj);
      obj[method] = (...args) => { calls.push([label, ...args]); return real(...args); };
    };
    const k = knex({ client: 'pg', connection: URL });
    spy(k.client, 'destroy', 'knex.destroy'); // knex.destroy() is read-only; it calls its client's
    const ky = new Kysely({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: URL }) }) });
    spy(ky, 'destroy', 'kysely.destroy');
    const pool = new Pool({ connectionString: URL });
    spy(pool, 'end', 'pool.end');
    const sql = postgres(URL);
    spy(sql, 'end', 'sql.end');
    const d = drizzle(pool);
    await Promise.all([[k, 'k'], [ky, 'ky'], [d, 'd'], [sql, 's']].map(([c, n]) => closeClient(n, c, 1000, (e) => calls.push(['error', e]))));
    expect(calls).toEqual(expect.arrayContaining([['knex.destroy', undefined], ['kysely.destroy'], ['pool.end'], ['sql.end', { timeout: 0.5 }]]));
    expect(calls).toHaveLength(4);
  });
});

describe('classification: the caller\'s fault leaves the circuit alone, connection errors retry', () => {
  const caller = [
    ['pg syntax error 42601', pgError('42601')],
    ['pg missing table 42P01', pgError('42P01')],
    ['pg bad data 22P02', pgError('22P02')],
    ['pg unique violation 23505', pgError('23505')],
    ['postgres.js PostgresError 23505', Object.assign(new postgres.PostgresError({ message: 'dup', code: '23505', severity: 'ERROR' }))],
    ['postgres.js UNDEFINED_VALUE', Object.assign(new Error('UNDEFINED_VALUE: Undefined values are not allowed'), { code: 'UNDEFINED_VALUE' })],
    ['Drizzle wrapping 42601', new DrizzleQueryError('selec 1', [], pgError('42601'))],
    ['Kysely NoResultError', new NoResultError({ kind: 'SelectQueryNode' })],
    ['Prisma P2002 (model create)', prismaError('P2002', { kind: 'UniqueConstraintViolation', originalCode: '23505' })],
    ['Prisma P2010 with 42601', prismaError('P2010', { kind: 'postgres', code: '42601', originalCode: '42601' })],
    ['Prisma P2010 with 42P01', prismaError('P2010', { kind: 'TableDoesNotExist', originalCode: '42P01' })],
    ['Prisma 6 P2010 with meta.code', new PrismaClientKnownRequestError('Raw query failed', { code: 'P2010', clientVersion: '6.0.0', meta: { code: '22P02' } })],
  ];
  const connection = [
    ['pg 57P01 admin shutdown', pgError('57P01', 'terminating connection due to administrator command', 'FATAL')],
    ['pg 08006', pgError('08006')],
    ['pg 53300 too many connections', pgError('53300')],
    ['pg "Connection terminated unexpectedly"', new Error('Connection terminated unexpectedly')],
    ['pg-pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
    ['postgres.js CONNECTION_CLOSED', Object.assign(new Error('write CONNECTION_CLOSED db:5432'), { code: 'CONNECTION_CLOSED' })],
    ['postgres.js CONNECTION_DESTROYED', Object.assign(new Error('write CONNECTION_DESTROYED db:5432'), { code: 'CONNECTION_DESTROYED' })],
    ['postgres.js CONNECT_TIMEOUT', Object.assign(new Error('write CONNECT_TIMEOUT db:5432'), { code: 'CONNECT_TIMEOUT' })],
    ['Drizzle wrapping a terminated connection', new DrizzleQueryError('select 1', [], new Error('Connection terminated unexpectedly'))],
    ['Drizzle wrapping CONNECTION_CLOSED', new DrizzleQueryError('select 1', [], Object.assign(new Error('closed'), { code: 'CONNECTION_CLOSED' }))],
    ['Knex pool timeout', new knex.KnexTimeoutError('Knex: Timeout acquiring a connection. The pool is probably full.')],
    ['Prisma P1001', new PrismaClientInitializationError("Can't reach database server", '7.0.0', 'P1001')],
    ['Prisma P1017', new PrismaClientKnownRequestError('Server has closed the connection.', { code: 'P1017', clientVersion: '7.0.0' })],
    ['Prisma P2010 with 57P01 (server killed)', prismaError('P2010', { kind: 'postgres', code: '57P01', originalCode: '57P01' })],
    ['Prisma P2010 DatabaseNotReachable', prismaError('P2010', { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 1 })],
  ];
  test.each(caller)('%s: not a failure, not a connection error', (_, error) => {
    expect(classifyError(error)).toBe('caller');
    expect(defaultIsFailure(error)).toBe(false);
    expect(isConnectionError(error)).toBe(false);
  });
  test.each(connection)('%s: a failure and a connection error', (_, error) => {
    expect(classifyError(error)).toBe('connection');
    expect(defaultIsFailure(error)).toBe(true);
    expect(isConnectionError(error)).toBe(true);
  });
  test('what no family knows counts, and is no connection error', () => {
    for (const error of [new Error('boom'), pgError('40001'), prismaError('P2010', { kind: 'postgres', code: '40P01' })]) {
      expect(classifyError(error)).toBeNull();
      expect(defaultIsFailure(error)).toBe(true);
      expect(isConnectionError(error)).toBe(false);
    }
  });
});

describe("'error' on EventEmitter clients while connected", () => {
  test("an idle pg Pool's error becomes an 'error' event (context 'client') and an immediate check; the user's listener still runs; removed at disconnect", async () => {
    const pool = new Pool({ connectionString: URL });
    const mine = [];
    pool.on('error', (e) => mine.push(e.message));
    let checks = 0;
    let answer = true;
    const db = new Orchestrator({
      connections: { primary: pool, replica: { end() {} } },
      failover: { primary: 'replica' },
      healthCheck: { interval: '1h', checks: { primary: async () => { checks++; return answer; }, replica: async () => true } },
    });
    const events = [];
    db.on('error', (e) => events.push(e));
    expect(pool.listenerCount('error')).toBe(1); // not before connect()
    await db.connect();
    expect(pool.listenerCount('error')).toBe(2);
    expect(checks).toBe(1);
    answer = false;
    const failedOver = new Promise((resolve) => db.once('failover', resolve));
    pool.emit('error', pgError('57P01', 'terminating connection due to administrator command', 'FATAL'));
    await failedOver; // the check it started found the primary down
    expect(checks).toBe(2);
    expect(mine).toEqual(['terminating connection due to administrator command']);
    // After the verdict of the check it started: that check's own error, then the client's.
    expect(events.map((e) => e.context)).toEqual(['health-check', 'client']);
    expect(events[1]).toMatchObject({ name: 'primary', context: 'client', message: 'terminating connection due to administrator command' });
    // Unhealthy already: more errors are reported, and start no more checks.
    pool.emit('error', new Error('Connection terminated unexpectedly'));
    await Promise.resolve();
    expect(checks).toBe(2);
    expect(events.filter((e) => e.context === 'client')).toHaveLength(2); // unhealthy: reported at once
    await db.disconnect();
    expect(pool.listenerCount('error')).toBe(1);
  });

  test("await once(db, 'failover') resolves when a client error and its check's failover come together (the 'error' event follows the verdict)", async () => {
    const pool = Object.assign(new EventEmitter(), { end() {} });
    let answer = true;
    const db = new Orchestrator({
      connections: { primary: pool, replica: { end() {} } },
      failover: { primary: 'replica' },
      healthCheck: { interval: '1h', checks: { primary: async () => answer, replica: async () => true } },
    });
    const order = [];
    db.on('failover', () => order.push('failover'));
    db.on('error', (e) => order.push(`error:${e.context}`));
    await db.connect();
    answer = false;
    const failedOver = once(db, 'failover'); // rejects on an 'error' event that comes first
    pool.emit('error', new Error('terminating connection due to administrator command'));
    expect(order).toEqual([]); // held until the check it starts has its verdict
    await expect(failedOver).resolves.toEqual([expect.objectContaining({ primary: 'primary', backup: 'replica' })]);
    expect(order).toEqual(['failover', 'error:health-check', 'error:client']);
    await db.disconnect();
  });

  test('a client error held for a verdict is still reported when disconnect() comes first', async () => {
    const pool = Object.assign(new EventEmitter(), { end() {} });
    const next = { hang: false };
    const db = new Orchestrator({
      connections: { primary: pool },
      closeTimeout: '1s',
      healthCheck: { interval: '1h', timeout: '1h', checks: { primary: () => (next.hang ? new Promise(() => {}) : true) } },
    });
    const errors = [];
    db.on('error', (e) => errors.push(e.context));
    await db.connect();
    next.hang = true; // the next check hangs: no verdict before disconnect()
    pool.emit('error', new Error('lost'));
    await Promise.resolve();
    expect(errors).toEqual([]);
    await db.disconnect();
    expect(errors).toEqual(['client']);
  });

  test('with no listener of its own, a client error is no uncaught exception; Drizzle listens on its $client', async () => {
    const pool = new Pool({ connectionString: URL });
    const d = drizzle(pool);
    expect(emittersOf(d)).toEqual([pool]);
    const db = new Orchestrator({ connections: { primary: d } });
    await db.connect();
    expect(() => pool.emit('error', new Error('idle client lost'))).not.toThrow();
    await db.disconnect();
    expect(pool.listenerCount('error')).toBe(0);
    expect(() => pool.emit('error', new Error('after'))).toThrow('after'); // ours is gone
  });

  test('a client shared by two connections gets one listener, and both are checked', async () => {
    const shared = Object.assign(new EventEmitter(), { end() {} });
    const checked = [];
    const db = new Orchestrator({
      connections: { a: shared, b: shared },
      healthCheck: { interval: '1h', checks: { a: async () => { checked.push('a'); return true; }, b: async () => { checked.push('b'); return true; } } },
    });
    await db.connect();
    expect(shared.listenerCount('error')).toBe(1);
    checked.length = 0;
    shared.emit('error', new Error('x'));
    expect(checked).toEqual([]); // not inside the client's emit()
    await Promise.resolve();
    expect(checked.sort()).toEqual(['a', 'b']);
    await db.disconnect();
    expect(shared.listenerCount('error')).toBe(0);
  });

  test('an emitter whose on() or removeListener() throws connects and disconnects all the same', async () => {
    const hostile = { on() { throw new Error('on'); }, removeListener() { throw new Error('off'); }, emit() {}, end() {} };
    const half = Object.assign(new EventEmitter(), { end() {} });
    half.removeListener = () => { throw new Error('off'); };
    const db = new Orchestrator({ connections: { a: hostile, b: half } });
    await db.connect();
    expect(half.listenerCount('error')).toBe(1);
    await expect(db.disconnect()).resolves.toBeUndefined();
  });
});

describe('OMNIDB_NO_HEALTH_CHECK', () => {
  test('connect() warns once about failover connections without a check', async () => {
    const warnings = [];
    const onWarning = (w) => { if (w.code === 'OMNIDB_NO_HEALTH_CHECK') warnings.push(w.message); };
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation((message, options) => onWarning({ message, code: options && options.code }));
    try {
      const config = () => ({ connections: { main: {}, spare: {}, alone: {} }, failover: { main: 'spare' }, healthCheck: { interval: '1h', checks: { spare: async () => true } } });
      const db = new Orchestrator(config());
      await db.connect();
      await db.connect();
      await db.disconnect();
      const again = new Orchestrator(config());
      await again.connect();
      await again.disconnect();
      expect(warnings).toEqual([expect.stringContaining('"main" takes part in failover but has no health check')]);
      const checked = new Orchestrator({ connections: { x: {}, y: {} }, failover: { x: 'y' }, healthCheck: { interval: '1h', checks: { x: async () => true, y: async () => true } } });
      await checked.connect();
      await checked.disconnect();
      expect(warnings).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });
});
