import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

/**
 * Saves a TF.js model to `directory` as model.json + weight shards of at most `shardBytes`
 * (the layout tfjs-converter writes), using only TF.js's save-handler hook.
 */
export async function saveModel(
  model: tf.LayersModel,
  directory: string,
  shardBytes = 1024,
): Promise<string> {
  await mkdir(directory, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = new Uint8Array(artifacts.weightData as ArrayBuffer);
      const paths: string[] = [];
      for (let offset = 0, n = 1; offset < data.length; offset += shardBytes, n++)
        paths.push(`group1-shard${n}.bin`);
      await Promise.all(
        paths.map((path, index) =>
          writeFile(
            join(directory, path),
            data.subarray(index * shardBytes, (index + 1) * shardBytes),
          ),
        ),
      );
      const json = {
        format: 'layers-model',
        generatedBy: 'runtime-tfjs tests',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
      };
      await writeFile(join(directory, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return join(directory, 'model.json');
}

/**
 * A small generated layers model for datatypes: INT32 token ids `[-1, 4]` -> an Embedding
 * with known weights (row i = [i, -i]) -> FP32 `[-1, 4, 2]`. No pretrained model takes
 * int32 ids this small, so this one is made here; its answer is exact.
 */
export function embeddingModel(): tf.LayersModel {
  const input = tf.input({ shape: [4], dtype: 'int32', name: 'ids' });
  const embedding = tf.layers.embedding({
    inputDim: 600,
    outputDim: 2,
    name: 'table',
    weights: [tf.tensor2d(Array.from({ length: 600 }, (_, i) => [i, -i]))],
  });
  const output = embedding.apply(input) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'embedding' });
}

/**
 * A tiny generated layers model, FP32 `x` `[-1, 4]` -> Dense(4) -> `[-1, 4]`, where running
 * costs next to nothing, so a benchmark on it shows the wrapper's own cost.
 */
export function denseModel(): tf.LayersModel {
  const input = tf.input({ shape: [4], name: 'x' });
  const output = tf.layers.dense({ units: 4, name: 'y' }).apply(input) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'dense' });
}
