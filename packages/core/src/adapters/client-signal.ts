/**
 * The "client went away" signal of an adapter's request, made cheap for the hot path.
 *
 * On Node 20, creating an `AbortSignal` and adding the first listener to it cost several
 * microseconds each: more than the rest of a small inference request. An adapter request
 * therefore carries a {@link ClientSignal}: a plain object with the few members of
 * `AbortSignal` the service reads (`aborted`, `reason`, `abort` listeners). The request's
 * `signal` stays a real `AbortSignal` for whoever reads it (a custom handler, a copy of the
 * request): it is made on first read, already aborted if the client has left, and aborted
 * with the client signal afterwards. A handler that assigns `signal` takes over: the
 * service then honours that signal only. An `InferenceService` whose `handle` is its own
 * (not overridden) reads the client signal itself and gives its requests to no other code:
 * adapters then make no `signal` accessor at all (defining it cost about 3% of a small
 * request's server CPU; docs/benchmarks.md, "Fewer promises per request").
 *
 * @internal
 */
import type { InferenceHandler, ServiceRequest } from './service-contract';

/** The members of `AbortSignal` the service uses (the batcher listens for `abort`). */
export type AbortLike = Pick<
  AbortSignal,
  'aborted' | 'reason' | 'addEventListener' | 'removeEventListener'
>;

/** Where a request keeps its client signal (a registered symbol: CJS and ESM builds agree). */
const CLIENT = Symbol.for('infer.clientSignal');
/** Where a handler that reads the client signal itself keeps its own `handle`. */
const READS_CLIENT_SIGNAL = Symbol.for('infer.readsClientSignal');

/**
 * Aborts when the adapter calls `abort()` (the client disconnected). Listeners live in a
 * small array; a real `AbortSignal` is made only when `signal` is read.
 *
 * @internal
 */
export class ClientSignal {
  aborted = false;
  reason: unknown = undefined;
  /** The request this signal belongs to (a copy of it does not count). */
  owner: object | undefined = undefined;
  /** Set once the request's `signal` was assigned: the service uses that one instead. */
  detached = false;
  #listeners: (() => void)[] | undefined = undefined;
  #controller: AbortController | undefined = undefined;

  /** A real `AbortSignal` following this one (made on first read). */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  /** Registers an `abort` listener (called once, synchronously, by `abort()`). */
  addEventListener(type: string, listener: () => void): void {
    if (type !== 'abort' || this.aborted) return;
    if (this.#listeners === undefined) this.#listeners = [listener];
    else this.#listeners.push(listener);
  }

  removeEventListener(type: string, listener: () => void): void {
    const listeners = this.#listeners;
    if (type !== 'abort' || listeners === undefined) return;
    const index = listeners.indexOf(listener);
    if (index >= 0) listeners.splice(index, 1);
  }

  /** Aborts with `reason`: the real signal (if made) first, then the listeners. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.#controller?.abort(reason);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener();
  }
}

type ClientRequest = ServiceRequest & { [CLIENT]: ClientSignal };

/** One shared descriptor (its functions read `this`): no closures per request. */
const SIGNAL_PROPERTY: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: ClientRequest): AbortSignal {
    return this[CLIENT].signal;
  },
  set(this: ClientRequest, value: AbortSignal | undefined) {
    this[CLIENT].detached = true;
    Object.defineProperty(this, 'signal', {
      configurable: true,
      enumerable: true,
      writable: true,
      value,
    });
  },
};

/**
 * Gives `request` the client's signal: the service listens to `client` itself, and `signal`
 * reads as a real `AbortSignal` (made on first read), unless `service` reads the client signal
 * itself (see {@link readsClientSignal}): no other code sees the request then.
 *
 * @internal
 */
export function attachClientSignal(
  request: ServiceRequest,
  client: ClientSignal,
  service: InferenceHandler,
): void {
  (request as ClientRequest)[CLIENT] = client;
  client.owner = request;
  const own = (service as { [READS_CLIENT_SIGNAL]?: unknown })[READS_CLIENT_SIGNAL];
  if (own === undefined || own !== service.handle) {
    Object.defineProperty(request, 'signal', SIGNAL_PROPERTY);
  }
}

/**
 * Marks `service` as a handler that takes its requests' client signal through
 * `clientSignalOf` and hands the requests to no other code, for as long as its `handle` is
 * `handle` (a subclass that overrides it, or a `handle` replaced on the instance, gets
 * `request.signal` again).
 *
 * @internal
 */
export function readsClientSignal(service: InferenceHandler, handle: unknown): void {
  Object.defineProperty(service, READS_CLIENT_SIGNAL, { value: handle });
}

/**
 * What the service listens to for a request: its adapter's client signal (no `AbortSignal`
 * made), else its `signal`.
 *
 * @internal
 */
export function clientSignalOf(request: ServiceRequest): AbortLike | undefined {
  const client = (request as Partial<ClientRequest>)[CLIENT];
  return client !== undefined && client.owner === request && !client.detached
    ? (client as unknown as AbortLike)
    : request.signal;
}
