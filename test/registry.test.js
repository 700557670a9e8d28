'use strict';
// Registry: named clients in a Map (omni-db's `Registry`, docs/errors.md "Registry Errors").
const { Registry, OmniDbError } = require('..');

function thrown(fn) {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('Registry', () => {
  test('register, get, has, list, size', () => {
    const registry = new Registry();
    const pg = { kind: 'pg' };
    const redis = { kind: 'redis' };
    expect(registry.size).toBe(0);
    registry.register('primary', pg);
    registry.register('cache', redis);
    expect(registry.get('primary')).toBe(pg);
    expect(registry.get('cache')).toBe(redis);
    expect(registry.get('missing')).toBeUndefined();
    expect(registry.has('primary')).toBe(true);
    expect(registry.has('missing')).toBe(false);
    expect(registry.list()).toEqual(['primary', 'cache']);
    expect(registry.size).toBe(2);
  });

  test('size is a read-only property, not a method', () => {
    const registry = new Registry();
    registry.register('a', {});
    expect(typeof registry.size).toBe('number');
    expect(`${registry.size} connections`).toBe('1 connections');
    expect(() => { registry.size = 5; }).toThrow(TypeError); // a getter only, in strict mode
    expect(registry.size).toBe(1);
  });

  test('register on an existing name replaces its client, as Map#set does', () => {
    const registry = new Registry();
    const first = {};
    const second = {};
    registry.register('db', first);
    registry.register('db', second);
    expect(registry.get('db')).toBe(second);
    expect(registry.size).toBe(1);
    expect(registry.list()).toEqual(['db']);
  });

  test('register returns the registry, for chaining', () => {
    const registry = new Registry();
    expect(registry.register('a', 1).register('b', 2)).toBe(registry);
    expect(registry.list()).toEqual(['a', 'b']);
  });

  test('delete and clear', () => {
    const registry = new Registry();
    registry.register('a', {}).register('b', {});
    expect(registry.delete('a')).toBe(true);
    expect(registry.delete('a')).toBe(false);
    expect(registry.has('a')).toBe(false);
    expect(registry.list()).toEqual(['b']);
    registry.clear();
    expect(registry.size).toBe(0);
    expect(registry.list()).toEqual([]);
  });

  test('entries() and iteration give [name, client] pairs in registration order', () => {
    const registry = new Registry();
    const a = {};
    const b = {};
    registry.register('a', a).register('b', b);
    expect([...registry.entries()]).toEqual([['a', a], ['b', b]]);
    expect([...registry]).toEqual([['a', a], ['b', b]]);
    expect(new Map(registry.entries()).get('b')).toBe(b);
  });

  test('list() is a copy', () => {
    const registry = new Registry();
    registry.register('a', {});
    registry.list().push('b');
    expect(registry.list()).toEqual(['a']);
  });

  test('any non-blank string is a name, __proto__ and constructor included', () => {
    const registry = new Registry();
    registry.register('__proto__', { p: 1 }).register('constructor', { c: 1 }).register(' x ', {});
    expect(registry.get('__proto__')).toEqual({ p: 1 });
    expect(registry.get('constructor')).toEqual({ c: 1 });
    expect(registry.has('toString')).toBe(false);
    expect(registry.size).toBe(3);
  });

  test('falsy clients other than null and undefined are clients', () => {
    const registry = new Registry();
    registry.register('zero', 0).register('empty', '').register('no', false);
    expect(registry.get('zero')).toBe(0);
    expect(registry.has('no')).toBe(true);
  });

  test.each([[''], ['   '], [123], [null], [undefined], [{}], [Symbol('s')]])(
    'register(%p, client): Name must be a non-empty string', (name) => {
      const registry = new Registry();
      const err = thrown(() => registry.register(name, {}));
      expect(err).toBeInstanceOf(OmniDbError);
      expect(err.code).toBe('OMNIDB_INVALID_ARGUMENT');
      expect(err.message).toMatch(/^Name must be a non-empty string/);
      expect(registry.size).toBe(0);
    },
  );

  test.each([[null], [undefined]])('register(name, %p): Client must not be null or undefined', (client) => {
    const registry = new Registry();
    const err = thrown(() => registry.register('db', client));
    expect(err).toBeInstanceOf(OmniDbError);
    expect(err.code).toBe('OMNIDB_INVALID_ARGUMENT');
    expect(err.message).toMatch(/^Client must not be null or undefined/);
    expect(err.message).toContain('"db"');
    expect(registry.has('db')).toBe(false);
  });

  test('the documented calls, as written', () => {
    const registry = new Registry();
    const client = {};
    expect(() => registry.register('', client)).toThrow('Name must be a non-empty string');
    expect(() => registry.register(123, client)).toThrow('Name must be a non-empty string');
    expect(() => registry.register('db', null)).toThrow('Client must not be null or undefined');
    expect(() => registry.register('db', undefined)).toThrow('Client must not be null or undefined');
  });

  test('registries are independent', () => {
    const a = new Registry();
    const b = new Registry();
    a.register('x', {});
    expect(b.has('x')).toBe(false);
  });
});
