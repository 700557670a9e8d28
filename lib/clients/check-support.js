'use strict';
// What the health checks of the client families share: waiting for a client's own
// promise or event without outliving the check's AbortSignal, and the result object
// a check reports ({ status, latencyMs, error? }, as the native probes report).
const { performance } = require('perf_hooks');
const { safeMessage } = require('../safe');

/** `promise`, or a rejection with `signal.reason` as soon as `signal` aborts. */
function untilAborted(promise, signal) {
  if (signal === undefined || signal === null) return promise;
  if (signal.aborted) {
    Promise.resolve(promise).catch(() => {}); // settles later, unobserved: not unhandled
    return Promise.reject(signal.reason);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(promise).then((value) => {
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    }, (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    });
  });
}

/**
 * Resolves at the first of `emitter`'s `done` events, rejects at the first of its
 * `failed` events (with the event's error, else an Error naming the event) or when
 * `signal` aborts. Its listeners are removed as soon as it settles; while they are
 * on, an 'error' event has a listener, so it never becomes an uncaught exception.
 */
function untilEvent(emitter, { done, failed }, signal) {
  return new Promise((resolve, reject) => {
    const listeners = [];
    const finish = (settle, value) => {
      for (const [event, fn] of listeners) emitter.removeListener(event, fn);
      if (signal) signal.removeEventListener('abort', onAbort);
      settle(value);
    };
    const onAbort = () => finish(reject, signal.reason);
    if (signal) {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
    }
    for (const event of done) listeners.push([event, () => finish(resolve)]);
    for (const event of failed) {
      listeners.push([event, (error) => finish(reject, error instanceof Error ? error : new Error(`the client emitted '${event}'`))]);
    }
    for (const [event, fn] of listeners) emitter.on(event, fn);
  });
}

/** A check's clock: `result(status, error?)` gives the result object timed from now. */
function startCheck() {
  const start = performance.now();
  return {
    healthy: () => ({ status: 'healthy', latencyMs: performance.now() - start }),
    unhealthy: (error) => ({
      status: 'unhealthy',
      latencyMs: performance.now() - start,
      error: typeof error === 'string' ? error : safeMessage(error),
    }),
  };
}

module.exports = { untilAborted, untilEvent, startCheck };
