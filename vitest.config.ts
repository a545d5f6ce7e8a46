import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tracing tests spawn real processes and ptrace them; two CPUs here, keep parallelism modest.
    maxWorkers: 2,
    // sbx's caches (call graphs, compiled filters) go to a directory of the tests' own, kept
    // between runs for speed, never to the home of whoever runs them.
    env: { XDG_CACHE_HOME: join(tmpdir(), 'sbx-test-cache') },
  },
});
