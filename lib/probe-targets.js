'use strict';
// Native probe targets: what probes.postgres(), probes.redis() and probes.mysql() (and
// the client families' probe()) accept, checked and turned into the config the addon's
// probes take: conninfo strings, URLs and option objects, pg-style `ssl`, and the
// description (never the password) shown in results and messages. lib/probes.js runs
// the probes; this file only reads targets.
const { ConfigError } = require('./errors');
const { describe, closest } = require('./options');

// libpq keywords a target may carry besides host/hostaddr/port/user/password/dbname
// (PostgreSQL 15). `replication` is left out on purpose: a walsender cannot run a query.
const PG_KEYWORDS = new Set([
  'passfile', 'channel_binding', 'connect_timeout', 'client_encoding', 'options', 'application_name',
  'fallback_application_name', 'keepalives', 'keepalives_idle', 'keepalives_interval', 'keepalives_count',
  'tcp_user_timeout', 'gssencmode', 'sslmode', 'requiressl', 'sslcompression', 'sslcert', 'sslkey',
  'sslpassword', 'sslrootcert', 'sslcrl', 'sslcrldir', 'sslsni', 'requirepeer', 'ssl_min_protocol_version',
  'ssl_max_protocol_version', 'krbsrvname', 'gsslib', 'service', 'target_session_attrs',
]);
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
const PG_TARGET_KEYS = ['host', 'hostaddr', 'port', 'user', 'username', 'password', 'database', 'dbname',
  'ssl', 'socketPath', 'connectionString', ...PG_KEYWORDS];
const MYSQL_TARGET_KEYS = ['host', 'port', 'user', 'username', 'password', 'database', 'socketPath', 'ssl', 'uri', 'url'];
const REDIS_TARGET_KEYS = ['host', 'port', 'path', 'socketPath', 'username', 'password', 'db', 'database', 'url', 'tls'];

// ------------------------------------------------------------------ small checks

function isPlainObject(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A target string with any password in it masked, for messages. */
function mask(target) {
  return String(target)
    // Up to the last '@': a password typed with a raw '/' or '@' is still masked
    // (over-masking an '@' in the query beats showing a password).
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):.*@/i, '$1:***@')
    .replace(/(password\s*=\s*)('(?:\\.|[^'\\])*'|\S+)/gi, '$1***')
    .replace(/([?&]password=)[^&]*/gi, '$1***');
}

function bad(where, what, value) {
  return new ConfigError(`Invalid ${where}: expected ${what} but received ${describe(value)}`);
}

function text(value, where, { allowEmpty = false } = {}) {
  if (typeof value !== 'string' || (!allowEmpty && value === '') || value.includes('\0')) {
    throw bad(where, allowEmpty ? 'a string' : 'a non-empty string', value);
  }
  return value;
}

function secret(value, where) {
  if (typeof value !== 'string' || value.includes('\0')) {
    throw new ConfigError(`Invalid ${where}: expected a string but received ${typeof value === 'string' ? 'a string with a NUL character' : describe(value)}`);
  }
  return value;
}

function hostName(value, where) {
  if (typeof value !== 'string' || value === '' || /[\s,\0]/.test(value)) {
    throw bad(where, 'a host name, an IP address or a socket directory (one host: make one probe per server)', value);
  }
  return value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
}

function port(value, where) {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw bad(where, 'a port number from 1 to 65535', value);
  }
  return n;
}

function checkKeys(object, where, known) {
  for (const key of Object.keys(object)) {
    if (known.includes(key) || object[key] === undefined) continue;
    const guess = closest(key, known);
    throw new ConfigError(`Unknown option "${key}" in ${where}` +
      (guess ? `. Did you mean "${guess}"?` : `. Known options: ${known.join(', ')}`));
  }
}

function decode(value, where) {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new ConfigError(`Invalid ${where}: malformed percent-encoding`);
  }
}

// ------------------------------------------------------------------ PostgreSQL targets

/** libpq's `key=value key='quoted value'` form, as a plain object. */
function parseConninfo(str, where) {
  const out = {};
  let i = 0;
  const n = str.length;
  const space = (c) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  while (i < n) {
    while (i < n && space(str[i])) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && /[A-Za-z0-9_]/.test(str[i])) i++;
    const key = str.slice(start, i);
    while (i < n && space(str[i])) i++;
    if (key === '' || str[i] !== '=') {
      throw new ConfigError(`Invalid ${where}: malformed conninfo string near "${mask(str.slice(start, start + 20))}" ` +
        "(expected key=value pairs such as \"host=db port=5432 dbname=app\", or a postgres:// URL)");
    }
    i++;
    while (i < n && space(str[i])) i++;
    let value = '';
    if (str[i] === "'") {
      i++;
      for (;;) {
        if (i >= n) throw new ConfigError(`Invalid ${where}: unterminated quoted value for "${key}"`);
        if (str[i] === '\\' && i + 1 < n) {
          value += str[i + 1];
          i += 2;
        } else if (str[i] === "'") {
          i++;
          break;
        } else {
          value += str[i++];
        }
      }
    } else {
      while (i < n && !space(str[i])) {
        if (str[i] === '\\' && i + 1 < n) i++;
        value += str[i++];
      }
    }
    out[key] = value;
  }
  return out;
}

/** A postgres:// URL as libpq keywords. */
function parsePgUrl(str, where) {
  const authority = str.replace(/^[a-z]+:\/\//i, '').split(/[/?]/)[0];
  if (authority.includes(',')) {
    throw new ConfigError(`Invalid ${where}: the URL "${mask(str)}" names several hosts; a probe checks one server, make one probe per host`);
  }
  let url;
  try {
    url = new URL(str);
  } catch {
    throw new ConfigError(`Invalid ${where}: "${mask(str)}" is not a valid postgres:// URL`);
  }
  const out = {};
  if (url.hostname) out.host = decode(url.hostname, where);
  if (url.port) out.port = url.port;
  if (url.username) out.user = decode(url.username, where);
  if (url.password) out.password = decode(url.password, where);
  const db = url.pathname.replace(/^\//, '');
  if (db) out.dbname = decode(db, where);
  for (const [key, value] of url.searchParams) {
    // node-postgres' URL spellings: ssl=true, sslmode=no-verify.
    if (key === 'ssl') out.ssl = value === 'true' || value === '1';
    else if (key === 'sslmode' && value === 'no-verify') out.sslmode = 'require';
    else out[key] = value;
  }
  return out;
}

// Field by field into the one plain object the addon reads.
function pgConfigFrom(fields, where) {
  const keys = Object.keys(fields);
  for (const key of keys) {
    if (fields[key] === undefined) continue;
    if (!PG_TARGET_KEYS.includes(key)) {
      if (key === 'replication') throw new ConfigError(`Invalid ${where}: "replication" connections cannot run a probe query`);
      const guess = closest(key, PG_TARGET_KEYS);
      throw new ConfigError(`Unknown option "${key}" in ${where}` + (guess ? `. Did you mean "${guess}"?` : ''));
    }
  }
  const config = { kind: 'postgres', host: '', hostaddr: '', port: '', user: '', password: '', database: '', serverName: '', params: [] };
  const socket = fields.socketPath !== undefined ? text(fields.socketPath, `${where}.socketPath`) : undefined;
  if (fields.host !== undefined && fields.host !== '') config.host = hostName(fields.host, `${where}.host`);
  if (socket !== undefined) {
    // A socket directory, or the socket file itself (/dir/.s.PGSQL.5432).
    const m = /^(.*)\/\.s\.PGSQL\.(\d+)$/.exec(socket);
    config.host = m ? m[1] || '/' : socket;
    if (m && fields.port === undefined) config.port = m[2];
    if (!config.host.startsWith('/')) throw bad(`${where}.socketPath`, 'an absolute path', socket);
  }
  if (fields.hostaddr !== undefined && fields.hostaddr !== '') config.hostaddr = hostName(fields.hostaddr, `${where}.hostaddr`);
  if (fields.port !== undefined && fields.port !== '') config.port = String(port(fields.port, `${where}.port`));
  const user = fields.user !== undefined ? fields.user : fields.username;
  if (user !== undefined && user !== null) config.user = text(user, `${where}.user`, { allowEmpty: true });
  if (fields.password !== undefined && fields.password !== null) {
    if (typeof fields.password === 'function') {
      throw new ConfigError(`Invalid ${where}.password: a password function is not supported by native probes; pass the password itself`);
    }
    config.password = secret(fields.password, `${where}.password`);
  }
  const db = fields.database !== undefined ? fields.database : fields.dbname;
  if (db !== undefined && db !== null) config.database = text(db, `${where}.database`, { allowEmpty: true });
  let sslmode = null;
  let tls = null;
  if (fields.ssl !== undefined && fields.ssl !== null) {
    tls = pgTlsFromSsl(fields.ssl, `${where}.ssl`);
    sslmode = tls.sslmode;
  }
  for (const key of keys) {
    if (!PG_KEYWORDS.has(key) || fields[key] === undefined || fields[key] === null) continue;
    const value = typeof fields[key] === 'number' ? String(fields[key]) : fields[key];
    text(value, `${where}.${key}`, { allowEmpty: true });
    if (key === 'sslmode') {
      if (!SSL_MODES.includes(value)) throw bad(`${where}.sslmode`, `one of ${SSL_MODES.join(', ')}`, value);
      sslmode = value;
      continue;
    }
    config.params.push([key, value]);
  }
  if (sslmode !== null) config.params.push(['sslmode', sslmode]);
  if (tls !== null) applyPgTls(config, tls, fields, where);
  return config;
}

// pg's ssl.ca / cert / key (PEM contents) become files for libpq at the probe's first
// round (makeCheck); a libpq keyword naming the same file is a conflict, not a silent pick.
function applyPgTls(config, tls, fields, where) {
  const files = {};
  for (const [keyword, option] of [['sslrootcert', 'ca'], ['sslcert', 'cert'], ['sslkey', 'key']]) {
    if (tls[option] === undefined) continue;
    if (fields[keyword] !== undefined && fields[keyword] !== null) {
      throw new ConfigError(`Invalid ${where}: both ssl.${option} and ${keyword} are given; pass the certificate one way`);
    }
    files[keyword] = tls[option];
  }
  // Verifying without a CA: pg (Node's TLS) trusts Node's root certificates, so the probe does too,
  // unless libpq is told a CA file of its own.
  if (tls.verify && files.sslrootcert === undefined && (fields.sslrootcert === undefined || fields.sslrootcert === null)) {
    files.sslrootcert = `${require('tls').rootCertificates.join('\n')}\n`;
  }
  if (Object.keys(files).length > 0) Object.defineProperty(config, 'tlsFiles', { value: files, enumerable: false });
  if (tls.passphrase !== undefined && (fields.sslpassword === undefined || fields.sslpassword === null)) {
    config.params.push(['sslpassword', tls.passphrase]);
  }
  if (tls.servername !== undefined) config.serverName = tls.servername;
}

// node-postgres' `ssl` option, read the way pg (and Node's tls.connect) read it: `false`
// disables TLS, `{ rejectUnauthorized: false }` encrypts without checking the certificate
// (sslmode=require), anything else verifies it and the host name (verify-full). `ca`,
// `cert`, `key`: PEM contents, strings or Buffers (`ca` also an array of them);
// `passphrase` decrypts the key; `servername` is the name the certificate must carry.
function pgTlsFromSsl(ssl, where) {
  if (ssl === false) return { sslmode: 'disable', verify: false };
  if (ssl === true) return { sslmode: 'verify-full', verify: true };
  if (ssl === null || typeof ssl !== 'object' || Array.isArray(ssl)) {
    throw bad(where, 'a boolean or an object such as { ca, rejectUnauthorized }', ssl);
  }
  if (ssl.rejectUnauthorized !== undefined && typeof ssl.rejectUnauthorized !== 'boolean') {
    throw bad(`${where}.rejectUnauthorized`, 'a boolean', ssl.rejectUnauthorized);
  }
  const verify = ssl.rejectUnauthorized !== false;
  const out = { sslmode: verify ? 'verify-full' : 'require', verify };
  // Not verifying, a CA would turn libpq's sslmode=require into verify-ca: it is left out.
  if (ssl.ca !== undefined && ssl.ca !== null && verify) out.ca = pemContents(ssl.ca, `${where}.ca`, true);
  if (ssl.cert !== undefined && ssl.cert !== null) out.cert = pemContents(ssl.cert, `${where}.cert`, false);
  if (ssl.key !== undefined && ssl.key !== null) out.key = pemContents(ssl.key, `${where}.key`, false);
  if ((out.cert === undefined) !== (out.key === undefined)) {
    throw new ConfigError(`Invalid ${where}: a client certificate needs both cert and key (received only ${out.cert === undefined ? 'key' : 'cert'})`);
  }
  if (ssl.passphrase !== undefined && ssl.passphrase !== null) out.passphrase = secret(ssl.passphrase, `${where}.passphrase`);
  if (ssl.servername !== undefined && ssl.servername !== null) out.servername = hostName(ssl.servername, `${where}.servername`);
  return out;
}

/** PEM text from a string or a Buffer (`many`: or an array of them). Never echoes the contents. */
function pemContents(value, where, many) {
  const list = many && Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new ConfigError(`Invalid ${where}: expected PEM contents but received an empty array`);
  return list.map((item, i) => {
    const at = list.length > 1 || Array.isArray(value) ? `${where}[${i}]` : where;
    let pemText;
    if (typeof item === 'string') pemText = item;
    else if (Buffer.isBuffer(item) || item instanceof Uint8Array) pemText = Buffer.from(item).toString('utf8');
    else throw bad(at, `PEM contents, a string or a Buffer${many ? ' (or an array of them)' : ''}`, item);
    if (!pemText.includes('-----BEGIN ') || pemText.includes('\0')) {
      const pathLike = typeof item === 'string' && !/\s/.test(item.trim()) && item.length < 4096;
      throw new ConfigError(`Invalid ${at}: expected PEM contents ("-----BEGIN ...") but received ` +
        (pathLike ? 'what looks like a file name: pass fs.readFileSync(file), as for pg' : `${typeof item === 'string' ? 'a string' : 'bytes'} without a PEM block`));
    }
    return pemText.trim() + '\n';
  }).join('');
}

function pgFields(target, where) {
  if (typeof target === 'string') {
    if (/^postgres(ql)?:\/\//i.test(target)) return parsePgUrl(target, where);
    if (target.includes('=')) return parseConninfo(target, where);
    throw new ConfigError(`Invalid ${where}: expected a postgres:// URL, a conninfo string ("host=... port=...") ` +
      `or an options object but received ${describe(mask(target))}`);
  }
  if (isPlainObject(target)) {
    if (target.connectionString === undefined) return target;
    // node-postgres semantics: the connection string overrides the fields.
    const { connectionString, ...rest } = target;
    return { ...rest, ...pgFields(text(connectionString, `${where}.connectionString`), `${where}.connectionString`) };
  }
  throw bad(where, 'a postgres:// URL, a conninfo string or an options object { host, port, user, password, database }', target);
}

function describePg(config) {
  const user = config.user ? `${encodeURIComponent(config.user)}@` : '';
  const host = config.host.startsWith('/') ? encodeURIComponent(config.host)
    : config.host.includes(':') ? `[${config.host}]` : (config.host || config.hostaddr);
  // How TLS is asked for shows (verify-full, or require: encrypted, not verified); plaintext does not.
  const sslmode = config.params.find(([key]) => key === 'sslmode');
  return `postgres://${user}${host}${config.port ? `:${config.port}` : ''}/${encodeURIComponent(config.database)}` +
    (sslmode !== undefined && sslmode[1] !== 'disable' ? `?sslmode=${sslmode[1]}` : '');
}

// ------------------------------------------------------------------ Redis targets

function redisFieldsFromUrl(str, where) {
  if (str.startsWith('/')) return { path: str };
  let url;
  try {
    url = new URL(str);
  } catch {
    throw new ConfigError(`Invalid ${where}: "${mask(str)}" is not a valid redis:// URL`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme === 'rediss') {
    throw new ConfigError(`Invalid ${where}: TLS (rediss://) is not supported by native Redis probes (hiredis 0.14 has no TLS)`);
  }
  const out = {};
  if (scheme === 'unix' || scheme === 'redis+unix') {
    out.path = decode(url.pathname, where);
  } else if (scheme === 'redis') {
    if (url.hostname) out.host = decode(url.hostname, where);
    if (url.port) out.port = url.port;
    const db = url.pathname.replace(/^\//, '');
    if (db) out.db = db;
  } else {
    throw new ConfigError(`Invalid ${where}: expected a redis:// or unix:// URL but received "${mask(str)}"`);
  }
  if (url.username) out.username = decode(url.username, where);
  if (url.password) out.password = decode(url.password, where);
  for (const [key, value] of url.searchParams) {
    if (key === 'db' || key === 'password' || key === 'username') out[key] = value;
  }
  return out;
}

function redisFields(target, where) {
  if (typeof target === 'string') return redisFieldsFromUrl(target, where);
  if (isPlainObject(target)) {
    if (target.url === undefined) return target;
    const { url, ...rest } = target;
    return { ...redisFieldsFromUrl(text(url, `${where}.url`), `${where}.url`), ...rest };
  }
  throw bad(where, 'a redis:// URL or an options object { host, port, username, password, db }', target);
}

function redisConfigFrom(fields, where) {
  checkKeys(fields, where, REDIS_TARGET_KEYS);
  if (fields.tls !== undefined && fields.tls !== null && fields.tls !== false) {
    throw new ConfigError(`Invalid ${where}.tls: TLS is not supported by native Redis probes (hiredis 0.14 has no TLS)`);
  }
  const config = { kind: 'redis', host: '127.0.0.1', port: 6379, path: '', username: '', password: '', db: 0 };
  const path = fields.path !== undefined ? fields.path : fields.socketPath;
  if (path !== undefined && path !== null) {
    config.path = text(path, `${where}.path`);
    if (!config.path.startsWith('/')) throw bad(`${where}.path`, 'an absolute socket path', path);
  }
  if (fields.host !== undefined && fields.host !== null) config.host = hostName(fields.host, `${where}.host`);
  if (fields.port !== undefined && fields.port !== null) config.port = port(fields.port, `${where}.port`);
  if (fields.username !== undefined && fields.username !== null) config.username = text(fields.username, `${where}.username`, { allowEmpty: true });
  if (fields.password !== undefined && fields.password !== null) config.password = secret(fields.password, `${where}.password`);
  if (config.username !== '' && config.password === '') {
    throw new ConfigError(`Invalid ${where}: username "${config.username}" needs a password (Redis AUTH takes both)`);
  }
  const db = fields.db !== undefined ? fields.db : fields.database;
  if (db !== undefined && db !== null) {
    const n = typeof db === 'string' && /^\d+$/.test(db) ? Number(db) : db;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
      throw bad(`${where}.db`, 'a database number >= 0', db);
    }
    config.db = n;
  }
  return config;
}

function describeRedis(config) {
  const user = config.username ? `${encodeURIComponent(config.username)}@` : '';
  if (config.path) return `unix://${user}${config.path}${config.db ? `?db=${config.db}` : ''}`;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `redis://${user}${host}:${config.port}${config.db ? `/${config.db}` : ''}`;
}

// ------------------------------------------------------------------ MySQL targets

/** A mysql:// (or mariadb://) URL as target fields. */
function mysqlFieldsFromUrl(str, where) {
  if (str.replace(/^[a-z]+:\/\//i, '').split(/[/?]/)[0].includes(',')) {
    throw new ConfigError(`Invalid ${where}: the URL "${mask(str)}" names several hosts; a probe checks one server, make one probe per host`);
  }
  let url;
  try {
    url = new URL(str);
  } catch {
    throw new ConfigError(`Invalid ${where}: "${mask(str)}" is not a valid mysql:// URL`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'mysql' && scheme !== 'mariadb') {
    throw new ConfigError(`Invalid ${where}: expected a mysql:// or mariadb:// URL but received "${mask(str)}"`);
  }
  const out = {};
  if (url.hostname) out.host = decode(url.hostname, where);
  if (url.port) out.port = url.port;
  if (url.username) out.user = decode(url.username, where);
  if (url.password) out.password = decode(url.password, where);
  const db = url.pathname.replace(/^\//, '');
  if (db) out.database = decode(db, where);
  for (const [key, value] of url.searchParams) {
    if (key === 'socketPath' || key === 'socket') out.socketPath = value;
    else if (key === 'ssl') out.ssl = value === 'false' || value === '0' ? false : value;
    else {
      throw new ConfigError(`Invalid ${where}: unknown URL parameter "${key}" in "${mask(str)}" (native MySQL probes take socketPath)`);
    }
  }
  return out;
}

function mysqlFields(target, where) {
  if (typeof target === 'string') return mysqlFieldsFromUrl(target, where);
  if (isPlainObject(target)) {
    const link = target.uri !== undefined ? target.uri : target.url;
    if (link === undefined) return target;
    const { uri, url, ...rest } = target;
    const key = uri !== undefined ? 'uri' : 'url';
    return { ...mysqlFieldsFromUrl(text(link, `${where}.${key}`), `${where}.${key}`), ...rest };
  }
  throw bad(where, 'a mysql:// URL or an options object { host, port, user, password, database, socketPath }', target);
}

/**
 * A MySQL/MariaDB probe target (a mysql:// or mariadb:// URL, or { host, port, user,
 * password, database, socketPath } as mysql2 takes them) as the plain object the addon
 * reads: { kind: 'mysql', host, port, socketPath, user, password, database }. Throws
 * ConfigError naming the bad value (never the password).
 */
function mysqlTarget(target, where = 'probes.mysql() target') {
  const fields = mysqlFields(target, where);
  checkKeys(fields, where, MYSQL_TARGET_KEYS);
  if (fields.ssl !== undefined && fields.ssl !== null && fields.ssl !== false) {
    throw new ConfigError(`Invalid ${where}.ssl: TLS is not supported by native MySQL probes yet; ` +
      'probe through the client instead, or pass ssl: false');
  }
  const config = { kind: 'mysql', host: 'localhost', port: 3306, socketPath: '', user: '', password: '', database: '' };
  if (fields.socketPath !== undefined && fields.socketPath !== null && fields.socketPath !== '') {
    config.socketPath = text(fields.socketPath, `${where}.socketPath`);
    if (!config.socketPath.startsWith('/')) throw bad(`${where}.socketPath`, 'an absolute socket path', fields.socketPath);
  }
  if (fields.host !== undefined && fields.host !== null && fields.host !== '') {
    config.host = hostName(fields.host, `${where}.host`);
    if (config.host.startsWith('/')) throw bad(`${where}.host`, 'a host name or an IP address (a unix socket goes in socketPath)', fields.host);
  }
  if (fields.port !== undefined && fields.port !== null) config.port = port(fields.port, `${where}.port`);
  const user = fields.user !== undefined ? fields.user : fields.username;
  if (user !== undefined && user !== null) config.user = text(user, `${where}.user`, { allowEmpty: true });
  if (fields.password !== undefined && fields.password !== null) {
    if (typeof fields.password === 'function') {
      throw new ConfigError(`Invalid ${where}.password: a password function is not supported by native probes; pass the password itself`);
    }
    config.password = secret(fields.password, `${where}.password`);
  }
  if (fields.database !== undefined && fields.database !== null) {
    config.database = text(fields.database, `${where}.database`, { allowEmpty: true });
  }
  return config;
}

function describeMysql(config) {
  const user = config.user ? `${encodeURIComponent(config.user)}@` : '';
  const db = config.database ? `/${encodeURIComponent(config.database)}` : '';
  if (config.socketPath) return `mysql://${user}localhost${db}?socketPath=${encodeURIComponent(config.socketPath)}`;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `mysql://${user}${host}:${config.port}${db}`;
}

module.exports = {
  isPlainObject,
  bad,
  text,
  checkKeys,
  pgConfigFrom,
  pgFields,
  describePg,
  redisFields,
  redisConfigFrom,
  describeRedis,
  mysqlTarget,
  describeMysql,
};
