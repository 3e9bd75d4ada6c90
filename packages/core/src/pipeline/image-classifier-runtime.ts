import { InvalidOptionError } from '../errors';
import { loadRuntime } from '../runtime-loader';
import type { ModelV1, RuntimePluginV1, WorkerSourceV1 } from '../spec';
import { ImageClassifier, type ImageClassifierOptions } from './image-classifier';

/** Settings the worker pool hands to {@link imageClassifierRuntime}. */
export interface ImageClassifierWorkerSettings {
  inner: WorkerSourceV1;
  options: ImageClassifierOptions;
}

/**
 * The runtime plugin that rebuilds an {@link ImageClassifier} inside a worker thread: it loads
 * the wrapped model's own runtime, then wraps it. Used through `ImageClassifier.workerSource()`.
 *
 * @example
 * const model = await imageClassifierRuntime.create({ name: 'mobilenet', parameters: settings });
 */
export const imageClassifierRuntime: RuntimePluginV1 = {
  specificationVersion: 'v1',
  name: '@infer/core/image-classifier',
  async create(settings) {
    const { inner, options } = settings as unknown as ImageClassifierWorkerSettings;
    if (inner.export !== undefined && inner.export !== 'default') {
      throw new InvalidOptionError(
        'settings.inner.export',
        'must be "default": an image classifier wraps a runtime package default export',
      );
    }
    const runtime = await loadRuntime(inner.module, {
      ...(inner.resolveFrom === undefined ? {} : { from: [inner.resolveFrom] }),
    });
    const model: ModelV1 = await runtime.plugin.create(inner.settings as never);
    return new ImageClassifier(model, options);
  },
};
