'use strict';
// require('omnidb') from the package root: the public surface.
const path = require('path');
const { execFileSync } = require('child_process');

describe("require('..')", () => {
  const omnidb = require('..');

  test('exposes the public API', () => {
    expect(Object.keys(omnidb)).toEqual(expect.arrayContaining([
      'CircuitBreaker', 'CircuitOpenError', 'ConfigError', 'ManualClock', 'Registry', 'OmniDbError', 'Orchestrator',
      'TimeoutError', 'UnknownConnectionError', 'defaultIsFailure', 'isConnectionError', 'parseDuration', 'probes',
    ]));
    for (const [key, value] of Object.entries(omnidb)) {
      if (key === 'probes') {
        expect(Object.values(value).every((f) => typeof f === 'function')).toBe(true);
      } else {
        expect(typeof value).toBe('function');
      }
    }
  });

  test('is the same module as lib/index.js (the package main)', () => {
    expect(require('../lib/index.js')).toBe(omnidb);
    expect(require('../package.json').main).toBe('lib/index.js');
  });

  test('the error classes form one hierarchy with stable names', () => {
    const { OmniDbError, ConfigError, CircuitOpenError, TimeoutError, UnknownConnectionError } = omnidb;
    for (const Cls of [ConfigError, CircuitOpenError, TimeoutError, UnknownConnectionError]) {
      expect(Cls.prototype).toBeInstanceOf(OmniDbError);
      expect(Cls.prototype.name).toBe(Cls.name);
    }
    expect(OmniDbError.prototype).toBeInstanceOf(Error);
    const err = new CircuitOpenError('primary', 'replica');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('CircuitOpenError');
    expect(err.code).toBe('OMNIDB_CIRCUIT_OPEN');
    expect(err.connection).toBe('replica');
    expect(err.message).toBe('Connection "primary" is unavailable: Circuit open for "replica"');
    expect(String(err)).toBe(`CircuitOpenError: ${err.message}`);
  });

  test('an Orchestrator from the package works end to end', async () => {
    const db = new omnidb.Orchestrator({ connections: { pg: { n: 1 } } });
    try {
      await db.connect();
      await expect(db.execute('pg', (c) => c.n + 1)).resolves.toBe(2);
    } finally {
      await db.disconnect();
    }
  });

  test("require('omnidb') by name resolves to the same file from inside the package", () => {
    const stdout = execFileSync(process.execPath, ['-e',
      "const a = require('omnidb'); const b = require('./lib/index.js'); process.stdout.write(String(a === b && typeof a.Orchestrator === 'function'))"],
    { cwd: path.join(__dirname, '..'), encoding: 'utf8' });
    expect(stdout).toBe('true');
  });

  test('omnidb/package.json is exported', () => {
    const stdout = execFileSync(process.execPath, ['-e', "process.stdout.write(require('omnidb/package.json').name)"],
      { cwd: path.join(__dirname, '..'), encoding: 'utf8' });
    expect(stdout).toBe('omnidb');
  });
});
