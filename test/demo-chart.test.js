'use strict';
// The demo's picture (examples/demo-chart.js) from made-up samples: a well-formed SVG
// with its axes, its legend, bars in proportion, the events as labelled lines, text
// escaped; the HTML report around it; the terminal sparkline.
const { failoverSvg, reportHtml, sparkline, KINDS } = require('../examples/demo-chart');
const { parseXml, elements, textOf } = require('./helpers/xml');

// 3 s of load: the primary serves 10 reads per 100 ms until 1 s, the replica from then
// to 2 s (with one failed read and refused writes), the primary again after.
function story() {
  const samples = [];
  for (let b = 0; b < 30; b++) {
    const kind = b >= 10 && b < 20 ? 'replica' : 'primary';
    for (let i = 0; i < 10; i++) samples.push({ at: b * 100 + i * 10, kind, latencyMs: 2 + i });
    if (b >= 10 && b < 20) samples.push({ at: b * 100 + 5, kind: 'refused', latencyMs: 1 });
    else samples.push({ at: b * 100 + 5, kind: 'write', latencyMs: 4 });
  }
  samples.push({ at: 1005, kind: 'failed', latencyMs: 250 });
  const events = [
    { at: 1000, label: 'kill primary (SIGKILL)' },
    { at: 1040, label: 'circuit:open' },
    { at: 1040, label: 'failover' },
    { at: 1800, label: 'restart primary' },
    { at: 2000, label: 'recovery' },
  ];
  return { samples, events, durationMs: 3000, outage: { from: 1000, to: 2000 } };
}

const byClass = (root, cls) => elements(root).filter((e) => e.attrs.class === cls);

describe('failoverSvg', () => {
  const svg = failoverSvg(story());
  const root = parseXml(svg);

  test('is a well-formed SVG document with a title and a size', () => {
    expect(root.name).toBe('svg');
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(Number(root.attrs.width)).toBeGreaterThan(0);
    expect(Number(root.attrs.height)).toBeGreaterThan(0);
    expect(textOf(elements(root).find((e) => e.name === 'title'))).toMatch(/failover/);
  });

  test('labels its axes, in seconds along the bottom', () => {
    const labels = byClass(root, 'axis-label').map(textOf);
    expect(labels).toEqual(['requests per 100 ms', 'latency (ms)', 'time since the load started (s)']);
    const ticks = elements(byClass(root, 'x-axis')[0]).filter((e) => e.name === 'text').map(textOf);
    expect(ticks).toEqual(expect.arrayContaining(['0', '1', '2', '3']));
    const yTicks = elements(byClass(root, 'y-labels')[0]).filter((e) => e.name === 'text').map(textOf);
    expect(yTicks).toContain('0');
  });

  test('marks each event with a line and a label; events at one instant share one', () => {
    const labels = byClass(root, 'event-label').map(textOf);
    expect(labels).toEqual(['kill primary (SIGKILL)', 'circuit:open + failover', 'restart primary', 'recovery']);
    expect(byClass(root, 'event')).toHaveLength(4);
    const x = byClass(root, 'event').map((l) => Number(l.attrs.x1));
    expect(x).toEqual([...x].sort((a, b) => a - b));
    expect(byClass(root, 'outage')).toHaveLength(1);
  });

  test('has a legend entry per request kind, and bars in proportion', () => {
    const texts = elements(root).filter((e) => e.name === 'text').map(textOf);
    for (const { label } of Object.values(KINDS)) expect(texts).toContain(label);
    const bars = elements(byClass(root, 'bars')[0]).filter((e) => e.name === 'rect');
    const height = (color) => bars.filter((b) => b.attrs.fill === color).map((b) => Number(b.attrs.height));
    const primary = height(KINDS.primary.color);
    const replica = height(KINDS.replica.color);
    expect(primary).toHaveLength(20);
    expect(replica).toHaveLength(10);
    // 10 reads in each bucket: the same height for both, 10 times a write's.
    expect(replica[0]).toBeCloseTo(primary[0], 0);
    expect(primary[0] / height(KINDS.write.color)[0]).toBeCloseTo(10, 0);
    expect(height(KINDS.failed.color)).toHaveLength(1);
    expect(height(KINDS.refused.color)).toHaveLength(10);
  });

  test('event labels never overlap, near the right edge either', () => {
    // The events of a real run: the labels crowd at the kill and at the recovery.
    const events = [
      { at: 2000, label: 'kill primary (SIGKILL)' }, { at: 2056, label: 'circuit:open' }, { at: 2056, label: 'failover' },
      { at: 2950, label: 'primary unhealthy' }, { at: 5900, label: 'restart primary' },
      { at: 6950, label: 'primary healthy' }, { at: 6950, label: 'circuit:close' }, { at: 6950, label: 'recovery' },
    ];
    const tree = parseXml(failoverSvg({ samples: [], events, durationMs: 8000 }));
    const width = Number(tree.attrs.width);
    const extents = byClass(tree, 'event-label').map((t) => {
      const w = textOf(t).length * 6.6; // DejaVu Sans Bold at 11 px: about 6.6 px a character
      const x = Number(t.attrs.x);
      return { y: t.attrs.y, left: t.attrs['text-anchor'] === 'end' ? x - w : x, right: t.attrs['text-anchor'] === 'end' ? x : x + w };
    });
    expect(extents.length).toBeGreaterThanOrEqual(4);
    for (const a of extents) {
      expect(a.right).toBeLessThanOrEqual(width);
      for (const b of extents) {
        if (a !== b && a.y === b.y) expect(a.right < b.left || b.right < a.left).toBe(true);
      }
    }
  });

  test('escapes text, so odd labels keep it well-formed', () => {
    const odd = failoverSvg({ ...story(), events: [{ at: 500, label: 'a <b> & "c" \'d\'' }], title: 'x & y <z>' });
    const tree = parseXml(odd);
    expect(byClass(tree, 'event-label').map(textOf)).toEqual(['a <b> & "c" \'d\'']);
    expect(textOf(elements(tree).find((e) => e.name === 'title'))).toBe('x & y <z>');
  });

  test('the well-formedness check used here does reject broken XML', () => {
    expect(() => parseXml('<svg><g></svg>')).toThrow(/closes <g>/);
    expect(() => parseXml('<svg><text>a & b</text></svg>')).toThrow(/bare/);
    expect(() => parseXml('<svg><rect x=1/></svg>')).toThrow(/bad tag/);
    expect(() => parseXml('<svg><g>')).toThrow(/never closed/);
  });

  test('draws an empty run without NaN', () => {
    const empty = failoverSvg({ samples: [], events: [], durationMs: 1000 });
    parseXml(empty);
    expect(empty).not.toMatch(/NaN|Infinity|undefined/);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  });
});

describe('reportHtml and sparkline', () => {
  test('the report holds the SVG inline, the summary and the events, and fetches nothing', () => {
    const svg = failoverSvg(story());
    const html = reportHtml({ svg, summary: { 'reads failed': 0, 'kill -> first read served by the replica (ms)': 54 },
      events: story().events.map((e) => ({ ...e, detail: '{"name":"primary"}' })) });
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain(svg.trim());
    expect(html).toContain('<th>kill -&gt; first read served by the replica (ms)</th><td>54</td>');
    expect(html).toContain('<td>+1040 ms</td><td>failover</td><td><code>{&quot;name&quot;:&quot;primary&quot;}</code></td>');
    expect(html).not.toMatch(/\b(src|href)=|@import|url\(/);
  });

  test('the sparkline shows who served when, and where reads failed', () => {
    const s = sparkline({ ...story(), width: 30 });
    expect(s.per).toBe(100);
    expect(s.primary).toHaveLength(30);
    expect(s.primary.slice(0, 10)).not.toMatch(/ /);
    expect(s.primary.slice(10, 20)).toBe(' '.repeat(10));
    expect(s.replica.slice(10, 20)).not.toMatch(/ /);
    expect(s.failed.indexOf('!')).toBe(10);
  });
});
