'use strict';
// Bad probe targets are refused with a message that shows the target without its
// password, however the password is typed (raw '/', '@', ':' in it).
const { probes, ConfigError } = require('..');

// (A password with '@' then '/' reads as a host and a database: any URL parser sees it so.)
const PASSWORDS = ['Raw/Secret', 'pass:word', 'plainSecret', 'a@b@c'];

function messageOf(fn) {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe.each(PASSWORDS)('password %j', (password) => {
  test('postgres:// with an invalid port: ConfigError, password masked', () => {
    const err = messageOf(() => probes.postgres(`postgres://u:${password}@db.example:99999/app`));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('***');
    expect(err.message).not.toContain(password);
  });

  test('redis:// with an invalid port: ConfigError, password masked', () => {
    const err = messageOf(() => probes.redis(`redis://u:${password}@cache.example:99999/0`));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).not.toContain(password);
  });
});
