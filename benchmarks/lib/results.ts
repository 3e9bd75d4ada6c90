/** Where the benchmarks write their results: `benchmarks/results/<name>.json` (committed). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChartSpec, writeCharts } from './chart';

const DIR = fileURLToPath(new URL('../results', import.meta.url));

/**
 * Writes `results` to `benchmarks/results/<name>.json` and renders its `charts` into
 * `docs/charts/`; returns the JSON path.
 *
 * @example
 * writeResults('serving', { machine, rows, charts });
 */
export function writeResults(
  name: string,
  results: { charts?: ChartSpec[] } & Record<string, unknown>,
): string {
  mkdirSync(DIR, { recursive: true });
  const path = join(DIR, `${name}.json`);
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  const charts = writeCharts(results.charts ?? []);
  console.log(`results: ${path}${charts.length ? `; charts: ${charts.join(', ')}` : ''}`);
  return path;
}
