'use strict';
// Registry: named clients in a Map, as omni-db exports it. The Orchestrator keeps
// its connections in its own tables; this is for code that stores clients by name
// itself. Any string but an empty or blank one is a name ('__proto__' included).
const { OmniDbError } = require('./errors');
const { describe } = require('./options');

class Registry {
  #clients = new Map();

  /**
   * Stores `client` under `name`, replacing any client already there (as Map#set
   * does). Throws OmniDbError `OMNIDB_INVALID_ARGUMENT` ('Name must be a non-empty
   * string', 'Client must not be null or undefined').
   * @param {string} name
   * @param {unknown} client
   * @returns {this}
   */
  register(name, client) {
    if (typeof name !== 'string' || name.trim() === '') {
      throw new OmniDbError(`Name must be a non-empty string, but received ${describe(name)}`, 'OMNIDB_INVALID_ARGUMENT');
    }
    if (client === null || client === undefined) {
      throw new OmniDbError(`Client must not be null or undefined: the client for "${name}" is ${describe(client)}`,
        'OMNIDB_INVALID_ARGUMENT');
    }
    this.#clients.set(name, client);
    return this;
  }

  /** The client registered under `name`, or undefined. */
  get(name) {
    return this.#clients.get(name);
  }

  /** Whether a client is registered under `name`. */
  has(name) {
    return this.#clients.has(name);
  }

  /** The registered names, in registration order. */
  list() {
    return [...this.#clients.keys()];
  }

  /** How many clients are registered. */
  get size() {
    return this.#clients.size;
  }

  /** Removes `name`; true when it was registered. */
  delete(name) {
    return this.#clients.delete(name);
  }

  /** Removes every client. */
  clear() {
    this.#clients.clear();
  }

  /** [name, client] pairs, in registration order. */
  entries() {
    return this.#clients.entries();
  }

  /** `for (const [name, client] of registry)`: the same pairs as entries(). */
  [Symbol.iterator]() {
    return this.#clients.entries();
  }
}

module.exports = { Registry };
