import { timingSafeEqual } from 'node:crypto';
import {
  BINARY_HEADER,
  CodecError,
  concatBytes,
  decodeInferenceRequest,
  encodeInferenceResponseBody,
  type InferenceRequest,
  type InferenceResponse,
} from '@infer/codecs';
import { honourBodyLeases, settleBodyLease } from './adapters/body-pool';
import { clientSignalOf, readsClientSignal } from './adapters/client-signal';
import {
  bodyLength,
  type FailedRequest,
  type ServiceRequest,
  type ServiceResponse,
} from './adapters/service-contract';
import { asModelV1 } from './as-model-v1';
import {
  BadRequestError,
  errorCodeOf,
  errorHeadersOf,
  httpStatusOf,
  InvalidOptionError,
  MethodNotAllowedError,
  ModelNotFoundError,
  OutputEncodingError,
  RouteNotFoundError,
  ShuttingDownError,
  toErrorBody,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from './errors';
import { assertLogger, type Logger, silentLogger } from './logger';
import type { InferMetrics } from './metrics/infer-metrics';
import { isThenable } from './model';
import type { AddModelOptions, ModelRepository } from './model-repository';
import type { ServedModel } from './served-model';
import { DOCS_PAGE_CSP, renderDocsPage } from './service/docs-page';
import { buildOpenApiDocument } from './service/openapi';
import {
  matchRoute,
  pathnameOf,
  pathPartOf,
  type Route,
  type RouteId,
  type RouteLookup,
} from './service/route-table';
import type { ModelMetadataV1, ModelV1, PredictResult } from './spec';
import { VERSION } from './version';

export type { FailedRequest, ServiceRequest, ServiceResponse } from './adapters/service-contract';

/** Route matches kept by one service (see `#matchRoute`). */
const ROUTE_CACHE_SIZE = 256;

/**
 * Supplies a model the repository API was asked to load but that is not registered (the
 * settings layer finds it in the configured model directories). Return `undefined` for
 * "no such model" (404). Never build a model from a URL or path taken from the request.
 */
export type RepositoryLoader = (
  name: string,
) =>
  | Promise<ModelV1 | { model: ModelV1; options?: AddModelOptions } | undefined>
  | ModelV1
  | undefined;

/** The model repository extension's options. */
export interface RepositoryApiOptions {
  /** Serve `/v2/repository/*`. Default `false` (404). */
  enabled?: boolean;
  /** Bearer token required on every repository route. Default: none. */
  token?: string;
  /** Finds models that are not registered yet. Default: only registered models load. */
  loader?: RepositoryLoader;
}

/** Options of {@link InferenceService}. */
export interface InferenceServiceOptions {
  /** The models to serve. Required. */
  repository: ModelRepository;
  /** pino-compatible logger: one debug line per request, errors with request id. Default: silent. */
  logger?: Logger | undefined;
  /** Metrics: request observations, and `GET /metrics` when given. Default: none (404). */
  metrics?: InferMetrics | undefined;
  /**
   * Serve `GET /metrics` (needs `metrics`). `false` keeps observing requests but answers
   * `/metrics` 404, for metrics scraped on a separate port (`serve()` with
   * `settings.metrics.port`). Default `true`.
   */
  metricsRoute?: boolean | undefined;
  /** Model repository extension (`true` = enabled without token). Default `false`. */
  repositoryApi?: boolean | RepositoryApiOptions | undefined;
  /** Serve `GET /v2/docs` and `/v2/docs/openapi.json`. Default `true`. */
  docs?: boolean | undefined;
  /** Server name in `GET /v2` and the docs. Default `'infer'`. */
  name?: string | undefined;
  /** `servers[0].url` of the OpenAPI document, e.g. the mount prefix. Default: none. */
  openapiServerUrl?: string | undefined;
}

/** What {@link InferenceService.request} accepts (a `fetch`-like init). */
export interface ServiceRequestInit {
  /** Default `GET`, or `POST` when a body is given. */
  method?: string;
  headers?: Record<string, string>;
  /** A string or bytes as is; any other value is sent as JSON. */
  body?: unknown;
  signal?: AbortSignal;
}

/** Options of {@link InferenceService.infer}. */
export interface ServiceInferOptions {
  /** Aborts the call; a request still queued does no work. Default: none. */
  signal?: AbortSignal | undefined;
  /** Timeout in ms, queue wait included; `0` = none. Default: the model's `timeoutMs`. */
  timeoutMs?: number | undefined;
  /**
   * A time limit the client asked for (a gRPC deadline), in ms from now: the call times out
   * then or at the model's own `timeoutMs`, whichever comes first. Ignored when `timeoutMs`
   * is given.
   */
  clientTimeoutMs?: number | undefined;
  /**
   * Let a worker pool move (detach) input buffers the request owns whole, instead of
   * copying them; only for requests nobody reads afterwards. Default `false`.
   */
  transfer?: boolean | undefined;
}

/** What {@link InferenceService.serverMetadata} returns (OIP server metadata). */
export interface ServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

/**
 * A finished request of another transport (gRPC), for the service's metrics and logs.
 *
 * @internal
 */
export interface TransportRequestRecord {
  /** Route label, e.g. `grpc.ModelInfer`. */
  route: string;
  model?: string | undefined;
  version?: string | undefined;
  /** The HTTP status the same outcome has over REST (metrics label). */
  status: number;
  durationMs: number;
  requestId: string;
  /** The error, when it failed: 5xx (other than 503) are logged with their cause. */
  error?: unknown;
}

/** A {@link ServiceResponse} with `text()` and `json()` readers. */
export interface ServiceTestResponse extends ServiceResponse {
  text(): string;
  json(): unknown;
}

/** An inference under way: the model serving it, the decoded request, the prediction. */
interface StartedInference {
  readonly served: ServedModel;
  readonly inference: InferenceRequest;
  readonly predicted: Promise<PredictResult>;
}

/** What `handle()` keeps of a request until it is answered. */
class Handling {
  route: RouteId | 'unknown' = 'unknown';
  params: Readonly<Record<string, string>> = NO_PARAMS;
  constructor(
    readonly request: ServiceRequest,
    readonly method: string,
    readonly path: string,
    readonly seq: number,
    /** `performance.now()` when it came, when something observes requests; else 0. */
    readonly started: number,
  ) {}
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/** A route cache entry: a path's match for one method. */
interface CachedRoute {
  readonly path: string;
  readonly method: string;
  readonly lookup: RouteLookup;
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;
const JSON_TYPES = /^application\/(?:[\w.+-]+\+)?json$/;
const ACCEPTED_TYPES = ['application/json', 'application/octet-stream'] as const;
/** The metric label of a model or version name that no model in the repository has. */
const UNKNOWN_LABEL = '_unknown';
const decoder = new TextDecoder();
const encoder = new TextEncoder();

const jsonResponse = (status: number, value: unknown, headers: Record<string, string> = {}) => ({
  status,
  headers: { ...JSON_HEADERS, ...headers },
  body: JSON.stringify(value),
});

/**
 * The transport-agnostic Open Inference Protocol service: `handle({ method, path, headers,
 * body, signal })` answers every OIP REST route (health, metadata, ready, infer with JSON
 * and the binary extension), the model repository extension (off by default), the docs
 * page, the OpenAPI document and `/metrics`. Adapters only convert requests; all protocol
 * logic is here. `handle()` never rejects: errors become `{"error": "..."}` responses.
 *
 * @example
 * const service = new InferenceService({ repository });
 * const response = await service.request('/v2/models/doubler/infer', { body: { inputs: [x] } });
 * response.json(); // { model_name: 'doubler', outputs: [...] }
 */
export class InferenceService {
  readonly repository: ModelRepository;
  readonly #logger: Logger;
  readonly #metrics: InferMetrics | undefined;
  readonly #metricsRoute: boolean;
  readonly #repositoryApi: RepositoryApiOptions & { enabled: boolean };
  readonly #docs: boolean;
  readonly #name: string;
  readonly #openapiServerUrl: string | undefined;
  readonly #enabled: (route: Route) => boolean;
  readonly #routeCache = new Map<string, CachedRoute>();
  /** The route cache's entry matched last. */
  #lastRoute: CachedRoute | undefined;
  #draining = false;
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];
  #shutdown: Promise<void> | undefined;
  #requestSeq = 0;
  /** Whether requests are observed (metrics or a logger other than the silent one). */
  #observing: boolean;
  #openapi: string | undefined;

  constructor(options: InferenceServiceOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionError('options', 'must be an object');
    }
    // Adapters may lend it pooled bodies: it says when it holds no view of one (handle()).
    honourBodyLeases(this);
    // It reads the client signal itself: adapters need not make `request.signal` for it.
    readsClientSignal(this, OWN_HANDLE);
    const { repository } = options;
    if (
      typeof repository !== 'object' ||
      repository === null ||
      typeof (repository as Partial<ModelRepository>).get !== 'function'
    ) {
      throw new InvalidOptionError('options.repository', 'must be a ModelRepository');
    }
    if (options.logger !== undefined) assertLogger(options.logger, 'options.logger');
    const metrics = options.metrics;
    if (
      metrics !== undefined &&
      (typeof metrics?.observeRequest !== 'function' || typeof metrics.render !== 'function')
    ) {
      throw new InvalidOptionError(
        'options.metrics',
        'must be an InferMetrics (see createMetrics())',
      );
    }
    if (options.metricsRoute !== undefined && typeof options.metricsRoute !== 'boolean') {
      throw new InvalidOptionError('options.metricsRoute', 'must be a boolean');
    }
    this.#repositoryApi = resolveRepositoryApi(options.repositoryApi);
    if (options.docs !== undefined && typeof options.docs !== 'boolean') {
      throw new InvalidOptionError('options.docs', 'must be a boolean');
    }
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
      throw new InvalidOptionError('options.name', 'must be a non-empty string');
    }
    this.repository = repository;
    this.#logger = options.logger ?? silentLogger;
    this.#metrics = metrics;
    this.#observing = metrics !== undefined || this.#logger !== silentLogger;
    this.#metricsRoute = metrics !== undefined && options.metricsRoute !== false;
    this.#docs = options.docs ?? true;
    this.#name = options.name ?? 'infer';
    this.#openapiServerUrl = options.openapiServerUrl;
    this.#enabled = (route) => {
      if (route.id.startsWith('repository_')) return this.#repositoryApi.enabled;
      if (route.id === 'docs' || route.id === 'openapi') return this.#docs;
      if (route.id === 'metrics') return this.#metricsRoute;
      return true;
    };
  }

  /**
   * Whether this service answers `GET /metrics` (metrics given, `metricsRoute` not off);
   * framework adapters route `/metrics` to it by default when true.
   */
  get servesMetrics(): boolean {
    return this.#metricsRoute;
  }

  /** True once `shutdown()` began: readiness is false and new inference gets 503. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Whether the server is ready: not draining and every model that should be loaded is. */
  get ready(): boolean {
    return !this.#draining && this.repository.ready;
  }

  /** Whether the server is live: always `true` while the process answers. */
  get live(): boolean {
    return true;
  }

  /**
   * The server metadata: name, version and the protocol extensions served.
   *
   * @example
   * service.serverMetadata(); // { name: 'infer', version: '0.1.0', extensions: ['binary_tensor_data', 'classification'] }
   */
  serverMetadata(): ServerMetadata {
    const extensions = ['binary_tensor_data', 'classification'];
    if (this.#repositoryApi.enabled) extensions.push('model_repository');
    if (this.#metricsRoute) extensions.push('metrics');
    return { name: this.#name, version: VERSION, extensions };
  }

  /**
   * A model version's metadata (latest version when none is given). Throws
   * `ModelNotFoundError` or `VersionNotFoundError`.
   *
   * @example
   * service.modelMetadata('doubler').inputs; // [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }]
   */
  modelMetadata(name: string, version?: string): ModelMetadataV1 {
    return this.repository.metadata(name, version);
  }

  /**
   * Whether a model version is ready for inference (false while draining). Throws
   * `ModelNotFoundError` or `VersionNotFoundError` for an unknown model.
   *
   * @example
   * service.modelReady('doubler'); // { name: 'doubler', ready: true }
   */
  modelReady(name: string, version?: string): { name: string; ready: boolean } {
    const status = this.repository.status(name, version);
    return { name: status.name, ready: status.state === 'READY' && !this.#draining };
  }

  /**
   * Runs one inference request on a model version (latest when none is given), the path
   * every transport takes: draining check, model lookup, queue check, validation, batching,
   * output selection, response assembly. Rejects with the same errors the REST route
   * answers. `request` may be a function that decodes it: it is called only after the model
   * was found and its queue has room, so a refused request costs no decoding.
   *
   * @example
   * const response = await service.infer('doubler', undefined, { inputs: [x] }, { timeoutMs: 500 });
   * response.outputs[0].data; // Float32Array [...]
   */
  async infer(
    name: string,
    version: string | undefined,
    request: InferenceRequest | (() => InferenceRequest),
    options: ServiceInferOptions = {},
  ): Promise<InferenceResponse> {
    const decode = typeof request === 'function' ? request : () => request;
    this.#enter();
    try {
      const { served, inference, predicted } = this.#runInfer(name, version, decode, options);
      return responseOf(served, inference, await predicted);
    } finally {
      this.#leave();
    }
  }

  /**
   * Answers a request its adapter could not read (a body over the limit, a content coding it
   * cannot decode) with `error`, as `handle()` answers a route that failed: the same status
   * and `{ error }` body, counted in the metrics under the route its path names, and logged.
   * `startedAt` (`performance.now()` when the request came) times it.
   *
   * @example
   * const response = service.answerFailure({ method: 'POST', path: '/v2/models/m/infer', headers: {} }, new BodyTooLargeError({ limitBytes: 1024 }));
   * response.status; // 413
   */
  answerFailure(request: FailedRequest, error: unknown, startedAt?: number): ServiceResponse {
    const handling = new Handling(
      request as ServiceRequest,
      upperCaseMethod(request.method),
      request.path ?? '/',
      ++this.#requestSeq,
      this.#observing ? (startedAt ?? performance.now()) : 0,
    );
    const lookup = this.#matchRoute(handling.method, handling.path);
    if (lookup.kind === 'match') {
      handling.route = lookup.match.route.id;
      handling.params = lookup.match.params;
    }
    return this.#answer(handling, undefined, error);
  }

  /**
   * The model and version labels of a request's metrics: a name a client wrote in the URL (or
   * a gRPC message) is labelled `_unknown` unless the repository has it, whatever the answer
   * (404, 401, or a 413 or 415 before the model was looked up): else any client could add
   * series without bound, one per made-up name, authenticated or not.
   */
  #metricLabels(
    model: string | undefined,
    version: string | undefined,
    status: number,
  ): { model: string | undefined; version: string | undefined } {
    // Below 400 the route found the model (and version): nothing to look up.
    if (model === undefined || status < 400) return { model, version };
    if (!this.repository.has(model)) {
      return { model: UNKNOWN_LABEL, version: version === undefined ? undefined : UNKNOWN_LABEL };
    }
    if (version !== undefined && !this.repository.has(model, version)) {
      return { model, version: UNKNOWN_LABEL };
    }
    return { model, version };
  }

  /**
   * Records a request served by another transport (gRPC): the request metric, one debug
   * line, and an error line for 5xx other than 503.
   *
   * @internal
   */
  recordTransportRequest(record: TransportRequestRecord): void {
    const { route, model, version, status, durationMs, requestId, error } = record;
    this.#metrics?.observeRequest({
      ...this.#metricLabels(model, version, status),
      route,
      status,
      durationMs,
    });
    const code = error === undefined ? undefined : errorCodeOf(error);
    if (error !== undefined && status >= 500 && status !== 503) {
      this.#logger.error(
        { requestId, route, model, code, err: error },
        `request failed: ${(error as Error)?.message}`,
      );
    }
    this.#logger.debug(
      { requestId, route, model, status, durationMs, ...(code === undefined ? {} : { code }) },
      'request',
    );
  }

  /**
   * Handles one request; never rejects. Not an async function: the answer is one promise
   * reaction on the route's own promise, instead of an async frame and its await.
   */
  handle(request: ServiceRequest): Promise<ServiceResponse> {
    let handling: Handling;
    try {
      // Nothing observes the request with the default silent logger and no metrics: no clock
      // read and no request id string made (a request id is numbered all the same).
      handling = new Handling(
        request,
        upperCaseMethod(request.method),
        request.path ?? '/',
        ++this.#requestSeq,
        this.#observing ? performance.now() : 0,
      );
    } catch (error) {
      // Not a request (no object, a method that is no string), or `this` is not a service.
      return Promise.reject(error);
    }
    let dispatched: Promise<ServiceResponse> | ServiceResponse;
    try {
      const { method, path } = handling;
      const lookup = this.#matchRoute(method, path);
      if (lookup.kind === 'none') throw new RouteNotFoundError({ method, path });
      if (lookup.kind === 'method') {
        throw new MethodNotAllowedError({ method, path, allow: lookup.allow });
      }
      const { route, params } = lookup.match;
      const id = route.id;
      handling.route = id;
      handling.params = params;
      // Answered in the reaction that takes the prediction.
      if (id === 'infer') return this.#infer(handling);
      dispatched = this.#dispatch(id, params, request);
    } catch (error) {
      return this.#settle(handling, undefined, error);
    }
    if (!isThenable(dispatched)) return this.#settle(handling, dispatched, undefined);
    return Promise.resolve(dispatched).then(
      (response) => this.#answer(handling, response, undefined),
      (error: unknown) => this.#answer(handling, undefined, error),
    );
  }

  /** `#answer` for a request answered synchronously, as a promise that rejects, never throws. */
  #settle(
    handling: Handling,
    response: ServiceResponse | undefined,
    error: unknown,
  ): Promise<ServiceResponse> {
    try {
      return Promise.resolve(this.#answer(handling, response, error));
    } catch (failure) {
      return Promise.reject(failure);
    }
  }

  /** The answer to a handled request (`error` when its route failed), recorded and logged. */
  #answer(
    handling: Handling,
    routed: ServiceResponse | undefined,
    error: unknown,
  ): ServiceResponse {
    const { request, method, path, route, params } = handling;
    let response: ServiceResponse;
    let code: string | undefined;
    if (routed === undefined) {
      code = errorCodeOf(error);
      const requestId = requestIdOf(request, handling.seq);
      response = this.#errorResponse(error, { requestId, method, path, route, code });
    } else {
      response = routed;
    }
    // Unless an in-process model got views of it (#infer marked it kept), nothing here
    // refers to the body any more: the adapter may reuse its buffer.
    settleBodyLease(request, 'returned');
    if (method === 'HEAD') response = headResponse(response);
    if (!this.#observing) return response;
    const requestId = requestIdOf(request, handling.seq);
    const durationMs = performance.now() - handling.started;
    this.#metrics?.observeRequest({
      ...this.#metricLabels(params.model, params.version, response.status),
      route,
      status: response.status,
      durationMs,
    });
    this.#logger.debug(
      {
        requestId,
        method,
        path,
        route,
        status: response.status,
        durationMs,
        ...(code === undefined ? {} : { code }),
      },
      'request',
    );
    return response;
  }

  /**
   * `matchRoute` with the matches of recent paths kept: an inference path repeats request
   * after request (`POST /v2/models/m/infer`). At most {@link ROUTE_CACHE_SIZE} are kept (the
   * cache starts over when full), so paths that never repeat cannot grow it.
   */
  #matchRoute(method: string, path: string): RouteLookup {
    // The last match first: comparing a fresh path string costs less than hashing it for the
    // map (V8 hashes every new string it looks up).
    const last = this.#lastRoute;
    if (last !== undefined && last.path === path && last.method === method) return last.lookup;
    // Keyed by path alone (no key string built per request); the method must agree.
    const cached = this.#routeCache.get(path);
    if (cached !== undefined && cached.method === method) {
      this.#lastRoute = cached;
      return cached.lookup;
    }
    const lookup = matchRoute(method, path, this.#enabled);
    if (lookup.kind === 'match') {
      if (this.#routeCache.size >= ROUTE_CACHE_SIZE) this.#routeCache.clear();
      Object.freeze(lookup.match.params);
      const entry = { path, method, lookup };
      this.#routeCache.set(path, entry);
      this.#lastRoute = entry;
    }
    return lookup;
  }

  /** The error response; 5xx other than 503 are also logged at error level with the cause. */
  #errorResponse(
    error: unknown,
    context: { requestId: string; method: string; path: string; route: string; code: string },
  ): ServiceResponse {
    const status = httpStatusOf(error);
    if (status >= 500 && status !== 503) {
      this.#logger.error(
        { ...context, err: error },
        `request failed: ${(error as Error)?.message}`,
      );
    }
    return jsonResponse(status, toErrorBody(error), errorHeadersOf(error));
  }

  /** Every route but `infer`, which `handle()` answers through `#infer`. */
  #dispatch(
    id: Exclude<RouteId, 'infer'>,
    params: Readonly<Record<string, string>>,
    request: ServiceRequest,
  ): Promise<ServiceResponse> | ServiceResponse {
    const { model, version } = params;
    switch (id) {
      case 'health_live':
        return jsonResponse(200, { live: true });
      case 'health_ready': {
        const ready = this.ready;
        return jsonResponse(ready ? 200 : 503, { ready });
      }
      case 'server_metadata':
        return jsonResponse(200, this.serverMetadata());
      case 'model_metadata':
        return jsonResponse(200, this.modelMetadata(model!, version));
      case 'model_ready': {
        const ready = this.modelReady(model!, version);
        return jsonResponse(ready.ready ? 200 : 503, ready);
      }
      case 'repository_index':
        return this.#repositoryIndex(request);
      case 'repository_load':
        return this.#repositoryLoad(model!, request);
      case 'repository_unload':
        return this.#repositoryUnload(model!, request);
      case 'docs':
        return {
          status: 200,
          headers: {
            'content-type': 'text/html; charset=utf-8',
            'content-security-policy': DOCS_PAGE_CSP,
            'x-content-type-options': 'nosniff',
          },
          body: this.#docsPage(openapiHrefFor(request.path), modelsHrefFor(request.path)),
        };
      case 'openapi':
        return { status: 200, headers: { ...JSON_HEADERS }, body: this.#openapiDocument() };
      case 'metrics':
        return this.#renderMetrics();
    }
  }

  /**
   * The infer route of `handle()`. Not an async function (nor is `#runInfer`): the reaction
   * that takes the prediction also gives the request its answer (`#answer`), one promise per
   * request instead of an awaiting frame and a reaction of `handle()`'s; in-flight counting
   * is paired on both outcomes.
   */
  #infer(handling: Handling): Promise<ServiceResponse> {
    const { request, params } = handling;
    this.#enter();
    let inferred: StartedInference;
    try {
      // The decoded request is ours alone: its buffers may move to a worker thread.
      inferred = this.#runInfer(
        params.model!,
        params.version,
        () => decodeInferBody(request),
        // The adapter's client signal when there is one: no AbortSignal made per request.
        { signal: clientSignalOf(request) as AbortSignal | undefined, transfer: true },
        request,
      );
    } catch (error) {
      this.#leave();
      return this.#settle(handling, undefined, error);
    }
    const { served, inference } = inferred;
    return inferred.predicted.then(
      (result) => {
        let response: ServiceResponse;
        try {
          const encoded = encodeOutputs(responseOf(served, inference, result), inference);
          // JSON stays a string: node:http writes it with the response head in one write.
          response =
            encoded.text !== undefined
              ? { status: 200, headers: encoded.headers, body: encoded.text }
              : partsResponse(200, encoded.headers, encoded.parts, encoded.byteLength);
        } catch (error) {
          this.#leave();
          return this.#answer(handling, undefined, error);
        }
        this.#leave();
        return this.#answer(handling, response, undefined);
      },
      (error: unknown) => {
        this.#leave();
        return this.#answer(handling, undefined, error);
      },
    );
  }

  /**
   * Counts an inference request in flight (shutdown waits for them); refused while draining.
   * Every `#enter()` is paired with a `#leave()` in a `finally`.
   */
  #enter(): void {
    if (this.#draining) throw new ShuttingDownError();
    this.#inFlight++;
  }

  #leave(): void {
    // Under light load every request takes the count back to 0: no array copied then unless
    // shutdown() waits.
    if (--this.#inFlight === 0 && this.#idleWaiters.length > 0) {
      for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  /**
   * The one inference path of every transport. `decode` runs after the model lookup and the
   * queue check, so an unknown model is 404 and a full queue 503 (load shedding: no CPU
   * spent decoding a body that would be refused) before a malformed body is 400. Returns the
   * prediction's promise as the batcher gives it: each caller makes the response in its own
   * one reaction (one promise less per request than a reaction here as well).
   */
  #runInfer(
    model: string,
    version: string | undefined,
    decode: () => InferenceRequest,
    options: ServiceInferOptions,
    lent?: ServiceRequest,
  ): StartedInference {
    // Throws synchronously (unknown model, full queue, bad body): callers turn that into a
    // rejection or an error response.
    const served = this.repository.get(model, version);
    served.throwIfOverloaded();
    const inference = decode();
    // A model in this thread may keep views of the body's tensors, or answer with them; a
    // worker pool copies them into its message when it takes the request.
    if (lent !== undefined && served.pool === undefined) settleBodyLease(lent, 'kept');
    const predicted = served.predict(inference, {
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      clientTimeoutMs: options.clientTimeoutMs,
      transfer: options.transfer ?? false,
    });
    return { served, inference, predicted };
  }

  /**
   * The repository API's bearer token check (RFC 6750): no `Authorization: Bearer <token>`
   * (missing, another scheme, no token) is 401 with `WWW-Authenticate: Bearer realm="infer"`;
   * a token that is not the configured one is 401 with `error="invalid_token"` added.
   */
  #authorize(request: ServiceRequest): void {
    const token = this.#repositoryApi.token;
    if (token === undefined) return;
    const header = request.headers['authorization'] ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match === null) throw new UnauthorizedError();
    const given = encoder.encode(match[1]);
    const expected = encoder.encode(token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new UnauthorizedError('The bearer token is not valid', { invalidToken: true });
    }
  }

  #repositoryIndex(request: ServiceRequest): ServiceResponse {
    this.#authorize(request);
    const body = parseOptionalJson(request) as { ready?: unknown } | undefined;
    const onlyReady = body?.ready === true;
    const rows = this.repository.list().filter((row) => !onlyReady || row.state === 'READY');
    return jsonResponse(200, rows);
  }

  async #repositoryLoad(model: string, request: ServiceRequest): Promise<ServiceResponse> {
    this.#authorize(request);
    parseOptionalJson(request);
    if (this.#draining) throw new ShuttingDownError();
    if (!this.repository.has(model)) {
      const loader = this.#repositoryApi.loader;
      const found = loader ? await loader(model) : undefined;
      if (found === undefined) throw new ModelNotFoundError({ model });
      const { model: candidate, options } =
        typeof (found as { predict?: unknown }).predict === 'function'
          ? { model: found as ModelV1, options: undefined }
          : (found as { model: ModelV1; options?: AddModelOptions });
      const checked = asModelV1(candidate, 'loader result');
      if (checked.name !== model) {
        throw new BadRequestError(`the loader returned model "${checked.name}" for "${model}"`);
      }
      // The loader may have taken longer than the drain: a model added now would be loaded
      // after the repository closed, and never unloaded.
      if (this.#draining) throw new ShuttingDownError();
      if (!this.repository.has(model)) this.repository.add(checked, options);
    }
    if (this.#draining) throw new ShuttingDownError();
    const served = await this.repository.load(model);
    return jsonResponse(200, this.repository.status(model, served.version));
  }

  async #repositoryUnload(model: string, request: ServiceRequest): Promise<ServiceResponse> {
    this.#authorize(request);
    parseOptionalJson(request);
    await this.repository.unload(model);
    return jsonResponse(200, this.repository.status(model));
  }

  #docsPage(openapiHref: string, modelsHref: string): string {
    const models = this.repository.list().map((entry) => {
      let metadata: ModelMetadataV1 | undefined;
      try {
        metadata = this.repository.metadata(entry.name, entry.version);
      } catch {
        metadata = undefined;
      }
      return { entry, metadata };
    });
    return renderDocsPage({
      title: this.#name,
      version: VERSION,
      enabled: this.#enabled,
      models,
      openapiHref,
      modelsHref,
    });
  }

  #openapiDocument(): string {
    this.#openapi ??= JSON.stringify(
      buildOpenApiDocument({
        title: this.#name,
        version: VERSION,
        enabled: this.#enabled,
        serverUrl: this.#openapiServerUrl,
      }),
    );
    return this.#openapi;
  }

  async #renderMetrics(): Promise<ServiceResponse> {
    const metrics = this.#metrics!;
    return {
      status: 200,
      headers: { 'content-type': metrics.contentType },
      body: await metrics.render(),
    };
  }

  /**
   * Starts draining: readiness turns false and new inference gets 503 at once; resolves
   * when in-flight inference requests have finished (or after `timeoutMs`), then unloads
   * every model (draining their queues) unless `closeRepository` is `false`.
   *
   * @example
   * process.on('SIGTERM', () => service.shutdown({ timeoutMs: 10_000 }));
   */
  shutdown(options: { timeoutMs?: number; closeRepository?: boolean } = {}): Promise<void> {
    this.#shutdown ??= (async () => {
      this.#draining = true;
      const idle =
        this.#inFlight === 0
          ? Promise.resolve()
          : new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
      const timeoutMs = options.timeoutMs ?? 30_000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([idle, timeout]);
      clearTimeout(timer);
      if (options.closeRepository !== false) await this.repository.close();
    })();
    return this.#shutdown;
  }

  /**
   * Sends a request in-process, as Hono's `app.request()`: for tests and for calling the
   * service without HTTP. A non-string, non-bytes body is sent as JSON.
   *
   * @example
   * const response = await service.request('/v2/health/ready');
   * response.status; // 200
   */
  async request(path: string, init: ServiceRequestInit = {}): Promise<ServiceTestResponse> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(init.headers ?? {}))
      headers[name.toLowerCase()] = value;
    let body: Uint8Array | undefined;
    if (typeof init.body === 'string') body = encoder.encode(init.body);
    else if (init.body instanceof Uint8Array) body = init.body;
    else if (init.body !== undefined) {
      body = encoder.encode(JSON.stringify(init.body));
      headers['content-type'] ??= 'application/json';
    }
    const response = await this.handle({
      method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      path,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(init.signal === undefined ? {} : { signal: init.signal }),
    });
    const text = () =>
      typeof response.body === 'string' ? response.body : decoder.decode(response.body);
    return { ...response, text, json: () => JSON.parse(text()) };
  }
}

/**
 * `handle` as the class defines it, taken when this module loads: a prototype wrapped later
 * (instrumentation) is user code that may read `request.signal` (see `readsClientSignal`).
 */
const OWN_HANDLE = InferenceService.prototype.handle;

function resolveRepositoryApi(
  option: InferenceServiceOptions['repositoryApi'],
): RepositoryApiOptions & { enabled: boolean } {
  if (option === undefined || typeof option === 'boolean') return { enabled: option ?? false };
  if (typeof option !== 'object' || option === null) {
    throw new InvalidOptionError('options.repositoryApi', 'must be a boolean or an object');
  }
  if (option.enabled !== undefined && typeof option.enabled !== 'boolean') {
    throw new InvalidOptionError('options.repositoryApi.enabled', 'must be a boolean');
  }
  if (option.token !== undefined && (typeof option.token !== 'string' || option.token === '')) {
    throw new InvalidOptionError('options.repositoryApi.token', 'must be a non-empty string');
  }
  if (option.loader !== undefined && typeof option.loader !== 'function') {
    throw new InvalidOptionError('options.repositoryApi.loader', 'must be a function');
  }
  return { ...option, enabled: option.enabled ?? true };
}

/**
 * The media type of the request's Content-Type, lower-cased; `undefined` when it has none.
 * A header with no type in it (`;;`, blank) gives `''`, which no route accepts.
 */
function mediaTypeOf(request: ServiceRequest): string | undefined {
  const header = request.headers['content-type'];
  if (header === undefined || header === 'application/json') return header; // already normal
  return header.split(';')[0]!.trim().toLowerCase();
}

/** The 415 for a Content-Type no route of this kind takes (a blank one shown as sent). */
function unsupportedType(request: ServiceRequest, type: string, accepted: readonly string[]) {
  const contentType = type === '' ? (request.headers['content-type'] ?? '') : type;
  return new UnsupportedMediaTypeError({ contentType, accepted });
}

/** Checks the Content-Type and decodes an infer body (JSON or the binary extension). */
function decodeInferBody(request: ServiceRequest) {
  const type = mediaTypeOf(request);
  if (
    type !== undefined &&
    type !== 'application/json' &&
    !JSON_TYPES.test(type) &&
    type !== 'application/octet-stream'
  ) {
    throw unsupportedType(request, type, ACCEPTED_TYPES);
  }
  const body = request.body;
  if (body === undefined || body.byteLength === 0) {
    throw new BadRequestError('request body is empty; send an inference request (JSON)');
  }
  const headerLength = request.headers[BINARY_HEADER];
  if (request.rebuiltBody === true) {
    return decodeInferenceRequest(body, { headerLength, exactIntegers: false });
  }
  return decodeInferenceRequest(body, headerLength === undefined ? {} : { headerLength });
}

/**
 * A response whose body is `parts` (see `ServiceResponse.bodyParts`): a binary answer, so the
 * JSON header and at least one output. `body` joins them into one plain `Uint8Array` on first
 * read, for adapters that send one buffer; assigning `body` drops the parts. `bodyParts` is
 * not enumerable, so a copy made by spreading the response carries the joined `body` only.
 */
function partsResponse(
  status: number,
  headers: Record<string, string>,
  parts: Uint8Array[],
  byteLength: number,
): ServiceResponse {
  let body: Uint8Array | string | undefined;
  const response = { status, headers } as ServiceResponse;
  Object.defineProperty(response, 'body', {
    configurable: true,
    enumerable: true,
    get: () => {
      body ??= concatBytes(parts, byteLength);
      return body;
    },
    set: (value: Uint8Array | string) => {
      body = value;
      delete response.bodyParts;
    },
  });
  Object.defineProperty(response, 'bodyParts', {
    configurable: true,
    enumerable: false,
    writable: true,
    value: parts,
  });
  return response;
}

/**
 * Encodes an inference response. The codec refuses outputs JSON cannot carry (NaN, ±Infinity,
 * non-UTF-8 BYTES) or that do not match their shape: the model's fault, so 500
 * `OutputEncodingError` naming the output, not the codec's 400.
 */
function encodeOutputs(response: InferenceResponse, request: InferenceRequest) {
  try {
    return encodeInferenceResponseBody(response, request);
  } catch (cause) {
    if (!CodecError.isInstance(cause)) throw cause;
    throw new OutputEncodingError({
      model: response.model_name,
      version: response.model_version,
      output: cause.input,
      reason: cause.message,
      cause,
    });
  }
}

/** The inference response of `served` for `request`, its outputs being `result`'s. */
function responseOf(
  served: ServedModel,
  request: InferenceRequest,
  result: PredictResult,
): InferenceResponse {
  // Keys in the spec's order (model_name, model_version, id, parameters, outputs); `outputs`
  // is set last, so the object is incomplete until then.
  const response = { model_name: served.name } as InferenceResponse;
  if (served.version !== undefined) response.model_version = served.version;
  if (request.id !== undefined) response.id = request.id;
  if (result.parameters !== undefined) response.parameters = result.parameters;
  response.outputs = result.outputs;
  return response;
}

/** The method in upper case; the usual ones, already upper case, are not copied. */
function upperCaseMethod(method: string | undefined): string {
  if (method === undefined) return 'GET';
  return method === 'POST' || method === 'GET' ? method : method.toUpperCase();
}

/** The request's `X-Request-Id`, else its sequence number. */
function requestIdOf(request: ServiceRequest, seq: number): string {
  return request.headers?.['x-request-id'] ?? `${seq}`;
}

/** Parses an optional JSON body of the repository routes (400 when malformed). */
function parseOptionalJson(request: ServiceRequest): unknown {
  const body = request.body;
  if (body === undefined || body.byteLength === 0) return undefined;
  const type = mediaTypeOf(request);
  if (type !== undefined && !JSON_TYPES.test(type)) {
    throw unsupportedType(request, type, ['application/json']);
  }
  try {
    return JSON.parse(decoder.decode(body));
  } catch (cause) {
    throw new BadRequestError('request body is not valid JSON', { cause });
  }
}

/**
 * The OpenAPI document's URL relative to the docs page as requested: `docs/openapi.json`
 * from `/v2/docs`, `openapi.json` from `/v2/docs/`, `../openapi.json` from `/v2/docs//`.
 * Relative, so it works wherever the service is mounted; no redirect, which would loop
 * behind a framework that adds trailing slashes (Next's `trailingSlash: true`).
 */
function openapiHrefFor(path: string): string {
  const slashes = trailingSlashes(path);
  return slashes === 0 ? 'docs/openapi.json' : `${'../'.repeat(slashes - 1)}openapi.json`;
}

/** The models' URL prefix relative to the docs page as requested (its form posts there). */
function modelsHrefFor(path: string): string {
  return `${'../'.repeat(trailingSlashes(path))}models/`;
}

/** The trailing slashes of a docs page's path: what routing dropped from the path part. */
function trailingSlashes(path: string): number {
  return pathPartOf(path).length - pathnameOf(path).length;
}

/**
 * The answer to a HEAD: the GET's status and headers, with the `Content-Length` the GET's body
 * would have had (RFC 9110: a HEAD must not announce another length), and no body.
 */
function headResponse(response: ServiceResponse): ServiceResponse {
  return {
    status: response.status,
    headers: { ...response.headers, 'content-length': String(bodyLength(response)) },
    body: '',
  };
}
