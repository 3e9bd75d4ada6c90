import { availableParallelism } from 'node:os';

/** The environment variable that tells @infer how many cores this process may use. */
export const CORES_VARIABLE = 'INFER_CORES';

let warned = false;

/**
 * The cores this process may use: `INFER_CORES` when it is a positive integer, else
 * `os.availableParallelism()`. Runtimes size their default thread counts from it (ONNX
 * Runtime's intra-op threads). Set it where `os.availableParallelism()` overstates what the
 * process gets: a container with a CPU quota (Node sees the host's cores), or one of several
 * server processes on a machine (`infer serve --processes N` sets it to each process's share).
 * A value that is not a positive integer is ignored with a warning.
 *
 * @example
 * availableCores({ INFER_CORES: '4' }); // 4
 * availableCores({}); // os.availableParallelism()
 */
export function availableCores(env: Record<string, string | undefined> = process.env): number {
  const value = env[CORES_VARIABLE];
  if (value === undefined || value === '') return availableParallelism();
  if (/^\d+$/.test(value) && Number(value) > 0) return Number(value);
  if (!warned) {
    warned = true;
    process.emitWarning(
      `${CORES_VARIABLE}="${value}" is not a positive integer; using os.availableParallelism() (${availableParallelism()})`,
      { code: 'INFER_CORES_IGNORED' },
    );
  }
  return availableParallelism();
}
