import { fileURLToPath } from 'node:url';

/**
 * This package's built file (ESM or CJS build: each is one bundle), so what it resolves
 * (the wasm binaries, the package itself for a worker thread) is found from where it lives.
 *
 * @internal
 */
export const MODULE_FILE =
  typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
