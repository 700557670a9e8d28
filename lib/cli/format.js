'use strict';
// How the CLI shows rows: one `key=value` line per target (check, and watch off a
// terminal), an aligned table (watch on a terminal), or JSON. Every string passed in
// has been redacted already (lib/cli/sources.js); format only lays it out.

const USABLE = new Set(['healthy', 'degraded']);

/** Healthy and degraded targets can serve: what a readiness gate asks. */
function usable(r) {
  return USABLE.has(r.status);
}

function ms(value) {
  if (value === null || value === undefined) return '-';
  return value < 10 ? `${value.toFixed(1)}ms` : `${Math.round(value)}ms`;
}

function lag(r) {
  if (r.lagMs !== null) return ms(r.lagMs);
  return '-';
}

function quote(text) {
  return /[\s"]/.test(text) ? JSON.stringify(text) : text;
}

const COLORS = { healthy: 32, degraded: 33, unhealthy: 31 };

function paint(status, color) {
  return color && COLORS[status] ? `\x1b[${COLORS[status]}m${status}\x1b[0m` : status;
}

/** One line per row: `STATUS  TARGET  role=.. lag=.. latency=.. [error=".."]`. */
function lines(rows, { color = false, prefix = '' } = {}) {
  const width = Math.max(...rows.map((r) => r.target.length));
  return rows.map((r) => {
    const parts = [`role=${r.role || '-'}`, `lag=${lag(r)}`, `latency=${ms(r.latencyMs)}`];
    if (r.failoverTo) parts.push(`failoverTo=${r.failoverTo}`);
    if (r.error) parts.push(`error=${quote(r.error)}`);
    const status = paint(r.status, color) + ' '.repeat(Math.max(9 - r.status.length, 0));
    return `${prefix}${status}  ${r.target.padEnd(width)}  ${parts.join(' ')}`;
  }).join('\n') + '\n';
}

/**
 * An aligned table with a header, for a terminal. When an error does not fit the
 * width, the errors go below the table, one `target: error` line each, in full.
 */
function table(rows, { color = false, columns = 100 } = {}) {
  const head = ['TARGET', 'STATUS', 'ROLE', 'LAG', 'LATENCY', 'ERROR'];
  const cells = rows.map((r) => [r.target, r.status, r.role || '-', lag(r), ms(r.latencyMs), r.error || '']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const fits = widths.reduce((a, b) => a + b + 2, 0) - 2 <= columns;
  const shown = fits ? 6 : 5;
  const render = (c, isHead) => c.slice(0, shown).map((cell, i) => {
    const padded = cell.padEnd(widths[i]);
    return !isHead && i === 1 ? padded.replace(cell, paint(cell, color)) : padded;
  }).join('  ').trimEnd();
  const out = [render(head, true), ...cells.map((c) => render(c, false))];
  if (!fits) {
    const errors = rows.filter((r) => r.error);
    if (errors.length > 0) out.push('', ...errors.map((r) => `${r.target}: ${r.error}`));
  }
  return `${out.join('\n')}\n`;
}

/** The JSON document of one round. */
function json(rows, at = new Date()) {
  return {
    ok: rows.every(usable),
    timestamp: at.toISOString(),
    targets: rows.map((r) => ({ ...r, usable: usable(r) })),
  };
}

module.exports = { usable, lines, table, json };
