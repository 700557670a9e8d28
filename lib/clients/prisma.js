'use strict';
// Prisma ORM 7 (with a driver adapter such as @prisma/adapter-pg; Prisma 5 and 6 too).
// Closed with $disconnect(); checked with `SELECT 1` through $queryRawUnsafe (the
// adapter's pool is private: no native probe). Its errors carry a Prisma code (P1xxx
// connection, P2xxx query) and, for what the database said, the driver adapter's
// cause (SQLSTATE and kind) in `meta`: a raw query that failed is P2010 whatever the
// reason, so the cause decides; a killed server gives P2010 with 57P01.
const { bySqlState } = require('./sqlstate');

// Can't reach the server, timed out reaching it, operations timed out, server closed
// the connection, timed out fetching a connection from the pool.
const CONNECTION_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
// The request was wrong: value too long, unique/foreign key/constraint violation,
// invalid value, null violation, missing required value or relation, record not found...
const CALLER_CODES = new Set([
  'P2000', 'P2002', 'P2003', 'P2004', 'P2005', 'P2006', 'P2007', 'P2009', 'P2011', 'P2012', 'P2013',
  'P2014', 'P2015', 'P2016', 'P2017', 'P2018', 'P2019', 'P2020', 'P2021', 'P2022', 'P2023', 'P2025', 'P2026',
]);
// Driver adapter error kinds (@prisma/driver-adapter-utils).
const CONNECTION_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TlsConnectionError']);
const CALLER_KINDS = new Set([
  'UniqueConstraintViolation', 'ForeignKeyConstraintViolation', 'NullConstraintViolation', 'RestrictViolation',
  'InvalidInputValue', 'ValueOutOfRange', 'LengthMismatch', 'TableDoesNotExist', 'ColumnNotFound',
  'UnsupportedNativeDataType',
]);

/** What a driver adapter's error cause ({ kind, code, originalCode }) says, or null. */
function byAdapterCause(cause) {
  if (cause === null || typeof cause !== 'object') return null;
  const { kind } = cause;
  if (CONNECTION_KINDS.has(kind)) return 'connection';
  if (CALLER_KINDS.has(kind)) return 'caller';
  return bySqlState(cause.originalCode) || bySqlState(cause.code);
}

function byMeta(meta) {
  if (meta === null || typeof meta !== 'object') return null;
  const adapter = meta.driverAdapterError;
  if (adapter !== null && typeof adapter === 'object') {
    const verdict = byAdapterCause(adapter.cause);
    if (verdict !== null) return verdict;
  }
  return bySqlState(meta.code); // Prisma 5/6 raw query errors: meta.code is the SQLSTATE
}

module.exports = {
  name: 'prisma',
  recognise(client) {
    return client !== null && typeof client === 'object' && typeof client.$disconnect === 'function' &&
      typeof client.$connect === 'function' && typeof client.$queryRawUnsafe === 'function';
  },
  close(client) {
    return client.$disconnect();
  },
  async check(client) {
    await client.$queryRawUnsafe('SELECT 1');
    return true;
  },
  classify(error) {
    if (error.name === 'DriverAdapterError') return byAdapterCause(error.cause);
    const code = typeof error.code === 'string' ? error.code : error.errorCode;
    if (typeof code !== 'string' || !/^P\d{4}$/.test(code)) return null;
    const verdict = byMeta(error.meta);
    if (verdict !== null) return verdict;
    if (CONNECTION_CODES.has(code)) return 'connection';
    if (CALLER_CODES.has(code)) return 'caller';
    return null;
  },
};
