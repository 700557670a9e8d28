'use strict';
// Runs the health checks the core asks for and reports their results back.
//
// The core decides when a check starts, when it times out and what its result
// means (src/orchestrator.h); this file calls the user's function, reads what it
// gave back, and turns anything at all (a value, a result object, a throw of any
// kind, an object whose getters throw) into one of three outcomes without letting
// an exception or a rejection escape to the host.
const { OmniDbError } = require('./errors');
const { Outcome } = require('./constants');
const { describe } = require('./validate');
const { safeMessage: messageOf } = require('./safe');

// A result object's fields, each read once and only if it has the right type.
function field(value, key, type) {
  try {
    const v = value[key];
    return typeof v === type ? v : undefined;
  } catch {
    return undefined;
  }
}

class HealthChecks {
  #names;
  #clients;
  #checks;
  #native;
  #now;
  #report; // (event, payload) for 'error'
  #onAlive; // (id): the connection answered
  #inflight = new Map(); // check token -> { id, controller, release }
  #firstRound = null;
  #closed = false;
  /** Per connection: the message of the last failed check, or null. */
  lastError;
  /** Per connection: { latencyMs, role, lagMs } of the last result object, or null. */
  info;

  constructor({ names, clients, checks, native, now, emitError, onAlive }) {
    this.#names = names;
    this.#clients = clients;
    this.#checks = checks;
    this.#native = native;
    this.#now = now;
    this.#report = emitError;
    this.#onAlive = onAlive;
    this.lastError = names.map(() => null);
    this.info = names.map(() => null);
  }

  /**
   * Runs `start()` (which starts the core) and collects the checks of the first
   * round it begins; resolves when each has answered, timed out or been aborted.
   */
  firstRound(start) {
    const pending = [];
    this.#firstRound = pending;
    try {
      start();
    } finally {
      this.#firstRound = null;
    }
    return Promise.all(pending);
  }

  /** Monitoring stopped: results still arriving are dropped. */
  close() {
    this.#closed = true;
  }

  /** Core event kCheckStart. */
  start(id, token, attempt) {
    const controller = new AbortController();
    const entry = { id, controller, release: null };
    this.#inflight.set(token, entry);
    // connect() waits for the first round: each of its checks releases it once,
    // whether it answers, times out, or is aborted by disconnect().
    if (this.#firstRound !== null) this.#firstRound.push(new Promise((resolve) => { entry.release = resolve; }));
    let result;
    try {
      result = Promise.resolve(this.#checks[id](this.#clients[id], { signal: controller.signal, name: this.#names[id], attempt }));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (value) => this.#finish(id, token, value, false, undefined),
      (err) => this.#finish(id, token, undefined, true, err),
    ).catch((err) => {
      // Only a bug of ours gets here; never let it become an unhandled rejection.
      process.nextTick(() => { throw err; });
    });
  }

  /** Core event kCheckAbort: the check timed out, or monitoring stopped. */
  abort(id, token) {
    const entry = this.#inflight.get(token);
    if (entry === undefined) return;
    this.#inflight.delete(token);
    const name = this.#names[id];
    if (!this.#closed) {
      const err = new OmniDbError(`Health check for "${name}" timed out`, 'OMNIDB_TIMEOUT');
      this.lastError[id] = err.message;
      entry.controller.abort(err);
      this.#report(name, err, 'health-check');
    } else {
      entry.controller.abort(new OmniDbError('Orchestrator disconnected', 'OMNIDB_DISCONNECTED'));
    }
    if (entry.release !== null) entry.release();
  }

  #finish(id, token, value, threw, error) {
    const entry = this.#inflight.get(token);
    if (entry === undefined) return; // timed out or aborted: the core has moved on
    this.#inflight.delete(token);
    if (entry.release !== null) entry.release();
    const name = this.#names[id];
    let outcome;
    let message = '';
    let failure = null; // what the 'error' event carries
    if (!threw && value !== null && typeof value === 'object') {
      const status = field(value, 'status', 'string');
      if (status !== undefined) {
        // A result object (native probes): `status` decides, as the string forms do.
        this.info[id] = {
          latencyMs: field(value, 'latencyMs', 'number') ?? null,
          role: field(value, 'role', 'string') ?? null,
          lagMs: field(value, 'lagMs', 'number') ?? null,
        };
        const reported = field(value, 'error', 'string');
        if (status === 'unhealthy' && reported !== undefined && reported !== '') {
          failure = new OmniDbError(reported, 'OMNIDB_HEALTH_CHECK_FAILED');
        }
        value = status;
      }
    }
    if (threw) {
      outcome = Outcome.FAILED;
      failure = error;
      message = error === undefined ? `Health check for "${name}" rejected with undefined` : messageOf(error);
    } else if (value === true || value === 'healthy') {
      outcome = Outcome.HEALTHY;
    } else if (value === 'degraded') {
      outcome = Outcome.DEGRADED;
    } else if (value === false || value === 'unhealthy') {
      outcome = Outcome.FAILED;
      message = failure !== null ? failure.message
        : `Health check for "${name}" reported ${value === false ? 'false' : "'unhealthy'"}`;
    } else {
      outcome = Outcome.FAILED;
      message = `Health check for "${name}" returned ${describe(value)}; expected true, false, 'healthy', 'degraded' or 'unhealthy'`;
      failure = new OmniDbError(message, 'OMNIDB_INVALID_CHECK_RESULT');
    }
    if (outcome === Outcome.FAILED) {
      this.lastError[id] = message;
      // A throw is reported as thrown (even null); a reported failure gets an error.
      this.#report(name, threw || failure !== null ? failure : new OmniDbError(message, 'OMNIDB_HEALTH_CHECK_FAILED'), 'health-check');
    } else {
      this.#onAlive(id);
    }
    if (!this.#closed) this.#native.reportCheck(id, token, outcome, message, this.#now());
  }
}

module.exports = { HealthChecks, messageOf };
