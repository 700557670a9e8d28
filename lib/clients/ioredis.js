'use strict';
// ioredis (5 and 6): a Redis client (`new Redis()`) or a Cluster (`new Redis.Cluster()`).
//
// ioredis queues a command made while it is not connected (enableOfflineQueue, on by
// default) and keeps it there across up to maxRetriesPerRequest (default 20)
// reconnection attempts: with the defaults, a call made while Redis is down waits
// many seconds before it fails. This family's check never goes through that queue:
// it looks at the client's status first and sends PING only to a ready client.
const { replyVerdict } = require('./redis-replies');
const { untilAborted, untilEvent, startCheck } = require('./check-support');

// ioredis's own errors that say the connection failed or is gone; they carry no code.
const CONNECTION_MESSAGES = new Set([
  'Connection is closed.',
  "Stream isn't writeable and enableOfflineQueue options is false",
  "Cluster isn't ready and enableOfflineQueue options is false",
  'None of startup nodes is available',
  'Cluster is disconnected.',
  'Cluster is disconnecting.',
  'Node is disconnected',
  'Command aborted due to connection close',
  'Command timed out', // commandTimeout: the reply did not come in time
]);
const CONNECTION_MESSAGE_PREFIXES = ['Socket timeout. Expecting data', 'Too many Cluster redirections'];
const CONNECTION_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);
// A command this connection's mode does not take: the app's mistake, not Redis's health.
const CALLER_MESSAGES = new Set([
  'Connection in subscriber mode, only subscriber commands may be used',
  "Connection is in monitoring mode, can't process commands.",
]);

// status values (Redis and Cluster alike): wait (lazyConnect, not connected yet),
// connecting, connect (socket up, handshake running), ready, reconnecting (the last
// attempt failed, the next is scheduled), disconnecting, close, end (closed for good).
function isClient(client) {
  return client !== null && typeof client === 'object' && typeof client.isCluster === 'boolean' &&
    typeof client.status === 'string' && typeof client.sendCommand === 'function' &&
    typeof client.disconnect === 'function';
}

// Where the client connects, for messages (never the password).
function serverOf(client) {
  if (client.isCluster) return 'cluster';
  const o = client.options || {};
  return o.path ? String(o.path) : `${o.host}:${o.port}`;
}

/**
 * Waits until `client` is ready, or fails as soon as its connection attempt does:
 * a reconnecting client failed its last attempt and is reported at once; a lazy one
 * is connected (as its first command would); one still connecting is waited for.
 */
async function ready(client, signal) {
  const { status } = client;
  if (status === 'ready') return;
  if (status === 'reconnecting') throw new Error(`ioredis (${serverOf(client)}) is reconnecting: its last connection attempt failed`);
  if (status === 'end' || status === 'close' || status === 'disconnecting') {
    throw new Error(`ioredis client (${serverOf(client)}) is closed (status "${status}")`);
  }
  if (status === 'wait') {
    await untilAborted(client.connect(), signal);
    return;
  }
  await untilEvent(client, { done: ['ready'], failed: ['error', 'close', 'end'] }, signal);
}

function verdictOf(error) {
  const { name, message } = error;
  if (name === 'ReplyError') return replyVerdict(message); // ioredis 6's SimpleError/BlobError too
  if (CONNECTION_NAMES.has(name)) return 'connection';
  if (typeof message !== 'string') return null;
  if (CONNECTION_MESSAGES.has(message)) return 'connection';
  if (CALLER_MESSAGES.has(message)) return 'caller';
  for (const prefix of CONNECTION_MESSAGE_PREFIXES) if (message.startsWith(prefix)) return 'connection';
  return null;
}

module.exports = {
  name: 'ioredis',
  recognise: isClient,

  /**
   * QUIT (the replies pending come first), then the socket's end. A client that is
   * not connected has no server to wait for: it is disconnected at once.
   */
  async close(client) {
    const { status } = client;
    if (status === 'end') return;
    if (status !== 'ready') {
      client.disconnect();
      return;
    }
    const ended = untilEvent(client, { done: ['end'], failed: [] });
    await client.quit();
    await ended;
  },

  /**
   * disconnect(), and the sockets destroyed now: ioredis's disconnect() only ends
   * them, and waits (disconnectTimeout, 2 s) for a server that may be frozen.
   */
  forceClose(client) {
    if (client.status === 'end') return;
    const nodes = client.isCluster ? client.nodes('all') : [client];
    client.disconnect();
    for (const node of nodes) {
      const { stream } = node;
      if (stream && typeof stream.destroy === 'function' && !stream.destroyed) stream.destroy();
    }
  },

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
   * The server this client talks to, for a native probe; null for a Cluster (many
   * servers), Sentinel (the master moves) and TLS (the native probe has none).
   */
  probe(client) {
    if (client.isCluster) return null;
    const o = client.options;
    if (o === null || typeof o !== 'object') return null;
    if (Array.isArray(o.sentinels) && o.sentinels.length > 0) return null;
    if (o.tls) return null;
    return {
      kind: 'redis',
      fields: {
        host: o.path ? undefined : o.host,
        port: o.path ? undefined : o.port,
        path: o.path || undefined,
        username: o.username || undefined,
        password: o.password || undefined,
        db: o.db,
      },
    };
  },

  classify(error) {
    try {
      return verdictOf(error);
    } catch {
      return null; // a getter or Proxy that throws: nothing recognisable
    }
  },
};
