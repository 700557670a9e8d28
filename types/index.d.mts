// ESM typings of `import ... from 'omnidb'` (lib/index.mjs): the same declarations as
// the CommonJS entry, plus the default export (the whole module object).
import * as omnidb from './index.js';

export * from './index.js';
export default omnidb;
