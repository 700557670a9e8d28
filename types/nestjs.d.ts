// Type definitions for omnidb/nestjs (NestJS integration).
//
// Peer dependencies (optional for omnidb itself): @nestjs/common, @nestjs/core,
// reflect-metadata, rxjs, and @nestjs/terminus for OmniDbHealthIndicator.

import type { DynamicModule, ModuleMetadata, InjectionToken, OptionalFactoryDependency, ExceptionFilter, ArgumentsHost } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { Orchestrator, OrchestratorConfig, ReadinessConnection, ErrorMappingOptions, CircuitOpenError, TimeoutError } from './index';

/** The injection token of the Orchestrator that {@link OmniDbModule} provides. */
export declare const OMNIDB_ORCHESTRATOR: 'OMNIDB_ORCHESTRATOR';

/**
 * Parameter decorator injecting the module's Orchestrator:
 * `constructor(@InjectOmniDb() private readonly db: Orchestrator<Connections>) {}`.
 * In plain JS: `InjectOmniDb()(MyService, undefined, 0)`.
 */
export declare function InjectOmniDb(): PropertyDecorator & ParameterDecorator;

/** What `forRoot()` takes and `forRootAsync()`'s factory returns: a config, or an Orchestrator you built. */
export type OmniDbModuleConfig<T extends Record<string, any> = Record<string, any>> =
  OrchestratorConfig<T> | Orchestrator<T>;

/** Options of {@link OmniDbModule.forRootAsync}. */
export interface OmniDbModuleAsyncOptions<T extends Record<string, any> = Record<string, any>> {
  /** Modules exporting the providers `inject` names. */
  imports?: ModuleMetadata['imports'];
  /** Tokens whose values are passed to `useFactory`, in order. */
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useFactory: (...args: any[]) => OmniDbModuleConfig<T> | Promise<OmniDbModuleConfig<T>>;
}

/**
 * A global module providing one Orchestrator ({@link OMNIDB_ORCHESTRATOR},
 * {@link InjectOmniDb}) and {@link OmniDbHealthIndicator}. The orchestrator connects in
 * `onModuleInit` and disconnects in `onApplicationShutdown` (`app.close()`, or a signal
 * once `app.enableShutdownHooks()` was called). Config errors throw `ConfigError`.
 * @example
 * \@Module({ imports: [OmniDbModule.forRoot({ connections: { primary: pool } })] })
 * export class AppModule {}
 */
export declare class OmniDbModule {
  static forRoot<T extends Record<string, any>>(config: OmniDbModuleConfig<T>): DynamicModule;
  static forRootAsync<T extends Record<string, any>>(options: OmniDbModuleAsyncOptions<T>): DynamicModule;
  onModuleInit(): Promise<void>;
  onApplicationShutdown(): Promise<void>;
}

/** Options of {@link OmniDbHealthIndicator.isHealthy}. */
export interface OmniDbHealthOptions {
  /** Connections that must be available (default: all); unknown names throw `ConfigError`. */
  require?: readonly string[];
}

/** What {@link OmniDbHealthIndicator.isHealthy} resolves to: a terminus `HealthIndicatorResult`. */
export type OmniDbHealthResult<Key extends string = string> = {
  [K in Key]: {
    status: 'up' | 'down';
    /** `{ status, circuit, failoverTo }` per connection. */
    connections: Record<string, ReadinessConnection>;
    /** With `'down'`: the required connections that nothing serves. */
    unavailable?: string[];
  };
};

/**
 * A @nestjs/terminus health indicator. Down when a required connection (default: all)
 * is unhealthy or has an open circuit and no backup serves it.
 * @example
 * \@Get('health') \@HealthCheck()
 * check() { return this.health.check([() => this.omnidb.isHealthy('database')]); }
 */
export declare class OmniDbHealthIndicator {
  constructor(db: Orchestrator<any>);
  /**
   * Resolves `{ [key]: { status: 'up', connections } }`; when down, resolves with
   * `status: 'down'` (terminus 11, which turns it into a 503) or throws terminus's
   * `HealthCheckError` carrying that result (terminus 10). `key` defaults to `'omnidb'`.
   */
  isHealthy<const Key extends string = 'omnidb'>(key?: Key, options?: OmniDbHealthOptions): Promise<OmniDbHealthResult<Key>>;
}

/**
 * An exception filter for `CircuitOpenError` and `TimeoutError` (every other exception
 * reaches your filters or Nest's own handling untouched): an open circuit answers 503
 * with `Retry-After` and a `CircuitOpenBody`, a timeout 504. Provided by
 * {@link OmniDbModule}; writes through Nest's HTTP adapter (Express or Fastify).
 * @example
 * app.useGlobalFilters(app.get(OmniDbExceptionFilter));
 * // or in a module: providers: [{ provide: APP_FILTER, useExisting: OmniDbExceptionFilter }]
 */
export declare class OmniDbExceptionFilter implements ExceptionFilter<CircuitOpenError | TimeoutError> {
  constructor(db: Orchestrator<any>, adapterHost: HttpAdapterHost, options?: ErrorMappingOptions);
  catch(exception: CircuitOpenError | TimeoutError, host: ArgumentsHost): void;
}
