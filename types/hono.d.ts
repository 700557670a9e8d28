// Type definitions for omnidb/hono: the Hono integration. `c.var.db` is typed through
// OmniDbEnv: `new Hono<OmniDbEnv<typeof db>>()`.

import type { Context, ErrorHandler, MiddlewareHandler } from 'hono';
import type { Orchestrator, ReadinessOptions, ErrorMappingOptions, ConnectionName } from './index';

/** The Hono env whose variables hold the orchestrator (`c.var.db` by default). */
export type OmniDbEnv<D extends Orchestrator<any> = Orchestrator<any>, P extends string = 'db'> = {
  Variables: { [K in P]: D };
};

/** Options of {@link middleware}. */
export interface MiddlewareOptions {
  /** Default `'db'` (`c.var.db`, `c.get('db')`). */
  property?: string;
}

/** `app.use(middleware(db))`: the orchestrator as `c.var.db` on every request. */
export declare function middleware<T extends Record<string, any>>(
  db: Orchestrator<T>,
  options?: MiddlewareOptions,
): MiddlewareHandler<OmniDbEnv<Orchestrator<T>>>;

/** A route handler: 200 `{ status: 'ok', connections }`, or 503 `{ status: 'unavailable', connections }`. */
export declare function readiness<T extends Record<string, any>>(
  db: Orchestrator<T>,
  options?: ReadinessOptions<ConnectionName<T>>,
): (c: Context) => Response;

/** Options of {@link errorHandler}. */
export interface ErrorHandlerOptions extends ErrorMappingOptions {
  /** Handles every other error. Default: Hono's own (HTTPException's response, else a logged 500). */
  fallback?: ErrorHandler<any>;
}

/**
 * `app.onError(errorHandler(db))`: open circuit → 503 + Retry-After + JSON naming the
 * connection, timeout → 504; any other error goes to `fallback` unchanged.
 */
export declare function errorHandler(db: Orchestrator<any>, options?: ErrorHandlerOptions): ErrorHandler<any>;

export { readinessReport, ReadinessReport, ReadinessOptions, ErrorMappingOptions, CircuitOpenBody, TimeoutBody } from './index';
