import { defineSchema } from '@infer/client';

/**
 * The OIP schema of the app's `mobilenet` model (an `ImageClassifier`): one encoded image
 * (JPEG, PNG, WebP, GIF) per BYTES element in, the top 5 classes out. With it,
 * `client.model('mobilenet', mobilenetSchema).infer()` checks input and output names and
 * data types at compile time. `client.model('mobilenet').schema()` prints it from the server.
 *
 * @example
 * const mobilenet = createClient({ baseUrl: '/api' }).model('mobilenet', mobilenetSchema);
 * const { outputs } = await mobilenet.infer({ image: jpegBytes });
 * outputs.probability.data; // Float32Array
 */
export const mobilenetSchema = defineSchema({
  inputs: { image: { datatype: 'BYTES', shape: [-1] } },
  outputs: {
    label: { datatype: 'BYTES', shape: [-1, 5] },
    probability: { datatype: 'FP32', shape: [-1, 5] },
    class_index: { datatype: 'INT32', shape: [-1, 5] },
  },
} as const);
