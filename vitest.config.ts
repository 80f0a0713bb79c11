import { defineConfig } from 'vitest/config';

/** Settings both projects share; spelled out per project because `extends: true` would also merge (concatenate) `include` and `globalSetup`. */
const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks',
  // Removes the project directories the tests made (each holds an embedded store).
  setupFiles: ['test/remove-projects.ts'] as string[],
} as const;

export const config = defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          // The whole suite, on the newest supported PostgreSQL (the bundled one).
          name: 'pg18',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
        },
      },
      {
        test: {
          ...shared,
          // The suites whose SQL depends on the server version, again on the oldest supported one (issue 3).
          name: 'pg14',
          include: [
            'src/providers/**/*.test.ts',
            'src/app/grants.test.ts',
            'src/app/schemas-memberships.test.ts',
            'src/app/reconcile.test.ts',
            'src/app/role-deletion.test.ts',
            'src/app/import.test.ts',
          ],
          globalSetup: ['test/global-setup-pg14.ts'],
        },
      },
    ],
  },
});

// Vitest reads the configuration from the module's default export.
export { config as default };
