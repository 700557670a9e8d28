'use strict';
/** omnidb: health checks, circuit breaking and failover for the database clients you already have. */
const { Orchestrator } = require('./orchestrator');
const { ManualClock } = require('./clock');
const { CircuitBreaker } = require('./circuit-breaker');
const { Registry } = require('./registry');
const { parseDuration: parse } = require('./options');
const { defaultIsFailure, isConnectionError } = require('./classify');
const errors = require('./errors');
const { probes } = require('./probes');
const { middleware, readiness, errorHandler } = require('./integrations/express');
const { readinessReport } = require('./integrations/readiness');

/**
 * Milliseconds from '250ms', '30s', '5m', '1h' or a number of milliseconds.
 * Throws ConfigError naming the value when it is not a positive duration.
 */
function parseDuration(value) {
  return parse(value);
}

module.exports = {
  Orchestrator,
  CircuitBreaker,
  Registry,
  ManualClock,
  parseDuration,
  defaultIsFailure,
  isConnectionError,
  probes,
  middleware,
  readiness,
  errorHandler,
  readinessReport,
  ...errors,
};
