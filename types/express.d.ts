// Type definitions for omnidb/express: the Express (and plain node:http) integration,
// also exported from the package root.
export {
  middleware, readiness, errorHandler, readinessReport,
  MiddlewareOptions, ReadinessOptions, ReadinessBody, ReadinessConnection, ReadinessReport,
  ErrorMappingOptions, CircuitOpenBody, TimeoutBody,
} from './index';
