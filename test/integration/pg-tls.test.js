'use strict';
// The PostgreSQL probe over TLS, against a TLS-only PostgreSQL (test/harness/servers.js,
// startCluster({ tls: true }): a throwaway CA, a server certificate for localhost and
// 127.0.0.1, hostssl lines only), with pg's `ssl` option given as PEM contents.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { Pool } = require('pg');
const { startCluster } = require('../harness/servers');
const { Orchestrator, probes } = require('../..');

const PASSWORD = 'tls-Pr0be-S3cret';
const LIB = path.resolve(__dirname, '../..');

jest.setTimeout(120000);

let c;
let base; // the app user's target, without ssl

beforeAll(async () => {
  c = await startCluster({ replica: false, redis: false, tls: true, password: PASSWORD });
  base = { host: '127.0.0.1', port: c.primary.port, user: 'omnidb', password: PASSWORD, database: c.primary.database };
}, 120000);

afterAll(async () => {
  if (c) await c.stop();
});

/** The omnidb-tls-* directories in the temp dir now. */
function tlsDirs() {
  return new Set(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('omnidb-tls-')));
}

function openFds() {
  return fs.readdirSync('/proc/self/fd').length;
}

async function once(target, options) {
  const probe = probes.postgres(target, { timeout: 5000, ...options });
  try {
    return await probe();
  } finally {
    probe.close();
  }
}

describe('PostgreSQL probe over TLS', () => {
  test('the harness server refuses plaintext and takes TLS (its own CA verifies)', () => {
    expect(c.tls.ca).toMatch(/-----BEGIN CERTIFICATE-----/);
    expect(c.tls.otherCa).toMatch(/-----BEGIN CERTIFICATE-----/);
    expect(c.tls.otherCa).not.toBe(c.tls.ca);
    expect(fs.readFileSync(path.join(c.primary.dataDir, 'pg_hba.conf'), 'utf8')).not.toMatch(/^host\s/m);
  });

  test('with the right CA (contents, string or Buffer) it is healthy over TLS and says which protocol', async () => {
    for (const ca of [c.tls.ca, Buffer.from(c.tls.ca), [c.tls.otherCa, c.tls.ca]]) {
      const r = await once({ ...base, ssl: { ca } });
      expect(r).toMatchObject({ status: 'healthy', role: 'primary', tls: true });
      expect(r.tlsProtocol).toMatch(/^TLSv1\.[23]$/);
    }
    // By name: localhost is in the certificate's SAN.
    expect(await once({ ...base, host: 'localhost', ssl: { ca: c.tls.ca } })).toMatchObject({ status: 'healthy', tls: true });
  });

  test('a kept connection says tls on every round it answers', async () => {
    const probe = probes.postgres({ ...base, ssl: { ca: c.tls.ca } });
    try {
      const first = await probe();
      const second = await probe(); // on the connection the first round kept
      expect(first).toMatchObject({ status: 'healthy', tls: true });
      expect(second).toMatchObject({ status: 'healthy', tls: true, tlsProtocol: first.tlsProtocol });
    } finally {
      probe.close();
    }
  });

  test('the description shows the sslmode the probe runs with', () => {
    const verifying = probes.postgres({ ...base, ssl: { ca: c.tls.ca } });
    const notVerifying = probes.postgres({ ...base, ssl: { rejectUnauthorized: false } });
    expect(verifying.description).toMatch(/\?sslmode=verify-full$/);
    expect(notVerifying.description).toMatch(/\?sslmode=require$/);
  });

  test('with a wrong CA it is unhealthy, naming the verification failure', async () => {
    const r = await once({ ...base, ssl: { ca: c.tls.otherCa } });
    expect(r.status).toBe('unhealthy');
    expect(r.error).toMatch(/certificate verify failed/);
    expect(r.tls).toBeUndefined();
  });

  test('with a name the certificate does not carry it is unhealthy, naming the mismatch', async () => {
    const r = await once({ ...base, ssl: { ca: c.tls.ca, servername: 'wrong.example' } });
    expect(r.status).toBe('unhealthy');
    expect(r.error).toMatch(/does not match host name "wrong\.example"/);
  });

  test('ssl: true trusts what pg trusts (Node\'s root certificates), so a private CA fails verification', async () => {
    const r = await once({ ...base, ssl: true });
    expect(r.status).toBe('unhealthy');
    expect(r.error).toMatch(/certificate verify failed/);
  });

  test('an explicit rejectUnauthorized: false is honoured: encrypted, not verified', async () => {
    const r = await once({ ...base, ssl: { ca: c.tls.otherCa, rejectUnauthorized: false } });
    expect(r).toMatchObject({ status: 'healthy', tls: true });
  });

  test('a plaintext probe (ssl: false) is refused, and the error says TLS is required', async () => {
    const r = await once({ ...base, ssl: false });
    expect(r.status).toBe('unhealthy');
    expect(r.error).toMatch(/no encryption/);
    expect(r.error).toMatch(/only over TLS/);
    expect(r.error).not.toContain(PASSWORD);
  });

  test('fromClient(new Pool({ ssl: { ca } })) verifies as the pool does', async () => {
    const pool = new Pool({ ...base, ssl: { ca: c.tls.ca } });
    const wrong = new Pool({ ...base, ssl: { ca: c.tls.otherCa } });
    const plain = new Pool({ ...base, ssl: false });
    try {
      // The pool itself connects with that CA (the wrong one is not used through pg: a
      // failed handshake there throws from pg's socket teardown, outside the query).
      expect((await pool.query('SELECT 1 AS x')).rows[0].x).toBe(1);
      const good = probes.fromClient(pool);
      expect(good.description).toMatch(/sslmode=verify-full/);
      expect(await good()).toMatchObject({ status: 'healthy', tls: true });
      good.close();
      const bad = probes.fromClient(wrong);
      expect(await bad()).toMatchObject({ status: 'unhealthy', error: expect.stringMatching(/certificate verify failed/) });
      bad.close();
      const clear = probes.fromClient(plain);
      expect(await clear()).toMatchObject({ status: 'unhealthy', error: expect.stringMatching(/no encryption/) });
      clear.close();
    } finally {
      await Promise.all([pool.end(), wrong.end(), plain.end()]);
    }
  });

  test("a failed TLS round leaves nothing in OpenSSL's error queue for Node's own TLS to trip on", async () => {
    // libpq and Node share one OpenSSL (and its thread-local error queue).
    for (const ssl of [{ ca: c.tls.otherCa }, { ca: c.tls.ca, servername: 'wrong.example' }]) {
      expect((await once({ ...base, ssl })).status).toBe('unhealthy');
      const pool = new Pool({ ...base, ssl: { ca: c.tls.ca } });
      expect((await pool.query('SELECT 2 AS x')).rows[0].x).toBe(2);
      expect((await once({ ...base, ssl })).status).toBe('unhealthy');
      await pool.end();
    }
  });

  test('no password in any output: results, metrics, health, events', async () => {
    const errors = [];
    const db = new Orchestrator({
      connections: { good: {}, wrongCa: {}, plain: {} },
      healthCheck: {
        interval: '1h',
        checks: {
          good: probes.postgres({ ...base, ssl: { ca: c.tls.ca } }),
          wrongCa: probes.postgres({ ...base, ssl: { ca: c.tls.otherCa } }),
          plain: probes.postgres({ ...base, ssl: false }),
        },
      },
    });
    db.on('error', (e) => errors.push(String(e && e.message)));
    try {
      await db.connect();
      const m = db.metrics();
      expect(m.good.healthCheck).toMatchObject({ tls: true, tlsProtocol: expect.stringMatching(/^TLSv1\.[23]$/) });
      expect(m.good.status).toBe('healthy');
      expect(m.wrongCa.status).toBe('unhealthy');
      expect(m.wrongCa.lastError).toMatch(/certificate verify failed/);
      expect(m.plain.lastError).toMatch(/no encryption/);
      expect(m.wrongCa.healthCheck.tls).toBeUndefined(); // never connected
      const everything = JSON.stringify([m, db.health(), errors, db.prometheus ? db.prometheus() : '']);
      expect(everything).not.toContain(PASSWORD);
      expect(everything).not.toContain(encodeURIComponent(PASSWORD));
    } finally {
      await db.disconnect();
    }
  });

  test('the certificate files are private (0700 dir, 0600 files) and gone after close', async () => {
    const before = tlsDirs();
    const probe = probes.postgres({ ...base, ssl: { ca: c.tls.ca } });
    expect((await probe()).status).toBe('healthy');
    const added = [...tlsDirs()].filter((n) => !before.has(n));
    expect(added).toHaveLength(1);
    const dir = path.join(os.tmpdir(), added[0]);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    const files = fs.readdirSync(dir);
    expect(files).toEqual(['sslrootcert.pem']);
    expect(fs.statSync(path.join(dir, files[0])).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, files[0]), 'utf8')).toBe(c.tls.ca.trim() + '\n');
    probe.close();
    expect(fs.existsSync(dir)).toBe(false);
    // A round after close writes them anew, and works.
    expect((await probe()).status).toBe('healthy');
    expect([...tlsDirs()].filter((n) => !before.has(n))).toHaveLength(1);
    probe.close();
    expect([...tlsDirs()].filter((n) => !before.has(n))).toHaveLength(0);
  });

  test('a process that exits without closing its probe leaves no certificate files behind', () => {
    const before = tlsDirs();
    const script = `
      const { probes } = require(${JSON.stringify(LIB)});
      const p = probes.postgres(${JSON.stringify({ ...base, ssl: { ca: c.tls.ca } })});
      p().then((r) => { console.log(r.status); process.exit(0); });`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 });
    expect(r.stdout.trim()).toBe('healthy');
    expect([...tlsDirs()].filter((n) => !before.has(n))).toEqual([]);
  });

  test('1,000 TLS rounds (a new TLS connection each) keep fds and handles flat', async () => {
    const probe = probes.postgres({ ...base, ssl: { ca: c.tls.ca } }, { persistent: false, timeout: 5000 });
    try {
      for (let i = 0; i < 20; i++) expect((await probe()).status).toBe('healthy');
      const fds = openFds();
      const handles = process._getActiveHandles().length;
      let healthy = 0;
      let overTls = 0;
      for (let i = 0; i < 1000; i++) {
        const r = await probe();
        if (r.status === 'healthy') healthy++;
        if (r.tls === true) overTls++;
      }
      expect(healthy).toBe(1000);
      expect(overTls).toBe(1000);
      expect(openFds()).toBeLessThanOrEqual(fds + 2);
      expect(process._getActiveHandles().length).toBeLessThanOrEqual(handles);
    } finally {
      probe.close();
    }
  });
});
