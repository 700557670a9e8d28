'use strict';
// Runs test/vitest/ (Vitest's fake timers driving the orchestrator) with Vitest
// itself, so `npm test` and the unit suite fail when it fails.
const path = require('path');
const fs = require('fs');
const os = require('os');
const { spawn } = require('child_process');
const { once } = require('events');

test('the Vitest fake-timer tests pass', async () => {
  const root = path.join(__dirname, '..');
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'omnidb-vitest-')), 'result.json');
  const child = spawn(process.execPath, [
    path.join(path.dirname(require.resolve('vitest/package.json')), 'vitest.mjs'), 'run', '--config', path.join(__dirname, 'vitest', 'vitest.config.mjs'),
    '--reporter=default', '--reporter=json', `--outputFile=${out}`,
  ], { cwd: root, env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const [code] = await once(child, 'exit');
  const result = JSON.parse(fs.readFileSync(out, 'utf8'));
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  expect({ code, failed: result.numFailedTests, output }).toEqual({ code: 0, failed: 0, output: expect.any(String) });
  expect(result.numPassedTests).toBeGreaterThanOrEqual(21);
  expect(result.numTotalTests).toBe(result.numPassedTests);
}, 120000);
