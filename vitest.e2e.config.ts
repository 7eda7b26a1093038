import { defineConfig } from "vitest/config";

// The end-to-end suite (npm run test:e2e): one ordered scenario against real engines.
export default defineConfig({
    test: {
        include: ["test/e2e/**/*.e2e.ts"],
        testTimeout: 900_000,
        hookTimeout: 900_000,
        fileParallelism: false,
        sequence: { concurrent: false },
    },
});
