'use strict';
// The picture of `npm run demo`: a self-contained SVG timeline of the failover, and an
// HTML report around it. No charting library, no network fetch: strings only.
//
//   const svg = failoverSvg({ samples, events, durationMs });
//   samples: [{ at, kind, latencyMs }] with `at` in ms from the start and `kind` one of
//            KINDS' keys; events: [{ at, label }] drawn as labelled vertical lines;
//   outage: optional { from, to }, shaded.
//
// Top panel: requests per bucket (default 100 ms), stacked by what served them. Bottom
// panel: the median and the slowest latency of each bucket.

/** Request kinds, bottom of the stack first: label and colour. */
const KINDS = {
  primary: { label: 'read served by the primary', color: '#2563eb' },
  replica: { label: 'read served by the replica', color: '#f59e0b' },
  cache: { label: 'read via the Redis cache route', color: '#10b981' },
  write: { label: 'write committed', color: '#7c3aed' },
  refused: { label: 'write refused fast (503)', color: '#9ca3af' },
  failed: { label: 'failed read', color: '#dc2626' },
};

const WIDTH = 980;
const M = { left: 64, right: 24 };
const TITLE_H = 34;
const LEGEND_H = 44;
const LABEL_ROW = 16;
const TOP_H = 230;
const GAP = 38;
const LAT_H = 120;
const AXIS_H = 40;

/** Text for XML: the five characters that may not stand for themselves. */
function esc(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]);
}

const num = (n) => (Math.round(n * 10) / 10).toString();

/** A round axis maximum and its tick step, for values up to `max`. */
function niceScale(max, ticks = 4) {
  if (!(max > 0)) return { max: 1, step: 1 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw);
  return { max: Math.ceil(max / step) * step, step };
}

function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Per bucket: counts per kind and latency figures. */
function bucketize(samples, durationMs, bucketMs) {
  const n = Math.max(1, Math.ceil(durationMs / bucketMs));
  const buckets = Array.from({ length: n }, () => ({ counts: Object.fromEntries(Object.keys(KINDS).map((k) => [k, 0])), lat: [] }));
  for (const s of samples) {
    const i = Math.floor(s.at / bucketMs);
    if (i < 0 || i >= n || !(s.kind in KINDS)) continue;
    buckets[i].counts[s.kind]++;
    if (typeof s.latencyMs === 'number') buckets[i].lat.push(s.latencyMs);
  }
  for (const b of buckets) {
    b.lat.sort((a, c) => a - c);
    b.total = Object.values(b.counts).reduce((a, c) => a + c, 0);
    b.p50 = quantile(b.lat, 0.5);
    b.max = b.lat.length ? b.lat[b.lat.length - 1] : null;
  }
  return buckets;
}

// Events close together share one line; a label that would overlap another takes the
// next free row. Labels run right of their line, or left of it near the right edge.
const CHAR_W = 7; // bold 11 px text, a little wide, so that estimates never overlap
function layoutEvents(events, x) {
  const groups = [];
  for (const e of [...events].sort((a, b) => a.at - b.at)) {
    const last = groups[groups.length - 1];
    if (last && x(e.at) - x(last.at) < 6) last.labels.push(e.label);
    else groups.push({ at: e.at, labels: [e.label] });
  }
  const rows = []; // per row: [left, right] extents taken
  for (const g of groups) {
    g.text = g.labels.join(' + ');
    g.x = x(g.at);
    const w = g.text.length * CHAR_W + 6;
    g.anchor = g.x + w > WIDTH - M.right ? 'end' : 'start';
    const left = g.anchor === 'end' ? g.x - w : g.x;
    const right = g.anchor === 'end' ? g.x : g.x + w;
    let row = rows.findIndex((taken) => taken.every(([l, r]) => right + 4 < l || left > r + 4));
    if (row < 0) row = rows.push([]) - 1;
    rows[row].push([left, right]);
    g.row = row;
  }
  return { groups, rows: Math.max(1, rows.length) };
}

function polyline(points, color, dash) {
  const segs = [];
  let cur = [];
  for (const p of points) {
    if (p === null) {
      if (cur.length) segs.push(cur);
      cur = [];
    } else cur.push(`${num(p[0])},${num(p[1])}`);
  }
  if (cur.length) segs.push(cur);
  return segs.map((s) => (s.length === 1
    ? `<circle cx="${s[0].split(',')[0]}" cy="${s[0].split(',')[1]}" r="1.6" fill="${color}"/>`
    : `<polyline fill="none" stroke="${color}" stroke-width="1.6"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${s.join(' ')}"/>`)).join('');
}

/**
 * The SVG document (a string) of the failover timeline.
 * @param {{ samples: {at:number, kind:string, latencyMs?:number}[], events: {at:number,label:string}[],
 *   durationMs: number, bucketMs?: number, outage?: {from:number,to:number}, title?: string }} input
 */
function failoverSvg({ samples, events, durationMs, bucketMs = 100, outage, title = 'OmniDB failover demo: requests per 100 ms, by what served them' }) {
  const buckets = bucketize(samples, durationMs, bucketMs);
  const plotW = WIDTH - M.left - M.right;
  const x = (ms) => M.left + (Math.min(Math.max(ms, 0), durationMs) / durationMs) * plotW;
  const layout = layoutEvents(events, x);
  const labelsH = layout.rows * LABEL_ROW + 6;
  const topY = TITLE_H + LEGEND_H + labelsH;
  const latY = topY + TOP_H + GAP;
  const height = latY + LAT_H + AXIS_H;
  const count = niceScale(Math.max(...buckets.map((b) => b.total)));
  const latMax = niceScale(Math.max(0, ...buckets.map((b) => b.max || 0)), 3);
  const yCount = (v) => topY + TOP_H - (v / count.max) * TOP_H;
  const yLat = (v) => latY + LAT_H - (Math.min(v, latMax.max) / latMax.max) * LAT_H;
  const bw = plotW / buckets.length;
  const out = [];

  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ` +
    'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="11">');
  out.push(`<title>${esc(title)}</title>`);
  out.push(`<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${M.left}" y="22" font-size="15" font-weight="bold" fill="#111827">${esc(title)}</text>`);

  // legend
  const legendY = TITLE_H + 8;
  const entries = [...Object.values(KINDS).map((k) => ({ ...k, swatch: 'rect' })),
    { label: 'median latency', color: '#111827', swatch: 'line' }, { label: 'slowest latency', color: '#dc2626', swatch: 'dash' }];
  // the legend, wrapped onto a second row when it does not fit
  let lx = M.left;
  let row = 0;
  for (const e of entries) {
    const w = e.label.length * 6.2 + 30;
    if (lx + w > WIDTH - M.right) {
      lx = M.left;
      row++;
    }
    const y = legendY + row * 18;
    if (e.swatch === 'rect') out.push(`<rect x="${lx}" y="${y - 9}" width="12" height="10" fill="${e.color}"/>`);
    else out.push(`<line x1="${lx}" y1="${y - 4}" x2="${lx + 14}" y2="${y - 4}" stroke="${e.color}" stroke-width="2"${e.swatch === 'dash' ? ' stroke-dasharray="4 2"' : ''}/>`);
    out.push(`<text x="${lx + 18}" y="${y}" fill="#374151">${esc(e.label)}</text>`);
    lx += w;
  }

  // outage band over both panels
  if (outage && outage.to > outage.from) {
    out.push(`<rect class="outage" x="${num(x(outage.from))}" y="${topY}" width="${num(x(outage.to) - x(outage.from))}" ` +
      `height="${latY + LAT_H - topY}" fill="#fee2e2" opacity="0.7"/>`);
  }

  // grid and y axes
  out.push('<g class="grid" stroke="#e5e7eb" stroke-width="1">');
  for (let v = 0; v <= count.max + 1e-9; v += count.step) {
    out.push(`<line x1="${M.left}" x2="${WIDTH - M.right}" y1="${num(yCount(v))}" y2="${num(yCount(v))}"/>`);
  }
  for (let v = 0; v <= latMax.max + 1e-9; v += latMax.step) {
    out.push(`<line x1="${M.left}" x2="${WIDTH - M.right}" y1="${num(yLat(v))}" y2="${num(yLat(v))}"/>`);
  }
  out.push('</g>');
  out.push('<g class="y-labels" fill="#4b5563" text-anchor="end">');
  for (let v = 0; v <= count.max + 1e-9; v += count.step) out.push(`<text x="${M.left - 6}" y="${num(yCount(v) + 4)}">${num(v)}</text>`);
  for (let v = 0; v <= latMax.max + 1e-9; v += latMax.step) out.push(`<text x="${M.left - 6}" y="${num(yLat(v) + 4)}">${num(v)}</text>`);
  out.push('</g>');
  out.push(`<text class="axis-label" transform="translate(16 ${topY + TOP_H / 2}) rotate(-90)" text-anchor="middle" fill="#111827">requests per ${bucketMs} ms</text>`);
  out.push(`<text class="axis-label" transform="translate(16 ${latY + LAT_H / 2}) rotate(-90)" text-anchor="middle" fill="#111827">latency (ms)</text>`);

  // stacked bars
  out.push('<g class="bars">');
  buckets.forEach((b, i) => {
    let acc = 0;
    for (const [kind, { color }] of Object.entries(KINDS)) {
      const c = b.counts[kind];
      if (c === 0) continue;
      const y0 = yCount(acc);
      const y1 = yCount(acc + c);
      out.push(`<rect x="${num(M.left + i * bw + 0.5)}" y="${num(y1)}" width="${num(Math.max(bw - 1, 0.5))}" height="${num(y0 - y1)}" fill="${color}"/>`);
      acc += c;
    }
  });
  out.push('</g>');

  // the outage's name, over the bars
  if (outage && outage.to > outage.from) {
    out.push(`<text class="outage-label" x="${num((x(outage.from) + x(outage.to)) / 2)}" y="${topY + 14}" text-anchor="middle" ` +
      'fill="#b91c1c" font-weight="bold" stroke="#ffffff" stroke-width="3" paint-order="stroke">primary down</text>');
  }

  // latency lines
  const mid = (i) => M.left + (i + 0.5) * bw;
  out.push('<g class="latency">');
  out.push(polyline(buckets.map((b, i) => (b.max === null ? null : [mid(i), yLat(b.max)])), '#dc2626', '4 2'));
  out.push(polyline(buckets.map((b, i) => (b.p50 === null ? null : [mid(i), yLat(b.p50)])), '#111827'));
  out.push('</g>');
  if (buckets.some((b) => b.max !== null && b.max > latMax.max)) {
    out.push(`<text x="${WIDTH - M.right}" y="${latY - 4}" text-anchor="end" fill="#6b7280" font-size="10">clipped at ${num(latMax.max)} ms</text>`);
  }

  // frames
  out.push(`<rect x="${M.left}" y="${topY}" width="${plotW}" height="${TOP_H}" fill="none" stroke="#9ca3af"/>`);
  out.push(`<rect x="${M.left}" y="${latY}" width="${plotW}" height="${LAT_H}" fill="none" stroke="#9ca3af"/>`);

  // x axis: seconds
  const sec = niceScale(durationMs / 1000, Math.min(16, Math.max(2, Math.round(durationMs / 1000))));
  out.push('<g class="x-axis" fill="#4b5563" text-anchor="middle">');
  for (let s = 0; s * 1000 <= durationMs + 1e-6; s += sec.step) {
    const px = x(s * 1000);
    out.push(`<line x1="${num(px)}" x2="${num(px)}" y1="${latY + LAT_H}" y2="${latY + LAT_H + 4}" stroke="#6b7280"/>`);
    out.push(`<text x="${num(px)}" y="${latY + LAT_H + 16}">${num(s)}</text>`);
  }
  out.push('</g>');
  out.push(`<text class="axis-label" x="${M.left + plotW / 2}" y="${latY + LAT_H + 34}" text-anchor="middle" fill="#111827">time since the load started (s)</text>`);

  // events: a vertical line through both panels, the label in its row above
  out.push('<g class="events">');
  for (const g of layout.groups) {
    const ly = TITLE_H + LEGEND_H + g.row * LABEL_ROW + 10;
    out.push(`<line class="event" x1="${num(g.x)}" x2="${num(g.x)}" y1="${ly + 3}" y2="${latY + LAT_H}" stroke="#111827" stroke-width="1" stroke-dasharray="3 3"/>`);
    out.push(`<text class="event-label" x="${num(g.anchor === 'end' ? g.x - 3 : g.x + 3)}" y="${ly}" text-anchor="${g.anchor}" fill="#111827" font-weight="bold">${esc(g.text)}</text>`);
  }
  out.push('</g>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/**
 * A compact terminal sparkline of requests per bucket: `▁▂▃▅▇` per bucket, `!` where
 * a request failed, grouped so that `width` characters cover the run.
 */
function sparkline({ samples, durationMs, bucketMs = 100, width = 60 }) {
  const per = Math.max(bucketMs, Math.ceil(durationMs / width / bucketMs) * bucketMs);
  const buckets = bucketize(samples, durationMs, per);
  const blocks = '▁▂▃▄▅▆▇█';
  const top = Math.max(1, ...buckets.map((b) => b.total));
  const bar = (count) => (count === 0 ? ' ' : blocks[Math.min(blocks.length - 1, Math.floor((count / top) * (blocks.length - 1)))]);
  const row = (pick) => buckets.map((b) => bar(pick(b))).join('');
  const failed = buckets.map((b) => (b.counts.failed > 0 ? '!' : ' ')).join('');
  return {
    per,
    primary: row((b) => b.counts.primary + b.counts.write),
    replica: row((b) => b.counts.replica),
    failed,
  };
}

/** A self-contained HTML page: the SVG inline, the summary and the event list. */
function reportHtml({ svg, summary, events, title = 'OmniDB failover demo' }) {
  const rows = Object.entries(summary).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v === null ? '-' : v)}</td></tr>`).join('\n');
  const evs = events.map((e) => `<tr><td>+${esc(e.at)} ms</td><td>${esc(e.label)}</td><td><code>${esc(e.detail || '')}</code></td></tr>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>
body { font-family: DejaVu Sans, Helvetica, Arial, sans-serif; margin: 24px; color: #111827; }
table { border-collapse: collapse; margin: 12px 0 24px; }
th, td { border: 1px solid #e5e7eb; padding: 4px 10px; text-align: left; font-size: 13px; }
td:first-child { white-space: nowrap; }
th { background: #f9fafb; font-weight: normal; }
code { font-size: 12px; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
${svg.trim()}
<h2>Summary</h2>
<table>
${rows}
</table>
<h2>Events</h2>
<table>
<tr><th>since the load started</th><th>event</th><th>detail</th></tr>
${evs}
</table>
</body>
</html>
`;
}

module.exports = { failoverSvg, reportHtml, sparkline, KINDS, esc };
