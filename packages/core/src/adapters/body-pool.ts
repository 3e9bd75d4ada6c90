/**
 * Reused buffers for large request bodies.
 *
 * Why: under load a request body waits in the batch queue for tens of milliseconds, long
 * enough for V8 to promote its `ArrayBuffer` to the old generation. Every such buffer then
 * counts towards V8's external-memory limit until a mark-compact frees it, and at a few
 * hundred 0.6 MB image requests per second that limit set off a full collection every
 * 20-70 requests. A body read into a pooled buffer allocates nothing new, so it adds nothing
 * to that count (see "Request bodies from a pool" in docs/benchmarks.md).
 *
 * The hard part is knowing when a body is free again: decoded tensors are views over it. The
 * adapter lends the buffer to the service with a {@link BodyLease}, and only the service can
 * say it kept no view (the request never reached a model, or reached a worker pool, which
 * copies its inputs into the message to the worker). An in-process model may keep its
 * inputs or return them as outputs, so its bodies are never reused.
 *
 * A request that timed out or was aborted is answered at once, and its body may be reused
 * while its batch still runs. The worker pool copied its inputs before, and when a batch
 * fails with a per-request error, `createOipRun` re-runs only the requests still live.
 *
 * @internal
 */
import type { ServiceRequest } from './service-contract';

/** Bodies smaller than this are read as before: they arrive in one chunk and die young. */
export const DEFAULT_MIN_POOLED_BODY = 64 * 1024;
/** Largest total of idle buffers a pool keeps. */
export const DEFAULT_BODY_POOL_BYTES = 32 * 1024 * 1024;
/** Idle buffers are dropped once no body was read for this long. */
export const DEFAULT_BODY_POOL_IDLE_MS = 10_000;

/** Options of {@link BodyPool}. */
export interface BodyPoolOptions {
  /** Smallest body (bytes) taken from the pool. Default 64 KiB. */
  minBytes?: number;
  /** Largest total (bytes) of idle buffers kept; a larger body is never pooled. Default 32 MiB. */
  maxBytes?: number;
  /**
   * Idle buffers of a length are dropped once no body of that length came or went for this
   * many ms (checked every `idleMs`, so after `idleMs` to twice that). Default 10 s.
   */
  idleMs?: number;
}

/** The idle buffers of one length, and when a body of that length last came or went. */
interface LengthList {
  buffers: Buffer[];
  used: number;
}

/**
 * A bounded free list of request-body buffers, keyed by exact length (a request of a given
 * model and shape always has the same length). Each buffer owns its whole `ArrayBuffer`, and
 * a reused one is overwritten entirely by the next body of its length, so no bytes of one
 * request are ever seen by another. When a release would pass `maxBytes`, the buffers of
 * the lengths used longest ago make room (one-off lengths cannot crowd out the common one);
 * a length unused for `idleMs` is dropped.
 *
 * @internal
 * @example
 * const pool = new BodyPool();
 * const body = pool.acquire(602_264); // fill it with the request's bytes
 * pool.release(body); // once nothing refers to it any more
 */
export class BodyPool {
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly idleMs: number;
  /** Idle buffers by length, in the order the lengths were last used (oldest first). */
  readonly #free = new Map<number, LengthList>();
  #idleBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Buffers handed out that came from the free list (for tests and benchmarks). */
  reused = 0;
  /** Buffers handed out that had to be allocated. */
  allocated = 0;

  constructor(options: BodyPoolOptions = {}) {
    this.minBytes = options.minBytes ?? DEFAULT_MIN_POOLED_BODY;
    this.maxBytes = options.maxBytes ?? DEFAULT_BODY_POOL_BYTES;
    this.idleMs = options.idleMs ?? DEFAULT_BODY_POOL_IDLE_MS;
  }

  /** Total bytes of the idle buffers kept now. */
  get idleBytes(): number {
    return this.#idleBytes;
  }

  /** Whether a body of `length` bytes is read into a pooled buffer. */
  takes(length: number): boolean {
    return length >= this.minBytes && length <= this.maxBytes;
  }

  /**
   * A buffer of exactly `length` bytes that owns its whole `ArrayBuffer`: an idle one, or a
   * new one (not zero-filled: the caller writes every byte before anyone reads it).
   */
  acquire(length: number): Buffer {
    const list = this.#touch(length, false);
    const idle = list?.buffers.pop();
    if (idle !== undefined) {
      this.#idleBytes -= length;
      this.reused++;
      return idle;
    }
    this.allocated++;
    return Buffer.allocUnsafeSlow(length);
  }

  /**
   * Takes `buffer` back for reuse. The caller promises nothing refers to it any more. Buffers
   * that are not whole (a view into a larger one), detached (moved to a worker), outside the
   * sizes this pool takes, or already idle here are left to the GC.
   */
  release(buffer: Uint8Array): void {
    const length = buffer.byteLength;
    if (
      !this.takes(length) ||
      buffer.byteOffset !== 0 ||
      buffer.buffer.byteLength !== length ||
      !(buffer.buffer instanceof ArrayBuffer)
    ) {
      return;
    }
    const own = this.#free.get(length)?.buffers;
    if (own !== undefined) {
      for (const idle of own) if (idle.buffer === buffer.buffer) return;
      // Could not fit even alone: refused before it evicts anything.
      if ((own.length + 1) * length > this.maxBytes) return;
    }
    const list = this.#touch(length, true)!;
    // Room from the lengths used longest ago; never from this one (it is last in the order).
    for (const [other, stale] of this.#free) {
      if (this.#idleBytes + length <= this.maxBytes) break;
      if (other !== length) this.#drop(other, stale);
    }
    list.buffers.push(Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer.buffer, 0, length));
    this.#idleBytes += length;
    this.#armTrim();
  }

  /** Drops every idle buffer. */
  clear(): void {
    this.#free.clear();
    this.#idleBytes = 0;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The list of `length`, marked used now and moved last in the order (made if `create`). */
  #touch(length: number, create: boolean): LengthList | undefined {
    let list = this.#free.get(length);
    if (list === undefined) {
      if (!create) return undefined;
      list = { buffers: [], used: 0 };
    } else {
      this.#free.delete(length);
    }
    list.used = performance.now();
    this.#free.set(length, list);
    return list;
  }

  #drop(length: number, list: LengthList): void {
    this.#idleBytes -= list.buffers.length * length;
    this.#free.delete(length);
  }

  #armTrim(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      const now = performance.now();
      for (const [length, list] of this.#free) {
        if (now - list.used >= this.idleMs) this.#drop(length, list);
      }
      if (this.#free.size === 0) this.clear();
    }, this.idleMs);
    this.#timer.unref();
  }
}

/** The pool the Node adapters share, unless told otherwise (`reuseBodyBuffers: false`). */
export const sharedBodyPool = new BodyPool();

/**
 * A pooled body lent to the service for one request. The service sets `state` to
 * `'returned'` once it holds no view of the body (the adapter may then reuse it), or to
 * `'kept'` when an in-process model got views of it (it is then never reused).
 *
 * @internal
 */
export interface BodyLease {
  state: 'lent' | 'kept' | 'returned';
}

/** Where a request carries its lease (a registered symbol: CJS and ESM builds agree). */
const LEASE = Symbol.for('infer.bodyLease');
/** What a service carries to say it honours leases: adapters lend bodies only to it. */
const HONOURS_LEASES = Symbol.for('infer.honoursBodyLeases');

type LeasedRequest = ServiceRequest & { [LEASE]?: BodyLease };

/**
 * Lends `request`'s body for the service to return, when `service` honours leases (an
 * `InferenceService`, not a wrapper that might keep the body); `undefined` otherwise.
 */
function lendBody(service: object, request: ServiceRequest): BodyLease | undefined {
  if ((service as { [HONOURS_LEASES]?: unknown })[HONOURS_LEASES] !== true) return undefined;
  const lease: BodyLease = { state: 'lent' };
  (request as LeasedRequest)[LEASE] = lease;
  return lease;
}

/**
 * Lends `body`, a pooled buffer the adapter read the request's body into, for one
 * `service.handle(request)`, and returns what to call once it answered: `release(body)` runs
 * then if the service returned the lease. A body that content decoding replaced with a copy
 * is released at once (nothing refers to it any more); an `identity` coding leaves it in
 * place, lent like any other.
 *
 * @internal
 * @example
 * const giveBack = lendPooledBody(service, serviceRequest, body, (bytes) => pool.release(bytes));
 * const response = await service.handle(serviceRequest);
 * giveBack();
 */
export function lendPooledBody(
  service: object,
  request: ServiceRequest,
  body: Uint8Array,
  release: (body: Uint8Array) => void,
): () => void {
  if (request.body?.buffer !== body.buffer) {
    release(body);
    return () => undefined;
  }
  const lease = lendBody(service, request);
  return () => {
    if (lease?.state === 'returned') release(body);
  };
}

/** Marks `service` as one that honours body leases. @internal */
export function honourBodyLeases(service: object): void {
  Object.defineProperty(service, HONOURS_LEASES, { value: true });
}

/**
 * Settles the lease of `request`, if it has one still lent: `'kept'` when a model in this
 * thread got views of the body, `'returned'` when nothing holds one any more.
 *
 * @internal
 */
export function settleBodyLease(request: ServiceRequest, state: 'kept' | 'returned'): void {
  const lease = (request as LeasedRequest)[LEASE];
  if (lease !== undefined && lease.state === 'lent') lease.state = state;
}
