import { type Logger, silentLogger } from '../logger';
import { createMetrics } from '../metrics/create-metrics';
import type { InferMetrics } from '../metrics/infer-metrics';
import { ModelRepository, type ModelState } from '../model-repository';
import { type InferServer, serve } from '../serve';
import type { ServingOptionsV1 } from '../spec';
import { createModelFromSettings, type ModelFromSettings } from './create-model';
import { type LoadedSettings, type LoadSettingsOptions, loadSettings } from './load-settings';
import { createModelDirectoryLoader } from './model-directory-loader';
import { SettingsError } from './settings-error';

/** A model's load progress, reported by {@link serveFromSettings}. */
export interface ModelLoadEvent {
  phase: 'loading' | 'ready' | 'failed';
  name: string;
  version: string | undefined;
  /** The `runtime` of its settings (package name or path). */
  runtime: string;
  /** 0-based position and count, for "[1/3]" progress. */
  index: number;
  total: number;
  /** Load time in ms (`ready` and `failed`). */
  durationMs?: number;
  error?: Error;
}

/** One served model, for the CLI's table. */
export interface ServedModelInfo {
  name: string;
  version: string | undefined;
  /** The `runtime` of its settings. */
  runtime: string;
  /** The model's `platform` from its metadata (e.g. `onnxruntime-node (cpu)`), `''` if not loaded. */
  platform: string;
  state: ModelState;
  reason: string | undefined;
  /** The settings file it came from. */
  source: string;
  /** Its metadata URL. */
  url: string;
}

/** Options of {@link serveFromSettings}. */
export interface ServeFromSettingsOptions extends LoadSettingsOptions {
  /** Settings already loaded by `loadSettings()`; then the loading options are ignored. */
  loaded?: LoadedSettings;
  /** pino-compatible logger. Default: silent. */
  logger?: Logger;
  /**
   * Metrics to use; `false` for none. Default: `createMetrics({ defaultMetrics: true })` when
   * `settings.metrics.enabled`.
   */
  metrics?: InferMetrics | false;
  /** Serving knobs applied over every model's own (e.g. the CLI's `--workers`). Default: none. */
  serving?: ServingOptionsV1;
  /** Called as each model starts loading, and when it is ready or failed. */
  onModel?: (event: ModelLoadEvent) => void;
  /** Install SIGTERM/SIGINT handlers (see `serve()`). Default `false`. */
  handleSignals?: boolean;
}

/** A server started by {@link serveFromSettings}. */
export interface SettingsServer extends InferServer {
  /** The settings it runs with. */
  readonly settings: LoadedSettings;
  /** Every model from the settings, with its state after startup. */
  models(): ServedModelInfo[];
}

/**
 * Starts a server from settings files: loads `settings.json` and every
 * `model-settings.json` (with `INFER_*` env), creates each model through its runtime
 * (resolved by package name), loads them with progress events, then `serve()`s them with
 * metrics and the repository API (loading only from the model directories) as configured.
 *
 * Bad settings or an unresolvable runtime reject before anything listens; a model whose
 * load fails is reported (`onModel` `failed`) and served as not ready.
 *
 * @example
 * const server = await serveFromSettings({ paths: ['./models'], overrides: { port: 0 } });
 * console.log(server.url, server.models());
 * await server.close();
 */
export async function serveFromSettings(
  options: ServeFromSettingsOptions = {},
): Promise<SettingsServer> {
  const loaded = options.loaded ?? (await loadSettings(options));
  const { server: settings } = loaded;
  if (settings.metrics.port === undefined && settings.metrics.path !== '/metrics') {
    throw new SettingsError([
      {
        source: loaded.settingsFile ?? 'settings',
        field: 'metrics.path',
        reason: 'a path other than "/metrics" needs a separate metrics.port',
      },
    ]);
  }
  const logger = options.logger ?? silentLogger;
  const metrics = !settings.metrics.enabled
    ? undefined
    : options.metrics === false
      ? undefined
      : (options.metrics ?? createMetrics({ defaultMetrics: true }));

  // Create every model first: a runtime that cannot be resolved fails before anything runs.
  const created: ModelFromSettings[] = [];
  for (const entry of loaded.models) {
    created.push(
      await createModelFromSettings(entry, {
        resolveFrom: [options.cwd ?? process.cwd()],
        serving: options.serving,
      }),
    );
  }
  const repository = new ModelRepository({ logger, ...(metrics === undefined ? {} : { metrics }) });
  for (const { model, serving } of created) {
    repository.add(model, { ...serving, ...options.serving });
  }
  const total = created.length;
  await Promise.all(
    created.map(async ({ model, entry }, index) => {
      const base = {
        name: model.name,
        version: model.version,
        runtime: entry.settings.runtime,
        index,
        total,
      };
      options.onModel?.({ phase: 'loading', ...base });
      const started = performance.now();
      try {
        await repository.load(model.name, model.version);
        options.onModel?.({ phase: 'ready', ...base, durationMs: performance.now() - started });
      } catch (error) {
        options.onModel?.({
          phase: 'failed',
          ...base,
          durationMs: performance.now() - started,
          error: error as Error,
        });
      }
    }),
  );

  const directoryLoader =
    settings.repositoryApi.enabled && loaded.modelDirs.length > 0
      ? createModelDirectoryLoader({
          dirs: loaded.modelDirs,
          resolveFrom: [options.cwd ?? process.cwd()],
        })
      : undefined;
  const server = await serve({
    repository,
    settings,
    logger,
    ...(metrics === undefined ? {} : { metrics }),
    ...(directoryLoader === undefined
      ? {}
      : { repositoryLoader: (name: string) => directoryLoader.load(name) }),
    ...(options.handleSignals === undefined ? {} : { handleSignals: options.handleSignals }),
  });

  const sources = new Map(
    created.map(({ model, entry }) => [`${model.name}\u0000${model.version ?? ''}`, entry]),
  );
  const models = (): ServedModelInfo[] =>
    created.map(({ model }) => {
      const status = repository.status(model.name, model.version);
      let platform = '';
      try {
        platform =
          status.state === 'READY' ? repository.metadata(model.name, model.version).platform : '';
      } catch {
        platform = '';
      }
      const entry = sources.get(`${model.name}\u0000${model.version ?? ''}`)!;
      const path = `/v2/models/${encodeURIComponent(model.name)}${
        model.version === undefined ? '' : `/versions/${encodeURIComponent(model.version)}`
      }`;
      return {
        name: model.name,
        version: model.version,
        runtime: entry.settings.runtime,
        platform,
        state: status.state,
        reason: status.reason,
        source: entry.source,
        url: `${server.url}${path}`,
      };
    });

  return {
    url: server.url,
    service: server.service,
    repository: server.repository,
    server: server.server,
    grpc: server.grpc,
    settings: loaded,
    metricsUrl: server.metricsUrl,
    models,
    close: server.close,
  };
}
