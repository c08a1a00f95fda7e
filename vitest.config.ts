import { configDefaults, defineConfig } from 'vitest/config';

// The end-to-end chaos suite (test/chaos/chaos.test.ts) starts a dozen processes and runs for
// minutes, so it is its own command: `npm run test:chaos` (which sets NAVAN_BRIDGE_CHAOS=1);
// .ci/run runs it after `npm test`.
const chaos = process.env.NAVAN_BRIDGE_CHAOS === '1';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: chaos ? [...configDefaults.exclude] : [...configDefaults.exclude, 'test/chaos/chaos.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two cores: more workers only add contention for the timing-sensitive gateway tests.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default'],
  },
});
