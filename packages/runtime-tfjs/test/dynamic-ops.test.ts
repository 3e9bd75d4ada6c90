import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TfjsModel } from '../src/index';
import { HANDTRACK } from './model-files';
import { recordingLogger } from './recording-logger';

const zeros = () => ({
  inputs: [
    {
      name: 'input_tensor:0',
      datatype: 'INT32' as const,
      shape: [1, 320, 320, 3],
      data: new Int32Array(320 * 320 * 3),
    },
  ],
});

describe('a graph model with dynamic ops (handtrack: Where, NonMaxSuppression) and no warm-up', () => {
  const logger = recordingLogger();
  const model = new TfjsModel({ name: 'handtrack', path: HANDTRACK, warmup: false, logger });
  beforeAll(() => model.load(), 60_000);
  afterAll(() => model.unload());

  it('predicts: the first request switches the model to executeAsync', async () => {
    const { outputs } = await model.predict(zeros());
    expect(outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
      ['Identity_2:0', 'FP32', [1, 100]],
      ['Identity_4:0', 'FP32', [1, 100]],
      ['Identity_6:0', 'FP32', [1, 12804, 4]],
      ['Identity_1:0', 'FP32', [1, 100, 4]],
      ['Identity_3:0', 'FP32', [1, 100, 8]],
      ['Identity_5:0', 'FP32', [1]],
      ['Identity:0', 'FP32', [1, 100]],
      ['Identity_7:0', 'FP32', [1, 12804, 8]],
    ]);
  });

  it('remembers executeAsync: later requests (and a subset of outputs) run without a retry', async () => {
    const { outputs } = await model.predict({ ...zeros(), outputs: [{ name: 'Identity_5:0' }] });
    expect(outputs.map((o) => [o.name, o.shape])).toEqual([['Identity_5:0', [1]]]);
    const switches = logger.lines.filter((line) => /executeAsync/.test(line.message));
    expect(switches).toHaveLength(1);
  });
});
