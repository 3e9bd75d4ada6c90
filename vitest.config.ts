import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

/**
 * One vitest run over every package. `@infer/*` resolves to the TypeScript sources so tests
 * need no build; code that runs in worker threads loads the built `dist/` (the test command
 * builds first, see scripts/setup.mjs).
 */
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@infer\/codecs$/, replacement: src('codecs/src/index.ts') },
      // Node takes the client's `node` export condition (its node:http sender).
      { find: /^@infer\/client$/, replacement: src('client/src/node.ts') },
      { find: /^@infer\/client\/grpc$/, replacement: src('client/src/grpc/index.ts') },
      { find: /^@infer\/batching$/, replacement: src('batching/src/index.ts') },
      { find: /^@infer\/core$/, replacement: src('core/src/index.ts') },
      { find: /^@infer\/core\/spec$/, replacement: src('core/src/spec/index.ts') },
      { find: /^@infer\/core\/testing$/, replacement: src('core/src/testing/index.ts') },
      { find: /^@infer\/core\/grpc$/, replacement: src('core/src/grpc/index.ts') },
      {
        find: /^@infer\/core\/(node|express|fastify|next)$/,
        replacement: src('core/src/adapters/$1.ts'),
      },
      { find: /^@infer\/runtime-onnx$/, replacement: src('runtime-onnx/src/index.ts') },
      { find: /^@infer\/runtime-tfjs$/, replacement: src('runtime-tfjs/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
