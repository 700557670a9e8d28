'use strict';
// test/harness/mariadb.js itself: servers that answer, replicate, and are gone afterwards,
// also when the process that started them dies without cleaning up.
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const { startMariaDb } = require('../harness/mariadb');
const { portState, waitFor } = require('../harness/servers');

jest.setTimeout(120000);

const pidsIn = (dir) => fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).filter((e) => {
  try {
    return fs.readlinkSync(`/proc/${e}/cwd`).startsWith(dir);
  } catch {
    return false;
  }
});

test('a primary and a replica that replicates it; stop() removes servers and files', async () => {
  const m = await startMariaDb({ replica: true, password: 'h4rness' });
  let stopped = false;
  try {
    expect(m.primary.url).toBe(`mysql://omnidb:h4rness@127.0.0.1:${m.primary.port}/omnidb_test`);
    expect(await m.sql('replica', 'SELECT @@global.read_only')).toBe('1');
    await m.sql('primary', "INSERT INTO omnidb_test.items (name) VALUES ('harness')");
    await waitFor(async () => (await m.sql('replica', "SELECT COUNT(*) FROM omnidb_test.items WHERE name = 'harness'")) === '1',
      { timeout: 10000, what: 'the row on the replica' });
    expect(pidsIn(m.dir).length).toBeGreaterThanOrEqual(2);
    await m.stop();
    stopped = true;
    expect(fs.existsSync(m.dir)).toBe(false);
    expect(await portState(m.primary.port)).toBe('refused');
    expect(await portState(m.replica.port)).toBe('refused');
    expect(() => m.sql('primary', 'SELECT 1')).toThrow(/was stopped/);
  } finally {
    if (!stopped) await m.stop();
  }
});

test('an owner killed with SIGKILL: the watchdog stops its servers and removes the dir', async () => {
  const script = `
    const { startMariaDb } = require(${JSON.stringify(path.join(__dirname, '../harness/mariadb'))});
    startMariaDb({ replica: false }).then((m) => {
      process.stdout.write(JSON.stringify({ dir: m.dir, port: m.primary.port }) + '\\n');
      setInterval(() => {}, 1000);
    });
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await waitFor(() => out.includes('\n'), { timeout: 60000, what: 'the child to start MariaDB' });
  const { dir, port } = JSON.parse(out);
  expect(await portState(port)).toBe('open');
  const servers = pidsIn(dir);
  expect(servers.length).toBeGreaterThanOrEqual(1);
  child.kill('SIGKILL');
  await waitFor(() => !fs.existsSync(dir), { timeout: 20000, what: 'the watchdog to remove the dir' });
  expect(await portState(port)).toBe('refused');
  for (const pid of servers) expect(fs.existsSync(`/proc/${pid}`) && !/\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))).toBe(false);
});
