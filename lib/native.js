'use strict';
// Loads the compiled addon, or says exactly how to build it.
const path = require('path');

function load() {
  const file = path.join(__dirname, '..', 'build', 'Release', 'omnidb.node');
  try {
    return require(file);
  } catch (err) {
    const hint = err && err.code === 'MODULE_NOT_FOUND'
      ? 'The native addon is not built.'
      : `The native addon failed to load: ${err && err.message}.`;
    const e = new Error(`${hint} Build it with \`npm run build\` (needs cmake, g++ and ` +
      'pkg-config: apt-get install -y cmake g++ pkg-config libpq-dev libhiredis-dev libmariadb-dev).');
    e.code = 'OMNIDB_NATIVE_MISSING';
    e.cause = err;
    throw e;
  }
}

module.exports = load();
