'use strict';
// What the CLI probes, behind one interface: a source has `round()` resolving to rows
// `{ target, kind, status, role, lagMs, latencyMs, error }` (one per target) and
// `close()`, which leaves no handle behind.
//
// - URL targets: one native probe each (lib/probes.js), chosen by the URL scheme.
// - A config module (--config FILE): its Orchestrator's own checks, read through
//   connect() / metrics() / disconnect().
const path = require('path');
const { pathToFileURL } = require('url');
const { probes } = require('../probes');
const { UsageError } = require('./args');
const { addSecret, passwordOf, maskSecrets, redact } = require('./redact');

const MYSQL_MISSING = 'MySQL probe not available in this build (this omnidb has no probes.mysql)';

// scheme -> probe family
const SCHEMES = {
  postgres: 'postgres',
  postgresql: 'postgres',
  redis: 'redis',
  unix: 'redis',
  'redis+unix': 'redis',
  mysql: 'mysql',
  mariadb: 'mysql',
};

const KIND_NAMES = { postgres: 'PostgreSQL', redis: 'Redis', mysql: 'MySQL' };

function schemeOf(url) {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  return m === null ? null : m[1].toLowerCase();
}

/** One URL as a target `{ label, kind, probe | unavailable }`; UsageError for a bad URL. */
function urlTarget(url, timeout, persistent) {
  addSecret(passwordOf(url));
  const scheme = schemeOf(url);
  const kind = scheme === null ? undefined : SCHEMES[scheme];
  if (kind === undefined) {
    throw new UsageError(`invalid target "${maskSecrets(url)}": expected a URL starting with ` +
      'postgres://, postgresql://, redis://, unix://, mysql:// or mariadb://');
  }
  const make = probes[kind];
  if (typeof make !== 'function') {
    return { label: maskSecrets(url), kind, probe: null, unavailable: MYSQL_MISSING };
  }
  let probe;
  try {
    probe = make(url, { timeout, persistent });
  } catch (err) {
    // Built without libpq / hiredis / the MySQL client: the target cannot be probed here.
    if (err && err.code === 'OMNIDB_PROBE_UNAVAILABLE') {
      const unavailable = `${KIND_NAMES[kind]} probe not available in this build: ${redact(err.message)}`;
      return { label: maskSecrets(url), kind, probe: null, unavailable };
    }
    throw new UsageError(`invalid target "${maskSecrets(url)}": ${redact(err && err.message)}`);
  }
  // The probe's own description is rebuilt from the parsed fields: it has no password.
  return { label: probe.description || maskSecrets(url), kind, probe, unavailable: null };
}

/** Native probes of URLs. `persistent`: keep each connection between rounds (watch). */
function urlSource(urls, { timeout, persistent }) {
  const targets = urls.map((url) => urlTarget(url, timeout, persistent));
  return {
    async round() {
      return Promise.all(targets.map(async (t) => {
        if (t.probe === null) return row(t.label, t.kind, { status: 'unhealthy', error: t.unavailable });
        // The probe bounds itself by `timeout`; the signal is a second fence.
        const controller = new AbortController();
        const fence = setTimeout(() => controller.abort(new Error(`no answer within ${timeout} ms`)), timeout + 1000);
        try {
          const result = await t.probe(null, { signal: controller.signal, name: t.label, attempt: 0, timeout });
          return row(t.label, t.kind, result);
        } catch (err) {
          return row(t.label, t.kind, { status: 'unhealthy', error: err && err.message });
        } finally {
          clearTimeout(fence);
        }
      }));
    },
    close() {
      for (const t of targets) if (t.probe !== null) t.probe.close();
    },
  };
}

function row(target, kind, result) {
  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v * 100) / 100 : null);
  return {
    target,
    kind,
    status: result.status,
    role: typeof result.role === 'string' ? result.role : null,
    lagMs: num(result.lagMs),
    latencyMs: num(result.latencyMs),
    error: result.error === undefined || result.error === null ? null : redact(result.error),
  };
}

// ------------------------------------------------------------------ config modules

function isOrchestrator(value) {
  return value !== null && typeof value === 'object' && typeof value.connect === 'function' &&
    typeof value.disconnect === 'function' && typeof value.metrics === 'function';
}

/**
 * Loads a config module: its export (or default export) is an Orchestrator, an
 * Orchestrator config object, or a function (possibly async) returning either.
 * A config object gets `healthCheck.timeout` = --timeout and, for watch,
 * `healthCheck.interval` = --interval; an Orchestrator is used as it is.
 */
async function loadConfig(file, { timeout, interval }) {
  const full = path.resolve(file);
  let mod;
  try {
    mod = await import(pathToFileURL(full).href);
  } catch (err) {
    const why = err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(full)
      ? 'no such file' : redact(err && err.message);
    throw new UsageError(`cannot load --config "${file}": ${why}`);
  }
  let value = mod.default !== undefined ? mod.default : mod;
  // CommonJS through import(): module.exports is `default`; ESM may export `config`.
  if (value && typeof value === 'object' && !isOrchestrator(value) && value.connections === undefined && value.config !== undefined) {
    value = value.config;
  }
  if (typeof value === 'function') {
    try {
      value = await value();
    } catch (err) {
      throw new UsageError(`--config "${file}": its exported function threw: ${redact(err && err.message)}`);
    }
  }
  if (isOrchestrator(value)) return value;
  if (value === null || typeof value !== 'object' || value.connections === undefined) {
    throw new UsageError(`--config "${file}" must export an Orchestrator, an Orchestrator config ({ connections, ... }) ` +
      'or a function returning one');
  }
  const { Orchestrator } = require('../orchestrator');
  const healthCheck = { ...(value.healthCheck || {}), timeout };
  if (interval !== undefined) healthCheck.interval = interval;
  try {
    return new Orchestrator({ ...value, healthCheck });
  } catch (err) {
    throw new UsageError(`--config "${file}": ${redact(err && err.message)}`);
  }
}

/** The connections of a config module's Orchestrator, read from its own checks. */
async function configSource(file, { timeout, interval }) {
  const db = await loadConfig(file, { timeout, interval });
  db.on('error', () => {}); // client errors surface as statuses and lastError
  let connected = null;
  return {
    async round() {
      if (connected === null) connected = db.connect();
      await connected;
      const metrics = db.metrics();
      return Object.keys(metrics).map((name) => {
        const m = metrics[name];
        const checked = m.healthCheck && m.healthCheck.checks > 0;
        const latency = typeof m.latencyMs === 'number' ? m.latencyMs : m.healthCheck && m.healthCheck.lastMs;
        const r = row(name, 'connection', {
          status: m.status,
          role: m.role,
          lagMs: m.lagMs,
          latencyMs: latency,
          error: m.status === 'healthy' ? null : m.lastError || (checked ? null : 'no health check configured'),
        });
        r.circuit = m.circuit;
        r.failoverTo = m.failoverTo;
        return r;
      });
    },
    close() {
      return db.disconnect();
    },
  };
}

module.exports = { urlSource, configSource, MYSQL_MISSING };
