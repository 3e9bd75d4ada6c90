/**
 * `pnpm bench [name ...]`: runs every `benchmarks/*.bench.ts` (or the named ones) one after
 * another in its own process, so one benchmark's heap and threads never skew the next. A name
 * that is exactly a benchmark's (`serving`) runs that one; another name runs every benchmark
 * it begins (`client` runs client-binary-threshold and client-overhead).
 * Benchmarks import the built packages (`pnpm build` runs first via scripts/setup.mjs).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const all = readdirSync(here)
  .filter((file) => file.endsWith('.bench.ts'))
  .sort();
// A name that is a benchmark's own name picks that one (`serving` is not also `serving-floor`);
// any other name is a prefix of the benchmarks it runs.
const matches = (name: string) =>
  all.includes(`${name}.bench.ts`)
    ? [`${name}.bench.ts`]
    : all.filter((file) => file.startsWith(name));
const files =
  wanted.length === 0
    ? all
    : all.filter((file) => wanted.some((name) => matches(name).includes(file)));

if (files.length === 0) {
  console.error(`no benchmark matches ${wanted.join(', ')}`);
  process.exit(1);
}
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, file)], {
    stdio: 'inherit',
  });
  if (result.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
