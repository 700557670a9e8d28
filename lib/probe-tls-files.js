'use strict';
// Certificates given as PEM contents (pg's ssl.ca / cert / key) for a native probe whose
// library reads them only from files (libpq's sslrootcert / sslcert / sslkey): written to
// a private directory (0700, fs.mkdtempSync) as 0600 files, removed when the probe closes
// and, whatever is still there, when the process exits.
const fs = require('fs');
const os = require('os');
const path = require('path');

const live = new Set(); // directories written and not yet removed
let exitHook = false;

function removeDir(dir) {
  live.delete(dir);
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    // already gone, or not ours to remove any more: nothing to report at close or exit
  }
}

function removeAll() {
  for (const dir of [...live]) removeDir(dir);
}

/**
 * Writes `files` ({ name: PEM text }) into a new private directory; returns
 * { dir, paths: { name: absolute path } }. Throws (fs errors) when it cannot.
 */
function writeTlsFiles(files) {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', removeAll);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidb-tls-'));
  live.add(dir);
  try {
    fs.chmodSync(dir, 0o700);
    const paths = {};
    for (const [name, contents] of Object.entries(files)) {
      const file = path.join(dir, `${name}.pem`);
      fs.writeFileSync(file, contents, { mode: 0o600, flag: 'wx' });
      paths[name] = file;
    }
    return { dir, paths };
  } catch (err) {
    removeDir(dir);
    throw err;
  }
}

module.exports = { writeTlsFiles, removeTlsFiles: removeDir };
