'use strict';
// `import { Orchestrator } from 'omnidb'` works and agrees with require('omnidb').
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.join(__dirname, '..');

function runModule(file) {
  return JSON.parse(execFileSync(process.execPath, [file], { cwd: root, encoding: 'utf8' }));
}

describe('ESM entry', () => {
  let out;
  beforeAll(() => {
    out = runModule(path.join(__dirname, 'fixtures', 'esm.mjs'));
  });

  test('every public name is a named export', () => {
    expect(out.exported).toEqual({
      Orchestrator: 'function', CircuitBreaker: 'function', Registry: 'function', ManualClock: 'function', parseDuration: 'function', defaultIsFailure: 'function',
      OmniDbError: 'function', ConfigError: 'function', CircuitOpenError: 'function', TimeoutError: 'function',
      UnknownConnectionError: 'function',
    });
  });

  test('every require() export is also a named ESM export (the two entries do not drift apart)', () => {
    expect(out.esmNames).toEqual(out.cjsNames);
  });

  test('named exports are the very objects require() returns, so instanceof agrees', () => {
    expect(Object.values(out.sameAsRequire).every(Boolean)).toBe(true);
    expect(out.sameAsRequire).toEqual(Object.fromEntries(Object.keys(out.sameAsRequire).map((k) => [k, true])));
    expect(out.defaultIsCjs).toBe(true);
    expect(out.instanceofAcross).toBe(true);
    expect(out.configError).toEqual({ esmInstance: true, cjsInstance: true, code: 'OMNIDB_INVALID_CONFIG' });
  });

  test('the imported Orchestrator works', () => {
    expect(out.result).toBe('pg');
    expect(out.parse).toBe(300000);
  });

  test('the package exports map points import at lib/index.mjs and require at lib/index.js', () => {
    const pkg = require('../package.json');
    expect(pkg.exports['.'].import).toEqual({ types: './types/index.d.mts', default: './lib/index.mjs' });
    expect(pkg.exports['.'].require).toEqual({ types: './types/index.d.ts', default: './lib/index.js' });
    // and a bare ESM import of the file itself works outside the package name too
    const stdout = execFileSync(process.execPath, ['--input-type=module', '-e',
      `import { Orchestrator } from ${JSON.stringify(path.join(root, 'lib', 'index.mjs'))};
       process.stdout.write(typeof Orchestrator);`], { cwd: root, encoding: 'utf8' });
    expect(stdout).toBe('function');
  });
});
