'use strict';
// Closing the user's clients, and the signal handlers of shutdownOnSignal().
//
// Whatever a client's close does (a getter that throws, a revoked Proxy, a close
// that throws, rejects or never finishes), closing it resolves: a failure becomes
// an 'error' event (context 'disconnect'), a hang is cut at closeTimeout.
const { OmniDbError } = require('./errors');
const { describe } = require('./validate');

const { familyOf } = require('./clients');
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
      close = () => family.close(client);
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
    const forced = await bounded(() => family.forceClose(client), timeoutMs,
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

module.exports = { closeClient, signalOptions, onSignals, CLOSE_METHODS: generic.CLOSE_METHODS };
