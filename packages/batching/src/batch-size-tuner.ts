/**
 * The online batch-size tuner behind `maxBatchSize: 'auto'`.
 *
 * Sizes live in power-of-two buckets (1, 2, 4, ... up to `maxSize`). Every finished batch
 * adds (rows, run time) to the bucket of its size, which keeps its last 8 samples and
 * forgets those older than `sampleLifetimeMs`. A bucket's throughput is the median of its
 * samples' rows/ms (one preempted or GC-paused batch does not sway it). The settled size
 * is the bucket with the highest throughput among buckets with at least 3 fresh samples
 * whose median run time fits the latency budget; a larger size must beat a smaller one by
 * 5% (ties go to the smaller, lower-latency size).
 * Now and then the next batch's limit is a neighbour of the settled size (one bucket up or
 * down) so the tuner keeps measuring around its choice and follows changes: every second
 * dispatch while a neighbour is under-sampled, else every `exploreEvery` dispatches.
 * The limit only caps a batch: at low load batches stay small whatever it says.
 */

/** Options of the auto tuner (`options.tuner` of `AdaptiveBatcher`). */
export interface BatchSizeTunerOptions {
  /** Largest size the tuner may pick, in rows (rounded down to a power of two). Default `64`. */
  maxSize?: number | undefined;
  /**
   * Longest expected run time of one batch, in ms: sizes whose measured (or, before they
   * are measured, linearly extrapolated) run time exceeds it are never chosen. Default:
   * `min(1000, timeoutMs / 4)` (1000 when the timeout is off).
   */
  latencyBudgetMs?: number | undefined;
  /** Samples older than this many ms are forgotten (load and machine change). Default `10000`. */
  sampleLifetimeMs?: number | undefined;
  /** Dispatches between two probes of a neighbour size once both are measured. Default `16`. */
  exploreEvery?: number | undefined;
}

/** Defaults of the tuner options. */
export const DEFAULT_TUNER_OPTIONS = {
  maxSize: 64,
  latencyBudgetMs: 1000,
  sampleLifetimeMs: 10_000,
  exploreEvery: 16,
} as const;

/** Samples a bucket keeps. */
const SAMPLES = 8;
/** Fresh samples a bucket needs before it is trusted. */
const MIN_SAMPLES = 3;
/** How much more throughput a larger size needs to be preferred. */
const MARGIN = 0.05;
/** Floor on a measured run time, so a 0 ms batch (fake clocks) does not divide by zero. */
const MIN_RUN_MS = 1e-3;

interface Medians {
  rowsPerMs: number;
  ms: number;
  rows: number;
}

/** The last samples of one size bucket, as a ring; medians are cached until it changes. */
class Bucket {
  private readonly rows: number[] = [];
  private readonly ms: number[] = [];
  private readonly at: number[] = [];
  private next = 0;
  private version = 0;
  private cached: { version: number; count: number; medians: Medians | undefined } = {
    version: -1,
    count: 0,
    medians: undefined,
  };

  add(rows: number, ms: number, now: number): void {
    this.rows[this.next] = rows;
    this.ms[this.next] = ms;
    this.at[this.next] = now;
    this.next = (this.next + 1) % SAMPLES;
    this.version += 1;
  }

  /** Samples taken after `since`. */
  count(since: number): number {
    // Indexed, not for-of: this runs several times per batch, and an iterator per call
    // was a third of the tuner's allocation.
    const at = this.at;
    let count = 0;
    for (let index = 0; index < at.length; index++) if (at[index]! > since) count += 1;
    return count;
  }

  /** Medians of the samples taken after `since`: rows/ms, run ms and rows. */
  medians(since: number): Medians | undefined {
    // Samples only age out, so the same count at the same version is the same set.
    const count = this.count(since);
    const cached = this.cached;
    if (cached.version === this.version && cached.count === count) return cached.medians;
    let medians: Medians | undefined;
    if (count > 0) {
      medians = {
        rowsPerMs: median(this.at, since, (i) => this.rows[i]! / this.ms[i]!),
        ms: median(this.at, since, (i) => this.ms[i]!),
        rows: median(this.at, since, (i) => this.rows[i]!),
      };
    }
    this.cached = { version: this.version, count, medians };
    return medians;
  }
}

const scratch = new Float64Array(SAMPLES);

/** Median of `value(i)` over the samples taken after `since` (insertion sort of <= 8). */
function median(at: readonly number[], since: number, value: (index: number) => number): number {
  let length = 0;
  for (let index = 0; index < at.length; index++) {
    if (at[index]! <= since) continue;
    const v = value(index);
    let j = length++;
    while (j > 0 && scratch[j - 1]! > v) {
      scratch[j] = scratch[j - 1]!;
      j -= 1;
    }
    scratch[j] = v;
  }
  const middle = length >> 1;
  return length % 2 === 1 ? scratch[middle]! : (scratch[middle - 1]! + scratch[middle]!) / 2;
}

/** One bucket of a tuner snapshot. */
export interface BatchSizeBucketStats {
  /** Bucket size in rows (batches of `size` up to `2 * size - 1` rows fall in it). */
  size: number;
  /** Median throughput of its fresh samples, rows per second. */
  rowsPerSecond: number;
  /** Median run time of one batch, in ms. */
  medianRunMs: number;
  /** Fresh samples. */
  samples: number;
}

/**
 * Measures throughput per batch size online and picks the size that maximises it within a
 * latency budget.
 *
 * @example
 * const tuner = new BatchSizeTuner({ maxSize: 32, latencyBudgetMs: 50 });
 * const limit = tuner.nextLimit(performance.now()); // rows allowed in the next batch
 * tuner.observe(limit, 3.2, performance.now());     // that batch ran 3.2 ms
 */
export class BatchSizeTuner {
  private readonly buckets: Bucket[];
  private readonly budgetMs: number;
  private readonly lifetimeMs: number;
  private readonly exploreEvery: number;
  private settled = 0;
  private dispatches = 0;
  private lastProbe = 0;
  private probeUp = true;
  private observations = 0;

  constructor(options: BatchSizeTunerOptions = {}) {
    const maxSize = options.maxSize ?? DEFAULT_TUNER_OPTIONS.maxSize;
    const top = Math.floor(Math.log2(Math.max(1, maxSize)));
    this.buckets = Array.from({ length: top + 1 }, () => new Bucket());
    this.budgetMs = options.latencyBudgetMs ?? DEFAULT_TUNER_OPTIONS.latencyBudgetMs;
    this.lifetimeMs = options.sampleLifetimeMs ?? DEFAULT_TUNER_OPTIONS.sampleLifetimeMs;
    this.exploreEvery = options.exploreEvery ?? DEFAULT_TUNER_OPTIONS.exploreEvery;
  }

  /** The size the tuner has settled on, in rows. */
  get size(): number {
    return 2 ** this.settled;
  }

  /**
   * The row limit of the batch about to be dispatched: the settled size, or now and then a
   * neighbour to measure. Call once per dispatch.
   */
  nextLimit(now: number): number {
    this.dispatches += 1;
    const sinceProbe = this.dispatches - this.lastProbe;
    if (sinceProbe < 2) return this.size; // probes are never back to back
    const since = now - this.lifetimeMs;
    const down = this.settled > 0;
    // The size above counts only if it may fit the budget: one that cannot is never chosen,
    // so it is not "unsure" (else every other batch went to probing below).
    const up = this.settled + 1 < this.buckets.length && this.fitsBudget(this.settled + 1, since);
    const upUnsure = up && this.buckets[this.settled + 1]!.count(since) < MIN_SAMPLES;
    const downUnsure = down && this.buckets[this.settled - 1]!.count(since) < MIN_SAMPLES;
    const interval = upUnsure || downUnsure ? 2 : this.exploreEvery;
    if (sinceProbe < interval) return this.size;
    if (!up && !down) return this.size;
    this.lastProbe = this.dispatches;
    let goUp: boolean;
    if (!up) goUp = false;
    else if (upUnsure !== downUnsure) goUp = upUnsure;
    else if (up && down) goUp = this.probeUp = !this.probeUp;
    else goUp = up;
    return 2 ** (goUp ? this.settled + 1 : this.settled - 1);
  }

  /** Records one finished batch of `rows` rows that ran `runMs` ms. */
  observe(rows: number, runMs: number, now: number): void {
    if (!(rows > 0) || !Number.isFinite(runMs)) return;
    const index = Math.min(Math.floor(Math.log2(rows)), this.buckets.length - 1);
    this.buckets[index]!.add(rows, Math.max(runMs, MIN_RUN_MS), now);
    // Re-deciding costs a few medians: at once for a probe's result, else every 4th batch.
    this.observations += 1;
    if (index !== this.settled || this.observations % 4 === 0) this.settle(now - this.lifetimeMs);
  }

  /** The buckets with fresh samples, smallest first. */
  snapshot(now: number): BatchSizeBucketStats[] {
    const since = now - this.lifetimeMs;
    return this.buckets.flatMap((bucket, index) => {
      const medians = bucket.medians(since);
      if (medians === undefined) return [];
      return [
        {
          size: 2 ** index,
          rowsPerSecond: medians.rowsPerMs * 1000,
          medianRunMs: medians.ms,
          samples: bucket.count(since),
        },
      ];
    });
  }

  private settle(since: number): void {
    let best = -1;
    let bestThroughput = 0;
    for (let index = 0; index < this.buckets.length; index++) {
      const bucket = this.buckets[index]!;
      if (bucket.count(since) < MIN_SAMPLES) continue;
      const medians = bucket.medians(since)!;
      if (index > 0 && medians.ms > this.budgetMs) continue;
      if (best < 0 || medians.rowsPerMs > bestThroughput * (1 + MARGIN)) {
        best = index;
        bestThroughput = medians.rowsPerMs;
      }
    }
    if (best >= 0) this.settled = best;
  }

  /**
   * Whether a bucket's expected run time fits the budget: measured when trusted, else
   * extrapolated from the settled bucket along the slope between it and the one below
   * (proportionally when that one is unmeasured).
   */
  private fitsBudget(index: number, since: number): boolean {
    const bucket = this.buckets[index]!;
    if (bucket.count(since) >= MIN_SAMPLES) return bucket.medians(since)!.ms <= this.budgetMs;
    const from = this.buckets[this.settled]!.medians(since);
    if (from === undefined) return true;
    let slope = from.ms / from.rows;
    const below = this.buckets[this.settled - 1];
    if (below !== undefined && below.count(since) >= MIN_SAMPLES) {
      const lower = below.medians(since)!;
      if (from.rows > lower.rows)
        slope = Math.max(0, (from.ms - lower.ms) / (from.rows - lower.rows));
    }
    return from.ms + slope * (2 ** index - from.rows) <= this.budgetMs;
  }
}
