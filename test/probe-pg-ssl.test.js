'use strict';
// probes.postgres({ ssl }) read the way pg reads `ssl`, checked at the call: PEM contents
// (never echoed), the sslmode it maps to, and what the probe shows of it.
const { probes, ConfigError } = require('..');

const CA = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY-BYTES\n-----END PRIVATE KEY-----\n';

function errorOf(fn) {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

const target = (ssl, extra) => ({ host: '127.0.0.1', port: 5432, user: 'u', password: 'pw', database: 'd', ssl, ...extra });

describe('probes.postgres() ssl', () => {
  test('ssl: false is plaintext (sslmode=disable), and the description shows no sslmode', () => {
    expect(probes.postgres(target(false)).description).toBe('postgres://u@127.0.0.1:5432/d');
  });

  test.each([
    [true, 'verify-full'],
    [{}, 'verify-full'],
    [{ ca: CA }, 'verify-full'],
    [{ ca: Buffer.from(CA) }, 'verify-full'],
    [{ ca: [CA, Buffer.from(CA)] }, 'verify-full'],
    [{ rejectUnauthorized: true, ca: CA }, 'verify-full'],
    [{ rejectUnauthorized: false }, 'require'],
    [{ rejectUnauthorized: false, ca: CA }, 'require'],
  ])('ssl %p runs with sslmode=%s, shown in the description', (ssl, mode) => {
    expect(probes.postgres(target(ssl)).description).toBe(`postgres://u@127.0.0.1:5432/d?sslmode=${mode}`);
  });

  test('an explicit sslmode keyword still wins over ssl', () => {
    expect(probes.postgres(target({ ca: CA }, { sslmode: 'verify-ca' })).description).toMatch(/\?sslmode=verify-ca$/);
  });

  test('a path where contents belong: ConfigError that says to read the file', () => {
    const err = errorOf(() => probes.postgres(target({ ca: '/etc/ssl/certs/my-ca.pem' })));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/ssl\.ca: expected PEM contents .* looks like a file name: pass fs\.readFileSync/);
  });

  test('bad contents are refused without echoing them', () => {
    const err = errorOf(() => probes.postgres(target({ cert: CA, key: 'TOP-SECRET-KEY-BYTES not pem' })));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/ssl\.key: expected PEM contents/);
    expect(err.message).not.toContain('TOP-SECRET');
    expect(errorOf(() => probes.postgres(target({ ca: 42 }))).message).toMatch(/ssl\.ca: expected PEM contents, a string or a Buffer/);
    expect(errorOf(() => probes.postgres(target({ ca: [] }))).message).toMatch(/empty array/);
  });

  test('cert without key (or key without cert) is refused', () => {
    expect(errorOf(() => probes.postgres(target({ cert: CA }))).message).toMatch(/needs both cert and key \(received only cert\)/);
    expect(errorOf(() => probes.postgres(target({ key: KEY }))).message).toMatch(/received only key/);
    expect(probes.postgres(target({ cert: CA, key: KEY })).description).toMatch(/verify-full/);
  });

  test('ssl.ca and an sslrootcert path together are a conflict', () => {
    const err = errorOf(() => probes.postgres(target({ ca: CA }, { sslrootcert: '/x/ca.pem' })));
    expect(err.message).toMatch(/both ssl\.ca and sslrootcert/);
  });

  test('bad shapes name the value and what is valid', () => {
    expect(errorOf(() => probes.postgres(target('yes'))).message).toMatch(/ssl: expected a boolean or an object/);
    expect(errorOf(() => probes.postgres(target({ rejectUnauthorized: 'no' }))).message).toMatch(/rejectUnauthorized: expected a boolean/);
    expect(errorOf(() => probes.postgres(target({ servername: 'a b' }))).message).toMatch(/servername/);
  });

  test('pg\'s URL spellings: ssl=true verifies, sslmode=no-verify does not', () => {
    expect(probes.postgres('postgres://u@h/d?ssl=true').description).toMatch(/sslmode=verify-full$/);
    expect(probes.postgres('postgres://u@h/d?sslmode=no-verify').description).toMatch(/sslmode=require$/);
  });

  test('fromClient carries a pg Pool\'s ssl over, never verifying less', () => {
    const { Pool } = require('pg');
    const pools = [new Pool({ host: 'h', ssl: { ca: CA } }), new Pool({ host: 'h', ssl: true }),
      new Pool({ host: 'h', ssl: { rejectUnauthorized: false } }), new Pool({ host: 'h', ssl: false })];
    expect(pools.map((p) => probes.fromClient(p).description.replace(/^[^?]*/, ''))).toEqual([
      '?sslmode=verify-full', '?sslmode=verify-full', '?sslmode=require', '']);
    return Promise.all(pools.map((p) => p.end()));
  });
});
