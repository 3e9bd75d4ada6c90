/**
 * `--input name=@image` of `infer predict` / `infer bench`: an image file for a model that
 * takes encoded images (BYTES, the bundled MobileNet classifier) is sent as is.
 */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main';
import { buildInputs, preprocessFlag } from '../../src/cli/request-builder';
import { serveFromSettings } from '../../src/settings/serve-from-settings';
import type { ModelMetadataV1 } from '../../src/spec';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

describe('--input name=@image', () => {
  it('sends the file itself, base64, to a BYTES input', async () => {
    const metadata: ModelMetadataV1 = {
      name: 'classifier',
      platform: 'test',
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [-1] }],
      outputs: [],
    };
    const [input] = await buildInputs(['image=@fixtures/finch.jpeg'], metadata, { cwd: ROOT });
    expect(input).toMatchObject({ name: 'image', datatype: 'BYTES', shape: [1] });
    const sent = Buffer.from((input!.data as string[])[0]!, 'base64');
    expect(sent.equals(readFileSync(`${ROOT}fixtures/finch.jpeg`))).toBe(true);
  });

  it('lets infer predict classify the photo with the bundled model', async () => {
    const server = await serveFromSettings({
      paths: [`${ROOT}models/mobilenet`],
      env: {},
      overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' },
    });
    try {
      const stdout = new PassThrough();
      let text = '';
      stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      const code = await runCli(
        ['predict', server.url, '--model', 'mobilenet', '--input', 'image=@fixtures/finch.jpeg'],
        { stdout, stderr: new PassThrough(), env: {}, cwd: ROOT },
      );
      expect(code).toBe(0);
      expect(text).toMatch(/house finch/);
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe('--preprocess of infer predict and infer bench', () => {
  it('defaults to imagenet, takes the three kinds, and refuses anything else (exit 2)', async () => {
    expect(preprocessFlag(undefined)).toBe('imagenet');
    expect(['imagenet', 'unit', 'raw'].map(preprocessFlag)).toEqual(['imagenet', 'unit', 'raw']);
    expect(() => preprocessFlag('bogus')).toThrow(
      '--preprocess must be imagenet, unit or raw (got "bogus")',
    );
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (chunk) => (text += chunk));
    // bench refuses it before it contacts the server (nothing listens on port 9).
    const code = await runCli(
      ['bench', 'http://127.0.0.1:9', '--model', 'm', '--preprocess', 'bogus'],
      { stdout: new PassThrough(), stderr, env: {}, cwd: ROOT },
    );
    expect(code).toBe(2);
    expect(text).toContain('--preprocess must be imagenet, unit or raw (got "bogus")');
  });
});
