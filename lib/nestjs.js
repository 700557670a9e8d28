'use strict';
// Kept for code that required lib/nestjs.js: `omnidb/nestjs` is lib/integrations/nestjs.js.
module.exports = require('./integrations/nestjs');
