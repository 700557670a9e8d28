'use strict';
// The command line of `omnidb`, parsed into one plain object, or a UsageError naming the
// bad value (exit code 2). No dependency: the grammar is small.
//
//   omnidb check [--json] [--timeout 5s] [--config FILE] [URL...]
//   omnidb watch [--json] [--timeout 5s] [--interval 2s] [--config FILE] [URL...]
const { parseDuration } = require('../options');
const { maskSecrets } = require('./redact');

const COMMANDS = ['check', 'watch', 'help'];
const FLAGS = ['--json', '--help', '-h', '--version', '-V'];
const VALUED = ['--timeout', '--interval', '--config'];

const USAGE = `Usage:
  omnidb check [options] <url>...    probe each target once; exit 0 when all are usable
  omnidb watch [options] <url>...    probe every --interval and redraw a table, until Ctrl-C

Targets: postgres:// or postgresql:// URLs, redis:// or unix:// (Redis) URLs, mysql:// or
mariadb:// URLs (when the build has the MySQL probe), or the connections of a config
module given with --config (a file exporting an Orchestrator config, an Orchestrator, or
a function returning either).

Options:
  --json              machine-readable output (check: one JSON document; watch: one JSON line per round)
  --timeout <dur>     deadline of each probe, e.g. 500ms, 5s (default 5s)
  --interval <dur>    watch: time between rounds (default 2s)
  --config <file>     probe the connections of this config module
  -h, --help          this help
  -V, --version       the omnidb version

Exit codes: 0 every target usable (healthy or degraded), 1 some target unusable,
2 bad usage (the message names the bad value).`;

class UsageError extends Error {
  constructor(message) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Parses argv (without node and the script). Returns
 * { command, json, timeout, interval, config, urls, help, version }.
 */
function parseArgs(argv) {
  const out = { command: null, json: false, timeout: 5000, interval: 2000, config: null, urls: [], help: false, version: false };
  let seenInterval = false;
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      rest.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    if (FLAGS.includes(name)) {
      if (eq > 0) throw new UsageError(`option ${name} takes no value (received "${maskSecrets(arg)}")`);
      if (name === '--json') out.json = true;
      else if (name === '--help' || name === '-h') out.help = true;
      else out.version = true;
      continue;
    }
    if (!VALUED.includes(name)) {
      throw new UsageError(`unknown option "${maskSecrets(arg)}"; known options: ${[...VALUED, ...FLAGS].join(', ')}`);
    }
    let value;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    else throw new UsageError(`option ${name} needs a value`);
    if (name === '--config') {
      if (value === '') throw new UsageError('option --config needs a file path');
      out.config = value;
    } else {
      const ms = durationOf(value, name);
      if (name === '--timeout') out.timeout = ms;
      else {
        out.interval = ms;
        seenInterval = true;
      }
    }
  }
  if (out.help || out.version) return out;
  if (rest.length === 0) throw new UsageError('no command given; expected one of: check, watch');
  const [command, ...urls] = rest;
  if (!COMMANDS.includes(command)) {
    throw new UsageError(`unknown command "${maskSecrets(command)}"; expected one of: check, watch`);
  }
  if (command === 'help') {
    out.help = true;
    return out;
  }
  out.command = command;
  out.urls = urls;
  if (command === 'check' && seenInterval) throw new UsageError('option --interval applies to watch, not check');
  if (urls.length === 0 && out.config === null) {
    throw new UsageError(`${command} needs at least one URL, or --config <file>`);
  }
  return out;
}

function durationOf(value, name) {
  let ms;
  try {
    ms = parseDuration(/^\d+$/.test(value) ? Number(value) : value, name);
  } catch {
    ms = -1;
  }
  if (!(ms > 0)) {
    throw new UsageError(`invalid ${name} "${value}": expected a positive duration such as 500ms, 5s or 1m`);
  }
  return ms;
}

module.exports = { parseArgs, UsageError, USAGE };
