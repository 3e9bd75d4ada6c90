/**
 * Hand-written SVG line charts for the benchmark results (no dependency, no network):
 * one polyline per series with dots, log2 x axis (connections / clients), linear or log10
 * y axis with ticks and grid, dashed reference lines (e.g. the ceiling), a legend.
 *
 * Each bench writes `benchmarks/results/<bench>.json` with a `charts` array of
 * {@link ChartSpec}; `node --import tsx benchmarks/lib/chart.ts` re-renders every chart of
 * every results file into `docs/charts/<file>`.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One curve: name in the legend and (x, y) points. */
export interface ChartSeries {
  name: string;
  points: Array<[number, number]>;
  /** Dashed line (e.g. a baseline). Default `false`. */
  dashed?: boolean;
}

/** One chart: where it goes, labels, axes, curves, horizontal reference lines. */
export interface ChartSpec {
  /** File name under `docs/charts/`, e.g. `serving-throughput.svg`. */
  file: string;
  title: string;
  /** One line under the title (machine, method). */
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  /** Log10 y axis (for latencies spanning decades). Default `false`. */
  logY?: boolean;
  series: ChartSeries[];
  /** Horizontal dashed lines with a label (y value). */
  references?: Array<{ label: string; value: number }>;
}

const WIDTH = 760;
const HEIGHT = 440;
const PLOT = { left: 70, right: 210, top: 56, bottom: 56 };
const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#17becf',
  '#e377c2',
  '#7f7f7f',
];

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** 1, 2, 5 x 10^k steps giving about `count` ticks between `min` and `max`. */
function linearTicks(min: number, max: number, count = 6): number[] {
  const span = max - min || 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let tick = Math.ceil(min / step) * step; tick <= max + step * 1e-9; tick += step) {
    ticks.push(Number(tick.toPrecision(12)));
  }
  return ticks;
}

function formatNumber(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 10_000) return `${Number((value / 1000).toPrecision(3))}k`;
  if (abs >= 100) return String(Math.round(value));
  if (abs >= 1) return String(Number(value.toPrecision(3)));
  return String(Number(value.toPrecision(2)));
}

/**
 * Renders one chart as an SVG document.
 *
 * @example
 * const svg = renderChart({ file: 'x.svg', title: 'req/s', xLabel: 'connections', yLabel: 'req/s',
 *   series: [{ name: 'serve', points: [[1, 80], [32, 140]] }] });
 */
export function renderChart(input: ChartSpec): string {
  const spec = { ...input, series: input.series.filter((series) => series.points.length > 0) };
  const points = spec.series
    .flatMap((series) => series.points)
    .filter(([, y]) => Number.isFinite(y));
  const references = spec.references ?? [];
  const xs = points.map(([x]) => x);
  const ys = [...points.map(([, y]) => y), ...references.map((r) => r.value)];
  const xMin = Math.log2(Math.min(...xs));
  const xMax = Math.log2(Math.max(...xs));
  const logY = spec.logY === true;
  const yPositive = ys.filter((y) => y > 0);
  let yMin: number;
  let yMax: number;
  let yTicks: number[];
  if (logY) {
    yMin = Math.floor(Math.log10(Math.min(...yPositive)));
    yMax = Math.ceil(Math.log10(Math.max(...yPositive)));
    if (yMax === yMin) yMax += 1;
    yTicks = [];
    for (let power = yMin; power <= yMax; power++) {
      for (const m of [1, 2, 5]) {
        const value = m * 10 ** power;
        if (Math.log10(value) <= yMax + 1e-9) yTicks.push(value);
      }
    }
  } else {
    yMin = 0;
    yMax = Math.max(...ys) * 1.08 || 1;
    yTicks = linearTicks(0, yMax);
    yMax = Math.max(yMax, yTicks[yTicks.length - 1]!);
  }
  const plotWidth = WIDTH - PLOT.left - PLOT.right;
  const plotHeight = HEIGHT - PLOT.top - PLOT.bottom;
  const sx = (x: number) =>
    PLOT.left +
    (xMax === xMin ? plotWidth / 2 : ((Math.log2(x) - xMin) / (xMax - xMin)) * plotWidth);
  const sy = (y: number) => {
    const t = logY
      ? (Math.log10(Math.max(y, 10 ** yMin)) - yMin) / (yMax - yMin)
      : (y - yMin) / (yMax - yMin);
    return PLOT.top + plotHeight - t * plotHeight;
  };
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="12" role="img">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${PLOT.left}" y="22" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
  );
  if (spec.subtitle) {
    out.push(
      `<text x="${PLOT.left}" y="40" font-size="11" fill="#555">${escapeXml(spec.subtitle)}</text>`,
    );
  }
  // Grid and y ticks.
  for (const tick of yTicks) {
    const y = sy(tick).toFixed(1);
    out.push(
      `<line x1="${PLOT.left}" y1="${y}" x2="${PLOT.left + plotWidth}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${PLOT.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#333">${formatNumber(tick)}</text>`,
    );
  }
  // X ticks: every x that occurs.
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    const px = sx(x).toFixed(1);
    out.push(
      `<line x1="${px}" y1="${PLOT.top}" x2="${px}" y2="${PLOT.top + plotHeight}" stroke="#f0f0f0"/>`,
      `<text x="${px}" y="${PLOT.top + plotHeight + 16}" text-anchor="middle" fill="#333">${x}</text>`,
    );
  }
  // Axes and labels.
  out.push(
    `<line x1="${PLOT.left}" y1="${PLOT.top + plotHeight}" x2="${PLOT.left + plotWidth}" y2="${PLOT.top + plotHeight}" stroke="#333"/>`,
    `<line x1="${PLOT.left}" y1="${PLOT.top}" x2="${PLOT.left}" y2="${PLOT.top + plotHeight}" stroke="#333"/>`,
    `<text x="${PLOT.left + plotWidth / 2}" y="${HEIGHT - 14}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
    `<text transform="translate(18 ${PLOT.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}${logY ? ' (log scale)' : ''}</text>`,
  );
  // Reference lines.
  for (const reference of references) {
    const y = sy(reference.value).toFixed(1);
    out.push(
      `<line x1="${PLOT.left}" y1="${y}" x2="${PLOT.left + plotWidth}" y2="${y}" stroke="#000" stroke-dasharray="2 4"/>`,
      `<text x="${PLOT.left + plotWidth - 4}" y="${Number(y) - 5}" text-anchor="end" font-size="11">${escapeXml(reference.label)}</text>`,
    );
  }
  // Series.
  spec.series.forEach((series, index) => {
    const color = COLORS[index % COLORS.length]!;
    const valid = series.points.filter(([, y]) => Number.isFinite(y)).sort((a, b) => a[0] - b[0]);
    const path = valid.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
    if (valid.length > 1) {
      out.push(
        `<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`,
      );
    }
    for (const [x, y] of valid) {
      out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${color}"/>`);
    }
    const ly = PLOT.top + 8 + index * 20;
    const lx = PLOT.left + plotWidth + 16;
    out.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`,
      `<circle cx="${lx + 11}" cy="${ly}" r="3" fill="${color}"/>`,
      `<text x="${lx + 28}" y="${ly}" dominant-baseline="middle">${escapeXml(series.name)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHARTS_DIR = join(ROOT, 'docs', 'charts');

/**
 * Writes every chart of `specs` into `docs/charts/`; returns the written paths.
 *
 * @example
 * writeCharts(results.charts);
 */
export function writeCharts(specs: readonly ChartSpec[]): string[] {
  mkdirSync(CHARTS_DIR, { recursive: true });
  return specs.map((spec) => {
    const path = join(CHARTS_DIR, spec.file);
    writeFileSync(path, renderChart(spec));
    return path;
  });
}

/** Re-renders the charts of every `benchmarks/results/*.json`. */
function main(): void {
  const dir = join(ROOT, 'benchmarks', 'results');
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
    const results = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { charts?: ChartSpec[] };
    for (const path of writeCharts(results.charts ?? [])) console.log(`${file} -> ${path}`);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
