'use strict';
// Runs the health checks the core asks for and reports their results back.
//
// The core decides when a check starts, when it times out and what its result
// means (src/core/orchestrator.h); this file calls the user's function, reads what it
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
  #onVerdict; // (id): a check of the connection reached its verdict (retries included)
  #inflight = new Map(); // check token -> { id, controller, attempt }
  #retries; // healthCheck.retry.retries: attempts after the first within a round
  #firstRound = null; // while start() runs inside firstRound(): the round's promises
  #gates = new Map(); // connection id -> release() of its first round, until it has a verdict
  #closed = false;
  /** Per connection: the message of the last failed check, or null. */
  lastError;
  /** Per connection: { latencyMs, role, lagMs } of the last result object, or null. */
  info;
  /** Per connection: { tls, tlsProtocol } of the last result object that said, or null. */
  tls;

  constructor({ names, clients, checks, native, now, retries, emitError, onAlive, onVerdict = () => {} }) {
    this.#names = names;
    this.#retries = retries;
    this.#clients = clients;
    this.#checks = checks;
    this.#native = native;
    this.#now = now;
    this.#report = emitError;
    this.#onAlive = onAlive;
    this.#onVerdict = onVerdict;
    this.lastError = names.map(() => null);
    this.info = names.map(() => null);
    this.tls = names.map(() => null);
  }

  /**
   * Runs `start()` (which starts the core) and collects the checks of the first
   * round it begins; resolves when each connection has a verdict: a check answered
   * well, or its last retry failed or timed out, or monitoring stopped.
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

  /** Monitoring stopped: results still arriving are dropped; connect() stops waiting. */
  close() {
    this.#closed = true;
    for (const release of this.#gates.values()) release();
    this.#gates.clear();
  }

  // An attempt of connection `id` ended; its first round is over unless a retry follows.
  #attemptDone(id, attempt, good) {
    if (good || attempt >= this.#retries || this.#closed) this.#onVerdict(id);
    const release = this.#gates.get(id);
    if (release === undefined || !(good || attempt >= this.#retries || this.#closed)) return;
    this.#gates.delete(id);
    release();
  }

  /** Core event kCheckStart. */
  start(id, token, attempt) {
    const controller = new AbortController();
    const entry = { id, controller, attempt };
    this.#inflight.set(token, entry);
    // connect() waits for the first round: each connection releases it once, when
    // its checks (retries included) reach a verdict or disconnect() stops them.
    if (this.#firstRound !== null) this.#firstRound.push(new Promise((resolve) => { this.#gates.set(id, resolve); }));
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
    this.#attemptDone(id, entry.attempt, false);
  }

  #finish(id, token, value, threw, error) {
    const entry = this.#inflight.get(token);
    if (entry === undefined) return; // timed out or aborted: the core has moved on
    this.#inflight.delete(token);
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
        const tls = field(value, 'tls', 'boolean');
        if (tls !== undefined) this.tls[id] = { tls, tlsProtocol: field(value, 'tlsProtocol', 'string') ?? null };
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
    if (outcome === Outcome.FAILED) this.lastError[id] = message;
    else this.#onAlive(id);
    if (!this.#closed) this.#native.reportCheck(id, token, outcome, message, this.#now());
    // 'error' comes after the transitions this check caused (health:changed,
    // circuit:open, failover): `await once(db, 'failover')`, which also listens for
    // 'error', then sees the failover it waits for instead of rejecting first.
    if (outcome === Outcome.FAILED) {
      // A throw is reported as thrown (even null); a reported failure gets an error.
      this.#report(name, threw || failure !== null ? failure : new OmniDbError(message, 'OMNIDB_HEALTH_CHECK_FAILED'), 'health-check');
    }
    this.#attemptDone(id, entry.attempt, outcome !== Outcome.FAILED);
  }
}

module.exports = { HealthChecks, messageOf };
