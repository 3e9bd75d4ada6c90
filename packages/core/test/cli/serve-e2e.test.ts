import { execSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage } from '@infer/codecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  type CliProcess,
  fixtureRoot,
  REPO_ROOT,
  runCliProcess,
  startCli,
  writeModelSettings,
} from './cli-process';

/** The printed curl command is run when curl is installed (a skip says so otherwise). */
const hasCurl = (() => {
  try {
    execSync('command -v curl', { shell: '/bin/sh', stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const TOKEN = 'e2e-token-0123456789abcdef';
let root: string;
let cli: CliProcess;
let url: string;

const writeModel = (dir: string, settings: object) => writeModelSettings(root, dir, settings);

/** The value of one Prometheus sample, or 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith(`${name}{`) &&
        Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

beforeAll(async () => {
  assertBuilt();
  root = fixtureRoot('infer-cli-e2e-', 'echo-runtime.mjs');
  mkdirSync(join(root, 'models', 'mobilenet'), { recursive: true });
  copyFileSync(
    join(REPO_ROOT, 'models/mobilenet/model.onnx'),
    join(root, 'models', 'mobilenet', 'model.onnx'),
  );
  // The real model, its runtime resolved by package name (from the cwd: the repo root).
  writeModel('models/mobilenet', {
    name: 'mobilenet',
    runtime: '@infer/runtime-onnx',
    uri: './model.onnx',
    batching: { maxBatchSize: 4, maxBatchDelayMs: 2 },
  });
  // A JS runtime from a path, with a version; and a slow one for the drain.
  writeModel('models/echo', { name: 'echo', version: '1', runtime: '../../echo-runtime.mjs' });
  writeModel('models/slow', {
    name: 'slow',
    runtime: '../../echo-runtime.mjs',
    batching: false,
    parameters: { delayMs: 1500 },
  });
  writeFileSync(
    join(root, 'models', 'settings.json'),
    JSON.stringify({ repositoryApi: { enabled: true, token: TOKEN }, shutdownGraceMs: 5000 }),
  );
  cli = startCli(['serve', join(root, 'models'), '--port', '0', '--log-level', 'warn'], {
    env: { INFER_HOST: '127.0.0.1' },
  });
  url = (await cli.waitFor(/Listening on (http:\/\/\S+)/))[1]!;
}, 90_000);

afterAll(async () => {
  if (cli && cli.child.exitCode === null) {
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('infer serve (child process)', () => {
  it('prints a progress line per model and a table with runtime, platform, state and URL', () => {
    const out = cli.stdout();
    expect(out).toMatch(/loading 3 models/);
    for (const label of ['mobilenet', 'echo@1', 'slow']) {
      expect(out).toMatch(new RegExp(`\\[\\d/3\\] loading ${label} `));
      expect(out).toMatch(new RegExp(`\\[\\d/3\\] ready   ${label} in `));
    }
    expect(out).toMatch(/NAME\s+VERSION\s+RUNTIME\s+PLATFORM\s+STATE\s+URL/);
    expect(out).toMatch(
      new RegExp(
        `mobilenet\\s+-\\s+@infer/runtime-onnx\\s+onnxruntime_onnx\\s+READY\\s+${url}/v2/models/mobilenet`,
      ),
    );
    expect(out).toMatch(
      new RegExp(
        `echo\\s+1\\s+\\.\\./\\.\\./echo-runtime\\.mjs\\s+test-echo\\s+READY\\s+${url}/v2/models/echo/versions/1`,
      ),
    );
    expect(out).toContain(`metrics  ${url}/metrics`);
    expect(out).toMatch(/curl -s -X POST \S+\/v2\/models\/\S+\/infer/);
  });

  it.skipIf(!hasCurl)('prints a curl command that works as pasted', () => {
    const command = cli
      .stdout()
      .split('\n')
      .find((line) => line.includes('curl -s -X POST'))!
      .trim();
    const response = JSON.parse(
      execSync(command, { shell: '/bin/sh', encoding: 'utf8', timeout: 30_000 }),
    );
    expect(response).toMatchObject({ outputs: [expect.objectContaining({ datatype: 'FP32' })] });
  });

  it('answers every route', async () => {
    const get = (path: string) => fetch(`${url}${path}`);
    expect(await (await get('/v2/health/live')).json()).toEqual({ live: true });
    expect(await (await get('/v2/health/ready')).json()).toEqual({ ready: true });
    const server = (await (await get('/v2')).json()) as { extensions: string[] };
    expect(server.extensions).toEqual(expect.arrayContaining(['model_repository', 'metrics']));
    const metadata = (await (await get('/v2/models/mobilenet')).json()) as {
      inputs: { name: string; shape: number[] }[];
    };
    expect(metadata.inputs[0]).toMatchObject({ name: 'input', shape: [-1, 3, 224, 224] });
    expect((await get('/v2/models/mobilenet/ready')).status).toBe(200);
    expect((await get('/v2/models/echo/versions/1')).status).toBe(200);
    expect((await get('/v2/models/echo/versions/1/ready')).status).toBe(200);
    expect((await get('/v2/models/nope')).status).toBe(404);
    expect((await get('/v2/docs')).headers.get('content-type')).toMatch(/text\/html/);
    expect((await get('/v2/docs/openapi.json')).status).toBe(200);

    // The real model: finch.jpeg -> class 12.
    const image = await decodeImage(readFileSync(join(REPO_ROOT, 'fixtures/finch.jpeg')), {
      width: 224,
      height: 224,
      layout: 'CHW',
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    });
    const infer = await fetch(`${url}/v2/models/mobilenet/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [
          {
            name: 'input',
            datatype: 'FP32',
            shape: [1, ...image.shape],
            data: Array.from(image.data as Float32Array),
          },
        ],
      }),
    });
    expect(infer.status).toBe(200);
    const logits = ((await infer.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data;
    expect(logits.indexOf(Math.max(...logits))).toBe(12);

    const echo = await fetch(`${url}/v2/models/echo/versions/1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2.5] }],
      }),
    });
    expect(await echo.json()).toMatchObject({
      model_name: 'echo',
      model_version: '1',
      outputs: [{ name: 'y', data: [2, 5] }],
    });
    const bad = await fetch(`${url}/v2/models/echo/infer`, {
      method: 'POST',
      body: '{"inputs": 3}',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);

    const index = await fetch(`${url}/v2/repository/index`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(index.status).toBe(200);
    expect((await fetch(`${url}/v2/repository/index`, { method: 'POST' })).status).toBe(401);
    const traversal = await fetch(`${url}/v2/repository/models/..%2F..%2Fetc/load`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(traversal.status).toBe(400);
  });

  it('serves the smoke-test client: infer predict <url> --input', async () => {
    const result = await runCliProcess([
      'predict',
      url,
      '--model',
      'echo',
      '--version',
      '1',
      '--input',
      'x=[[3,4]]',
    ]);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('y  FP32  [1, 2]');
    expect(result.stdout).toContain('[6,8]');
  });

  it('counts the requests on /metrics', async () => {
    const response = await fetch(`${url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(
      sample(text, 'infer_requests_total', { model: 'mobilenet', route: 'infer', status: '200' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'infer_requests_total', {
        model: 'echo',
        version: '1',
        route: 'infer',
        status: '200',
      }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      sample(text, 'infer_requests_total', { model: 'echo', route: 'infer', status: '400' }),
    ).toBe(1);
    expect(
      sample(text, 'infer_requests_total', { route: 'health_live', status: '200' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'infer_request_duration_seconds_count', { model: 'mobilenet', route: 'infer' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'infer_batch_size_count', { model: 'mobilenet' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(
      sample(text, 'infer_model_load_seconds_count', { model: 'mobilenet', result: 'ok' }),
    ).toBe(1);
    expect(text).toContain('infer_process_cpu_seconds_total');
  });

  it('drains on SIGTERM: in-flight requests finish, readiness goes false, exit code 0', async () => {
    const inFlight = fetch(`${url}/v2/models/slow/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 1] }],
      }),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    cli.child.kill('SIGTERM');
    await cli.waitFor(/SIGTERM: draining/, 5000);
    // A new probe now is refused or answered "not ready"; never "ready".
    const probe = await fetch(`${url}/v2/health/ready`).then(
      (response) => response.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(probe);
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ outputs: [{ data: [2, 2] }] });
    expect(await cli.exited).toBe(0);
    expect(cli.stdout()).toContain('drained; bye');
  });
});

describe('infer serve past its shutdown grace', () => {
  it('exits soon after shutdownGraceMs even while a model that ignores its abort signal is still predicting', async () => {
    const dir = fixtureRoot('infer-cli-grace-', 'echo-runtime.mjs');
    let stuck: CliProcess | undefined;
    try {
      writeModelSettings(dir, 'models/stuck', {
        name: 'stuck',
        runtime: '../../echo-runtime.mjs',
        batching: false,
        timeoutMs: 0,
        // A 60 s timer the model's predict awaits, whatever its signal says.
        parameters: { delayMs: 60_000 },
      });
      stuck = startCli(['serve', join(dir, 'models'), '--port', '0'], {
        env: { INFER_HOST: '127.0.0.1', INFER_SHUTDOWN_GRACE_MS: '500' },
      });
      const base = (await stuck.waitFor(/Listening on (http:\/\/\S+)/))[1]!;
      const answer = fetch(`${base}/v2/models/stuck/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 1] }],
        }),
      }).then(
        (response) => response.status,
        () => 'cut',
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const signalled = performance.now();
      stuck.child.kill('SIGTERM');
      expect(await stuck.exited).toBe(0);
      // The grace (0.5 s), the close after it, and at most EXIT_AFTER_MS (1 s) more.
      expect(performance.now() - signalled).toBeLessThan(5000);
      expect(stuck.stdout()).toContain('drained; bye');
      expect(['cut', 503, 504]).toContain(await answer);
    } finally {
      if (stuck !== undefined && stuck.child.exitCode === null) stuck.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('infer serve with bad settings', () => {
  it('exits non-zero naming the file, the field and the reason, without a stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'infer-cli-bad-'));
    try {
      mkdirSync(join(dir, 'm'));
      const file = join(dir, 'm', 'model-settings.json');
      writeFileSync(
        file,
        JSON.stringify({
          name: 'm',
          runtime: '@infer/runtime-onnx',
          batching: { maxBatchSize: 0 },
          workerz: 2,
        }),
      );
      const result = await runCliProcess(['serve', dir, '--port', '0']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('infer serve: invalid settings:');
      expect(result.stderr).toContain(`${file}: batching.maxBatchSize: `);
      expect(result.stderr).toContain(`${file}: workerz: unknown field`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout).not.toContain('Listening');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits non-zero on a bad env override and on a runtime that is not installed, listing what it tried', async () => {
    const env = await runCliProcess(['serve', '--port', '0'], { env: { INFER_PORT: 'eighty' } });
    expect(env.code).toBe(1);
    // --port wins over INFER_PORT, but the bad variable is still reported.
    expect(env.stderr).toContain('INFER_PORT (env): port: must be an integer (got "eighty")');

    const dir = mkdtempSync(join(tmpdir(), 'infer-cli-runtime-'));
    try {
      writeFileSync(
        join(dir, 'model-settings.json'),
        JSON.stringify({ name: 'm', runtime: 'infer-runtime-missing' }),
      );
      const result = await runCliProcess(['serve', dir, '--port', '0']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Runtime "infer-runtime-missing" not found');
      expect(result.stderr).toContain(`infer-runtime-missing from ${dir}: not installed`);
      expect(result.stderr).toContain('[INFER_ERR_RUNTIME_NOT_FOUND]');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 with usage on an unknown flag or command', async () => {
    const flag = await runCliProcess(['serve', '--prot', '80']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/Unknown option '--prot'/);
    const command = await runCliProcess(['srve']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('unknown command "srve"');
  });

  it('with no directory given says so, and serves an empty repository', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'infer-cli-empty-'));
    const bare = startCli(['serve', '--port', '0'], {
      cwd: empty,
      env: { INFER_HOST: '127.0.0.1' },
    });
    try {
      await bare.waitFor(/Listening on/);
      expect(bare.stdout()).toContain(
        'no model directory given (infer serve DIR), and no modelDirs or INFER_MODELS; serving an empty repository',
      );
    } finally {
      bare.child.kill('SIGTERM');
      await bare.exited;
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('refuses out-of-range flags at once, naming the command line as their source', async () => {
    // Each worker holds a copy of the model: 99999 would load until memory ran out.
    const workers = await runCliProcess(['serve', 'models/mobilenet', '--workers', '99999']);
    expect(workers.code).toBe(2);
    expect(workers.stderr).toContain('--workers must be at most 256 (got 99999)');
    const port = await runCliProcess(['serve', 'models/mobilenet', '--port', '70000']);
    expect(port.code).toBe(1);
    expect(port.stderr).toMatch(/command line: port: .*65535/);
  });
});
