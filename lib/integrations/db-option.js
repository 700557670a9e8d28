'use strict';
// Integrations that own the orchestrator's lifecycle (NestJS module, Fastify plugin)
// take either an Orchestrator or the config to build one from; every integration that
// puts the orchestrator on a request takes the property name to put it under.

const { ConfigError } = require('../errors');
const { describe } = require('../safe');

function isOrchestrator(value) {
  return value !== null && typeof value === 'object' && typeof value.execute === 'function' &&
    typeof value.getStats === 'function' && typeof value.connect === 'function' && typeof value.disconnect === 'function';
}

/** An Orchestrator as is, or a new one built from a config object. */
function toOrchestrator(value, where) {
  if (isOrchestrator(value)) return value;
  if (value === null || typeof value !== 'object') {
    throw new ConfigError(`${where}: expected an Orchestrator config or an Orchestrator, received ${describe(value)}`);
  }
  const { Orchestrator } = require('../orchestrator'); // lazily: orchestrator.js is not needed to map errors
  return new Orchestrator(value);
}

/** A `property` option checked once: a non-empty string. */
function propertyOption(property, fn) {
  if (typeof property !== 'string' || property === '') {
    throw new ConfigError(`${fn}: property must be a non-empty string, received ${describe(property)}`);
  }
  return property;
}

module.exports = { isOrchestrator, toOrchestrator, propertyOption };
