import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeNotFoundError, UnsupportedSpecVersionError } from '../../src/errors';
import { loadRuntime } from '../../src/runtime-loader';

const PLUGIN = (name: string, version = 'v1') => `
export let creations = 0;
export default {
  specificationVersion: '${version}',
  name: '${name}',
  create(settings) { creations += 1; return { specificationVersion: 'v1', name: settings.name }; },
};
`;

let root: string;

function writePackage(dir: string, name: string, files: Record<string, string>, pkg: object) {
  const pkgDir = join(dir, 'node_modules', name);
  mkdirSync(pkgDir, { recursive: true });
  writeFileSync(join(pkgDir, 'package.json'), JSON.stringify({ name, ...pkg }));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(pkgDir, file, '..'), { recursive: true });
    writeFileSync(join(pkgDir, file), text);
  }
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'infer-runtime-loader-'));
  mkdirSync(join(root, 'app', 'models', 'm'), { recursive: true });
  // A scoped package with conditional exports (the ESM entry must win over require).
  writePackage(
    join(root, 'app'),
    '@acme/runtime-good',
    { 'esm/index.js': PLUGIN('acme-good'), 'cjs/index.cjs': 'module.exports = { nope: 1 };' },
    {
      type: 'module',
      exports: {
        '.': { require: './cjs/index.cjs', import: './esm/index.js' },
        './package.json': './package.json',
      },
    },
  );
  // A package with only "main", found from a nested directory by walking up.
  writePackage(
    join(root, 'app'),
    'infer-runtime-main',
    { 'lib/main.mjs': PLUGIN('main-only') },
    {
      main: 'lib/main.mjs',
    },
  );
  writePackage(
    join(root, 'app'),
    'infer-runtime-v9',
    { 'index.mjs': PLUGIN('v9', 'v9') },
    {
      exports: './index.mjs',
    },
  );
  writePackage(
    join(root, 'app'),
    'infer-runtime-empty',
    { 'index.mjs': 'export default 42;' },
    {
      exports: './index.mjs',
    },
  );
  writePackage(
    join(root, 'app'),
    'infer-runtime-throws',
    { 'index.mjs': 'throw new Error("native binding missing");' },
    {
      exports: './index.mjs',
    },
  );
  // CommonJS with module.exports = { default: plugin } (what tsup's CJS build looks like).
  writePackage(
    join(root, 'app'),
    'infer-runtime-cjs',
    {
      'index.cjs': `exports.default = { specificationVersion: 'v1', name: 'cjs', create: (s) => s };`,
    },
    { main: 'index.cjs' },
  );
  writeFileSync(join(root, 'app', 'models', 'm', 'local-runtime.mjs'), PLUGIN('local'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('loadRuntime', () => {
  it('resolves a scoped package by name through its ESM exports, walking up node_modules', async () => {
    const from = join(root, 'app', 'models', 'm');
    const { plugin, file } = await loadRuntime('@acme/runtime-good', { from: [from] });
    expect(plugin.name).toBe('acme-good');
    expect(file).toBe(
      join(root, 'app', 'node_modules', '@acme', 'runtime-good', 'esm', 'index.js'),
    );
  });

  it('imports each module once', async () => {
    const from = [join(root, 'app')];
    const first = await loadRuntime('infer-runtime-main', { from });
    const second = await loadRuntime('infer-runtime-main', { from: [join(root, 'app', 'models')] });
    expect(second.plugin).toBe(first.plugin);
    expect(first.plugin.name).toBe('main-only');
  });

  it('loads a relative path from the first directory and a CJS default export', async () => {
    const local = await loadRuntime('./local-runtime.mjs', {
      from: [join(root, 'app', 'models', 'm')],
    });
    expect(local.plugin.name).toBe('local');
    const cjs = await loadRuntime('infer-runtime-cjs', { from: [join(root, 'app')] });
    expect(cjs.plugin.name).toBe('cjs');
  });

  it('tries every directory, then core itself, and lists each candidate and why it failed', async () => {
    const error = await loadRuntime('infer-runtime-nowhere', {
      from: [join(root, 'app'), root],
    }).catch((e: unknown) => e);
    expect(RuntimeNotFoundError.isInstance(error)).toBe(true);
    const notFound = error as RuntimeNotFoundError;
    expect(notFound.code).toBe('INFER_ERR_RUNTIME_NOT_FOUND');
    expect(notFound.tried.map((t) => t.name)).toEqual([
      `infer-runtime-nowhere from ${join(root, 'app')}`,
      `infer-runtime-nowhere from ${root}`,
      expect.stringMatching(/^infer-runtime-nowhere from .*packages[\\/]core[\\/]src$/),
    ]);
    expect(notFound.message).toContain('not installed');
  });

  it('says why a resolved module is not a plugin, or fails to import', async () => {
    const from = [join(root, 'app')];
    const empty = (await loadRuntime('infer-runtime-empty', { from }).catch((e) => e)) as Error;
    expect(empty.message).toMatch(/not a runtime plugin/);
    const throws = (await loadRuntime('infer-runtime-throws', { from }).catch((e) => e)) as Error;
    expect(throws.message).toContain('native binding missing');
    const url = (await loadRuntime('https://evil.example/runtime.js', { from }).catch(
      (e) => e,
    )) as Error;
    expect(url.message).toMatch(/URLs are not loaded/);
  });

  it('rejects an unknown specificationVersion with INFER_ERR_UNSUPPORTED_SPEC_VERSION', async () => {
    const error = await loadRuntime('infer-runtime-v9', { from: [join(root, 'app')] }).catch(
      (e) => e,
    );
    expect(UnsupportedSpecVersionError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('"v9"');
  });
});

describe('createModelFromSettings with a runtime that returns a bad model', () => {
  it('throws the runtime’s fault as it is, not as an error of the settings file', async () => {
    const { createModelFromSettings } = await import('../../src/settings/create-model');
    const baseDir = join(root, 'app', 'models', 'm');
    const entry = {
      settings: { name: 'm', runtime: './local-runtime.mjs' },
      source: join(baseDir, 'model-settings.json'),
      baseDir,
    };
    const failure = createModelFromSettings(entry as never);
    await expect(failure).rejects.toMatchObject({ code: 'INFER_ERR_INVALID_OPTION' });
    await expect(failure).rejects.toThrow('runtime local.load must be a function');
  });
});
