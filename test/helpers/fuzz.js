'use strict';
// Seeded generators for test/fuzz.test.js and its child-process fixture
// (test/fixtures/fuzz-listeners.js): a small PRNG, odd values of every kind (Proxies,
// revoked Proxies, null-prototype objects, throwing getters, non-Error throwables),
// and a record of every value those generators throw, so a test can tell "the
// user's own value came back" from "something else escaped".

/** mulberry32: a 32-bit state PRNG, good enough to drive choices, not crypto. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed of its own for each property, so adding draws to one leaves the others alone. */
function seedFor(seed, label) {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Describes any value without ever throwing (for failure messages). */
function show(value) {
  try {
    if (value === null) return 'null';
    const type = typeof value;
    if (type === 'undefined') return 'undefined';
    if (type === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...(${value.length})` : value);
    if (type === 'symbol') return value.toString();
    if (type === 'bigint') return `${value}n`;
    if (type !== 'object' && type !== 'function') return String(value);
    let tag = '';
    try {
      tag = Object.prototype.toString.call(value);
    } catch {
      return '<revoked proxy>';
    }
    let message = '';
    try {
      const m = value.message;
      if (typeof m === 'string') message = `: ${m}`;
    } catch {
      message = ': <message getter throws>';
    }
    let code = '';
    try {
      const c = value.code;
      if (typeof c === 'string') code = ` [${c}]`;
    } catch {
      code = ' [<code getter throws>]';
    }
    return `${tag}${code}${message}`;
  } catch {
    return '<unprintable>';
  }
}

const NAMES = [
  'primary', 'replica', 'cache', 'analytics', '__proto__', 'constructor', 'toString', 'hasOwnProperty',
  'valueOf', 'then', '', ' ', '名前', '🙂', 'a.b', 'a"b\\c', '0', '1e3', 'nul\u0000byte', 'x'.repeat(3000),
];

class Fuzz {
  /** @param {number} seed */
  constructor(seed) {
    this.seed = seed >>> 0;
    this.random = mulberry32(this.seed);
    this.trail = [];
    this.thrown = []; // every value thrown by a generated getter, trap or function
  }

  int(n) { return Math.floor(this.random() * n); }

  bool(p = 0.5) { return this.random() < p; }

  pick(list) { return list[this.int(list.length)]; }

  /** Records a choice for the failure message. */
  note(label) { this.trail.push(label); }

  /** Picks one [label, make] entry, notes `what=label`, returns make(). */
  oneOf(what, table) {
    const [label, make] = this.pick(table);
    this.note(`${what}=${label}`);
    return make();
  }

  story() { return this.trail.join('; '); }

  /** Whether `value` is one of the values this run's generators threw. */
  threw(value) { return this.thrown.some((t) => Object.is(t, value)); }

  /** Throws (and records) a fresh odd value: the body of every bomb below. */
  boom(kind) {
    const value = this.throwable(kind);
    this.thrown.push(value);
    throw value;
  }

  /** A fresh value to throw, from Errors to things no one should throw. */
  throwable(kind = this.int(THROWABLES.length)) {
    return THROWABLES[kind % THROWABLES.length](this);
  }

  /** A function that throws a fresh odd value each time it is called. */
  bomb() {
    const kind = this.int(THROWABLES.length);
    return () => this.boom(kind);
  }

  /** An object whose property `key` is a getter that throws. */
  throwingGetter(key, base = {}) {
    const kind = this.int(THROWABLES.length);
    Object.defineProperty(base, key, { get: () => this.boom(kind), enumerable: true, configurable: true });
    return base;
  }

  /** A Proxy over `target`: forwarding, throwing from every trap, throwing on get, or revoked. */
  proxy(target, mode = this.pick(['forward', 'throw-all', 'throw-get', 'revoked'])) {
    if (mode === 'forward') return new Proxy(target, {});
    if (mode === 'revoked') {
      const { proxy, revoke } = Proxy.revocable(target, {});
      revoke();
      return proxy;
    }
    const kind = this.int(THROWABLES.length);
    if (mode === 'throw-get') return new Proxy(target, { get: () => this.boom(kind) });
    // Every trap the engine asks the handler for throws.
    const handler = new Proxy({}, { get: () => () => this.boom(kind) });
    return new Proxy(target, handler);
  }

  /** A connection name, odd ones included. */
  name() { return this.pick(NAMES); }

  /** `n` distinct connection names. */
  names(n) {
    const out = [];
    while (out.length < n) {
      const candidate = this.bool(0.5) ? this.name() : `c${this.int(1000)}`;
      if (!out.includes(candidate)) out.push(candidate);
    }
    return out;
  }

  /** An odd value of no particular use: anything a caller might pass by mistake. */
  oddValue() {
    return this.oneOf('value', [
      ['undefined', () => undefined],
      ['null', () => null],
      ['0', () => 0],
      ['-0', () => -0],
      ['NaN', () => NaN],
      ['Infinity', () => Infinity],
      ['42', () => 42],
      ['1n', () => 1n],
      ['true', () => true],
      ['empty string', () => ''],
      ['string', () => 'SELECT 1'],
      ['long string', () => 'y'.repeat(10000)],
      ['unicode', () => '名前🙂'],
      ['symbol', () => Symbol('fuzz')],
      ['plain object', () => ({ a: 1 })],
      ['null-prototype object', () => Object.create(null)],
      ['array', () => [1, 2]],
      ['function', () => function f() {}],
      ['Date', () => new Date(0)],
      ['Map', () => new Map()],
      ['frozen object', () => Object.freeze({ z: 1 })],
      ['throwing toString', () => ({ toString: this.bomb(), valueOf: this.bomb() })],
      ['throwing toPrimitive', () => ({ [Symbol.toPrimitive]: this.bomb() })],
      ['proxy', () => this.proxy({})],
      ['String object', () => new String('primary')],
    ]);
  }
}

// Fresh each time: identity matters (the same object must come back).
const THROWABLES = [
  () => new Error('fuzz error'),
  () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
  () => null,
  () => undefined,
  () => 'a thrown string',
  () => 42,
  () => Symbol('thrown'),
  () => Object.create(null),
  () => {
    const e = new Error('message getter');
    Object.defineProperty(e, 'message', { get: () => { throw new Error('message getter throws'); } });
    return e;
  },
  () => {
    const e = new Error('code getter');
    Object.defineProperty(e, 'code', { get: () => { throw new Error('code getter throws'); } });
    return e;
  },
  () => ({ toString() { throw new Error('toString throws'); }, [Symbol.toPrimitive]() { throw new Error('toPrimitive throws'); } }),
  () => {
    const e = new Error('cyclic cause');
    e.cause = e;
    return e;
  },
  () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  },
  () => new Proxy(new Error('proxied'), { get() { throw new Error('error proxy get'); }, getPrototypeOf() { throw new Error('error proxy proto'); } }),
  () => ({ code: 'OMNIDB_TIMEOUT', message: 'looks like ours' }),
];

module.exports = { mulberry32, seedFor, show, Fuzz, NAMES };
