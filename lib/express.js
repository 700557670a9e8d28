'use strict';
// Kept for code that required lib/express.js: the Express integration lives in lib/integrations/.
const { validateReadinessOptions } = require('./integrations/readiness');

module.exports = { ...require('./integrations/express'), validateReadinessOptions };
