/**
 * Where the worker entry lives. Worker threads load the BUILT `dist/pool/worker.js` in every
 * case: from `dist/` (the code of this file is bundled into `dist/index.js` and the adapter
 * entries) and from `src/` under vitest, where threads cannot run TypeScript. So the lookup
 * walks up from this module to @infer/core's package root and takes `dist/pool/worker.js`;
 * tests that start workers need `pnpm --filter @infer/core build` first (the root `pnpm test`
 * builds before testing).
 *
 * @internal
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url));

let cached: string | undefined;

/**
 * The absolute path of the built worker entry, `<@infer/core>/dist/pool/worker.js`.
 *
 * @example
 * new Piscina({ filename: workerFile() });
 */
export function workerFile(): string {
  if (cached !== undefined) return cached;
  for (let dir = HERE; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && packageName(manifest) === '@infer/core') {
      const file = join(dir, 'dist', 'pool', 'worker.js');
      if (!existsSync(file)) {
        throw new Error(
          `@infer/core worker entry ${file} is missing; build the package (pnpm --filter @infer/core build)`,
        );
      }
      cached = file;
      return file;
    }
    if (dirname(dir) === dir) break;
  }
  throw new Error(
    `cannot find @infer/core's package.json above ${HERE} to locate dist/pool/worker.js`,
  );
}

function packageName(manifest: string): unknown {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
  } catch {
    return undefined;
  }
}
