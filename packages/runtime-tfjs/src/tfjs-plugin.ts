import { InvalidOptionError, type RuntimeModelSettingsV1, type RuntimePluginV1 } from '@infer/core';
import { TfjsModel } from './tfjs-model';
import { TFJS_PARAMETERS, type TfjsModelOptions } from './tfjs-model-options';

/**
 * Builds a {@link TfjsModel} from model settings: `uri` (or `parameters.path`) is the
 * model.json or its directory; `parameters` carries the TF.js options (`format`,
 * `backend`, `strictBackend`, `wasmPath`, `signature`, `inputNames`, `outputNames`).
 *
 * @example
 * const model = createTfjsModel({ name: 'esrgan', uri: '/models/esrgan/model.json', parameters: { backend: 'wasm' } });
 */
export function createTfjsModel(settings: RuntimeModelSettingsV1): TfjsModel {
  if (typeof settings !== 'object' || settings === null) {
    throw new InvalidOptionError('settings', 'must be an object');
  }
  const parameters = settings.parameters ?? {};
  for (const key of Object.keys(parameters)) {
    if (!(TFJS_PARAMETERS as readonly string[]).includes(key)) {
      throw new InvalidOptionError(
        `settings.parameters.${key}`,
        `is not a TF.js runtime option (known: ${TFJS_PARAMETERS.join(', ')})`,
      );
    }
  }
  const { parameters: _, uri, ...serving } = settings;
  const options = { ...serving, ...parameters, path: uri ?? parameters.path } as TfjsModelOptions;
  return new TfjsModel(options);
}

/**
 * The runtime plugin: model settings that name `"runtime": "@infer/runtime-tfjs"` are
 * built by its `create()`.
 *
 * @example
 * import tfjs from '@infer/runtime-tfjs';
 * const model = await tfjs.create({ name: 'esrgan', uri: '/models/esrgan' });
 */
const tfjsRuntime = {
  specificationVersion: 'v1',
  name: '@infer/runtime-tfjs',
  create: createTfjsModel,
} as const satisfies RuntimePluginV1;

export default tfjsRuntime;
