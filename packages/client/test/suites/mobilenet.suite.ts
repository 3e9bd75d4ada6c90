/** The real MobileNet classifier (models/mobilenet): an image sent as raw bytes. */
import { createClient, defineSchema, textOf } from '@infer/client';
import type { SuiteApi, SuiteHost } from './suite-api';

/** What `client.model('mobilenet').schema()` returns for models/mobilenet, pasted. */
const mobilenetSchema = defineSchema({
  inputs: { image: { datatype: 'BYTES', shape: [-1] } },
  outputs: {
    label: { datatype: 'BYTES', shape: [-1, 5] },
    probability: { datatype: 'FP32', shape: [-1, 5] },
    class_index: { datatype: 'INT32', shape: [-1, 5] },
  },
} as const);

export function mobilenetSuite({ describe, it, expect }: SuiteApi, host: SuiteHost): void {
  describe('the real MobileNet classifier (models/mobilenet)', () => {
    it('classifies fixtures/finch.jpeg as "house finch" (class 12), image sent as raw bytes', async () => {
      const client = createClient({ baseUrl: host.mobilenetUrl });
      expect(await client.model('mobilenet').schema()).toEqual(mobilenetSchema);
      const mobilenet = client.model('mobilenet', mobilenetSchema);
      const result = await mobilenet.infer({ image: await host.finch() });
      expect(result.model_name).toBe('mobilenet');
      expect(result.outputs.label.shape).toEqual([1, 5]);
      expect(textOf(result.outputs.label)[0]).toMatch(/^house finch/);
      expect(result.outputs.class_index.data[0]).toBe(12);
      expect(result.outputs.probability.data[0]).toBeGreaterThan(0.5);
    });

    it('asks for one output only', async () => {
      const client = createClient({ baseUrl: host.mobilenetUrl });
      const result = await client
        .model('mobilenet', mobilenetSchema)
        .infer({ image: await host.finch() }, { outputs: ['class_index'] });
      expect(Object.keys(result.outputs)).toEqual(['class_index']);
      expect(result.outputs.class_index.data[0]).toBe(12);
    });
  });
}
