'use strict';
// node-redis (`redis` 4 and 5, i.e. @redis/client): `createClient()`.
//
// node-redis queues a command made while the socket is down (the offline queue; off
// with `disableOfflineQueue: true`, then such a command fails at once with
// ClientOfflineError) and keeps reconnecting forever by default. A queued command
// waits until Redis is back. This family's check never goes through that queue: it
// sends PING only to a ready client and otherwise waits for the connection attempt
// under way to succeed or fail.
//
// Closing: 4 has quit() (QUIT, waits for the reply: while Redis is down it never
// finishes) and disconnect(); 5 has close() (waits for pending replies) and
// destroy() (quit() and disconnect() remain as deprecated aliases).
const { replyVerdict, repliesVerdict } = require('./redis-replies');
const { untilAborted, untilEvent, startCheck } = require('./check-support');

// node-redis's error classes set no `name` (every one reads 'Error'): they are told
// apart by their class names, up the prototype chain (SimpleError extends ErrorReply).
const CONNECTION_CLASSES = new Set([
  'ClientOfflineError', // a command while disconnected, disableOfflineQueue on
  'ClientClosedError', // a command on a client that is closed (or was never connected)
  'SocketClosedUnexpectedlyError',
  'ConnectionTimeoutError', // connectTimeout
  'SocketTimeoutError', // socket.socketTimeout (5)
  'ReconnectStrategyError', // reconnectStrategy gave up
  'DisconnectsClientError', // commands pending when the client was destroyed
  'RootNodesUnavailableError', // cluster
  'SocketTimeoutDuringMaintenanceError', 'CommandTimeoutDuringMaintenanceError',
]);
const CALLER_CLASSES = new Set([
  'WatchError', // WATCHed keys changed: the transaction lost a race, the server is fine
]);
const MAX_CHAIN = 6;

function classNames(error) {
  const names = [];
  let proto = Object.getPrototypeOf(error);
  for (let i = 0; i < MAX_CHAIN && proto !== null && proto !== Object.prototype; i++) {
    const ctor = Object.prototype.hasOwnProperty.call(proto, 'constructor') ? proto.constructor : undefined;
    if (typeof ctor === 'function' && typeof ctor.name === 'string') names.push(ctor.name);
    proto = Object.getPrototypeOf(proto);
  }
  return names;
}

function isClient(client) {
  return client !== null && typeof client === 'object' && typeof client.isOpen === 'boolean' &&
    typeof client.isReady === 'boolean' && typeof client.sendCommand === 'function' &&
    typeof client.ping === 'function';
}

// destroy() on 5, disconnect() on 4: both drop the socket and reject what is pending.
function forced(client) {
  if (!client.isOpen) return undefined;
  return typeof client.destroy === 'function' ? client.destroy() : client.disconnect();
}

// Where the client connects, for messages (never the password).
function serverOf(client) {
  const o = client.options || {};
  const socket = o.socket || {};
  if (socket.path) return String(socket.path);
  return `${socket.host || 'localhost'}:${socket.port || 6379}`;
}

async function ready(client, signal) {
  if (client.isReady) return;
  if (!client.isOpen) throw new Error(`node-redis client (${serverOf(client)}) is closed (never connected, or closed)`);
  // Connecting or reconnecting: the attempt under way ends by itself (connected,
  // refused, or connectTimeout), and each failure is an 'error' event.
  await untilEvent(client, { done: ['ready'], failed: ['error', 'end'] }, signal);
}

function verdictOf(error) {
  const names = classNames(error);
  if (names.includes('MultiErrorReply')) {
    const { replies, errorIndexes } = error;
    if (!Array.isArray(replies) || !Array.isArray(errorIndexes)) return null;
    return repliesVerdict(errorIndexes.map((i) => replies[i] && replies[i].message));
  }
  if (names.includes('ErrorReply')) return replyVerdict(error.message);
  for (const name of names) {
    if (CONNECTION_CLASSES.has(name)) return 'connection';
    if (CALLER_CLASSES.has(name)) return 'caller';
  }
  return null;
}

module.exports = {
  name: 'node-redis',
  recognise: isClient,

  close(client) {
    if (!client.isOpen) return undefined;
    if (!client.isReady) return forced(client); // reconnecting: no server to wait for
    return typeof client.close === 'function' ? client.close() : client.quit();
  },

  forceClose: forced,

  async check(client, { signal } = {}) {
    if (signal && signal.aborted) throw signal.reason;
    const clock = startCheck();
    try {
      await ready(client, signal);
      await untilAborted(client.ping(), signal);
      return clock.healthy();
    } catch (error) {
      if (signal && signal.aborted) throw signal.reason;
      return clock.unhealthy(error);
    }
  },

  /**
   * The server this client talks to, for a native probe, from node-redis options
   * { socket: { host, port, path, tls }, username, password, database }; null for
   * TLS (the native probe has none) or rotating credentials.
   */
  probe(client) {
    const o = client.options;
    if (o === null || typeof o !== 'object') return null;
    const s = o.socket !== null && typeof o.socket === 'object' ? o.socket : {};
    if (s.tls || (typeof o.url === 'string' && /^rediss:/i.test(o.url))) return null;
    // A credentials provider other than the one node-redis 5 builds from username and
    // password (a token that rotates) cannot be handed to a native probe.
    const cp = o.credentialsProvider;
    if (cp && typeof cp === 'object' && cp.type !== 'async-credentials-provider') return null;
    // Both versions merge `url` into socket, username, password and database.
    const fields = {};
    if (s.host !== undefined) fields.host = s.host;
    if (s.port !== undefined) fields.port = s.port;
    if (s.path !== undefined) fields.path = s.path;
    if (o.username !== undefined) fields.username = o.username;
    if (o.password !== undefined) fields.password = o.password;
    if (o.database !== undefined) fields.db = o.database;
    return { kind: 'redis', fields };
  },

  classify(error) {
    try {
      return verdictOf(error);
    } catch {
      return null; // a getter or Proxy that throws: nothing recognisable
    }
  },
};
