/**
 * `infer bench` against a real server on loopback: a request the server refuses stops the
 * bench before any load, with the server's message; a good one is measured (exit 0).
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main';
import { defineModel } from '../../src/define-model';
import { InvalidInputError } from '../../src/errors';
import { type InferServer, serve } from '../../src/serve';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { stream, text: () => text };
}

describe('infer bench', () => {
  let server: InferServer;
  let predictions = 0;
  beforeAll(async () => {
    const echo = defineModel({
      name: 'echo',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
      outputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
      predict: (request) => request.inputs,
    });
    const picky = defineModel({
      name: 'picky',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
      outputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
      serving: { batching: false },
      predict: () => {
        predictions++;
        throw new InvalidInputError('x must not be all zeros', { input: 'x' });
      },
    });
    server = await serve({ models: [echo, picky], port: 0 });
  });
  afterAll(() => server?.close());

  it('stops before the load when the first request is refused, with the server’s message', async () => {
    const stdout = capture();
    const stderr = capture();
    const code = await runCli(['bench', server.url, '--model', 'picky', '--duration', '1'], {
      stdout: stdout.stream,
      stderr: stderr.stream,
      env: {},
    });
    expect(code).toBe(1);
    expect(stderr.text()).toMatch(
      /first request was refused \(HTTP 400: x must not be all zeros\)/,
    );
    expect(predictions).toBe(1); // the probe only: no load was sent
    expect(stdout.text()).toBe('');
  });

  it('measures a request the server accepts and exits 0', async () => {
    const stdout = capture();
    const stderr = capture();
    const code = await runCli(
      ['bench', server.url, '--model', 'echo', '--duration', '1', '--connections', '2'],
      { stdout: stdout.stream, stderr: stderr.stream, env: {} },
    );
    expect(code).toBe(0);
    expect(stdout.text()).toMatch(/0 errors, 0 timeouts, 0 non-2xx responses/);
  });
});
