'use strict';
// The family of last resort: any object. It closes through the first close method
// the client has and knows the Node socket errors every network client raises.

// Close methods, in the order tried: the first one a client has is called.
const CLOSE_METHODS = ['end', 'close', 'quit', 'disconnect', 'destroy', '$disconnect'];

// Node's socket and DNS errors: the call may never have reached the server.
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN',
]);

/** The first close method `client` has, read once: [name, fn] or null. */
function closeMethodOf(client) {
  if (client === null || (typeof client !== 'object' && typeof client !== 'function')) return null;
  for (const m of CLOSE_METHODS) {
    const value = client[m];
    if (typeof value === 'function') return [m, value];
  }
  return null;
}

module.exports = {
  name: 'generic',
  recognise: () => true,
  closeMethodOf,
  close(client) {
    const found = closeMethodOf(client);
    if (found === null) return undefined;
    return Reflect.apply(found[1], client, []);
  },
  classify(error) {
    const { code } = error;
    return typeof code === 'string' && NETWORK_CODES.has(code) ? 'connection' : null;
  },
  CLOSE_METHODS,
};
