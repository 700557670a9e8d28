'use strict';
// `omnidb watch`: a round every --interval until SIGINT/SIGTERM. On a terminal the
// table is redrawn in place; otherwise (a pipe, a log file) each round appends its
// lines with a timestamp, or one JSON line with --json. The interrupt ends the loop,
// closes every connection and resolves 0: no process.exit(), no handle left.
const { lines, table, json } = require('./format');

const HOME_CLEAR = '\x1b[H\x1b[2J';

async function watch(opts, io, { openSources, round }) {
  const sources = await openSources(opts, true);
  let stopped = false;
  let wake = null; // resolves the pause between rounds early
  let timer = null;
  let closing = null;
  const close = () => {
    if (closing === null) closing = Promise.all(sources.map((s) => s.close()));
    return closing;
  };
  const stop = () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    if (wake !== null) wake();
    // A round waiting on a server that does not answer ends now ('closed'), not at --timeout.
    close();
  };
  const signals = ['SIGINT', 'SIGTERM'];
  for (const s of signals) io.signals.on(s, stop);
  const redraw = io.isTTY && !opts.json;
  try {
    for (let n = 1; !stopped; n++) {
      const rows = await round(sources);
      if (stopped) break;
      const at = new Date();
      if (opts.json) {
        io.out(`${JSON.stringify({ round: n, ...json(rows, at) })}\n`);
      } else if (redraw) {
        const title = `omnidb watch · every ${opts.interval} ms · ${at.toTimeString().slice(0, 8)} · round ${n} · Ctrl-C to stop`;
        io.out(`${HOME_CLEAR}${title}\n\n${table(rows, { color: io.color, columns: io.columns() })}`);
      } else {
        io.out(lines(rows, { prefix: `${at.toISOString()}  ` }));
      }
      await new Promise((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, opts.interval);
      });
      timer = null;
      wake = null;
    }
  } finally {
    for (const s of signals) io.signals.removeListener(s, stop);
    await close();
  }
  if (redraw) io.out('\n');
  return 0;
}

module.exports = { watch };
