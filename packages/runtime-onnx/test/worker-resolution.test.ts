import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOBILENET } from './__fixtures__/inputs';

// An install where core and this runtime live in different node_modules (npm workspaces with
// core hoisted to the root and the runtime in an app's own node_modules), and the process
// starts from the root: neither the working directory nor core's folder reaches the runtime.
// The default worker thread must still find it. Copies of the BUILT packages (`pnpm build`
// first; `pnpm test` does it), since Node resolves a symlinked package to its real folder.

const PACKAGES = fileURLToPath(new URL('../..', import.meta.url));
const requireFromCore = createRequire(join(PACKAGES, 'core', 'package.json'));
const requireFromRuntime = createRequire(join(PACKAGES, 'runtime-onnx', 'package.json'));

/** The folder of an installed package: up from its entry to the package.json naming it. */
function packageDir(require: NodeRequire, name: string): string {
  for (let dir = dirname(realpathSync(require.resolve(name))); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === name) {
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`no package folder for ${name}`);
  }
}

function copyPackage(name: string, to: string): void {
  const from = join(PACKAGES, name);
  mkdirSync(to, { recursive: true });
  cpSync(join(from, 'package.json'), join(to, 'package.json'));
  cpSync(join(from, 'dist'), join(to, 'dist'), { recursive: true });
}

describe('a worker thread finds the runtime the app loaded, not only from the working directory', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'infer-layout-'));
    const modules = join(root, 'node_modules');
    copyPackage('core', join(modules, '@infer', 'core'));
    for (const name of ['codecs', 'batching']) {
      symlinkSync(join(PACKAGES, name), join(modules, '@infer', name), 'dir');
    }
    for (const name of ['zod', 'prom-client', 'piscina']) {
      symlinkSync(packageDir(requireFromCore, name), join(modules, name), 'dir');
    }
    symlinkSync(
      packageDir(requireFromRuntime, 'onnxruntime-node'),
      join(modules, 'onnxruntime-node'),
      'dir',
    );
    const app = join(root, 'apps', 'api');
    copyPackage('runtime-onnx', join(app, 'node_modules', '@infer', 'runtime-onnx'));
    writeFileSync(
      join(app, 'server.mjs'),
      `import { loadModel } from '@infer/core';
import { OnnxModel } from '@infer/runtime-onnx';
const served = await loadModel(new OnnxModel({ name: 'm', path: ${JSON.stringify(MOBILENET)} }));
console.log(JSON.stringify({ workers: served.pool?.size ?? 0, ready: served.ready }));
await served.close();
`,
    );
  });

  afterAll(() => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('serves the default OnnxModel in its worker, started from the root of the layout', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [join('apps', 'api', 'server.mjs')],
        { cwd: root, timeout: 60_000 },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      );
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ workers: 1, ready: true });
  }, 90_000);
});
