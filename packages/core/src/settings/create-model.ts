import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DecodeImageOptions } from '@infer/codecs';
import { decodeInferenceRequest, type InferenceRequest } from '@infer/codecs';
import { asModelV1 } from '../as-model-v1';
import { ImageClassifier, type ImageClassifierOptions } from '../pipeline/image-classifier';
import { type LoadedRuntime, loadRuntime } from '../runtime-loader';
import type { ModelV1, RuntimeModelSettingsV1, ServingOptionsV1 } from '../spec';
import { type ModelSettingsEntry, parseModelSettings } from './load-settings';
import type { ModelSettings } from './model-settings';
import { SettingsError } from './settings-error';

/** Options of {@link createModelFromSettings}. */
export interface CreateModelOptions {
  /**
   * Directories runtime package names resolve from after the settings file's directory.
   * Default `[process.cwd()]`; @infer/core's own location is always tried last.
   */
  resolveFrom?: readonly string[];
  /**
   * Serving knobs over the settings' own (`infer serve --workers 2`): the runtime is created
   * with them too, so what it derives from them (ONNX intra-op threads per worker) agrees.
   */
  serving?: ServingOptionsV1 | undefined;
}

/** A model created from settings: the model, its serving knobs, and the runtime used. */
export interface ModelFromSettings {
  model: ModelV1;
  /** Batching, queue, timeout, workers and warm-up from the settings, for `ServedModel`. */
  serving: ServingOptionsV1;
  runtime: LoadedRuntime;
  entry: ModelSettingsEntry;
}

/**
 * Creates a `ModelV1` from model settings: resolves the runtime by package name (from the
 * settings file's directory, then `resolveFrom`, then core's location), imports it once,
 * and calls `runtime.create({ ...settings, uri: absolute })`.
 *
 * @example
 * const { model, serving } = await createModelFromSettings({ name: 'resnet', runtime: '@infer/runtime-onnx', uri: '/models/resnet.onnx' });
 * const served = await loadModel(model, serving);
 */
export async function createModelFromSettings(
  settings: ModelSettingsEntry | ModelSettings,
  options: CreateModelOptions = {},
): Promise<ModelFromSettings> {
  const entry = isEntry(settings)
    ? settings
    : (parseModelSettings(settings, { source: 'model settings' }) as ModelSettingsEntry);
  const resolved = entry.settings;
  const runtime = await loadRuntime(resolved.runtime, {
    from: [entry.baseDir, ...(options.resolveFrom ?? [process.cwd()])],
  });
  const serving = { ...servingOf(entry), ...options.serving };
  const runtimeSettings: RuntimeModelSettingsV1 = { name: resolved.name, ...serving };
  if (resolved.version !== undefined) runtimeSettings.version = resolved.version;
  if (resolved.uri !== undefined) runtimeSettings.uri = resolved.uri;
  if (resolved.parameters !== undefined) runtimeSettings.parameters = resolved.parameters;
  let made: unknown;
  try {
    made = await runtime.plugin.create(runtimeSettings);
  } catch (error) {
    throw asSettingsError(error, entry) ?? error;
  }
  // A bad model from create() is the runtime's fault, not the settings file's.
  const created = asModelV1(made, `runtime ${runtime.plugin.name}`);
  const model = resolved.classifier ? asClassifier(created, entry) : created;
  return { model, serving, runtime, entry };
}

/**
 * A runtime's `InvalidOptionError` about the settings it was given, as a `SettingsError`
 * naming the settings file and field: `settings.parameters.x` and `options.x` (an option the
 * runtime built from `parameters.x`) become `parameters.x`, `options.path` becomes `uri`.
 * Anything else: `undefined` (thrown as it is).
 */
function asSettingsError(error: unknown, entry: ModelSettingsEntry): SettingsError | undefined {
  const { code, path, message } = (error ?? {}) as {
    code?: unknown;
    path?: unknown;
    message?: unknown;
  };
  if (
    code !== 'INFER_ERR_INVALID_OPTION' ||
    typeof path !== 'string' ||
    typeof message !== 'string'
  ) {
    return undefined;
  }
  const field = settingsField(path, entry);
  if (field === undefined) return undefined;
  const reason = message.startsWith(`${path} `) ? message.slice(path.length + 1) : message;
  return new SettingsError([{ source: entry.source, field, reason }], { cause: error });
}

/** The settings field an option path of a runtime came from (see {@link asSettingsError}). */
function settingsField(path: string, entry: ModelSettingsEntry): string | undefined {
  const match = /^(settings|options)\.([^.[]+)(.*)$/.exec(path);
  if (match === null) return undefined;
  const [, root, key, rest] = match as unknown as [string, string, string, string];
  if (root === 'settings') return `${key}${rest}`;
  if (key === 'path' && entry.settings.parameters?.['path'] === undefined) return `uri${rest}`;
  if (entry.settings.parameters !== undefined && Object.hasOwn(entry.settings.parameters, key)) {
    return `parameters.${key}${rest}`;
  }
  return `${key}${rest}`;
}

/** Wraps a model in an `ImageClassifier` as its settings' `classifier` field says. */
function asClassifier(model: ModelV1, entry: ModelSettingsEntry): ModelV1 {
  const { labels, image, ...rest } = entry.settings.classifier!;
  // zod output marks absent keys `?: T | undefined`; parsed objects never hold undefined values.
  const options: ImageClassifierOptions = { ...rest, image: image as DecodeImageOptions };
  if (typeof labels === 'string') options.labels = readLabels(labels, entry);
  else if (labels !== undefined) options.labels = labels;
  try {
    return new ImageClassifier(model, options);
  } catch (error) {
    const reason = (error as Error).message;
    throw new SettingsError([{ source: entry.source, field: 'classifier', reason }], {
      cause: error,
    });
  }
}

function readLabels(file: string, entry: ModelSettingsEntry): string[] {
  const path = resolve(entry.baseDir, file);
  let labels: unknown;
  try {
    labels = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = `cannot read ${path}: ${(error as Error).message}`;
    throw new SettingsError([{ source: entry.source, field: 'classifier.labels', reason }], {
      cause: error,
    });
  }
  if (!Array.isArray(labels) || labels.some((label) => typeof label !== 'string')) {
    const reason = `${path} must hold a JSON array of strings`;
    throw new SettingsError([{ source: entry.source, field: 'classifier.labels', reason }]);
  }
  return labels as string[];
}

function isEntry(value: ModelSettingsEntry | ModelSettings): value is ModelSettingsEntry {
  return 'settings' in value && 'baseDir' in value && typeof value.baseDir === 'string';
}

/** The serving knobs of model settings, without undefined fields. */
function servingOf(entry: ModelSettingsEntry): ServingOptionsV1 {
  const s = entry.settings;
  const serving: ServingOptionsV1 = {};
  if (s.batching === false) serving.batching = false;
  else if (s.batching !== undefined) {
    serving.batching = {};
    if (s.batching.maxBatchSize !== undefined)
      serving.batching.maxBatchSize = s.batching.maxBatchSize;
    if (s.batching.maxBatchDelayMs !== undefined) {
      serving.batching.maxBatchDelayMs = s.batching.maxBatchDelayMs;
    }
  }
  if (s.maxQueueSize !== undefined) serving.maxQueueSize = s.maxQueueSize;
  if (s.timeoutMs !== undefined) serving.timeoutMs = s.timeoutMs;
  if (s.workers !== undefined) serving.workers = s.workers;
  if (s.warmup !== undefined) serving.warmup = warmupOf(s.warmup, entry.source);
  return serving;
}

function warmupOf(
  warmup: boolean | Record<string, unknown>,
  source: string,
): boolean | InferenceRequest {
  if (typeof warmup === 'boolean') return warmup;
  try {
    return decodeInferenceRequest(warmup);
  } catch (error) {
    throw new SettingsError(
      [
        {
          source,
          field: 'warmup',
          reason: `not a valid inference request: ${(error as Error).message}`,
        },
      ],
      { cause: error },
    );
  }
}
