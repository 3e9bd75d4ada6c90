import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadRequestError } from '../../src/errors';
import {
  assertSafeModelName,
  createModelDirectoryLoader,
  type SettingsServer,
  serveFromSettings,
} from '../../src/settings';

const RUNTIME = fileURLToPath(new URL('../cli/fixtures/echo-runtime.mjs', import.meta.url));
const TOKEN = 'test-token-0123456789abcdef';

let root: string;
let models: string;
let server: SettingsServer;

const writeModel = (dir: string, settings: object) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model-settings.json'), JSON.stringify(settings));
};

/** A raw request, so paths reach the server exactly as written (fetch would normalise `..`). */
function raw(
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: method === 'POST' ? { 'content-type': 'application/json', ...headers } : headers,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}
const auth = { authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'infer-repository-api-'));
  models = join(root, 'models');
  copyFileSync(RUNTIME, join(root, 'echo-runtime.mjs'));
  writeModel(join(models, 'echo'), { name: 'echo', runtime: '../../echo-runtime.mjs' });
  // Outside the model directory: reachable only through a symlink.
  writeModel(join(root, 'outside', 'evil'), { name: 'evil', runtime: '../../echo-runtime.mjs' });
  writeFileSync(join(root, 'outside', 'secret.onnx'), 'not a model');
  server = await serveFromSettings({
    paths: [models],
    env: {},
    cwd: root,
    overrides: {
      port: 0,
      repositoryApi: { enabled: true, token: TOKEN },
    },
  });
  // Added after startup: only the repository API can load them.
  symlinkSync(join(root, 'outside', 'evil'), join(models, 'evil'));
  writeModel(join(models, 'escaper'), {
    name: 'escaper',
    runtime: '../../echo-runtime.mjs',
    uri: '../../outside/secret.onnx',
  });
  // Its labels file is outside: the API would read it (and an error could quote it).
  writeModel(join(models, 'labeller'), {
    name: 'labeller',
    runtime: '../../echo-runtime.mjs',
    classifier: { image: { width: 8, height: 8 }, labels: '../../outside/secret.onnx' },
  });
  // No uri, a model path in parameters (as TF.js takes one) outside the directory.
  writeModel(join(models, 'pathed'), {
    name: 'pathed',
    runtime: '../../echo-runtime.mjs',
    parameters: { path: '../../outside/secret.onnx' },
  });
  writeModel(join(models, 'late'), { name: 'late', runtime: '../../echo-runtime.mjs' });
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('repository API: path safety', () => {
  const attempts: [string, string, RegExp][] = [
    ['dot-dot', '..', /contains "\.\."/],
    ['encoded traversal', '..%2F..%2Fetc%2Fpasswd', /path separator/],
    ['encoded dots', '%2e%2e', /contains "\.\."/],
    ['double-encoded traversal', '%252e%252e%252fetc', /percent-encoding/],
    ['absolute path', '%2Fetc%2Fpasswd', /path separator/],
    ['backslash traversal', '..%5C..%5Cwindows', /path separator/],
    ['windows drive', 'C%3A%5Cwindows', /drive paths/],
    ['URL', 'http%3A%2F%2Fevil.example%2Fmodel.onnx', /URLs/],
    ['file URL', 'file%3A%2F%2F%2Fetc%2Fpasswd', /URLs/],
    ['null byte', 'echo%00.onnx', /null byte/],
    ['hidden name', '.ssh', /starting with a letter or digit/],
    ['home directory', '~root', /starting with a letter or digit/],
    ['overlong UTF-8 dot', '%C0%AE%C0%AE', /malformed URL/],
    ['symlink out of the directory', 'evil', /resolves outside/],
    ['uri out of the directory', 'escaper', /resolves outside/],
    ['labels file out of the directory', 'labeller', /resolves outside/],
    ['parameters.path out of the directory', 'pathed', /resolves outside/],
  ];
  for (const [label, name, reason] of attempts) {
    it(`refuses ${label} (${name}) with 400`, async () => {
      const response = await raw('POST', `/v2/repository/models/${name}/load`, auth);
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toEqual({ error: expect.stringMatching(reason) });
    });
  }

  it('refuses unsafe names before touching the disk', () => {
    for (const name of [
      '..',
      '../x',
      '/etc',
      'a\\b',
      'http://x',
      'a\u0000b',
      '%2e%2e',
      'a b',
      'x'.repeat(129),
    ]) {
      expect(() => assertSafeModelName(name)).toThrow(BadRequestError);
    }
    expect(assertSafeModelName('resnet-50_v1.2')).toBe('resnet-50_v1.2');
  });

  it('loads a model added to the directory after startup, by name', async () => {
    const load = await raw('POST', '/v2/repository/models/late/load', auth);
    expect(load.status).toBe(200);
    expect(JSON.parse(load.body)).toMatchObject({ name: 'late', state: 'READY' });
    const ready = await raw('GET', '/v2/models/late/ready');
    expect(ready.status).toBe(200);
    const unknown = await raw('POST', '/v2/repository/models/nosuchmodel/load', auth);
    expect(unknown.status).toBe(404);
  });

  it('the loader refuses escapes on its own too', async () => {
    const loader = createModelDirectoryLoader({ dirs: [models] });
    expect(
      loader
        .list()
        .map((entry) => entry.settings.name)
        .sort(),
    ).toEqual(['echo', 'late']);
    expect(() => loader.find('evil')).toThrow(/resolves outside/);
    expect(() => loader.find('escaper')).toThrow(/resolves outside/);
    expect(() => loader.find('../models/echo')).toThrow(/path separator/);
  });
});

describe('repository API: bearer token', () => {
  it('answers 401 + WWW-Authenticate without a token or with another scheme', async () => {
    for (const headers of [
      {},
      { authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}` },
      { authorization: TOKEN },
      { authorization: 'Bearer' },
    ]) {
      const index = await raw('POST', '/v2/repository/index', headers);
      expect(index.status).toBe(401);
      expect(index.headers['www-authenticate']).toMatch(/^Bearer realm="infer"/);
      const load = await raw('POST', '/v2/repository/models/echo/unload', headers);
      expect(load.status).toBe(401);
    }
    // Nothing was unloaded by the refused calls.
    expect((await raw('GET', '/v2/models/echo/ready')).status).toBe(200);
  });

  it('answers 401 invalid_token to a well-formed bearer token that is wrong (RFC 6750)', async () => {
    for (const token of ['wrong-token-0123456789abc', `${TOKEN}x`, TOKEN.toUpperCase()]) {
      const headers = { authorization: `Bearer ${token}` };
      const index = await raw('POST', '/v2/repository/index', headers);
      expect(index.status).toBe(401);
      expect(index.headers['www-authenticate']).toBe('Bearer realm="infer", error="invalid_token"');
      expect(JSON.parse(index.body)).toEqual({ error: 'The bearer token is not valid' });
      expect((await raw('POST', '/v2/repository/models/echo/unload', headers)).status).toBe(401);
    }
    expect((await raw('GET', '/v2/models/echo/ready')).status).toBe(200);
  });

  it('lets the right token index, unload and load', async () => {
    const index = await raw('POST', '/v2/repository/index', auth);
    expect(index.status).toBe(200);
    expect(JSON.parse(index.body)).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'echo', state: 'READY' })]),
    );
    expect((await raw('POST', '/v2/repository/models/echo/unload', auth)).status).toBe(200);
    expect((await raw('GET', '/v2/models/echo/ready')).status).toBe(503);
    expect((await raw('POST', '/v2/repository/models/echo/load', auth)).status).toBe(200);
    expect((await raw('GET', '/v2/models/echo/ready')).status).toBe(200);
  });

  it('is off by default (404)', async () => {
    const plain = await serveFromSettings({ paths: [], env: {}, overrides: { port: 0 } });
    try {
      const response = await fetch(`${plain.url}/v2/repository/index`, { method: 'POST' });
      expect(response.status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
