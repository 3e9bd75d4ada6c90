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
