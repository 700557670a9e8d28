'use strict';
// Runs bin/omnidb.js as a user would: a child process, its exit code, stdout and stderr.
const path = require('path');
const { spawn } = require('child_process');

const BIN = path.resolve(__dirname, '../../bin/omnidb.js');

/** Runs the CLI to its end: { code, signal, stdout, stderr }. */
function runCli(args, { env = {}, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * Starts the CLI and leaves it running: `until(predicate)` resolves once the stdout seen
 * so far satisfies it; `done` resolves like runCli's promise.
 */
function startCli(args, { env = {} } = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
  const state = { stdout: '', stderr: '' };
  const waiters = [];
  const poke = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].test(state.stdout)) waiters.splice(i, 1)[0].resolve(state.stdout);
    }
  };
  child.stdout.on('data', (d) => { state.stdout += d; poke(); });
  child.stderr.on('data', (d) => { state.stderr += d; });
  const done = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const w of waiters.splice(0)) w.reject(new Error(`the CLI exited (${code ?? signal}) first; stdout:\n${state.stdout}\nstderr:\n${state.stderr}`));
      resolve({ code, signal, stdout: state.stdout, stderr: state.stderr });
    });
  });
  const until = (test) => new Promise((resolve, reject) => {
    waiters.push({ test, resolve, reject });
    poke();
  });
  return { child, done, until, state };
}

module.exports = { BIN, runCli, startCli };
