import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tracing tests spawn real processes and ptrace them; two CPUs here, keep parallelism modest.
    maxWorkers: 2,
  },
});
