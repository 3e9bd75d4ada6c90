import { InvalidOptionError, type RuntimeModelSettingsV1, type RuntimePluginV1 } from '@infer/core';
import { OnnxModel, RUNTIME_NAME } from './onnx-model';
import type { OnnxModelOptions } from './onnx-options';

/** Keys of `settings.parameters`: the ORT options of {@link OnnxModelOptions}. */
const PARAMETER_KEYS = new Set([
  'sessionOptions',
  'executionProviders',
  'strictProviders',
  'intraOpThreads',
  'interOpThreads',
  'intraOpSpinning',
]);

const SERVING_KEYS = ['batching', 'maxQueueSize', 'timeoutMs', 'workers', 'warmup'] as const;

/**
 * Builds an {@link OnnxModel} from model settings: `uri` is the `.onnx` file (or a folder
 * holding `model.onnx`), `parameters` the ORT options (`intraOpThreads`, `executionProviders`,
 * ...), the serving knobs pass through.
 *
 * @example
 * const model = createOnnxModel({ name: 'mobilenet', uri: '/models/mobilenet/model.onnx', parameters: { intraOpThreads: 1 } });
 */
export function createOnnxModel(settings: RuntimeModelSettingsV1): OnnxModel {
  if (typeof settings !== 'object' || settings === null) {
    throw new InvalidOptionError('settings', 'must be an object');
  }
  if (typeof settings.uri !== 'string' || settings.uri === '') {
    throw new InvalidOptionError(
      'settings.uri',
      'must be the path of the .onnx file (or its folder)',
    );
  }
  const parameters = settings.parameters ?? {};
  for (const key of Object.keys(parameters)) {
    if (!PARAMETER_KEYS.has(key)) {
      throw new InvalidOptionError(
        `settings.parameters.${key}`,
        `is not an ${RUNTIME_NAME} parameter (known: ${[...PARAMETER_KEYS].join(', ')})`,
      );
    }
  }
  const options: Record<string, unknown> = {
    ...parameters,
    name: settings.name,
    path: settings.uri,
  };
  if (settings.version !== undefined) options.version = settings.version;
  for (const key of SERVING_KEYS) if (settings[key] !== undefined) options[key] = settings[key];
  return new OnnxModel(options as unknown as OnnxModelOptions);
}

/**
 * The runtime plugin: model settings naming `"runtime": "@infer/runtime-onnx"` get an
 * {@link OnnxModel}. Worker threads use it too, to rebuild a model from `workerSource()`.
 *
 * @example
 * import onnx from '@infer/runtime-onnx';
 * const model = await onnx.create({ name: 'mobilenet', uri: '/models/mobilenet' });
 */
export const onnxRuntime: RuntimePluginV1 = Object.freeze({
  specificationVersion: 'v1' as const,
  name: RUNTIME_NAME,
  create: createOnnxModel,
});
