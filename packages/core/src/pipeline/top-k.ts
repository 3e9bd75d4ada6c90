/** One ranked class. */
export interface RankedClass {
  index: number;
  score: number;
}

/**
 * The `k` best classes of one row of scores, best first; with `softmax`, scores become
 * probabilities (computed stably, max subtracted).
 *
 * @internal
 * @example
 * softmaxTopK(new Float32Array([1, 3, 2]), 2, false); // [{ index: 1, score: 3 }, { index: 2, score: 2 }]
 */
export function softmaxTopK(scores: Float32Array, k: number, softmax: boolean): RankedClass[] {
  const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!);
  const best = order.slice(0, k);
  if (!softmax) return best.map((index) => ({ index, score: scores[index]! }));
  const max = scores[order[0]!]!;
  let sum = 0;
  for (const value of scores) sum += Math.exp(value - max);
  return best.map((index) => ({ index, score: Math.exp(scores[index]! - max) / sum }));
}
