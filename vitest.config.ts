import { defineConfig } from 'vitest/config';

// Three projects: `unit` needs nothing but Node; `integration` talks to real servers
// started by the tests themselves (HTTP servers on 127.0.0.1, a Redis server); `timing`
// measures time at a server (the rate held at the service), so it runs alone, after
// the other two have finished: their load on a 2-core machine would delay its calls.
const integration = {
  environment: 'node' as const,
  globalSetup: ['test/integration/global-setup.ts'],
  setupFiles: ['test/support/own-data-dir.ts'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], ...integration },
      },
      {
        test: {
          name: 'timing',
          include: ['test/timing/**/*.test.ts'],
          ...integration,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
