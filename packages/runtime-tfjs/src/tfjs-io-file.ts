import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { InvalidOptionError } from '@infer/core';
import * as tf from '@tensorflow/tfjs';

/** The two TF.js model formats: a converted TF graph, or a Keras (layers) model. */
export type TfjsModelFormat = 'graph' | 'layers';

/** A `model.json` read from disk: its absolute path and parsed content. */
export interface TfjsModelJsonFile {
  /** Absolute path of the `model.json` file. */
  path: string;
  /** Parsed content (`modelTopology`, `weightsManifest`, `format`, `signature`, ...). */
  json: tf.io.ModelJSON;
}

/**
 * Reads and parses a TF.js `model.json`; `path` is the file or a directory holding
 * `model.json`. Throws `InvalidOptionError` (`options.path ...`) when missing or malformed.
 *
 * @example
 * const { json } = await readModelJson('node_modules/@upscalerjs/esrgan-slim/models/x2');
 */
export async function readModelJson(path: string): Promise<TfjsModelJsonFile> {
  let file = resolve(path);
  const info = await stat(file).catch((error: unknown) => {
    throw new InvalidOptionError('options.path', `does not exist: ${file}`, { cause: error });
  });
  if (info.isDirectory()) file = join(file, 'model.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InvalidOptionError('options.path', `has no readable model.json: ${file}`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidOptionError('options.path', `is not valid JSON: ${file}`, { cause: error });
  }
  const candidate = json as Partial<tf.io.ModelJSON> | null;
  if (typeof candidate !== 'object' || candidate === null || candidate.modelTopology == null) {
    throw new InvalidOptionError(
      'options.path',
      `is not a TF.js model.json (no modelTopology): ${file}`,
    );
  }
  if (!Array.isArray(candidate.weightsManifest)) {
    throw new InvalidOptionError(
      'options.path',
      `is not a TF.js model.json (no weightsManifest): ${file}`,
    );
  }
  return { path: file, json: candidate as tf.io.ModelJSON };
}

/**
 * Whether a `model.json` holds a graph or a layers model: its `format` field
 * (`graph-model` / `layers-model`), else the shape of `modelTopology` (a GraphDef has
 * `node`, a Keras model has `class_name` / `model_config`). Undefined when neither says.
 *
 * @example
 * detectModelFormat({ format: 'graph-model', modelTopology: {}, weightsManifest: [] }); // 'graph'
 */
export function detectModelFormat(json: tf.io.ModelJSON): TfjsModelFormat | undefined {
  if (json.format === 'graph-model') return 'graph';
  if (json.format === 'layers-model') return 'layers';
  const topology = json.modelTopology as Record<string, unknown>;
  if ('node' in topology || 'versions' in topology) return 'graph';
  if ('class_name' in topology || 'model_config' in topology || 'config' in topology)
    return 'layers';
  return undefined;
}

/** A weight path is a file next to (or below) model.json: no URL, no absolute path, no `..`. */
function shardPath(directory: string, shard: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(shard) || isAbsolute(shard)) {
    throw new InvalidOptionError(
      'options.path',
      `weight path "${shard}" must be relative to model.json`,
    );
  }
  const file = resolve(directory, shard);
  const inside = relative(directory, file);
  if (inside.startsWith('..') || isAbsolute(inside)) {
    throw new InvalidOptionError(
      'options.path',
      `weight path "${shard}" leaves the model directory`,
    );
  }
  return file;
}

/**
 * Reads every weight shard of a manifest, in order, and concatenates them into one
 * `ArrayBuffer` (what `weightData` holds).
 *
 * @example
 * const [specs, data] = await readWeights('/models/m', json.weightsManifest);
 */
export async function readWeights(
  directory: string,
  manifest: tf.io.WeightsManifestConfig,
): Promise<[tf.io.WeightsManifestEntry[], ArrayBuffer]> {
  const specs = manifest.flatMap((group) => group.weights);
  const files = manifest.flatMap((group) =>
    group.paths.map((shard) => shardPath(directory, shard)),
  );
  const shards = await Promise.all(
    files.map((file) =>
      readFile(file).catch((error: unknown) => {
        throw new InvalidOptionError('options.path', `weight shard is missing: ${file}`, {
          cause: error,
        });
      }),
    ),
  );
  const total = shards.reduce((sum, shard) => sum + shard.byteLength, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const shard of shards) {
    weightData.set(shard, offset);
    offset += shard.byteLength;
  }
  return [specs, weightData.buffer];
}

/**
 * A TF.js IO handler that loads `model.json` and its weight shards from disk: no network,
 * no `@tensorflow/tfjs-node`. Pass it to `tf.loadGraphModel` or `tf.loadLayersModel`.
 *
 * @example
 * const model = await tf.loadLayersModel(fileIOHandler('node_modules/@upscalerjs/esrgan-slim/models/x2/model.json'));
 */
export function fileIOHandler(path: string | TfjsModelJsonFile): tf.io.IOHandler {
  return {
    load: async () => {
      const file = typeof path === 'string' ? await readModelJson(path) : path;
      const directory = dirname(file.path);
      return tf.io.getModelArtifactsForJSON(file.json, (manifest) =>
        readWeights(directory, manifest),
      );
    },
  };
}
