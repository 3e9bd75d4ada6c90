/**
 * A sample of a bare-runtime ceiling child (`onnx-ceiling.mjs`, `tfjs-ceiling.mjs`): its
 * throughput, and its own CPU while it ran, so the cost of inference per image is measured
 * rather than taken as cores / throughput.
 */
import type { ChildServer } from './child-process';
import { round } from './latency';
import { coresSince, cpuSnapshot } from './proc-cpu';

/** One ceiling sample: img/s, and the ceiling process's CPU per image and cores in use. */
export interface CeilingSample {
  batch: number;
  imagesPerSecond: number;
  coreMsPerImage: number;
  cores: number;
}

/**
 * Sends `{ type: 'measure', ...message }` (which must name the `batch`) to a ceiling child and
 * measures its CPU around the whole request (the child's per-batch warm-up run included,
 * which slightly raises the cost per image, in the server's favour).
 *
 * @example
 * const sample = await sampleCeiling(child, { layout: '2x1', batch: 4, seconds: 3 });
 */
export async function sampleCeiling(
  child: ChildServer,
  message: { batch: number } & Record<string, unknown>,
): Promise<CeilingSample> {
  const pids = { ceiling: child.child.pid! };
  const before = cpuSnapshot(pids);
  const result = await child.request<{ imagesPerSecond: number; runs: number }>({
    type: 'measure',
    ...message,
  });
  const after = cpuSnapshot(pids);
  const cores = coresSince(before, after).processes.ceiling!;
  return {
    batch: message.batch,
    imagesPerSecond: round(result.imagesPerSecond, 1),
    coreMsPerImage: round((cores * (after.at - before.at)) / (result.runs * message.batch), 3),
    cores: round(cores, 2),
  };
}

/** The sample with the highest throughput. */
export function bestSample(samples: readonly CeilingSample[]): CeilingSample {
  return samples.reduce((a, b) => (b.imagesPerSecond > a.imagesPerSecond ? b : a));
}

/** One log line of samples: `395.8 img/s at batch 1 (5.013 core-ms per image, 1.96 cores), ...`. */
export function describeSamples(samples: readonly CeilingSample[]): string {
  return samples
    .map(
      (s) =>
        `${s.imagesPerSecond} img/s at batch ${s.batch} (${s.coreMsPerImage} core-ms per image, ${s.cores} cores)`,
    )
    .join(', ');
}
