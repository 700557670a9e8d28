'use strict';
// SQLSTATE codes (ISO SQL, as PostgreSQL reports them): what a code says about the
// server's health. Shared by the SQL families; not a family itself.

const SQLSTATE = /^[0-9A-Z]{5}$/;

// 22 data exception, 23 integrity constraint violation, 42 syntax error or access
// rule violation: the caller's own fault, the server answered.
const CALLER_CLASSES = new Set(['22', '23', '42']);

// admin_shutdown, crash_shutdown, cannot_connect_now (starting up, shutting down, in
// recovery), too_many_connections; class 08 is connection exception.
const CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', '53300']);

/** 'caller', 'connection' or null for a SQLSTATE `code` (anything else: null). */
function bySqlState(code) {
  if (typeof code !== 'string' || !SQLSTATE.test(code)) return null;
  const cls = code.slice(0, 2);
  if (CALLER_CLASSES.has(cls)) return 'caller';
  if (cls === '08' || CONNECTION_CODES.has(code)) return 'connection';
  return null;
}

module.exports = { bySqlState, SQLSTATE };
