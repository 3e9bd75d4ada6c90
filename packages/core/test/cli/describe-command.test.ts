import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, REPO_ROOT, runCliProcess } from './cli-process';

let dir: string;
beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'infer-describe-'));
  mkdirSync(join(dir, 'mobilenet-v2'));
  copyFileSync(
    join(REPO_ROOT, 'models/mobilenet/model.onnx'),
    join(dir, 'mobilenet-v2', 'model.onnx'),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the bundled model as `dir/folder/file`; returns its path. */
function modelCopy(folder: string, file: string): string {
  mkdirSync(join(dir, folder));
  copyFileSync(join(REPO_ROOT, 'models/mobilenet/model.onnx'), join(dir, folder, file));
  return join(dir, folder, file);
}

describe('infer describe', () => {
  it('prints inputs and outputs and writes a starter model-settings.json that serves', async () => {
    const result = await runCliProcess(['describe', join(dir, 'mobilenet-v2', 'model.onnx')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /mobilenet-v2 \(@infer\/runtime-onnx, platform onnxruntime_onnx\)/,
    );
    expect(result.stdout).toMatch(/input\s+input\s+FP32\s+\[-1, 3, 224, 224\]/);
    expect(result.stdout).toMatch(/output\s+output\s+FP32\s+\[-1, 1000\]/);
    const written = join(dir, 'mobilenet-v2', 'model-settings.json');
    expect(JSON.parse(readFileSync(written, 'utf8'))).toEqual({
      name: 'mobilenet-v2',
      runtime: '@infer/runtime-onnx',
      uri: './model.onnx',
    });
    expect(result.stderr).toContain(`wrote ${written}`);
    // The starter settings are valid: predict loads them in-process.
    const predict = await runCliProcess([
      'predict',
      join(dir, 'mobilenet-v2'),
      '--input',
      `input=@${join(REPO_ROOT, 'fixtures/finch.jpeg')}`,
    ]);
    expect(predict.code).toBe(0);
    expect(predict.stdout).toMatch(/output {2}FP32 {2}\[1, 1000\]\n\s+12\s+1\d\.\d+/);
  });

  it('leaves an existing file alone, and --no-write writes nothing', async () => {
    const again = await runCliProcess(['describe', join(dir, 'mobilenet-v2', 'model.onnx')]);
    expect(again.stderr).toContain('exists; left as it is');
    const result = await runCliProcess([
      'describe',
      modelCopy('other', 'net.onnx'),
      '--no-write',
      '--json',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: 'other', inputs: [{ name: 'input' }] });
    expect(existsSync(join(dir, 'other', 'model-settings.json'))).toBe(false);
  });

  it('refuses a --name that infer serve would refuse, before writing anything', async () => {
    const result = await runCliProcess([
      'describe',
      modelCopy('named', 'm.onnx'),
      '--name',
      'my:model',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--name must be 1-128 letters, digits');
    expect(result.stderr).toContain('(got "my:model")');
    expect(existsSync(join(dir, 'named', 'model-settings.json'))).toBe(false);
  });

  it('quotes the directory in its "serve it with" hint when it holds a space', async () => {
    const result = await runCliProcess(['describe', modelCopy('with space', 'm.onnx')]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/serve it with: infer serve '[^' ]*with space'\n/);
  });

  it('says which runtime is missing for an unknown file type', async () => {
    const result = await runCliProcess(['describe', join(REPO_ROOT, 'fixtures/finch.jpeg')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'no runtime known for this file type; pass --runtime <package>',
    );
  });
});
