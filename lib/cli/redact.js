'use strict';
// Everything the CLI prints goes through here, so no password reaches a terminal, a log
// or a CI transcript: URL userinfo passwords, `password=...` keywords, and (belt and
// braces) any password the CLI was given, wherever it appears, raw or percent-encoded.

const secrets = new Set();

// A password of one to three characters is masked where it sits (the URL), but not
// hunted through the text: every "a" of a message would go.
const MIN_SCRUB = 4;

/** Remembers a password so that redact() hides it wherever it shows up. */
function addSecret(value) {
  if (typeof value !== 'string' || value.length < MIN_SCRUB) return;
  secrets.add(value);
  const encoded = encodeURIComponent(value);
  if (encoded !== value) secrets.add(encoded);
}

// A URL's userinfo ends at the *last* "@" of the token: a password typed with a raw
// "/" or "@" (not percent-encoded) is still the password, and still masked.
const URL_TOKEN = /([a-z][a-z0-9+.-]*:\/\/)(\S*)/gi;

function splitUserinfo(rest) {
  const at = rest.lastIndexOf('@');
  if (at < 0) return null;
  const colon = rest.slice(0, at).indexOf(':');
  if (colon < 0) return null;
  return { user: rest.slice(0, colon), password: rest.slice(colon + 1, at), host: rest.slice(at + 1) };
}

/** The password of a URL-shaped string, decoded, or null. */
function passwordOf(text) {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(\S*)$/i.exec(String(text));
  const parts = m === null ? null : splitUserinfo(m[1]);
  if (parts === null || parts.password === '') return null;
  try {
    return decodeURIComponent(parts.password);
  } catch {
    return parts.password;
  }
}

/** Masks the password forms a URL or conninfo string can carry. */
function maskSecrets(text) {
  return String(text)
    .replace(URL_TOKEN, (all, scheme, rest) => {
      const parts = splitUserinfo(rest);
      return parts === null ? all : `${scheme}${parts.user}:***@${parts.host}`;
    })
    .replace(/(password\s*=\s*)('(?:\\.|[^'\\])*'|[^\s&]+)/gi, '$1***');
}

/** maskSecrets() plus every remembered password, longest first. */
function redact(text) {
  let out = maskSecrets(text);
  const known = [...secrets].sort((a, b) => b.length - a.length);
  for (const s of known) out = out.split(s).join('***');
  return out;
}

module.exports = { addSecret, passwordOf, maskSecrets, redact };
