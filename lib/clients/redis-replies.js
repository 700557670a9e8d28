'use strict';
// What a Redis error reply says, from its first word (the error prefix the server
// sends: `-WRONGTYPE Operation against a key...`). Shared by the ioredis and the
// node-redis families, which each recognise their own reply-error class and ask here.
//
// Three kinds of reply:
// - the caller's own mistake: the server is fine and answered; opening the circuit
//   over it would turn one bad command into an outage ('caller');
// - the server cannot serve any command like this one right now and did not run it
//   (still loading its data set, lost its master, cluster down, busy in a script,
//   out of memory, refusing writes, or no longer a master after a failover): a sign
//   of the server's health that counts against the circuit, and the command may run
//   on another server at once ('connection');
// - the rest (MOVED/ASK redirections, unknown prefixes): not known here (null), so it
//   counts, as every unclassified error does.

const CALLER_PREFIXES = new Set([
  'ERR', // the generic command error: syntax, wrong argument count, unknown command, not an integer...
  'WRONGTYPE', // the key holds another type
  'EXECABORT', // MULTI/EXEC discarded for an earlier command error
  'NOSCRIPT', // EVALSHA of a script the server does not have (load it, retry)
  'BUSYKEY', // RESTORE/COPY onto an existing key
  'BUSYGROUP', 'NOGROUP', // stream consumer groups
  'NOPERM', // ACL: this user may not run this command (SQLSTATE 42 counterpart)
  'NOTBUSY', // SCRIPT KILL with no script running
  'NOPROTO', // HELLO with a protocol version the server lacks
]);

const CONNECTION_PREFIXES = new Set([
  'LOADING', // loading the data set after a restart
  'MASTERDOWN', // a replica that lost its master (replica-serve-stale-data no)
  'CLUSTERDOWN', // the cluster cannot serve the slot
  'TRYAGAIN', // multi-key command during resharding
  'READONLY', // a write on a replica: after a failover this node is no longer the master
  'BUSY', // a script or function is running: the server answers nothing else
  'NOREPLICAS', // min-replicas-to-write not met
  'MISCONF', // persistence failing: writes refused
  'OOM', // maxmemory reached: writes refused
  // The server will not serve this connection at all: every command fails the same
  // way (the password changed, the server restarted with requirepass) and none ran.
  'NOAUTH', 'WRONGPASS',
]);

// ERR replies that are about the server or the connection rather than the command.
// (`ERR invalid password` is WRONGPASS before Redis 6.)
const SERVER_ERR = /^ERR (max number of clients reached|invalid password)/;

/** 'caller', 'connection' or null for the message of a Redis error reply. */
function replyVerdict(message) {
  if (typeof message !== 'string') return null;
  const space = message.indexOf(' ');
  const prefix = space === -1 ? message : message.slice(0, space);
  if (prefix === 'ERR' && SERVER_ERR.test(message)) return 'connection';
  if (CALLER_PREFIXES.has(prefix)) return 'caller';
  if (CONNECTION_PREFIXES.has(prefix)) return 'connection';
  return null;
}

/**
 * The verdict on several replies at once (a MULTI/EXEC or pipeline whose commands
 * failed): 'connection' when any says so, 'caller' when every one is the caller's.
 */
function repliesVerdict(messages) {
  let all = messages.length > 0 ? 'caller' : null;
  for (const message of messages) {
    const verdict = replyVerdict(message);
    if (verdict === 'connection') return 'connection';
    if (verdict !== 'caller') all = null;
  }
  return all;
}

module.exports = { replyVerdict, repliesVerdict, CALLER_PREFIXES, CONNECTION_PREFIXES };
