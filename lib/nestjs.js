'use strict';
// NestJS integration (`require('omnidb/nestjs')`): a global dynamic module that
// provides one Orchestrator, connects it on module init and disconnects it on
// application shutdown, an injection token and decorator, and a health indicator for
// @nestjs/terminus. Plain JS, no decorator syntax: Nest's decorators are applied as
// functions, so there is no build step. @nestjs/common and reflect-metadata are
// required here; @nestjs/terminus only when isHealthy() runs.

require('reflect-metadata');
const { Global, Module, Inject, Injectable } = require('@nestjs/common');
const { Orchestrator } = require('./orchestrator');
const { ConfigError } = require('./errors');
const { readinessReport, validateReadinessOptions } = require('./express');

/** The injection token of the Orchestrator that OmniDbModule provides. */
const OMNIDB_ORCHESTRATOR = 'OMNIDB_ORCHESTRATOR';

/** Parameter decorator: injects the module's Orchestrator (`InjectOmniDb()(Cls, undefined, 0)` in plain JS). */
function InjectOmniDb() {
  return Inject(OMNIDB_ORCHESTRATOR);
}

function isOrchestrator(value) {
  return value !== null && typeof value === 'object' && typeof value.execute === 'function' &&
    typeof value.getStats === 'function' && typeof value.connect === 'function' && typeof value.disconnect === 'function';
}

/** An Orchestrator as is, or a new one built from a config object. */
function toOrchestrator(value, where) {
  if (isOrchestrator(value)) return value;
  if (value === null || typeof value !== 'object') {
    throw new ConfigError(`${where}: expected an Orchestrator config or an Orchestrator, received ${value === null ? 'null' : typeof value}`);
  }
  return new Orchestrator(value);
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
    const { ready, unavailable, connections } = readinessReport(this.db, opts);
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
      providers: [provider, OmniDbHealthIndicator],
      exports: [OMNIDB_ORCHESTRATOR, OmniDbHealthIndicator],
    };
  }
}
InjectOmniDb()(OmniDbModule, undefined, 0);
Global()(OmniDbModule);
Module({})(OmniDbModule);

module.exports = { OmniDbModule, OmniDbHealthIndicator, InjectOmniDb, OMNIDB_ORCHESTRATOR };
