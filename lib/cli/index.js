'use strict';
// `omnidb check` and `omnidb watch`: the health of databases from a shell, a
// Kubernetes exec probe or a CI step. main() resolves to the exit code; it never calls
// process.exit(), so a clean run also shows that nothing was left open.
const { parseArgs, UsageError, USAGE } = require('./args');
const { urlSource, configSource } = require('./sources');
const { usable, lines, json } = require('./format');
const { redact } = require('./redact');

/** Builds every source first, so a bad URL fails before anything connects. */
async function openSources(opts, persistent) {
  const sources = [];
  try {
    if (opts.urls.length > 0) sources.push(urlSource(opts.urls, { timeout: opts.timeout, persistent }));
    if (opts.config !== null) {
      sources.push(await configSource(opts.config, {
        timeout: opts.timeout,
        interval: opts.command === 'watch' ? opts.interval : undefined,
      }));
    }
  } catch (err) {
    await Promise.all(sources.map((s) => s.close()));
    throw err;
  }
  return sources;
}

async function round(sources) {
  const parts = await Promise.all(sources.map((s) => s.round()));
  return parts.flat();
}

async function check(opts, io) {
  const sources = await openSources(opts, false);
  try {
    const rows = await round(sources);
    io.out(opts.json ? `${JSON.stringify(json(rows), null, 2)}\n` : lines(rows, { color: io.color }));
    return rows.every(usable) ? 0 : 1;
  } finally {
    await Promise.all(sources.map((s) => s.close()));
  }
}

/**
 * Runs the CLI. `io`: { out(text), err(text), isTTY, color, columns, signals } (defaults:
 * the process's own). Resolves to the exit code: 0 all usable, 1 some unusable, 2 bad usage.
 */
async function main(argv, io = processIo()) {
  let opts;
  try {
    opts = parseArgs(argv);
    if (opts.help) {
      io.out(`${USAGE}\n`);
      return 0;
    }
    if (opts.version) {
      io.out(`${require('../../package.json').version}\n`);
      return 0;
    }
    if (opts.command === 'check') return await check(opts, io);
    return await require('./watch').watch(opts, io, { openSources, round });
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`omnidb: ${redact(err.message)}\nRun "omnidb --help" for usage.\n`);
      return 2;
    }
    io.err(`omnidb: ${redact(err && err.stack ? err.stack : String(err))}\n`);
    return 1;
  }
}

function processIo() {
  const isTTY = Boolean(process.stdout.isTTY);
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    isTTY,
    color: isTTY && !process.env.NO_COLOR,
    columns: () => process.stdout.columns || 100,
    signals: process,
  };
}

module.exports = { main };
