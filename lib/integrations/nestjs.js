'use strict';
// NestJS integration (`require('omnidb/nestjs')`): a global dynamic module that
// provides one Orchestrator, connects it on module init and disconnects it on
// application shutdown, an injection token and decorator, and a health indicator for
// @nestjs/terminus, and an exception filter mapping OmniDB errors to 503/504. Plain
// JS, no decorator syntax: Nest's decorators are applied as functions, so there is no
// build step. @nestjs/common, @nestjs/core and reflect-metadata are required here;
// @nestjs/terminus only when isHealthy() runs.

require('reflect-metadata');
const { Global, Module, Inject, Injectable, Catch } = require('@nestjs/common');
const { HttpAdapterHost } = require('@nestjs/core');
const { ConfigError, CircuitOpenError, TimeoutError } = require('../errors');
const { verdict, validateReadinessOptions } = require('./readiness');
const { errorMappingOptions, httpError } = require('./http-errors');
const { toOrchestrator } = require('./db-option');

/** The injection token of the Orchestrator that OmniDbModule provides. */
const OMNIDB_ORCHESTRATOR = 'OMNIDB_ORCHESTRATOR';

/** Parameter decorator: injects the module's Orchestrator (`InjectOmniDb()(Cls, undefined, 0)` in plain JS). */
function InjectOmniDb() {
  return Inject(OMNIDB_ORCHESTRATOR);
}

let terminus;
function loadTerminus() {
  if (terminus === undefined) {
    try {
      terminus = require('@nestjs/terminus');
    } catch (err) {
      throw new ConfigError(`OmniDbHealthIndicator needs @nestjs/terminus: npm install @nestjs/terminus (${err.message.split('\n')[0]})`);
    }
  }
  return terminus;
}

/**
 * A @nestjs/terminus health indicator. `isHealthy(key, { require })` resolves with
 * `{ [key]: { status: 'up', connections } }`, or, when a required connection (default:
 * all) is unhealthy or has an open circuit with no backup serving it, with
 * `{ [key]: { status: 'down', connections, unavailable } }` (terminus 11, through its
 * HealthIndicatorService) or throws a HealthCheckError carrying that result (terminus 10).
 * `connections` holds `{ status, circuit, failoverTo }` per connection.
 */
class OmniDbHealthIndicator {
  constructor(db) {
    this.db = db;
  }

  async isHealthy(key = 'omnidb', options = {}) {
    const opts = validateReadinessOptions(this.db, options, 'OmniDbHealthIndicator.isHealthy(key, options)');
    const { ready, unavailable, connections } = verdict(this.db, opts);
    const data = ready ? { connections } : { connections, unavailable };
    const t = loadTerminus();
    if (typeof t.HealthIndicatorService === 'function') {
      const session = new t.HealthIndicatorService().check(key);
      return ready ? session.up(data) : session.down(data);
    }
    const result = { [key]: { status: ready ? 'up' : 'down', ...data } };
    if (ready) return result;
    throw new t.HealthCheckError(`omnidb: unavailable: ${unavailable.join(', ')}`, result);
  }
}
Injectable()(OmniDbHealthIndicator);
InjectOmniDb()(OmniDbHealthIndicator, undefined, 0);

/**
 * An exception filter for CircuitOpenError and TimeoutError (every other exception
 * goes on to your filters or Nest's own handling, untouched): an open circuit answers
 * 503 with Retry-After and `{ error: 'circuit_open', code, connection, message,
 * retryAfter }`, a timeout 504. It writes through Nest's HTTP adapter, so Express and
 * Fastify platforms both work. OmniDbModule provides it:
 * `app.useGlobalFilters(app.get(OmniDbExceptionFilter))`, or
 * `{ provide: APP_FILTER, useExisting: OmniDbExceptionFilter }`.
 */
class OmniDbExceptionFilter {
  /** `options.retryAfter`: seconds to send when no reset deadline is due (default 5). */
  constructor(db, adapterHost, options) {
    this.db = db;
    this.adapterHost = adapterHost;
    this.options = errorMappingOptions(options, 'new OmniDbExceptionFilter(db, adapterHost, options)');
  }

  catch(exception, host) {
    const mapped = httpError(this.db, exception, this.options);
    const adapter = this.adapterHost ? this.adapterHost.httpAdapter : undefined;
    if (mapped === null || host.getType() !== 'http' || adapter === undefined) throw exception; // not ours: Nest handles it
    const res = host.switchToHttp().getResponse();
    for (const [name, value] of Object.entries(mapped.headers)) adapter.setHeader(res, name, value);
    adapter.reply(res, mapped.body, mapped.statusCode);
  }
}
Catch(CircuitOpenError, TimeoutError)(OmniDbExceptionFilter);
Injectable()(OmniDbExceptionFilter);
InjectOmniDb()(OmniDbExceptionFilter, undefined, 0);
Inject(HttpAdapterHost)(OmniDbExceptionFilter, undefined, 1);

/**
 * `OmniDbModule.forRoot(config)` / `.forRootAsync({ imports, inject, useFactory })`:
 * a global module providing the Orchestrator (token {@link OMNIDB_ORCHESTRATOR},
 * `@InjectOmniDb()`) and {@link OmniDbHealthIndicator}. `config` (or what `useFactory`
 * resolves to) is an Orchestrator config or an Orchestrator. The orchestrator connects
 * in `onModuleInit` (so before the app listens) and disconnects in
 * `onApplicationShutdown` (`app.close()`, or a signal with `app.enableShutdownHooks()`).
 */
class OmniDbModule {
  constructor(db) {
    this.db = db;
  }

  async onModuleInit() {
    await this.db.connect();
  }

  async onApplicationShutdown() {
    await this.db.disconnect();
  }

  static forRoot(config) {
    const db = toOrchestrator(config, 'OmniDbModule.forRoot(config)');
    return OmniDbModule.#dynamic([], { provide: OMNIDB_ORCHESTRATOR, useValue: db });
  }

  static forRootAsync(options) {
    if (options === null || typeof options !== 'object' || typeof options.useFactory !== 'function') {
      throw new ConfigError('OmniDbModule.forRootAsync(options): options.useFactory must be a function');
    }
    const { imports = [], inject = [], useFactory } = options;
    if (!Array.isArray(imports) || !Array.isArray(inject)) {
      throw new ConfigError('OmniDbModule.forRootAsync(options): imports and inject must be arrays');
    }
    return OmniDbModule.#dynamic(imports, {
      provide: OMNIDB_ORCHESTRATOR,
      useFactory: async (...args) => toOrchestrator(await useFactory(...args), 'OmniDbModule.forRootAsync: useFactory()'),
      inject,
    });
  }

  static #dynamic(imports, provider) {
    return {
      module: OmniDbModule,
      global: true,
      imports,
      providers: [provider, OmniDbHealthIndicator, OmniDbExceptionFilter],
      exports: [OMNIDB_ORCHESTRATOR, OmniDbHealthIndicator, OmniDbExceptionFilter],
    };
  }
}
InjectOmniDb()(OmniDbModule, undefined, 0);
Global()(OmniDbModule);
Module({})(OmniDbModule);

module.exports = { OmniDbModule, OmniDbHealthIndicator, OmniDbExceptionFilter, InjectOmniDb, OMNIDB_ORCHESTRATOR };
