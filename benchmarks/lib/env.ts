/** Benchmark knobs read from the environment. */

/**
 * The integer in environment variable `name`, or `fallback` when it is unset; throws when it
 * is not an integer of at least `min`.
 *
 * @example
 * const rounds = envInteger('FLOOR_ROUNDS', 3); // FLOOR_ROUNDS=5 pnpm bench serving-floor
 */
export function envInteger(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * The comma-separated integers (each at least `min`) in environment variable `name`, or
 * `fallback` when it is unset; throws on anything else.
 *
 * @example
 * const levels = envIntegers('FLOOR_LEVELS', [32, 128]); // FLOOR_LEVELS=32 pnpm bench serving-floor
 */
export function envIntegers(name: string, fallback: readonly number[], min = 1): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return [...fallback];
  const values = raw.split(',').map((item) => Number(item.trim()));
  if (values.some((value) => !Number.isInteger(value) || value < min)) {
    throw new Error(`${name} must list integers >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return values;
}

/**
 * The comma-separated names in environment variable `name`, or `fallback` when it is unset.
 *
 * @example
 * const kinds = envList('FLOOR_SERVERS', ['serve-tuned', 'serve-default']);
 */
export function envList(name: string, fallback: readonly string[]): string[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return [...fallback];
  return raw.split(',').map((item) => item.trim());
}
