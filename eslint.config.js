'use strict';
// ESLint 9 flat config. The package is CommonJS (node + jest globals); the vitest suite
// (test/vitest/) and the few .mjs files are ES modules. Typings (types/) are checked by tsd.
const js = require('@eslint/js');
const globals = require('globals');

const bugRules = {
  'no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_',
    caughtErrors: 'none', ignoreRestSiblings: true }],
  eqeqeq: ['error', 'smart'],
  'no-var': 'error',
  'prefer-const': ['error', { destructuring: 'all' }],
  // `_` is the conventional name of an ignored parameter; nested callbacks reuse it.
  'no-shadow': ['error', { allow: ['_'] }],
};

module.exports = [
  {
    ignores: ['node_modules/', 'build*/', 'prebuilds/', 'coverage/', 'types/', '**/*.d.ts', '**/*.d.mts',
      'test/types/', 'test/types-resolution/', 'examples/**/node_modules/',
      'test/fixtures/prisma/generated/'], // prisma generate's output (gitignored)
  },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'commonjs',
      globals: { ...globals.node, ...globals.jest },
    },
    rules: bugRules,
  },
  {
    files: ['**/*.mjs'],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: bugRules,
  },
  {
    files: ['test/vitest/**/*.mjs'],
    languageOptions: { globals: { ...globals.vitest } },
  },
];
