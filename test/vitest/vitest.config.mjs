// Vitest runs only test/vitest/ (its fake-timer tests); Jest never sees these files
// (its testMatch is *.test.js). test/vitest.test.js runs this config from Jest.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['*.vitest.mjs'],
    pool: 'forks',
    testTimeout: 30000,
  },
});
