'use strict';
// The Redis clients the integration tests drive, made the same way for each one:
// ioredis 5 and 6, node-redis 4 and 5 (npm aliases ioredis5, redis4, redis5).
const { once } = require('events');

const VARIANTS = ['ioredis5', 'ioredis6', 'redis4', 'redis5'];
const LABELS = { ioredis5: 'ioredis 5', ioredis6: 'ioredis 6', redis4: 'node-redis 4', redis5: 'node-redis 5' };
const isIoredis = (variant) => variant.startsWith('ioredis');
const brisk = (attempt) => Math.min(attempt * 50, 200); // reconnect quickly: tests wait for it

/**
 * A client of `variant` for `url`, connected and ready. `failFast` (the default) is
 * what the README advises: no offline queue, so a command made while Redis is down
 * fails at once; `failFast: false` keeps the client's own defaults.
 */
async function makeRedisClient(variant, url, { failFast = true } = {}) {
  if (isIoredis(variant)) {
    const Redis = require(variant === 'ioredis5' ? 'ioredis5' : 'ioredis');
    const options = failFast ? { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: brisk } : {};
    const client = new Redis(url, options);
    client.on('error', () => {}); // a killed server: the tests look at the commands' errors
    await once(client, 'ready');
    return client;
  }
  const { createClient } = require(variant);
  const client = createClient({ url, disableOfflineQueue: failFast, socket: failFast ? { reconnectStrategy: brisk } : {} });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** One raw command (`GET`, `k`) through either API. */
function command(variant, client, ...args) {
  return isIoredis(variant) ? client.call(...args) : client.sendCommand(args.map(String));
}

/**
 * Whether the client has let go of its connection for good. An ioredis client
 * disconnected while reconnecting keeps the status 'reconnecting', with no socket and
 * no reconnection timer left.
 */
function isClosed(variant, client) {
  if (!isIoredis(variant)) return client.isOpen === false;
  if (client.status === 'end') return true;
  return client.manuallyClosing === true && !client.reconnectTimeout && (!client.stream || client.stream.destroyed);
}

module.exports = { VARIANTS, LABELS, makeRedisClient, command, isClosed, isIoredis };
