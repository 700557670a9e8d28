'use strict';
// Shared by the native probe integration tests: servers that misbehave on purpose, and
// one-round helpers. Not a test file itself.
const fs = require('fs');
const net = require('net');

/** A TCP server that accepts and never answers; `sockets` are the live connections. */
async function blackhole() {
  const sockets = new Set();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.resume(); // read, so a client's close is noticed
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    sockets,
    close: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(r);
    }),
  };
}

async function closedPort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

const run = (probe, ctx = {}) => probe(null, ctx);
/** One round of a probe made for it, then its connection closed (not left to GC). */
async function once(probe, ctx = {}) {
  try {
    return await probe(null, ctx);
  } finally {
    probe.close();
  }
}
const openFds = () => fs.readdirSync('/proc/self/fd').length;

module.exports = { blackhole, closedPort, run, once, openFds };
