'use strict';
// Closing the user's clients, and the signal handlers of shutdownOnSignal().
//
// Whatever a client's close does (a getter that throws, a revoked Proxy, a close
// that throws, rejects or never finishes), closing it resolves: a failure becomes
// an 'error' event (context 'disconnect'), a hang is cut at closeTimeout.
const { OmniDbError } = require('./errors');
const { describe } = require('./validate');

const { familyOf, emittersOf } = require('./clients');
const generic = require('./clients/generic');

/**
 * Closes `client` the way its family closes (lib/clients/), bounded by `timeoutMs`;
 * when that graceful close fails or runs out of time and the family has a forced
 * close (Redis disconnect()), that runs next, bounded the same way; only its failure
 * is then reported. Resolves always.
 * Reading the client is part of closing: a getter that throws, a Proxy whose traps
 * throw or a revoked Proxy is a failed close, reported through `onError(error)`.
 */
async function closeClient(name, client, timeoutMs, onError) {
  const report = (error) => {
    try {
      onError(error);
    } catch {
      // reporting must not make disconnect() reject
    }
  };
  try {
    if (client === null || (typeof client !== 'object' && typeof client !== 'function')) return;
    const family = familyOf(client);
    let how;
    let close;
    if (family !== generic && typeof family.close === 'function') {
      how = `its ${family.name} close`;
      close = () => family.close(client, { timeoutMs });
    } else {
      const found = generic.closeMethodOf(client);
      if (found === null) return;
      how = `${found[0]}()`;
      close = () => Reflect.apply(found[1], client, []);
    }
    const error = await bounded(close, timeoutMs, `Closing "${name}" with ${how} did not finish within ${timeoutMs}ms`);
    if (error === CLOSED) return;
    if (typeof family.forceClose !== 'function') {
      report(error);
      return;
    }
    const forced = await bounded(() => family.forceClose(client, { timeoutMs }), timeoutMs,
      `Closing "${name}" by force (${family.name}) did not finish within ${timeoutMs}ms`);
    if (forced !== CLOSED) report(forced); // closed by force: the graceful failure was expected
  } catch (error) {
    report(error);
  }
}

// Runs `fn` (sync or async) bounded by `ms`: resolves CLOSED when it finished, else
// what it threw (anything, null included) or a timeout naming what did not finish.
const CLOSED = Symbol('closed');
async function bounded(fn, ms, message) {
  let timer = null;
  try {
    const running = Promise.resolve().then(fn);
    const limit = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new OmniDbError(message, 'OMNIDB_TIMEOUT')), ms);
    });
    await Promise.race([running, limit]);
    return CLOSED;
  } catch (error) {
    return error;
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}

/**
 * While connected, an 'error' listener on every client that is an EventEmitter (pg
 * Pool, ioredis, node-redis, mysql2...; a Drizzle db's `$client`): an idle client's
 * error (a killed server) then reaches `onError(ids, error)` (the connections that
 * client serves) instead of being thrown as an uncaught 'error' event. Listeners the
 * user added keep working: this is one more listener, not a replacement. Returns the
 * function that removes every listener added.
 */
function watchClientErrors(clients, onError) {
  const served = new Map(); // emitter -> ids of the connections it serves
  clients.forEach((client, id) => {
    for (const emitter of emittersOf(client)) {
      const ids = served.get(emitter);
      if (ids === undefined) served.set(emitter, [id]);
      else if (!ids.includes(id)) ids.push(id);
    }
  });
  const attached = [];
  for (const [emitter, ids] of served) {
    const listener = (error) => {
      try {
        onError(ids, error);
      } catch {
        // reporting must never turn the client's error into a throw inside its emit()
      }
    };
    try {
      emitter.on('error', listener);
      attached.push([emitter, listener]);
    } catch {
      // an emitter whose on() throws: nothing attached, nothing to remove
    }
  }
  return () => {
    for (const [emitter, listener] of attached.splice(0)) {
      try {
        emitter.removeListener('error', listener);
      } catch {
        // as above
      }
    }
  };
}

/**
 * The connections that take part in failover (a primary with backups, or a backup)
 * and have no health check: nothing will ever find them down. One message for all,
 * or null.
 */
function uncheckedFailoverMessage(names, backups, hasCheck) {
  const involved = new Set();
  backups.forEach((list, id) => {
    if (list.length === 0) return;
    involved.add(id);
    for (const b of list) involved.add(b);
  });
  const unchecked = [...involved].filter((id) => !hasCheck[id]).sort((a, b) => a - b).map((id) => `"${names[id]}"`);
  if (unchecked.length === 0) return null;
  return `OmniDB: ${unchecked.join(', ')} ${unchecked.length === 1 ? 'takes' : 'take'} part in failover but ` +
    `${unchecked.length === 1 ? 'has' : 'have'} no health check, so ${unchecked.length === 1 ? 'it is' : 'they are'} never checked: ` +
    'only call failures open a circuit, and nothing sees a server come back. Add healthCheck.checks (\'auto\' derives one from each client).';
}

/**
 * Validated shutdownOnSignal() options, defaults filled in.
 * @returns {{ signals: string[], exitCode: number, exitProcess: boolean }}
 */
function signalOptions(options) {
  if (options === null || typeof options !== 'object') {
    throw new OmniDbError(`Invalid shutdownOnSignal() options: expected an object but received ${describe(options)}`, 'OMNIDB_INVALID_ARGUMENT');
  }
  const { signals = ['SIGTERM', 'SIGINT'], exitCode = 0, exitProcess = true } = options;
  if (!Array.isArray(signals) || signals.length === 0 || !signals.every((s) => typeof s === 'string' && /^SIG[A-Z0-9]+$/.test(s))) {
    throw new OmniDbError(`Invalid shutdownOnSignal() signals: expected a non-empty array such as ['SIGTERM', 'SIGINT'] but received ${describe(signals)}`, 'OMNIDB_INVALID_ARGUMENT');
  }
  if (!Number.isInteger(exitCode)) {
    throw new OmniDbError(`Invalid shutdownOnSignal() exitCode: expected an integer but received ${describe(exitCode)}`, 'OMNIDB_INVALID_ARGUMENT');
  }
  if (typeof exitProcess !== 'boolean') {
    throw new OmniDbError(`Invalid shutdownOnSignal() exitProcess: expected a boolean but received ${describe(exitProcess)}`, 'OMNIDB_INVALID_ARGUMENT');
  }
  return { signals: signals.slice(), exitCode, exitProcess };
}

/**
 * Registers one handler for `signals` that runs `shutdown(signal)` once (concurrent
 * signals share it) and returns its promise. Returns the function that removes it.
 */
function onSignals(signals, shutdown) {
  let running = null;
  const handler = (signal) => {
    if (running === null) running = shutdown(signal);
    return running;
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.removeListener(s, handler);
  };
}

module.exports = {
  closeClient, signalOptions, onSignals, watchClientErrors, uncheckedFailoverMessage, CLOSE_METHODS: generic.CLOSE_METHODS,
};
