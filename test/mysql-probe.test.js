'use strict';
// probes.mysql() without a server: the target parser (shared with client adapters), option
// checks, and the error a build without MariaDB Connector/C gives.
const { ConfigError, OmniDbError, probes } = require('..');
const { mysqlTarget } = require('../lib/probes');

const PASSWORD = 'my-pr0be-S3cret';

describe('mysqlTarget(): a mysql:// URL or a mysql2-style object', () => {
  test('a URL and the same fields as an object give the same target', () => {
    const fromUrl = mysqlTarget(`mysql://omnidb:${encodeURIComponent(PASSWORD)}@127.0.0.1:3307/omnidb_test`);
    const fromObject = mysqlTarget({ host: '127.0.0.1', port: 3307, user: 'omnidb', password: PASSWORD, database: 'omnidb_test' });
    expect(fromUrl).toEqual(fromObject);
    expect(fromObject).toEqual({ kind: 'mysql', host: '127.0.0.1', port: 3307, socketPath: '', user: 'omnidb',
      password: PASSWORD, database: 'omnidb_test' });
  });

  test('defaults, mariadb://, uri beside fields, a unix socket, percent-encoding', () => {
    expect(mysqlTarget({})).toEqual({ kind: 'mysql', host: 'localhost', port: 3306, socketPath: '', user: '', password: '', database: '' });
    expect(mysqlTarget('mariadb://db.internal')).toMatchObject({ host: 'db.internal', port: 3306, user: '' });
    expect(mysqlTarget({ uri: 'mysql://app@db:3307/shop', password: 'x' })).toMatchObject({ host: 'db', port: 3307, user: 'app', password: 'x', database: 'shop' });
    expect(mysqlTarget({ url: 'mysql://app@db/shop', database: 'other' })).toMatchObject({ database: 'other' });
    expect(mysqlTarget('mysql://app@localhost/shop?socketPath=%2Frun%2Fmysqld%2Fmysqld.sock')).toMatchObject({ socketPath: '/run/mysqld/mysqld.sock' });
    expect(mysqlTarget('mysql://a%40b:p%3Aw@[::1]:3306/x')).toMatchObject({ host: '::1', user: 'a@b', password: 'p:w' });
    expect(mysqlTarget({ host: 'db', ssl: false, username: 'u' })).toMatchObject({ user: 'u' });
    // Its own output, less `kind`, reads back the same (an adapter may pass it on).
    const { kind, ...parsed } = mysqlTarget('mysql://app:pw@db:3307/shop');
    expect(kind).toBe('mysql');
    expect(mysqlTarget(parsed)).toEqual(mysqlTarget('mysql://app:pw@db:3307/shop'));
  });

  test('bad targets are named, passwords masked', () => {
    expect(() => mysqlTarget(42)).toThrow(/probes\.mysql\(\) target: expected a mysql:\/\/ URL.*received 42 \(number\)/);
    expect(() => mysqlTarget({ host: 'db', port: 'abc' }))
      .toThrow("Invalid probes.mysql() target.port: expected a port number from 1 to 65535 but received 'abc' (string)");
    let error;
    try {
      mysqlTarget(`mysql://app:${PASSWORD}@db:99999/x`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('mysql://app:***@db:99999/x');
    expect(error.message).not.toContain(PASSWORD);
    expect(() => mysqlTarget('postgres://db')).toThrow(/expected a mysql:\/\/ or mariadb:\/\/ URL/);
    expect(() => mysqlTarget({ host: 'db', datbase: 'x' })).toThrow('Unknown option "datbase" in probes.mysql() target. Did you mean "database"?');
    expect(() => mysqlTarget(`mysql://u:${PASSWORD}@db/x?charset=utf8`)).toThrow(/unknown URL parameter "charset" in "mysql:\/\/u:\*\*\*@db\/x\?charset=utf8"/);
    expect(() => mysqlTarget({ host: 'db', ssl: { rejectUnauthorized: false } })).toThrow(/TLS is not supported by native MySQL probes/);
    expect(() => mysqlTarget({ host: 'a,b' })).toThrow(/target\.host/);
    expect(() => mysqlTarget({ host: '/tmp/mysql.sock' })).toThrow(/a unix socket goes in socketPath/);
    expect(() => mysqlTarget({ socketPath: 'relative.sock' })).toThrow(/socketPath: expected an absolute socket path/);
    expect(() => mysqlTarget({ password: () => 'pw' })).toThrow(/a password function is not supported/);
    expect(() => mysqlTarget('mysql://a:1,b:2/db')).toThrow(/names several hosts/);
    // A caller (a client adapter) names where the target came from.
    expect(() => mysqlTarget({ port: 0 }, 'the mysql2 client of "orders"'))
      .toThrow('Invalid the mysql2 client of "orders".port: expected a port number from 1 to 65535 but received 0 (number)');
  });
});

describe('probes.mysql()', () => {
  test('describes its target without the password', () => {
    const probe = probes.mysql(`mysql://omnidb:${PASSWORD}@127.0.0.1:3307/omnidb_test`);
    expect(probe.description).toBe('mysql://omnidb@127.0.0.1:3307/omnidb_test');
    expect(probes.mysql({ socketPath: '/run/m.sock', user: 'app' }).description).toBe('mysql://app@localhost?socketPath=%2Frun%2Fm.sock');
  });

  test('options are checked as for the other probes', () => {
    const url = 'mysql://app@db/x';
    expect(() => probes.mysql(url, { degradeAfter: '1s' }))
      .toThrow('Unknown option "degradeAfter" in probes.mysql() options. Did you mean "degradedAfter"?');
    expect(() => probes.mysql(url, { role: 'leader' })).toThrow(/options\.role: expected 'primary'.*received 'leader' \(string\)/);
    expect(() => probes.mysql(url, { query: '' })).toThrow(/options\.query: expected a non-empty string/);
    expect(() => probes.mysql(url, { detectRole: false, maxLag: '1s' })).toThrow(/need role detection/);
    expect(() => probes.mysql(url, { persistent: 1 })).toThrow(/options\.persistent: expected a boolean/);
    expect(() => probes.mysql(url, { timeout: 'soon' })).toThrow(/options\.timeout/);
  });

  test('an addon built without MariaDB Connector/C: OMNIDB_PROBE_UNAVAILABLE naming the package', () => {
    jest.isolateModules(() => {
      jest.doMock('../lib/native', () => ({ ...jest.requireActual('../lib/native'), probeSupport: { postgres: true, redis: true, mysql: false } }));
      const { probes: isolated } = require('../lib/probes');
      const { OmniDbError: IsolatedError } = require('../lib/errors');
      let error;
      try {
        isolated.mysql('mysql://app@db/x');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(IsolatedError);
      expect(error.code).toBe('OMNIDB_PROBE_UNAVAILABLE');
      expect(error.message).toBe('probes.mysql() needs MariaDB Connector/C, and the addon was built without it: install libmariadb-dev ' +
        '(apt-get install -y libmariadb-dev; scripts/bootstrap.sh installs it) and rebuild with `npm run build`.');
      expect(() => isolated.postgres('postgres://db')).not.toThrow();
    });
    jest.dontMock('../lib/native');
    expect(OmniDbError).toBeDefined();
  });
});
