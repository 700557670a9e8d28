'use strict';
// Every entry point's typings resolve and type-check under TypeScript's node10 (via
// typesVersions), node16 and bundler resolution: `tsc` over a consumer of each, through
// node_modules/omnidb (a symlink to this package, made here and removed after).
const fs = require('fs');
const path = require('path');
const { execFile } = require('child_process');

const dir = path.join(__dirname, 'types-resolution');
const link = path.join(dir, 'node_modules', 'omnidb');
const tsc = require.resolve('typescript/bin/tsc');

function typecheck(mode) {
  return new Promise((resolve) => {
    execFile(process.execPath, [tsc, '-p', path.join(dir, `tsconfig.${mode}.json`)], { cwd: dir },
      (error, stdout, stderr) => resolve({ code: error ? error.code : 0, output: `${stdout}${stderr}` }));
  });
}

beforeAll(() => {
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { force: true });
  fs.symlinkSync(path.relative(path.dirname(link), path.join(__dirname, '..')), link, 'dir');
});
afterAll(() => fs.rmSync(path.dirname(link), { recursive: true, force: true }));

test.each(['node10', 'node16', 'bundler'])('tsc --moduleResolution %s: no errors', async (mode) => {
  const { code, output } = await typecheck(mode);
  expect(output).toBe('');
  expect(code).toBe(0);
}, 120000);

test('@arethetypeswrong/cli finds no problem for any entry point under any resolution', async () => {
  const attw = path.join(__dirname, '..', 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
  const { code, output } = await new Promise((resolve) => {
    execFile(process.execPath, [attw, '--pack', '.', '--format', 'json'], { cwd: path.join(__dirname, '..'), maxBuffer: 64 << 20 },
      (error, stdout, stderr) => resolve({ code: error ? error.code : 0, output: stdout || stderr }));
  });
  const report = JSON.parse(output);
  expect(report.problems).toEqual({});
  expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(
    ['.', './express', './fastify', './hono', './koa', './nestjs', './package.json']);
  expect(code).toBe(0);
}, 120000);

test('package.json maps each subpath for node10 (typesVersions) and node16/bundler (exports)', () => {
  const pkg = require('../package.json');
  for (const name of ['express', 'fastify', 'koa', 'hono', 'nestjs']) {
    expect(pkg.exports[`./${name}`]).toEqual({ types: `./types/${name}.d.ts`, default: `./lib/integrations/${name}.js` });
    expect(pkg.typesVersions['*'][name]).toEqual([`types/${name}.d.ts`]);
    expect(fs.existsSync(path.join(__dirname, '..', 'types', `${name}.d.ts`))).toBe(true);
  }
});
