import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  // es2022 rather than node20: the same build runs in browsers and edge runtimes.
  target: 'es2022',
  tsconfig: 'tsconfig.json',
});
