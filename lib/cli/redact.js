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

/** The password of a URL-shaped string, decoded, or null. */
function passwordOf(text) {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@]*?:([^@/?#]*)@/i.exec(text);
  if (m === null || m[1] === '') return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

/** Masks the password forms a URL or conninfo string can carry. */
function maskSecrets(text) {
  return String(text)
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*):[^\s@/]*@/gi, '$1:***@')
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
