// The MySQL probe's paths (rounds, multi-statement, errors, timeouts, aborts, a killed
// connection, a restart) in the addon built with ASan + UBSan: run by scripts/sanitize-addon.sh.
const net = require('net');
const { startMariaDb } = require('../harness/mariadb');
const { probes, Orchestrator } = require('../..');
const ok = (cond, what) => { if (!cond) throw new Error(`FAILED: ${what}`); };
(async () => {
  const m = await startMariaDb({ password: 'pw-S3cret' });
  const hole = net.createServer((s) => { s.on('error', () => {}); s.resume(); });
  await new Promise((r) => hole.listen(0, '127.0.0.1', r));
  try {
    const primary = probes.mysql(m.primary.url);
    const replica = probes.mysql(m.replica.url, { maxLag: '10s' });
    for (let i = 0; i < 2000; i++) {
      const [a, b] = await Promise.all([primary(null, {}), replica(null, {})]);
      ok(a.status === 'healthy' && a.role === 'primary' && b.role === 'replica' && b.lagMs === 0, `round ${i}: ${a.error || b.error}`);
    }
    const oneShot = probes.mysql(m.primary.url, { persistent: false, query: 'SELECT 1; SELECT 2;' });
    for (let i = 0; i < 100; i++) ok((await oneShot(null, {})).status === 'healthy', 'one-shot');
    ok((await probes.mysql(m.primary.url, { query: 'SELECT * FROM nope' })(null, {})).error.includes("doesn't exist"), 'query error');
    ok((await probes.mysql(m.replica.limitedUrl)(null, {})).lagMs === null, 'no privilege');
    ok((await probes.mysql({ ...require('../../lib/probes').mysqlTarget(m.primary.url), kind: undefined, password: 'x' })(null, {})).error.includes('Access denied'), 'wrong pw');
    ok((await probes.mysql({ host: '127.0.0.1', port: 1 })(null, {})).error.includes('Connection refused'), 'refused');
    const silent = probes.mysql({ host: '127.0.0.1', port: hole.address().port }, { timeout: 30 });
    for (let i = 0; i < 20; i++) ok((await silent(null, {})).error.includes('timed out'), 'blackhole');
    for (let i = 0; i < 20; i++) {
      const c = new AbortController(); const p = silent(null, { signal: c.signal }); setTimeout(() => c.abort(new Error('x')), 2);
      await p.then(() => ok(false, 'abort'), () => {});
    }
    const slow = probes.mysql(m.primary.url, { query: 'SELECT SLEEP(1)', timeout: 50 });
    for (let i = 0; i < 5; i++) ok((await slow(null, {})).error.includes('waiting for the reply'), 'query timeout');
    const ids = (await m.sql('primary', "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'omnidb' AND COMMAND = 'Sleep'")).split('\n').filter(Boolean);
    for (const id of ids) await m.sql('primary', `KILL ${id}`);
    ok((await primary(null, {})).status === 'healthy', 'after kill');
    const db = new Orchestrator({ connections: { a: {} }, healthCheck: { interval: '1h', checks: { a: probes.mysql(m.primary.url) } } });
    await db.connect(); ok(db.health().a.status === 'healthy', 'orchestrator'); await db.disconnect();
    await m.stopServer('primary');
    ok((await primary(null, {})).error.includes('Connection refused'), 'down');
    await m.startServer('primary');
    ok((await primary(null, {})).status === 'healthy', 'back');
    primary.close(); replica.close(); silent.close(); slow.close();
    console.log('mysql-probe-paths: all paths ok under the sanitizers');
  } finally {
    hole.close();
    await m.stop();
  }
})().catch((e) => { console.error(e); process.exitCode = 1; });
