'use strict';
// Reading what the host hands us without letting it throw at us. A value can have a
// getter that throws, be a Proxy whose traps throw or a revoked Proxy, have no
// prototype (so no toString), or throw from toString/Symbol.toPrimitive. Wherever
// OmniDB reads such a value only to describe it or to decide about it, it goes
// through these helpers, so odd input ends as an OmniDB answer (an error with a
// code, an 'error' event, a status) and never as an exception from inside OmniDB.

/** `value[key]`, or `fallback` when reading it throws (a getter, a Proxy trap, a revoked Proxy, null). */
function safeGet(value, key, fallback = undefined) {
  try {
    return value[key];
  } catch {
    return fallback;
  }
}

/** `String(value)` that never throws: symbols, null-prototype objects, throwing toString, revoked Proxies. */
function safeString(value) {
  if (typeof value === 'string') return value;
  try {
    return String(value);
  } catch {
    // no usable toString/toPrimitive: fall back to the tag
  }
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return '[unprintable value]'; // a revoked Proxy, or a Proxy whose every trap throws
  }
}

/** The message of anything thrown: its `message` when that reads as a string, else safeString(it). */
function safeMessage(err) {
  if (err !== null && (typeof err === 'object' || typeof err === 'function')) {
    const message = safeGet(err, 'message');
    if (typeof message === 'string') return message;
  }
  return safeString(err);
}

/** Array.isArray(value), or null where that throws (only a revoked Proxy makes it). */
function isArraySafe(value) {
  try {
    return Array.isArray(value);
  } catch {
    return null;
  }
}

/** Describes a received value for an error message, `'30x' (string)`; never throws. */
function describe(value) {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'undefined': return 'undefined';
    case 'string': return `'${value}' (string)`;
    case 'number':
    case 'boolean': return `${value} (${typeof value})`;
    case 'bigint': return `${value}n (bigint)`;
    case 'symbol': return `${value.toString()} (symbol)`;
    case 'function': return 'a function';
    default: {
      const array = isArraySafe(value);
      if (array === null) return 'a revoked Proxy';
      return array ? 'an array' : 'an object';
    }
  }
}

/**
 * Sets an own, enumerable `key` on `object`, whatever the key: assignment would set
 * the prototype for '__proto__' instead. For per-connection records (getStats(),
 * health(), metrics()), where any connection name is a key.
 */
function setOwn(object, key, value) {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  return object;
}

module.exports = { safeGet, safeString, safeMessage, describe, setOwn, isArraySafe };
