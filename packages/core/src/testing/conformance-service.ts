import { InferenceService } from '../inference-service';
import { ModelRepository } from '../model-repository';
import type { ModelV1 } from '../spec';

/**
 * The service the suite hands to adapters: a repository with the conformance models, all
 * loaded; `close()` unloads them.
 *
 * @internal
 */
export async function createConformanceService(
  models: ModelV1[],
): Promise<{ service: InferenceService; close(): Promise<void> }> {
  const repository = new ModelRepository();
  for (const model of models) repository.add(model);
  const failures = await repository.loadAll();
  if (failures.length > 0) {
    throw new Error(
      `conformance models failed to load: ${failures.map((f) => f.error.message).join('; ')}`,
    );
  }
  const service = new InferenceService({ repository });
  return { service, close: () => repository.close() };
}
