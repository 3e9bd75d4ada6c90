import sharp, { type Region } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TfjsModel } from '../src/index';
import { CENTERNET, FINCH_JPEG, PEOPLE_JPEG } from './model-files';

/** COCO classes as CenterNet numbers them (0-based). */
const PERSON = 0;
const BIRD = 14;

async function image512(file: string, region?: Region): Promise<Float32Array> {
  const source = region ? sharp(file).extract(region) : sharp(file);
  const pixels = await source.resize(512, 512, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  return Float32Array.from(pixels); // the model takes RGB in 0-255
}

interface Detection {
  box: [number, number, number, number];
  score: number;
  label: number;
}

function detections(data: Float32Array): Detection[] {
  const rows: Detection[] = [];
  for (let i = 0; i + 6 <= data.length; i += 6) {
    const [x1 = 0, y1 = 0, x2 = 0, y2 = 0, score = 0, label = -1] = data.subarray(i, i + 6);
    rows.push({ box: [x1 / 512, y1 / 512, x2 / 512, y2 / 512], score, label });
  }
  return rows.sort((a, b) => b.score - a.score);
}

function iou(a: Detection['box'], b: Detection['box']): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const area = (r: Detection['box']) => (r[2] - r[0]) * (r[3] - r[1]);
  return (w * h) / (area(a) + area(b) - w * h);
}

describe('CenterNet from @vladmandic/human (a real graph model)', () => {
  const model = new TfjsModel({ name: 'centernet', path: CENTERNET });
  beforeAll(() => model.load(), 120_000);
  afterAll(() => model.unload());

  it('reads inputs and outputs from the graph signature', () => {
    const metadata = model.metadata();
    expect(metadata.platform).toBe('tfjs_graph');
    expect(metadata.inputs).toEqual([
      { name: 'tower_0/images', datatype: 'FP32', shape: [1, 512, 512, 3] },
    ]);
    expect(metadata.outputs).toEqual([
      { name: 'tower_0/wh', datatype: 'FP32', shape: [1, 128, 128, 4] },
      { name: 'tower_0/keypoints', datatype: 'FP32', shape: [1, 128, 128, 80] },
      { name: 'tower_0/detections', datatype: 'FP32', shape: [1, 100, 6] },
    ]);
  });

  it('finds the house finch in fixtures/finch.jpeg: top detection is a bird around it', async () => {
    const { outputs } = await model.predict({
      inputs: [
        {
          name: 'tower_0/images',
          datatype: 'FP32',
          shape: [1, 512, 512, 3],
          data: await image512(FINCH_JPEG),
        },
      ],
      outputs: [{ name: 'tower_0/detections' }],
    });
    expect(outputs.map((o) => o.name)).toEqual(['tower_0/detections']);
    const top = detections(outputs[0]?.data as Float32Array)[0] as Detection;
    expect(top.label).toBe(BIRD);
    expect(top.score).toBeGreaterThan(0.3);
    // The finch (head to tail, feet included), measured by hand on the photo.
    expect(iou(top.box, [0.175, 0.24, 0.733, 0.67])).toBeGreaterThan(0.5);
  });

  it('finds people in a group photo: top detections are persons, no bird', async () => {
    const { outputs } = await model.predict({
      inputs: [
        {
          name: 'tower_0/images',
          datatype: 'FP32',
          shape: [1, 512, 512, 3],
          data: await image512(PEOPLE_JPEG, { left: 0, top: 250, width: 1280, height: 900 }),
        },
      ],
      outputs: [{ name: 'tower_0/detections' }],
    });
    const ranked = detections(outputs[0]?.data as Float32Array);
    expect(ranked.slice(0, 3).map((d) => d.label)).toEqual([PERSON, PERSON, PERSON]);
    expect(ranked.filter((d) => d.label === BIRD && d.score > 0.1)).toEqual([]);
  });

  it('returns every output when the request names none', async () => {
    const { outputs } = await model.predict({
      inputs: [
        {
          name: 'tower_0/images',
          datatype: 'FP32',
          shape: [1, 512, 512, 3],
          data: new Float32Array(512 * 512 * 3),
        },
      ],
    });
    expect(outputs.map((o) => [o.name, o.shape])).toEqual([
      ['tower_0/wh', [1, 128, 128, 4]],
      ['tower_0/keypoints', [1, 128, 128, 80]],
      ['tower_0/detections', [1, 100, 6]],
    ]);
  });
});
