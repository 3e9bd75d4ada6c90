import { z } from 'zod';
import { MAX_WORKERS } from '../serving-options';

/** Model names and versions: safe in a URL path segment and as a file name. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** What {@link MODEL_NAME_PATTERN} asks of a name, in words, for every message that refuses one. */
export const MODEL_NAME_RULE =
  'must be 1-128 letters, digits, "_", "." or "-", starting with a letter or digit';

const name = z.string().regex(MODEL_NAME_PATTERN, MODEL_NAME_RULE);

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

/**
 * `model-settings.json`: one model, the runtime that loads it, and its serving knobs.
 * Only `name` and `runtime` are required; `uri` resolves relative to the settings file.
 *
 * @example
 * modelSettingsSchema.parse({ name: 'resnet', runtime: '@infer/runtime-onnx', uri: './model.onnx' });
 */
export const modelSettingsSchema = z.strictObject({
  /** JSON schema reference for editors; ignored. */
  $schema: z.string().optional(),
  /** Model name, as in `/v2/models/{name}`. */
  name,
  /** Model version, as in `/v2/models/{name}/versions/{version}`. Default: none. */
  version: name.optional(),
  /** Runtime package name (`@infer/runtime-onnx`) or path to a module (`./runtime.mjs`). */
  runtime: z.string().min(1, 'must be a package name or a path'),
  /** Model artifact: a path relative to this settings file, absolute, or a `file:` URL. */
  uri: z
    .string()
    .min(1)
    .refine((uri) => !/^[a-z][a-z0-9+.-]+:/i.test(uri) || uri.startsWith('file:'), {
      message: 'must be a local path or a file: URL; remote URIs are never fetched',
    })
    .optional(),
  /** Adaptive batching; `false` turns it off. Default `{ maxBatchSize: 'auto', maxBatchDelayMs: 0 }`. */
  batching: z
    .union([
      z.literal(false),
      z.strictObject({
        /** Largest batch in rows, or `'auto'`. Default `'auto'`. */
        maxBatchSize: z.union([positiveInt, z.literal('auto')]).optional(),
        /** Longest wait in ms to fill a batch. Default `0`. */
        maxBatchDelayMs: z.number().nonnegative().optional(),
      }),
    ])
    .optional(),
  /** Queued requests before 503. Default `1024`. */
  maxQueueSize: positiveInt.optional(),
  /** Per-request timeout in ms, queue wait included; `0` = none. Default `30000`. */
  timeoutMs: nonNegativeInt.optional(),
  /** Replicas in worker threads; `0` runs in-process. Default `0`. */
  workers: nonNegativeInt.max(MAX_WORKERS).optional(),
  /** Run one predict after load (`true`: zeros; or an OIP request body). Default `false`. */
  warmup: z.union([z.boolean(), z.record(z.string(), z.unknown())]).optional(),
  /**
   * Serve the model as an image classifier (`ImageClassifier`): clients send encoded images
   * as BYTES and get the top classes with labels back. Default: none (raw tensors).
   */
  classifier: z
    .strictObject({
      /** How each image becomes the model's input tensor (size, layout, normalisation). */
      image: z.strictObject({
        width: positiveInt.max(65535).optional(),
        height: positiveInt.max(65535).optional(),
        fit: z.enum(['fill', 'cover', 'contain', 'inside', 'outside']).optional(),
        channels: z.union([z.literal(1), z.literal(3), z.literal(4)]).optional(),
        layout: z.enum(['HWC', 'CHW']).optional(),
        dtype: z.enum(['uint8', 'float32']).optional(),
        scale: z.number().positive().optional(),
        mean: z.union([z.number(), z.array(z.number())]).optional(),
        std: z.union([z.number(), z.array(z.number())]).optional(),
        maxPixels: positiveInt.optional(),
        autoOrient: z.boolean().optional(),
      }),
      /** Class names: a JSON file (array of strings) relative to this settings file, or the array. */
      labels: z.union([z.string().min(1), z.array(z.string())]).optional(),
      /** Classes per answer, best first. Default `5`. */
      topK: positiveInt.optional(),
      /** Softmax the scores (logit models). Default `true`. */
      softmax: z.boolean().optional(),
      /** Name of the BYTES image input. Default `'image'`. */
      imageInput: z.string().min(1).optional(),
      /** Input of the wrapped model that takes the tensor. Default: its first input. */
      tensorInput: z.string().min(1).optional(),
      /** Output of the wrapped model with the scores. Default: its first output. */
      scoresOutput: z.string().min(1).optional(),
    })
    .optional(),
  /** Runtime-specific options passed to the runtime as they are. */
  parameters: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Model settings as written in `model-settings.json` (and `INFER_MODELS`).
 *
 * @example
 * const settings: ModelSettings = { name: 'resnet', runtime: '@infer/runtime-onnx', uri: './model.onnx' };
 */
export type ModelSettings = z.input<typeof modelSettingsSchema>;
