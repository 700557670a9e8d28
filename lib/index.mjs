// ESM entry: the same objects as the CommonJS build, so instanceof agrees across both.
import omnidb from './index.js';

export const {
  Orchestrator, CircuitBreaker, Registry, ManualClock, parseDuration, defaultIsFailure, isConnectionError, probes, middleware, readiness, errorHandler, readinessReport,
  OmniDbError, ConfigError, CircuitOpenError, TimeoutError, UnknownConnectionError,
} = omnidb;
export default omnidb;
