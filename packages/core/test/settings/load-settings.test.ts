import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidSettingsError } from '../../src/errors';
import {
  DEFAULT_SERVER_SETTINGS,
  loadSettings,
  parseModelSettings,
  SettingsError,
} from '../../src/settings';
import { envVariableOf } from '../../src/settings/env-settings';

let root: string;
const write = (path: string, json: unknown) => {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), typeof json === 'string' ? json : JSON.stringify(json));
};

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'infer-settings-'));
  write('models/resnet/model-settings.json', {
    name: 'resnet',
    runtime: '@infer/runtime-onnx',
    uri: './model.onnx',
  });
  write('models/bert/v2/model-settings.json', {
    name: 'bert',
    version: '2',
    runtime: './runtime.mjs',
    uri: 'weights/bert.onnx',
    batching: { maxBatchSize: 16, maxBatchDelayMs: 2 },
    workers: 2,
    maxQueueSize: 64,
    timeoutMs: 500,
    warmup: true,
    parameters: { intraOpThreads: 1 },
  });
  write('models/node_modules/pkg/model-settings.json', { nope: true });
  write('models/settings.json', {
    port: 9001,
    metrics: { path: '/prom' },
    modelDirs: ['../extra'],
  });
  write('extra/e/model-settings.json', { name: 'extra', runtime: 'infer-runtime-x' });
  write('bad/model-settings.json', {
    name: '../etc',
    runtime: '',
    uri: 'https://example.com/m.onnx',
    batching: { maxBatchSize: 0, maxBatchDelay: 2 },
    workers: -1,
  });
  write('badjson/model-settings.json', '{"name": "x",');
  write('dup/a/model-settings.json', { name: 'same', runtime: 'r' });
  write('dup/b/model-settings.json', { name: 'same', runtime: 'r' });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('model settings', () => {
  it('accepts the minimal form as written and makes uri absolute against the file', () => {
    const entry = parseModelSettings(
      { name: 'resnet', runtime: '@infer/runtime-onnx', uri: './model.onnx' },
      { baseDir: '/srv/models/resnet', source: 'x' },
    );
    expect(entry?.settings).toEqual({
      name: 'resnet',
      runtime: '@infer/runtime-onnx',
      uri: '/srv/models/resnet/model.onnx',
    });
  });

  it('converts file: URLs and keeps absolute paths', () => {
    const base = { baseDir: '/srv' };
    expect(
      parseModelSettings({ name: 'm', runtime: 'r', uri: 'file:///opt/m.onnx' }, base)?.settings
        .uri,
    ).toBe('/opt/m.onnx');
    expect(
      parseModelSettings({ name: 'm', runtime: 'r', uri: '/opt/m.onnx' }, base)?.settings.uri,
    ).toBe('/opt/m.onnx');
  });

  it('names the source, each field and the reason when invalid', async () => {
    const error = await loadSettings({ paths: [join(root, 'bad')], env: {} }).catch((e) => e);
    expect(SettingsError.isInstance(error)).toBe(true);
    expect(InvalidSettingsError.isInstance(error)).toBe(true);
    expect(error.code).toBe('INFER_ERR_INVALID_SETTINGS');
    const file = join(root, 'bad', 'model-settings.json');
    const fields = Object.fromEntries(
      (error as SettingsError).issues.map((issue) => [issue.field, issue.reason]),
    );
    expect((error as SettingsError).issues.every((issue) => issue.source === file)).toBe(true);
    expect(Object.keys(fields).sort()).toEqual([
      'batching.maxBatchDelay',
      'batching.maxBatchSize',
      'name',
      'runtime',
      'uri',
      'workers',
    ]);
    expect(fields['batching.maxBatchDelay']).toBe('unknown field');
    expect(fields.uri).toMatch(/remote URIs are never fetched/);
    expect(fields.name).toMatch(/letters, digits.*\(got "\.\.\/etc"\)/);
    expect(fields['batching.maxBatchSize']).toMatch(/\(got 0\)/);
    expect(error.message).toContain(`${file}: workers: `);
    expect(error.message.split('\n')).toHaveLength(6);
  });

  it('reports missing required fields and invalid JSON with the file', async () => {
    const missing = parseModelSettings.bind(null, { uri: './m.onnx' }, { source: 'f.json' });
    expect(missing).toThrow(/f\.json: name: required\nf\.json: runtime: required/);
    const error = await loadSettings({ paths: [join(root, 'badjson')], env: {} }).catch((e) => e);
    expect(error.message).toMatch(/badjson[\\/]model-settings\.json: invalid JSON/);
  });
});

describe('loadSettings', () => {
  it('finds every model-settings.json under a directory, settings.json at its top, and modelDirs', async () => {
    const loaded = await loadSettings({ paths: [join(root, 'models')], env: {} });
    expect(loaded.settingsFile).toBe(join(root, 'models', 'settings.json'));
    expect(loaded.server.port).toBe(9001);
    expect(loaded.server.metrics).toEqual({ enabled: true, path: '/prom' });
    expect(loaded.models.map((m) => m.settings.name)).toEqual(['bert', 'resnet', 'extra']);
    const bert = loaded.models[0]!;
    expect(bert.settings).toMatchObject({
      version: '2',
      uri: join(root, 'models', 'bert', 'v2', 'weights', 'bert.onnx'),
      batching: { maxBatchSize: 16, maxBatchDelayMs: 2 },
      workers: 2,
    });
    expect(bert.baseDir).toBe(join(root, 'models', 'bert', 'v2'));
    expect(loaded.modelDirs).toEqual([join(root, 'models'), join(root, 'extra')]);
  });

  it('applies defaults, then the file, then INFER_* env, then overrides', async () => {
    const loaded = await loadSettings({
      paths: [join(root, 'models')],
      env: {
        INFER_PORT: '7000',
        INFER_HOST: '0.0.0.0',
        INFER_LOG_LEVEL: 'debug',
        INFER_BODY_LIMIT: '1MiB',
        INFER_METRICS_ENABLED: 'false',
        INFER_REPOSITORY_API_ENABLED: 'yes',
        INFER_REPOSITORY_API_TOKEN: 'a-token-of-at-least-16',
        INFER_CORS_ORIGIN: 'https://a.example,https://b.example',
        INFER_SHUTDOWN_GRACE_MS: '250',
        INFER_COMPRESSION_ENABLED: 'true',
      },
      overrides: { host: '127.0.0.2' },
    });
    expect(loaded.server).toMatchObject({
      port: 7000,
      host: '127.0.0.2',
      logLevel: 'debug',
      bodyLimit: 1024 * 1024,
      metrics: { enabled: false, path: '/prom' },
      repositoryApi: { enabled: true, token: 'a-token-of-at-least-16' },
      cors: { origin: ['https://a.example', 'https://b.example'] },
      shutdownGraceMs: 250,
      compression: { enabled: true, threshold: 1024, level: 6 },
    });
    // (Not with the repository API on: see below.)
    expect((await loadSettings({ env: { INFER_PROCESSES: '3' } })).server.processes).toBe(3);
    const defaults = await loadSettings({ env: {} });
    expect(defaults.server.processes).toBe(1);
    expect(defaults.server).toEqual(DEFAULT_SERVER_SETTINGS);
    expect(defaults.server).toMatchObject({ port: 8080, bodyLimit: 64 * 1024 * 1024 });
  });

  it('names the env variable when an override is invalid', async () => {
    const error = await loadSettings({
      env: { INFER_PORT: '70000', INFER_METRICS_ENABLED: 'maybe', INFER_LOG_LEVEL: 'loud' },
    }).catch((e) => e);
    const lines = (error as SettingsError).message.split('\n');
    expect(lines).toContain(
      'INFER_METRICS_ENABLED (env): metrics.enabled: must be true or false (got "maybe")',
    );
    expect(lines.some((l) => l.startsWith('INFER_PORT (env): port: Too big'))).toBe(true);
    expect(lines.some((l) => l.startsWith('INFER_LOG_LEVEL (env): logLevel: '))).toBe(true);
  });

  it('a "__proto__" key in settings.json is an unknown field, and pollutes nothing', async () => {
    write('proto/settings.json', JSON.parse('{"__proto__": {"polluted": "yes"}, "port": 9000}'));
    const error = await loadSettings({
      settingsFile: join(root, 'proto', 'settings.json'),
      env: {},
    }).catch((e) => e);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect((error as SettingsError).message).toContain('__proto__: unknown field');
  });

  it('never shows a token it refuses', async () => {
    const error = await loadSettings({
      env: { INFER_REPOSITORY_API_TOKEN: 'hunter2-short' },
    }).catch((e) => e);
    expect((error as SettingsError).message).toBe(
      'INFER_REPOSITORY_API_TOKEN (env): repositoryApi.token: must be at least 16 characters (got [hidden])',
    );
  });

  it('names overrides by overridesOrigin (the CLI: "command line")', async () => {
    const error = await loadSettings({
      env: {},
      overrides: { port: 70000 },
      overridesOrigin: 'command line',
    }).catch((e) => e);
    expect((error as SettingsError).message).toMatch(/^command line: port: Too big/);
    const plain = await loadSettings({ env: {}, overrides: { port: 70000 } }).catch((e) => e);
    expect((plain as SettingsError).message).toMatch(/^options: port: Too big/);
  });

  it('refuses the repository API with several server processes (each has its own repository)', async () => {
    const error = await loadSettings({
      env: { INFER_REPOSITORY_API_ENABLED: 'true' },
      overrides: { processes: 2 },
      overridesOrigin: 'command line',
    }).catch((e) => e);
    expect((error as SettingsError).message).toBe(
      'INFER_REPOSITORY_API_ENABLED (env): repositoryApi.enabled: the repository API changes one server process; it cannot be on with processes 2 (from command line)',
    );
    const one = await loadSettings({
      env: { INFER_REPOSITORY_API_ENABLED: 'true', INFER_PROCESSES: '1' },
    });
    expect(one.server.repositoryApi.enabled).toBe(true);
  });

  it('reads INFER_MODELS as a JSON list of model settings, like SERVER_MODELS', async () => {
    const loaded = await loadSettings({
      cwd: root,
      env: {
        INFER_MODELS: JSON.stringify([
          {
            name: 'a',
            runtime: '@infer/runtime-onnx',
            uri: 'models/resnet/model.onnx',
            workers: 2,
          },
          { name: 'b', runtime: 'r' },
        ]),
      },
    });
    expect(loaded.models.map((m) => [m.settings.name, m.source])).toEqual([
      ['a', 'INFER_MODELS (env)'],
      ['b', 'INFER_MODELS (env)'],
    ]);
    expect(loaded.models[0]!.settings.uri).toBe(join(root, 'models', 'resnet', 'model.onnx'));
    const bad = await loadSettings({ env: { INFER_MODELS: '[{"name": "a"}]' } }).catch((e) => e);
    expect(bad.message).toBe('INFER_MODELS (env): [0].runtime: required');
    const notJson = await loadSettings({ env: { INFER_MODELS: '{oops' } }).catch((e) => e);
    expect(notJson.message).toMatch(/^INFER_MODELS \(env\): invalid JSON/);
  });

  it('refuses two models with the same name and version, naming both files', async () => {
    const error = await loadSettings({ paths: [join(root, 'dup')], env: {} }).catch((e) => e);
    expect(error.message).toBe(
      `${join(root, 'dup', 'b', 'model-settings.json')}: name: model "same" is also defined in ${join(root, 'dup', 'a', 'model-settings.json')}`,
    );
  });

  it('reports a missing path and unknown server fields', async () => {
    write('srv/settings.json', { prot: 8080, bodyLimit: 'huge' });
    const error = await loadSettings({
      paths: [join(root, 'nowhere')],
      settingsFile: join(root, 'srv', 'settings.json'),
      env: {},
    }).catch((e) => e);
    const lines = error.message.split('\n');
    expect(lines).toContain(`${join(root, 'nowhere')}: no such file or directory`);
    expect(lines).toContain(`${join(root, 'srv', 'settings.json')}: prot: unknown field`);
    expect(
      lines.some((l: string) => l.includes('bodyLimit: must be a positive number of bytes')),
    ).toBe(true);
  });
});

describe('envVariableOf', () => {
  it('names the INFER_* variable of a settings field, and none for a field without one', () => {
    expect(envVariableOf(['grpc', 'sendStallMs'])).toBe('INFER_GRPC_SEND_STALL_MS');
    expect(envVariableOf(['port'])).toBe('INFER_PORT');
    expect(envVariableOf(['grpc', 'nope'])).toBeUndefined();
  });
});
