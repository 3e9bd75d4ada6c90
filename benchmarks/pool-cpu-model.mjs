// Runtime plugin (RuntimePluginV1) for the worker-pool benchmark, plain JavaScript so a bare
// `node` imports it in every worker thread. Two models, picked by `settings.parameters.kind`:
//   cpu  - single-threaded JS float math: FP32 [rows, 16] -> FP32 [rows, 1], a fixed
//          `parameters.iterations` (default 20000) sin/sqrt steps per row: CPU-bound, no I/O
//   echo - returns its inputs (to time the transport alone)

const FEATURES = 16;

function cpuForward(input, iterations) {
  const rows = input.shape[0];
  const x = input.data;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r += 1) {
    let acc = 0;
    for (let i = 0; i < iterations; i += 1) {
      acc = Math.sin(acc + x[r * FEATURES + (i & (FEATURES - 1))]) * 0.5 + Math.sqrt(i) * 1e-4;
    }
    out[r] = acc;
  }
  return { name: 'y', datatype: 'FP32', shape: [rows, 1], data: out };
}

class BenchModel {
  specificationVersion = 'v1';
  ready = false;

  constructor(settings) {
    this.name = settings.name;
    this.kind = settings.parameters?.kind ?? 'cpu';
    this.iterations = settings.parameters?.iterations ?? 20000;
  }

  async load() {
    this.ready = true;
  }

  async unload() {
    this.ready = false;
  }

  metadata() {
    const io = (name, cols) => ({ name, datatype: 'FP32', shape: [-1, cols] });
    return { name: this.name, platform: 'js', inputs: [io('x', FEATURES)], outputs: [io('y', 1)] };
  }

  async predict(request) {
    if (this.kind === 'echo') return { outputs: request.inputs };
    return { outputs: [cpuForward(request.inputs[0], this.iterations)] };
  }
}

export const FEATURE_COUNT = FEATURES;

export default {
  specificationVersion: 'v1',
  name: 'pool-bench-runtime',
  create: (settings) => new BenchModel(settings),
};
