// Type definitions for omnidb/koa: the Koa integration. `ctx.db` is typed through
// OmniDbContext: `new Koa<Koa.DefaultState, OmniDbContext<typeof db>>()`.

import type { Middleware, ParameterizedContext } from 'koa';
import type { Orchestrator, ReadinessOptions, ErrorMappingOptions, ConnectionName } from './index';

/** The context property the orchestrator is attached to (`ctx.db` by default). */
export type OmniDbContext<D extends Orchestrator<any> = Orchestrator<any>, P extends string = 'db'> = { [K in P]: D };

/** Options of {@link middleware}. */
export interface MiddlewareOptions {
  /** Default `'db'` (`ctx.db`). */
  property?: string;
}

/** `app.use(middleware(db))`: the orchestrator as `ctx.db` on every request. */
export declare function middleware<T extends Record<string, any>>(
  db: Orchestrator<T>,
  options?: MiddlewareOptions,
): Middleware<any, OmniDbContext<Orchestrator<T>>>;

/** A route handler: 200 `{ status: 'ok', connections }`, or 503 `{ status: 'unavailable', connections }`. */
export declare function readiness<T extends Record<string, any>>(
  db: Orchestrator<T>,
  options?: ReadinessOptions<ConnectionName<T>>,
): (ctx: ParameterizedContext<any, any>) => void;

/**
 * `app.use(errorHandler(db))` before the routes: open circuit → 503 + Retry-After + JSON
 * naming the connection, timeout → 504; any other error is rethrown unchanged.
 */
export declare function errorHandler(db: Orchestrator<any>, options?: ErrorMappingOptions): Middleware;

export { readinessReport, ReadinessReport, ReadinessOptions, ErrorMappingOptions, CircuitOpenBody, TimeoutBody } from './index';
