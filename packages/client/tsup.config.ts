import { defineConfig } from 'tsup';

export default defineConfig({
  // The gRPC entry and node.ts (the `node` export condition) are Node-only; the main entry never
  // imports them (see test/grpc-package.test.ts and the browser bundle of test/browser/).
  entry: ['src/index.ts', 'src/node.ts', 'src/grpc/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  // es2022 rather than node20: the same build runs in browsers and edge runtimes.
  target: 'es2022',
  tsconfig: 'tsconfig.json',
});
