/**
 * The batcher's queue: one list per batch key, each ordered by priority (higher first) then
 * arrival. A batch is taken from one key's list only, so items with different keys never
 * share a batch. @internal
 */

/** Beyond this many groups, empty ones are dropped (keys may be unbounded, e.g. per shape). */
const MAX_IDLE_GROUPS = 32;

/** What the queue needs of an entry. @internal */
export interface QueueEntry {
  readonly key: string;
  readonly rows: number;
  readonly priority: number;
  /** Arrival order. */
  readonly seq: number;
  /** Arrival time, ms (performance.now()). */
  readonly enqueuedAt: number;
}

/** A keyed priority queue of entries. @internal */
export class ItemQueue<E extends QueueEntry> {
  /** Groups by key; an emptied group stays (cheaper than re-creating it) until pruned. */
  private readonly groups = new Map<string, E[]>();
  private count = 0;
  private totalRows = 0;

  /** Entries queued. */
  get size(): number {
    return this.count;
  }

  /** Rows queued. */
  get rows(): number {
    return this.totalRows;
  }

  push(entry: E): void {
    let group = this.groups.get(entry.key);
    if (group === undefined) {
      group = [];
      this.groups.set(entry.key, group);
    }
    const last = group[group.length - 1];
    if (last === undefined || last.priority >= entry.priority) group.push(entry);
    else group.splice(insertionIndex(group, entry.priority), 0, entry);
    this.count += 1;
    this.totalRows += entry.rows;
  }

  /** Removes a queued entry; false when it was not queued. */
  remove(entry: E): boolean {
    const group = this.groups.get(entry.key);
    const index = group === undefined ? -1 : group.indexOf(entry);
    if (group === undefined || index < 0) return false;
    group.splice(index, 1);
    this.count -= 1;
    this.totalRows -= entry.rows;
    if (group.length === 0 && this.groups.size > MAX_IDLE_GROUPS) this.pruneEmpty();
    return true;
  }

  /** The non-empty groups in service order: highest head priority first, then oldest head. */
  groupsInOrder(): E[][] {
    const groups: E[][] = [];
    for (const group of this.groups.values()) if (group.length > 0) groups.push(group);
    return groups.sort((a, b) => compare(a[0]!, b[0]!));
  }

  /** The group to serve first, or undefined when empty. */
  firstGroup(): E[] | undefined {
    let best: E[] | undefined;
    for (const group of this.groups.values()) {
      if (group.length === 0) continue;
      if (best === undefined || compare(group[0]!, best[0]!) < 0) best = group;
    }
    return best;
  }

  /**
   * Takes entries from the head of `group` while their rows fit in `maxRows`; the first
   * entry is always taken, so an entry larger than `maxRows` runs alone.
   */
  take(group: E[], maxRows: number): E[] {
    let rows = 0;
    let end = 0;
    while (end < group.length) {
      const next = group[end]!.rows;
      if (end > 0 && rows + next > maxRows) break;
      rows += next;
      end += 1;
      if (rows >= maxRows) break;
    }
    const taken = end === 1 ? [group.shift()!] : group.splice(0, end);
    this.count -= taken.length;
    this.totalRows -= rows;
    if (group.length === 0 && this.groups.size > MAX_IDLE_GROUPS) this.pruneEmpty();
    return taken;
  }

  private pruneEmpty(): void {
    for (const [key, group] of this.groups) if (group.length === 0) this.groups.delete(key);
  }
}

/** Rows in `group` counted up to `limit` (enough to tell whether a batch would be full). */
export function groupRows(group: readonly QueueEntry[], limit: number): number {
  let rows = 0;
  for (const entry of group) {
    rows += entry.rows;
    if (rows >= limit) break;
  }
  return rows;
}

/** Arrival time of the oldest entry of `group`. */
export function oldestArrival(group: readonly QueueEntry[]): number {
  let oldest = Number.POSITIVE_INFINITY;
  for (const entry of group) if (entry.enqueuedAt < oldest) oldest = entry.enqueuedAt;
  return oldest;
}

function compare(a: QueueEntry, b: QueueEntry): number {
  return b.priority - a.priority || a.seq - b.seq;
}

/** First index whose priority is lower than `priority` (stable among equals). */
function insertionIndex(group: readonly QueueEntry[], priority: number): number {
  let low = 0;
  let high = group.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (group[middle]!.priority >= priority) low = middle + 1;
    else high = middle;
  }
  return low;
}
