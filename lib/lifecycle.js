'use strict';
// Closing the user's clients, and the signal handlers of shutdownOnSignal().
//
// Whatever a client's close does (a getter that throws, a revoked Proxy, a close
// that throws, rejects or never finishes), closing it resolves: a failure becomes
// an 'error' event (context 'disconnect'), a hang is cut at closeTimeout.
const { OmniDbError } = require('./errors');
const { describe } = require('./validate');

// Close methods, in the order tried: the first one a client has is called.
const CLOSE_METHODS = ['end', 'close', 'quit', 'disconnect', 'destroy', '$disconnect'];

/**
 * Closes `client` with the first close method it has, bounded by `timeoutMs`.
 * Resolves always. Reading the methods is part of closing: a getter that throws, a
 * Proxy whose traps throw or a revoked Proxy is a failed close, reported through
 * `onError(error)`. The method is read once and called on its client.
 */
async function closeClient(name, client, timeoutMs, onError) {
  let timer = null;
  try {
    if (client === null || (typeof client !== 'object' && typeof client !== 'function')) return;
    let method;
    let close;
    for (const m of CLOSE_METHODS) {
      const value = client[m];
      if (typeof value === 'function') {
        method = m;
        close = value;
        break;
      }
    }
    if (method === undefined) return;
    const closing = Promise.resolve().then(() => Reflect.apply(close, client, []));
    const limit = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new OmniDbError(
        `Closing "${name}" with ${method}() did not finish within ${timeoutMs}ms`, 'OMNIDB_TIMEOUT')), timeoutMs);
    });
    await Promise.race([closing, limit]);
  } catch (error) {
    try {
      onError(error);
    } catch {
      // reporting must not make disconnect() reject
    }
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

module.exports = { closeClient, signalOptions, onSignals, CLOSE_METHODS };
