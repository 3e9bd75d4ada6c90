/**
 * Question: how fast is the OIP wire layer on a 1 MiB FP32 tensor (262,144 floats),
 * JSON vs the binary tensor extension, and how close is JSON decoding to `JSON.parse`?
 * Goals (issue 2): binary decode+encode >= 20x faster than JSON; JSON decode <= 2x
 * `JSON.parse` of the same body. Imports the built package (run `pnpm build` first).
 *
 * Run: pnpm bench codecs
 */
import {
  BINARY_HEADER,
  decodeInferenceRequest,
  encodeInferenceRequest,
  encodeInferenceResponse,
  type InferenceRequest,
  type Tensor,
} from '@infer/codecs';
import { bench, do_not_optimize, group, run } from 'mitata';

const COUNT = 262_144; // 1 MiB of FP32
let seed = 42;
const data = new Float32Array(COUNT);
for (let i = 0; i < COUNT; i++) {
  seed = (seed * 1_103_515_245 + 12_345) >>> 0;
  data[i] = seed / 2 ** 31 - 1; // deterministic values in [-1, 1)
}
const tensor: Tensor<'FP32'> = { name: 'x', datatype: 'FP32', shape: [1, COUNT], data };
const request: InferenceRequest = { id: '1', inputs: [tensor] };
const response = { model_name: 'bench', outputs: [{ ...tensor, name: 'y' }] };
const binaryRequest = { parameters: { binary_data_output: true } };

const json = encodeInferenceRequest(request);
const jsonText = new TextDecoder().decode(json.body);
const binary = encodeInferenceRequest(request, { binary: true });
const headerLength = Number(binary.headers[BINARY_HEADER]);
const utf8 = new TextDecoder();

const names = {
  parseText: 'JSON.parse(text)',
  parseBytes: 'JSON.parse(utf8(bytes))',
  decodeText: 'decode JSON (text)',
  decodeBytes: 'decode JSON (bytes)',
  decodeBinary: 'decode binary',
  encodeJson: 'encode JSON response',
  encodeBinary: 'encode binary response',
  roundJson: 'JSON decode+encode',
  roundBinary: 'binary decode+encode',
} as const;

group('decode 1 MiB FP32', () => {
  bench(names.parseText, () => do_not_optimize(JSON.parse(jsonText)));
  bench(names.parseBytes, () => do_not_optimize(JSON.parse(utf8.decode(json.body))));
  bench(names.decodeText, () => do_not_optimize(decodeInferenceRequest(jsonText)));
  bench(names.decodeBytes, () => do_not_optimize(decodeInferenceRequest(json.body)));
  bench(names.decodeBinary, () =>
    do_not_optimize(decodeInferenceRequest(binary.body, { headerLength })),
  );
});
group('encode 1 MiB FP32', () => {
  bench(names.encodeJson, () => do_not_optimize(encodeInferenceResponse(response)));
  bench(names.encodeBinary, () =>
    do_not_optimize(encodeInferenceResponse(response, binaryRequest)),
  );
});
group('decode + encode 1 MiB FP32', () => {
  bench(names.roundJson, () => {
    const decoded = decodeInferenceRequest(json.body);
    do_not_optimize(encodeInferenceResponse({ model_name: 'bench', outputs: decoded.inputs }));
  });
  bench(names.roundBinary, () => {
    const decoded = decodeInferenceRequest(binary.body, { headerLength });
    do_not_optimize(
      encodeInferenceResponse({ model_name: 'bench', outputs: decoded.inputs }, binaryRequest),
    );
  });
});

const result = await run();
const avg = new Map<string, number>();
for (const trial of result.benchmarks) {
  for (const item of trial.runs) if (item.stats) avg.set(item.name, item.stats.avg);
}
const ns = (name: string) => avg.get(name) ?? Number.NaN;
const opsPerSecond = (name: string) => 1e9 / ns(name);

const decodedView = decodeInferenceRequest(binary.body, { headerLength }).inputs[0]!
  .data as Float32Array;
console.log(
  `\nBody sizes: JSON ${(json.body.length / 2 ** 20).toFixed(2)} MiB, binary ${(binary.body.length / 2 ** 20).toFixed(2)} MiB (JSON header ${headerLength} B; binary decode ${decodedView.buffer === binary.body.buffer ? 'is a view' : 'copied (misaligned)'})`,
);
console.log('\n| benchmark | ops/s | mean ms |');
console.log('|---|---:|---:|');
for (const name of Object.values(names)) {
  console.log(`| ${name} | ${opsPerSecond(name).toFixed(1)} | ${(ns(name) / 1e6).toFixed(3)} |`);
}
const ratio = (a: string, b: string) => ns(a) / ns(b);
const lines = [
  [
    'binary vs JSON, decode+encode (goal >= 20x)',
    ratio(names.roundJson, names.roundBinary),
    'x faster',
  ],
  ['binary vs JSON, decode (bytes)', ratio(names.decodeBytes, names.decodeBinary), 'x faster'],
  ['binary vs JSON, encode', ratio(names.encodeJson, names.encodeBinary), 'x faster'],
  [
    'decode JSON text / JSON.parse(text) (goal <= 2x)',
    ratio(names.decodeText, names.parseText),
    'x',
  ],
  [
    'decode JSON bytes / JSON.parse(utf8(bytes)) (goal <= 2x)',
    ratio(names.decodeBytes, names.parseBytes),
    'x',
  ],
] as const;
console.log('');
for (const [label, value, unit] of lines) console.log(`${label}: ${value.toFixed(2)}${unit}`);
