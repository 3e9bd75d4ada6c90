import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, defineSchema, InferClientError } from '@infer/client';
import { loadRuntime } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The real `infer` CLI, built (`pnpm build`; `pnpm test` builds first). */
const CLI = fileURLToPath(new URL('../../../packages/core/dist/cli.js', import.meta.url));
const MODELS = fileURLToPath(new URL('../models', import.meta.url));
const LINEAR_DIR = join(MODELS, 'linear');

/** y = xW + b with the weights of models/linear/weights.json, computed here by hand. */
const X = [1, 2, 3, 0, 0, 0, -2, 4, 0.5];
const Y = [11.25, -2, 0.25, -2, 1.75, -10];

interface Server {
  child: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * Starts `node dist/cli.js serve <models> --port 0 ...` from a directory outside the
 * example, so the runtime can only be found from the settings file's own directory.
 */
async function serve(args: string[], cwd: string): Promise<Server> {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', MODELS, '--port', '0', '--log-level', 'warn', ...args],
    {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      const match = output.match(/Listening on (http:\/\/\S+)/);
      if (match) return resolve(match[1]!);
      if (child.exitCode !== null || Date.now() - started > 30_000) {
        child.kill('SIGKILL');
        return reject(new Error(`infer serve did not start:\n${output}`));
      }
      setTimeout(poll, 50);
    };
    poll();
  });
  return { child, url, output: () => output, exited };
}

async function stop(server: Server | undefined): Promise<void> {
  if (server === undefined || server.child.exitCode !== null) return;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
  await server.exited;
  clearTimeout(timer);
}

/** The plugin's model: x FP32 [n, 3] in, y FP32 [n, 2] out. */
const linearSchema = defineSchema({
  inputs: { x: { datatype: 'FP32', shape: [-1, 3] } },
  outputs: { y: { datatype: 'FP32', shape: [-1, 2] } },
} as const);

function linear(url: string) {
  return createClient({ baseUrl: url, timeoutMs: 10_000 }).model('linear', linearSchema);
}

/** `rows` x `columns` of x; the shape is spelled out so a wrong one reaches the server. */
function infer(url: string, data: number[], rows: number, columns = 3) {
  return linear(url).infer({ x: { data, shape: [rows, columns] } });
}

let cwd: string;
beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm build\` first`);
  cwd = mkdtempSync(join(tmpdir(), 'infer-custom-runtime-'));
});
afterAll(() => {
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

describe('custom-runtime example: infer serve loads infer-runtime-linear by package name', () => {
  let server: Server | undefined;
  beforeAll(async () => {
    server = await serve([], cwd);
  });
  afterAll(() => stop(server));

  it('lists the model as READY with the plugin as its runtime', () => {
    expect(server!.output()).toMatch(
      /linear\s+-\s+infer-runtime-linear\s+infer-runtime-linear\s+READY/,
    );
  });

  it('describes the model from the plugin: FP32 [-1, 3] in, FP32 [-1, 2] out', async () => {
    expect(await linear(server!.url).metadata()).toMatchObject({
      name: 'linear',
      platform: 'infer-runtime-linear',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
      parameters: { batchable: true, workers: 0 },
    });
  });

  it('computes y = xW + b exactly', async () => {
    const { model_name, outputs } = await infer(server!.url, X, 3);
    expect(model_name).toBe('linear');
    expect(Object.keys(outputs)).toEqual(['y']);
    expect(outputs.y).toEqual({
      name: 'y',
      datatype: 'FP32',
      shape: [3, 2],
      data: Float32Array.from(Y),
    });
  });

  it('gives each of many concurrent requests its own rows back', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => [i, -i, i / 2]);
    const results = await Promise.all(rows.map((x) => infer(server!.url, x, 1)));
    results.forEach(({ outputs }, i) => {
      expect(Array.from(outputs.y.data)).toEqual([0.25 + i - i / 2 + 1.5 * i, -2 + 2 * i + i]);
    });
  });

  it('answers 400 for a request that does not fit the model (wrong shape)', async () => {
    const error = await infer(server!.url, [1, 2, 3, 4], 2, 2).catch((e: unknown) => e);
    expect(InferClientError.isInstance(error)).toBe(true);
    // Core checks requests against the plugin's metadata before they reach predict().
    expect(error).toMatchObject({
      code: 'INFER_CLIENT_ERR_HTTP',
      status: 400,
      serverMessage: 'input "x" must be FP32 [-1,3] (-1: any size), got FP32 [2,2]',
    });
  });

  it('drains and exits 0 on SIGTERM', async () => {
    server!.child.kill('SIGTERM');
    expect(await server!.exited).toBe(0);
    expect(server!.output()).toContain('drained; bye');
  });
});

describe('custom-runtime example with --workers 1: the plugin rebuilt in a worker thread', () => {
  let server: Server | undefined;
  beforeAll(async () => {
    server = await serve(['--workers', '1'], cwd);
  });
  afterAll(() => stop(server));

  it('serves from one worker and computes y = xW + b exactly', async () => {
    const metadata = await linear(server!.url).metadata();
    expect(metadata.parameters).toMatchObject({ workers: 1 });
    const { outputs } = await infer(server!.url, X, 3);
    expect(outputs.y).toEqual({
      name: 'y',
      datatype: 'FP32',
      shape: [3, 2],
      data: Float32Array.from(Y),
    });
  });
});

describe('infer-runtime-linear as a plugin package', () => {
  it('resolves by package name from the settings directory and follows the v1 contract', async () => {
    const { plugin, file } = await loadRuntime('infer-runtime-linear', { from: [LINEAR_DIR] });
    expect(plugin).toMatchObject({ specificationVersion: 'v1', name: 'infer-runtime-linear' });
    expect(file).toMatch(/infer-runtime-linear[/\\]index\.js$/);
    const model = await plugin.create({ name: 'linear', uri: join(LINEAR_DIR, 'weights.json') });
    await model.load();
    const { outputs } = await model.predict({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [3, 3], data: Float32Array.from(X) }],
    });
    expect(Array.from(outputs[0]!.data as Float32Array)).toEqual(Y);
    await model.unload();
    expect(model.ready).toBe(false);
  });

  it('fails to load a weights file whose bias does not match, naming the file', async () => {
    const { plugin } = await loadRuntime('infer-runtime-linear', { from: [LINEAR_DIR] });
    const file = join(cwd, 'bad-weights.json');
    writeFileSync(file, JSON.stringify({ weights: [[1, 2]], bias: [1] }));
    const model = await plugin.create({ name: 'bad', uri: file });
    await expect(model.load()).rejects.toThrow(`${file}: "bias" must be 2 numbers`);
  });
});
