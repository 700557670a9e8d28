#!/usr/bin/env node
'use strict';
// `npx omnidb check <url>...` / `npx omnidb watch <url>...`: see lib/cli/ and README "CLI".
require('../lib/cli').main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
