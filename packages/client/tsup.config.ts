import { defineConfig } from 'tsup';

export default defineConfig({
  // The gRPC entry is Node-only; the main entry never imports it (see test/grpc-entry.test.ts).
  entry: ['src/index.ts', 'src/grpc/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  // es2022 rather than node20: the same build runs in browsers and edge runtimes.
  target: 'es2022',
  tsconfig: 'tsconfig.json',
});
