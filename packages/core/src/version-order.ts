/**
 * Orders model versions: none < any; numeric or dotted numeric versions (`2`, `10`,
 * `1.2.10`, `v3`) numerically; otherwise 0, so callers fall back to the order of addition.
 *
 * @internal
 * @example
 * compareVersions('10', '9'); // > 0
 */
export function compareVersions(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  const left = numericParts(a);
  const right = numericParts(b);
  if (left === undefined || right === undefined) return 0;
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function numericParts(version: string): number[] | undefined {
  const match = /^v?(\d+(?:[.-]\d+)*)$/i.exec(version);
  return match ? match[1]!.split(/[.-]/).map(Number) : undefined;
}
