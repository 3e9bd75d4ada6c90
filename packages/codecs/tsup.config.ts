import { defineConfig } from 'tsup';

/**
 * ESM keeps one output file per source module (`src/*.ts` as entries; code shared between
 * them goes into chunks), so a bundler that honours `"sideEffects": false` drops every module
 * a program does not import. In a single file, the zod schemas built at module level
 * (`z.object(...)`) cannot be tree-shaken and take all of zod along: a browser bundle of
 * `@infer/client` was 104 kB gzipped instead of ~10 (packages/client/test/bundle-size.test.ts).
 * Only `.` is exported, so the per-module files are not public API.
 *
 * CJS stays one file, `dist/index.cjs` (`require` does not tree-shake, and one file loads
 * faster), and the declarations come from `src/index.ts` only.
 */
export default defineConfig({
  entry: ['src/*.ts'],
  format: ['esm', 'cjs'],
  // esm splits by default (shared code in chunks); cjs does not, so it gets the index only.
  esbuildOptions(options, { format }) {
    if (format === 'cjs') options.entryPoints = { index: 'src/index.ts' };
  },
  dts: { entry: { index: 'src/index.ts' } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  tsconfig: 'tsconfig.json',
});
