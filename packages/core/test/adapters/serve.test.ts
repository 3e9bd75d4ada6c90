import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defineModel, ModelRepository, serve } from '@infer/core';
import { runAdapterConformance } from '@infer/core/testing';
import { describe, expect, it } from 'vitest';

runAdapterConformance({
  name: 'serve()',
  start: ({ createModels, maxBodySize }) => serve({ models: createModels(), port: 0, maxBodySize }),
});

runAdapterConformance({
  name: 'serve() with prefix /ml and settings',
  start: ({ createModels, maxBodySize }) =>
    serve({ models: createModels(), prefix: '/ml', settings: { port: 0, bodyLimit: maxBodySize } }),
});

function sleepyModel(events: string[], ms = 300) {
  return defineModel({
    name: 'sleepy',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
    outputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
    unload: () => {
      events.push('unloaded');
    },
    predict: async (request, { signal }) => {
      events.push('predict started');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          events.push('predict aborted');
          resolve();
        });
      });
      events.push('predict finished');
      return request.inputs;
    },
  });
}

const jsonType = { 'content-type': 'application/json' };
const inferBody = JSON.stringify({
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }],
});

describe('serve() close()', () => {
  it('turns readiness off first, finishes in-flight requests, then unloads models', async () => {
    const events: string[] = [];
    const server = await serve({ models: [sleepyModel(events)], port: 0 });
    // The server's side of the answer: written in full (the client reads it a little later).
    server.server.on('request', (_request, response) => {
      response.once('finish', () => events.push(`response ${response.statusCode} written`));
    });
    const inFlight = fetch(`${server.url}/v2/models/sleepy/infer`, {
      method: 'POST',
      headers: jsonType,
      body: inferBody,
    }).then((response) => response.json());
    while (!events.includes('predict started'))
      await new Promise((resolve) => setTimeout(resolve, 5));
    const closed = server.close();
    const ready = await server.service.handle({
      method: 'GET',
      path: '/v2/health/ready',
      headers: {},
    });
    expect(ready.status).toBe(503);
    await expect(fetch(`${server.url}/v2/health/live`)).rejects.toThrow();
    await closed;
    expect(await inFlight).toMatchObject({ model_name: 'sleepy', outputs: [{ data: [1] }] });
    expect(events).toEqual([
      'predict started',
      'predict finished',
      'response 200 written',
      'unloaded',
    ]);
    expect(server.close()).toBe(closed);
  });

  it('cuts connections still open after shutdownGraceMs, aborting their requests', async () => {
    const events: string[] = [];
    const server = await serve({
      models: [sleepyModel(events, 20_000)],
      port: 0,
      shutdownGraceMs: 200,
    });
    const inFlight = fetch(`${server.url}/v2/models/sleepy/infer`, {
      method: 'POST',
      headers: jsonType,
      body: inferBody,
    }).catch((error: unknown) => error);
    while (!events.includes('predict started'))
      await new Promise((resolve) => setTimeout(resolve, 5));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await inFlight).toBeInstanceOf(Error);
    expect(events).toContain('predict aborted');
  });
});

describe('serve({ handleSignals: true })', () => {
  it('drains in-flight requests on SIGTERM, then exits by the signal', async () => {
    const script = fileURLToPath(new URL('./fixtures/serve-with-signals.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /^url (\S+)$/m.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', () => reject(new Error(`child exited early: ${output}`)));
    });
    const inFlight = fetch(`${url}/v2/models/sleepy/infer`, {
      method: 'POST',
      headers: jsonType,
      body: inferBody,
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGTERM');
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
  }, 30_000);
});

describe('serve(): close() with a model that ignores its abort signal', () => {
  it('resolves soon after shutdownGraceMs, the model left running', async () => {
    const hung = defineModel({
      name: 'hung',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      outputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      serving: { batching: false },
      predict: () => new Promise<never>(() => {}),
    });
    const server = await serve({ models: [hung], port: 0, shutdownGraceMs: 200 });
    const inFlight = fetch(`${server.url}/v2/models/hung/infer`, {
      method: 'POST',
      headers: jsonType,
      body: inferBody,
    }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await inFlight).toBeInstanceOf(Error);
  });
});

describe('serve({ handleSignals: true }) beside other SIGTERM listeners', () => {
  it('two servers drain on one SIGTERM; the app listener runs once; no signal is re-sent', async () => {
    const script = fileURLToPath(new URL('./fixtures/serve-two-with-signals.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const urls = await new Promise<string[]>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /^urls (\S+) (\S+)$/m.exec(output);
        if (match?.[1] && match[2]) resolve([match[1], match[2]]);
      });
      child.once('exit', () => reject(new Error(`child exited early: ${output}`)));
    });
    const answers = urls.map((url) =>
      fetch(`${url}/v2/models/slow/infer`, { method: 'POST', headers: jsonType, body: inferBody })
        .then((response) => response.status)
        .catch((error: unknown) => String(error)),
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    child.kill('SIGTERM');
    expect(await Promise.all(answers)).toEqual([200, 200]);
    // The app's own listener decides the exit: nothing re-raised the signal.
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(output).toMatch(/^app listener calls 1$/m);
  }, 30_000);
});

describe('serve() options', () => {
  it.each([
    [{ port: -1 }, 'options.port must be an integer from 0 to 65535'],
    [{ host: '' }, 'options.host must be a non-empty string'],
    [{ maxBodySize: 0 }, 'options.maxBodySize must be a positive integer (bytes)'],
    [{ shutdownGraceMs: -5 }, 'options.shutdownGraceMs must be a non-negative integer (ms)'],
    [{ handleSignals: 'yes' }, 'options.handleSignals must be a boolean'],
    [{ reuseBodyBuffers: 1 }, 'options.reuseBodyBuffers must be a boolean'],
    [{ models: {} }, 'options.models must be an array of models'],
    [{ repository: {} }, 'options.repository must be a ModelRepository'],
    [{ prefix: 'ml' }, 'options.prefix must start with "/" (got "ml")'],
    [{ settings: { port: 'x' } }, 'options.settings.port'],
  ])('rejects %j', async (options, message) => {
    await expect(serve(options as never)).rejects.toThrow(message);
  });

  it('does not load again a model of the given repository that already failed to load', async () => {
    let loads = 0;
    const repository = new ModelRepository().add(
      defineModel({
        name: 'broken',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
        outputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
        load: () => {
          loads++;
          throw new Error('weights are corrupt');
        },
        predict: (request) => [request.input('x').tensor],
      }),
    );
    await expect(repository.load('broken')).rejects.toThrow('weights are corrupt');
    // A model of the same repository that fails while serve() loads it is logged by serve's
    // logger (the repository's is silent); the one that failed before is not logged again.
    repository.add(
      defineModel({
        name: 'late',
        inputs: [],
        outputs: [],
        load: () => {
          throw new Error('late failure');
        },
        predict: () => [],
      }),
    );
    const logged: unknown[] = [];
    const record = (...args: unknown[]) => logged.push(args);
    const logger = {
      error: record,
      warn: () => {},
      info: () => {},
      debug: () => {},
      trace: () => {},
      fatal: record,
      child: () => logger,
    };
    const server = await serve({ repository, port: 0, logger });
    try {
      expect(loads).toBe(1);
      expect(logged).toHaveLength(1);
      expect(JSON.stringify(logged)).toContain('late');
      const ready = await fetch(`${server.url}/v2/models/broken/ready`);
      expect(ready.status).toBe(503);
    } finally {
      await server.close();
    }
  });

  it('logs a model that fails to load once, where serve() made the repository', async () => {
    const logged: string[] = [];
    const logger = {
      error: (_object: unknown, message?: string) => logged.push(message ?? ''),
      warn: () => {},
      info: () => {},
      debug: () => {},
      child: () => logger,
    };
    const broken = defineModel({
      name: 'broken',
      inputs: [],
      outputs: [],
      load: () => {
        throw new Error('weights are corrupt');
      },
      predict: () => [],
    });
    const server = await serve({ models: [broken], port: 0, logger });
    try {
      expect(logged.filter((message) => message.includes('failed to load'))).toEqual([
        'Model "broken" failed to load: weights are corrupt',
      ]);
    } finally {
      await server.close();
    }
  });

  it('gives the url with the bound port and loopback host by default', async () => {
    const server = await serve({ port: 0 });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await server.close();
  });
});
