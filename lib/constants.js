'use strict';
// Numbers shared with the C++ core. They mirror the enums in src/core/orchestrator.h,
// src/core/circuit_breaker.h and src/core/health.h; test/constants.test.js checks they agree.

const Slot = Object.freeze({ ROUTE: 0, CIRCUIT: 1, HEALTH: 2, FAILURES: 3, COUNT: 4 });

const Circuit = Object.freeze({ CLOSED: 0, OPEN: 1, HALF_OPEN: 2 });
const CIRCUIT_NAMES = Object.freeze(['closed', 'open', 'half-open']);

const HEALTH_NAMES = Object.freeze(['healthy', 'degraded', 'unhealthy']);
const Outcome = Object.freeze({ HEALTHY: 0, DEGRADED: 1, FAILED: 2 });


// Index = CircuitReason in the core.
const REASONS = Object.freeze([
  null, 'failure-threshold', 'half-open-failure', 'health-check-failed', 'reset-timeout',
  'half-open-success', 'health-recovered', 'external', 'manual',
]);

// The slots a standalone CircuitBreaker's binding publishes after every call
// (binding/native_circuit_breaker.h mirrors these).
const BreakerSlot = Object.freeze({ STATE: 0, FAILURES: 1, GENERATION: 2, TRIALS: 3, COUNT: 4 });

const EventType = Object.freeze({
  HEALTH_CHANGED: 1, CIRCUIT_OPEN: 2, CIRCUIT_HALF_OPEN: 3, CIRCUIT_CLOSE: 4,
  FAILOVER: 5, RECOVERY: 6, CHECK_START: 7, CHECK_ABORT: 8,
});

module.exports = { Slot, BreakerSlot, Circuit, CIRCUIT_NAMES, HEALTH_NAMES, Outcome, REASONS, EventType };
