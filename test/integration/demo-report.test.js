'use strict';
// The demo's HTML report (examples/demo-chart.js) as a browser draws it: rendered by
// Debian's headless Chromium to a PNG, which must show the chart (bars in the
// primary's and the replica's colours, not a blank page) and the events as
// vertical dashed lines.
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { PNG } = require('pngjs');
const { failoverSvg, reportHtml, KINDS } = require('../../examples/demo-chart');

const CHROMIUM = '/usr/bin/chromium';

// 4 s of load: the primary serves until 1 s, the replica until 3.5 s, the primary again.
function story() {
  const samples = [];
  for (let b = 0; b < 40; b++) {
    const kind = b >= 10 && b < 35 ? 'replica' : 'primary';
    for (let i = 0; i < 10; i++) samples.push({ at: b * 100 + i * 10, kind, latencyMs: 2 + i });
  }
  const events = [
    { at: 1000, label: 'kill primary (SIGKILL)' },
    { at: 1100, label: 'circuit:open + failover' },
    { at: 3100, label: 'restart primary' },
    { at: 3500, label: 'recovery' },
  ];
  return { samples, events, durationMs: 4000, outage: { from: 1000, to: 3500 } };
}

function hex(color) {
  const n = parseInt(color.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function render(html) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidb-report-'));
  const page = path.join(dir, 'report.html');
  const shot = path.join(dir, 'report.png');
  fs.writeFileSync(page, html);
  const run = spawnSync(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--force-device-scale-factor=1',
    `--user-data-dir=${path.join(dir, 'profile')}`, '--window-size=1100,900', `--screenshot=${shot}`, `file://${page}`,
  ], { encoding: 'utf8', timeout: 90000 });
  const png = fs.existsSync(shot) ? PNG.sync.read(fs.readFileSync(shot)) : null;
  fs.rmSync(dir, { recursive: true, force: true });
  return { run, png };
}

test('headless Chromium draws the demo report: the bars, and the events as lines', () => {
  const s = story();
  const html = reportHtml({ svg: failoverSvg(s), summary: { 'failed reads': 0 }, events: s.events });
  const { run, png } = render(html);
  expect({ status: run.status, error: run.error && run.error.message, png: png !== null })
    .toEqual({ status: 0, error: undefined, png: true });
  const { width, height, data } = png;

  const near = (i, [r, g, b], tol) => Math.abs(data[i] - r) <= tol && Math.abs(data[i + 1] - g) <= tol &&
    Math.abs(data[i + 2] - b) <= tol;
  let white = 0;
  let primary = 0;
  let replica = 0;
  const P = hex(KINDS.primary.color);
  const R = hex(KINDS.replica.color);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      if (near(i, [255, 255, 255], 3)) white++;
      else if (near(i, P, 12)) primary++;
      else if (near(i, R, 12)) replica++;
    }
  }
  // Not blank: a real share of the page is the chart's two serving colours.
  expect(white).toBeLessThan(width * height * 0.95);
  expect(primary).toBeGreaterThan(2000);
  expect(replica).toBeGreaterThan(2000);
  // The replica served 2.5 s, the primary 1.5 s: its bars cover about 5/3 as much.
  expect(replica / primary).toBeGreaterThan(1.2);
  expect(replica / primary).toBeLessThan(2.4);

  // Each event is a dashed vertical line (#111827) through both panels: a column, or
  // two where a line falls between pixels and is drawn half as dark, with far more
  // dark pixels than a label's text or an axis tick makes (the panels' frames are a
  // lighter grey). Only inside the panels: left of them, the rotated axis labels.
  const dark = new Array(width).fill(0);
  const inked = new Array(width).fill(0);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      if (data[i] < 150 && data[i + 1] < 150 && data[i + 2] < 155) dark[x]++;
      if (!near(i, [255, 255, 255], 8)) inked[x]++;
    }
  }
  const left = inked.findIndex((n) => n >= 300); // the panels' left edge, their full height
  expect(left).toBeGreaterThan(0);
  const lineColumns = [];
  for (let x = left + 2; x + 1 < width; x++) if (dark[x] + dark[x + 1] >= 150) lineColumns.push(x);
  const lines = lineColumns.filter((x, k) => k === 0 || x - lineColumns[k - 1] > 2);
  expect(lines.length).toBe(s.events.length);
}, 120000);
