/**
 * The chart of `serving-floor.bench.ts`: each server's share of the ceiling against
 * connections (medians of the rounds), beside the estimated bound, the measured least server
 * and the 85% goal, so a reader sees how far each is from the goal and from what any server
 * reaches.
 */
import type { ChartSpec } from './chart';
import { median, round } from './latency';

/** One round at one level, as `serving-floor.bench.ts` summarises it. */
export interface FloorSummaryRow {
  connections: number;
  boundPct: number;
  leastPct: number;
  servedPct: Record<string, number>;
}

/**
 * The chart spec (rendered by `writeResults`): `file` under docs/charts/, `subtitle` the
 * machine and layout.
 *
 * @example
 * floorChart(summary, ['serve-tuned-v8heap'], { file: 'serving-floor-1cores.svg', subtitle });
 */
export function floorChart(
  summary: readonly FloorSummaryRow[],
  servers: readonly string[],
  { file, subtitle }: { file: string; subtitle: string },
): ChartSpec {
  const levels = [...new Set(summary.map((row) => row.connections))].sort((a, b) => a - b);
  const curve = (pick: (row: FloorSummaryRow) => number): Array<[number, number]> =>
    levels.map((connections) => [
      connections,
      round(median(summary.filter((row) => row.connections === connections).map(pick)), 1),
    ]);
  return {
    file,
    title: 'Share of the bare-runtime ceiling vs connections (median of the rounds)',
    subtitle,
    xLabel: 'connections',
    yLabel: '% of the ceiling',
    series: [
      { name: 'estimated bound', dashed: true, points: curve((row) => row.boundPct) },
      { name: 'least-server (measured)', points: curve((row) => row.leastPct) },
      ...servers.map((server) => ({
        name: server,
        points: curve((row) => row.servedPct[server] ?? Number.NaN),
      })),
    ],
    references: [{ label: 'goal 85%', value: 85 }],
  };
}
