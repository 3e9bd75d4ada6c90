import { asModelV1 } from './as-model-v1';
import {
  InferError,
  InvalidOptionError,
  ModelExistsError,
  ModelLoadFailedError,
  ModelNotFoundError,
  ModelNotReadyError,
  VersionNotFoundError,
} from './errors';
import { assertLogger, type Logger, silentLogger } from './logger';
import { ServedModel, type ServedModelMetrics, type ServedModelOptions } from './served-model';
import type { ModelMetadataV1, ModelV1, ServingOptionsV1 } from './spec';
import { compareVersions } from './version-order';

/** State of a model version in the repository index (OIP repository extension). */
export type ModelState = 'READY' | 'UNAVAILABLE' | 'LOADING' | 'UNLOADING';

/** One row of {@link ModelRepository.list}: what `POST /v2/repository/index` returns. */
export interface RepositoryIndexEntry {
  name: string;
  version?: string;
  state: ModelState;
  /** Why it is not ready: its load error, `unloaded`, or `not loaded yet`. */
  reason?: string;
}

/** Options of {@link ModelRepository}. */
export interface ModelRepositoryOptions {
  /** pino-compatible logger. Default: silent. */
  logger?: Logger | undefined;
  /** Metric hooks passed to every served model. Default: none. */
  metrics?: ServedModelMetrics | undefined;
  /** Serving defaults for every model (a model's own and `add()` options override). */
  serving?: ServingOptionsV1 | undefined;
}

/** Options of {@link ModelRepository.add}. */
export interface AddModelOptions extends ServedModelOptions {
  /** `false`: register only; `loadAll()` skips it and readiness ignores it. Default `true`. */
  load?: boolean | undefined;
}

interface Entry {
  readonly model: ModelV1;
  readonly options: ServedModelOptions;
  readonly seq: number;
  /** Whether the model should be loaded (readiness counts it). */
  wanted: boolean;
  state: ModelState;
  reason: string | undefined;
  /** The error of the last load, until a load starts again. */
  loadError: Error | undefined;
  served: ServedModel | undefined;
  loading: Promise<ServedModel> | undefined;
  unloading: Promise<void> | undefined;
}

/**
 * A model as `name`, or `name@version` when it has one: in logs and the CLI's lines.
 *
 * @internal
 */
export const modelLabel = (name: string, version: string | undefined) =>
  version === undefined ? name : `${name}@${version}`;

/**
 * An entry's state as it serves now: a loaded model whose worker pool failed for good since
 * (its threads died and could not be replaced, or could not load it) is `UNAVAILABLE`.
 */
function stateOf(entry: Entry): ModelState {
  return entry.state === 'READY' && entry.served?.state === 'failed' ? 'UNAVAILABLE' : entry.state;
}

/** Why an entry is not ready (see {@link stateOf}); `undefined` when it is. */
function reasonOf(entry: Entry): string | undefined {
  if (entry.state === 'READY' && entry.served?.state === 'failed') {
    return entry.served.loadError?.message ?? 'its worker pool failed';
  }
  return entry.reason;
}

/**
 * Many models and versions: add, load, unload, look up (latest version by default), list,
 * readiness. Concurrent loads of one model share one load; a model that fails to load is
 * `UNAVAILABLE` with its error as reason while the others keep serving; unload drains.
 *
 * @example
 * const repository = new ModelRepository();
 * repository.add(defineModel({ ... }));
 * await repository.loadAll();
 * const served = repository.get('doubler');
 */
export class ModelRepository {
  readonly #entries = new Map<string, Entry[]>();
  readonly #logger: Logger;
  readonly #metrics: ServedModelMetrics | undefined;
  readonly #serving: ServingOptionsV1 | undefined;
  #seq = 0;

  constructor(options: ModelRepositoryOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionError('options', 'must be an object');
    }
    if (options.logger !== undefined) assertLogger(options.logger, 'options.logger');
    this.#logger = options.logger ?? silentLogger;
    this.#metrics = options.metrics;
    this.#serving = options.serving;
  }

  /**
   * Registers a model (not loaded yet; see `load()` / `loadAll()`). Throws
   * `ModelExistsError` when that name and version are already registered.
   */
  add(model: ModelV1, options: AddModelOptions = {}): this {
    const checked = asModelV1(model);
    const { load, ...served } = options;
    if (load !== undefined && typeof load !== 'boolean') {
      throw new InvalidOptionError('options.load', 'must be a boolean');
    }
    const list = this.#entries.get(checked.name) ?? [];
    if (list.some((entry) => entry.model.version === checked.version)) {
      throw new ModelExistsError({ model: checked.name, version: checked.version });
    }
    // Validates the serving options now, before anything runs.
    new ServedModel(checked, this.#servedOptions(served));
    list.push({
      model: checked,
      options: served,
      seq: this.#seq++,
      wanted: load !== false,
      state: 'UNAVAILABLE',
      reason: 'not loaded yet',
      loadError: undefined,
      served: undefined,
      loading: undefined,
      unloading: undefined,
    });
    this.#entries.set(checked.name, list);
    return this;
  }

  #servedOptions(options: ServedModelOptions): ServedModelOptions {
    return {
      ...this.#serving,
      ...options,
      logger: options.logger ?? this.#logger,
      metrics: options.metrics ?? this.#metrics,
    };
  }

  /** Whether a model (and version) is registered. */
  has(name: string, version?: string): boolean {
    const list = this.#entries.get(name);
    return (
      list !== undefined && (version === undefined || list.some((e) => e.model.version === version))
    );
  }

  /** Every version of a model, oldest first (by version order). */
  versions(name: string): string[] {
    return [...(this.#entries.get(name) ?? [])]
      .sort(byVersion)
      .flatMap((entry) => (entry.model.version === undefined ? [] : [entry.model.version]));
  }

  #entry(name: string, version: string | undefined): Entry {
    const list = this.#entries.get(name);
    if (list === undefined || list.length === 0)
      throw new ModelNotFoundError({ model: name, version });
    if (version !== undefined) {
      const entry = list.find((e) => e.model.version === version);
      if (entry === undefined) throw new VersionNotFoundError({ model: name, version });
      return entry;
    }
    // Latest: the highest version among ready ones, else the highest. One version is both
    // (the common case, looked up on every request: no arrays made for it).
    if (list.length === 1) return list[0]!;
    const ready = list.filter((entry) => stateOf(entry) === 'READY');
    return [...(ready.length > 0 ? ready : list)].sort(byVersion).at(-1)!;
  }

  /**
   * The ready served model for a name (latest version when none is given). Throws
   * `ModelNotFoundError`, `VersionNotFoundError` (404) or `ModelNotReadyError` (503).
   */
  get(name: string, version?: string): ServedModel {
    const entry = this.#entry(name, version);
    if (entry.state !== 'READY' || entry.served === undefined || stateOf(entry) !== 'READY') {
      throw new ModelNotReadyError({
        model: name,
        version: entry.model.version,
        reason: reasonOf(entry) ?? stateOf(entry),
      });
    }
    return entry.served;
  }

  /** The index row of one model version (latest when none is given). */
  status(name: string, version?: string): RepositoryIndexEntry {
    return row(this.#entry(name, version));
  }

  /**
   * The metadata of a model version, ready or not: a model that is not ready reports
   * `state` and `reason` (its load error) in `parameters`; `versions` lists every version.
   */
  metadata(name: string, version?: string): ModelMetadataV1 {
    const entry = this.#entry(name, version);
    const versions = this.versions(name);
    let metadata: ModelMetadataV1;
    if (entry.served?.ready) {
      metadata = entry.served.metadata();
    } else {
      try {
        metadata = entry.model.metadata();
      } catch {
        metadata = { name, platform: '', inputs: [], outputs: [] };
      }
      const reason = reasonOf(entry);
      metadata = {
        ...metadata,
        parameters: {
          ...metadata.parameters,
          state: stateOf(entry),
          ...(reason === undefined ? {} : { reason }),
        },
      };
    }
    const { versions: _ignored, ...rest } = metadata;
    return { ...rest, name, ...(versions.length > 0 ? { versions } : {}) };
  }

  /** The repository index: every registered version with its state and reason. */
  list(): RepositoryIndexEntry[] {
    return [...this.#entries.values()].flatMap((list) => [...list].sort(byVersion).map(row));
  }

  /** True when every model that should be loaded is `READY` (true for an empty repository). */
  get ready(): boolean {
    for (const list of this.#entries.values()) {
      if (list.some((entry) => entry.wanted && stateOf(entry) !== 'READY')) return false;
    }
    return true;
  }

  /**
   * Loads a model version (or, without `version`, every version of the name) and resolves
   * with the served model `get()` then returns. Concurrent calls share one load. Rejects
   * with `ModelLoadFailedError`; the model stays `UNAVAILABLE` with the error as reason.
   */
  async load(name: string, version?: string): Promise<ServedModel> {
    const targets =
      version === undefined ? (this.#entries.get(name) ?? []) : [this.#entry(name, version)];
    if (targets.length === 0) throw new ModelNotFoundError({ model: name });
    const results = await Promise.allSettled(targets.map((entry) => this.#load(entry)));
    const failure = results.find((result) => result.status === 'rejected');
    if (failure && targets.length === 1) throw failure.reason;
    try {
      return this.get(name, version);
    } catch (error) {
      throw failure ? failure.reason : error;
    }
  }

  #load(entry: Entry): Promise<ServedModel> {
    entry.wanted = true;
    if (entry.state === 'READY' && entry.served) return Promise.resolve(entry.served);
    if (entry.loading) return entry.loading;
    const name = modelLabel(entry.model.name, entry.model.version);
    const loading = (async () => {
      if (entry.unloading) await entry.unloading;
      entry.state = 'LOADING';
      entry.reason = undefined;
      entry.loadError = undefined;
      this.#logger.info(
        { model: entry.model.name, version: entry.model.version },
        `loading ${name}`,
      );
      const served = new ServedModel(entry.model, this.#servedOptions(entry.options));
      try {
        await served.start();
      } catch (cause) {
        const error = InferError.isInstance(cause)
          ? cause
          : new ModelLoadFailedError({
              model: entry.model.name,
              version: entry.model.version,
              cause,
            });
        entry.state = 'UNAVAILABLE';
        entry.reason = (error as Error).message;
        entry.loadError = error as Error;
        throw error;
      }
      entry.served = served;
      entry.state = 'READY';
      this.#logger.info(
        { model: entry.model.name, version: entry.model.version },
        `loaded ${name}`,
      );
      return served;
    })().finally(() => {
      entry.loading = undefined;
    });
    entry.loading = loading;
    return loading;
  }

  /**
   * Loads every model registered to be loaded, in parallel; resolves when all settled,
   * with the failures (those models stay `UNAVAILABLE`; the others serve). With
   * `retryFailed: false`, a model whose last load failed is not loaded again; its earlier
   * error is among the failures, marked `earlier: true`.
   *
   * @example
   * const failures = await repository.loadAll({ retryFailed: false });
   */
  async loadAll(
    options: { retryFailed?: boolean } = {},
  ): Promise<{ name: string; version?: string; error: Error; earlier?: true }[]> {
    const retry = options.retryFailed ?? true;
    const entries = [...this.#entries.values()].flat().filter((entry) => entry.wanted);
    const kept = entries.map(
      (entry) => !retry && entry.loadError !== undefined && entry.loading === undefined,
    );
    const results = await Promise.allSettled(
      entries.map((entry, index) =>
        kept[index] ? Promise.reject(entry.loadError) : this.#load(entry),
      ),
    );
    return results.flatMap((result, index) => {
      if (result.status === 'fulfilled') return [];
      const { name, version } = entries[index]!.model;
      return [
        {
          name,
          ...(version === undefined ? {} : { version }),
          error: result.reason as Error,
          ...(kept[index] ? { earlier: true as const } : {}),
        },
      ];
    });
  }

  /**
   * Unloads a model version (or every version of the name): new requests get 503 at once,
   * queued and running ones finish, then the model unloads. Concurrent calls share one.
   */
  async unload(name: string, version?: string): Promise<void> {
    const targets =
      version === undefined ? (this.#entries.get(name) ?? []) : [this.#entry(name, version)];
    if (targets.length === 0) throw new ModelNotFoundError({ model: name });
    await Promise.all(targets.map((entry) => this.#unload(entry)));
  }

  #unload(entry: Entry): Promise<void> {
    entry.wanted = false;
    if (entry.unloading) return entry.unloading;
    const unloading = (async () => {
      if (entry.loading) await entry.loading.catch(() => undefined);
      const served = entry.served;
      if (served === undefined) return;
      entry.state = 'UNLOADING';
      entry.reason = 'unloading';
      await served.close();
      entry.served = undefined;
      entry.state = 'UNAVAILABLE';
      entry.reason = 'unloaded';
      this.#logger.info(
        { model: entry.model.name, version: entry.model.version },
        `unloaded ${modelLabel(entry.model.name, entry.model.version)}`,
      );
    })().finally(() => {
      entry.unloading = undefined;
    });
    entry.unloading = unloading;
    return unloading;
  }

  /** Unloads (draining) then forgets a model version, or every version of the name. */
  async remove(name: string, version?: string): Promise<void> {
    await this.unload(name, version);
    const list = this.#entries.get(name) ?? [];
    const kept =
      version === undefined ? [] : list.filter((entry) => entry.model.version !== version);
    if (kept.length === 0) this.#entries.delete(name);
    else this.#entries.set(name, kept);
  }

  /** Unloads every model, draining each. */
  async close(): Promise<void> {
    const entries = [...this.#entries.values()].flat();
    await Promise.allSettled(entries.map((entry) => this.#unload(entry)));
  }
}

function byVersion(a: Entry, b: Entry): number {
  return compareVersions(a.model.version, b.model.version) || a.seq - b.seq;
}

function row(entry: Entry): RepositoryIndexEntry {
  const { name, version } = entry.model;
  const state = stateOf(entry);
  const reason = reasonOf(entry);
  return {
    name,
    ...(version === undefined ? {} : { version }),
    state,
    ...(state === 'READY' || reason === undefined ? {} : { reason }),
  };
}
