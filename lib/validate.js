'use strict';
// The one set of input checks every module uses, and one wording for what they
// report: "Invalid <where>: expected <what> but received <value>". Nothing here
// lets a user value's getter, Proxy trap or toString escape as a crash: describing
// a value never calls into it.
const { ConfigError } = require('./errors');

/** Describes a received value for an error message: `'30x' (string)`, `an object`. */
function describe(value) {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'string': return `'${value.length > 80 ? `${value.slice(0, 77)}...` : value}' (string)`;
    case 'number': case 'boolean': case 'bigint': return `${value} (${typeof value})`;
    case 'symbol': return 'a symbol';
    case 'function': return 'a function';
    default: {
      let array = false;
      try {
        array = Array.isArray(value); // a revoked Proxy throws here
      } catch {
        return 'an object';
      }
      return array ? 'an array' : 'an object';
    }
  }
}

/** A value as text for a message, whatever it is: String() when that works. */
function printable(value) {
  if (typeof value === 'string') return value;
  if (typeof value === 'symbol') return value.toString();
  try {
    return String(value);
  } catch {
    return describe(value);
  }
}

/** Object literal or null-prototype object. Never throws, not even for a revoked Proxy. */
function isPlainObject(value) {
  if (value === null || typeof value !== 'object') return false;
  try {
    if (Array.isArray(value)) return false;
    const proto = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === null;
  } catch {
    return false;
  }
}

function editDistance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}

/** The known key closest to `key`, or null when none is close enough to be a typo. */
function closest(key, known) {
  let best = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  // Close enough to be a typo, and not a whole rewrite of a short name ('d' is no 'a').
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) && bestDistance < key.length ? best : null;
}

/** "Unknown option "x" in <where>. Did you mean "y"?" (or the list of known keys). */
function unknownKeyMessage(key, where, known) {
  const guess = closest(key, known);
  return `Unknown option "${key}" in ${where}` +
    (guess ? `. Did you mean "${guess}"?` : `. Known options: ${known.join(', ')}`);
}

/** The first own key of `object` not in `known` (keys set to undefined are ignored when `allowUndefined`). */
function unknownKey(object, known, allowUndefined = false) {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue;
    if (allowUndefined && object[key] === undefined) continue;
    return key;
  }
  return null;
}

/** Throws ConfigError for the first own key of `object` that is not in `known`. */
function checkKeys(object, where, known, { allowUndefined = false } = {}) {
  const key = unknownKey(object, known, allowUndefined);
  if (key !== null) throw new ConfigError(unknownKeyMessage(key, where, known));
}

/** A ConfigError in the one wording: "Invalid <where>: expected <what> but received <value>". */
function invalid(where, what, value) {
  return new ConfigError(`Invalid ${where}: expected ${what} but received ${describe(value)}`);
}

module.exports = {
  describe, printable, isPlainObject, closest, unknownKey, unknownKeyMessage, checkKeys, invalid,
};
