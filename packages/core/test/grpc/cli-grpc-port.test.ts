import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  type CliProcess,
  fixtureRoot,
  startCli,
  writeModelSettings,
} from '../cli/cli-process';
import { call, createClient, plain, responseTensors } from './grpc-client';

let root: string;
let cli: CliProcess;

beforeAll(() => {
  assertBuilt();
  root = fixtureRoot('infer-grpc-cli-', 'echo-runtime.mjs');
  writeModelSettings(root, 'models/echo', { name: 'echo', runtime: '../../echo-runtime.mjs' });
});

afterAll(async () => {
  if (cli && cli.child.exitCode === null) {
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
  rmSync(root, { recursive: true, force: true });
});

describe('infer serve --grpc-port', () => {
  it('serves gRPC on the given port beside REST, prints it, and drains on SIGTERM', async () => {
    cli = startCli(
      ['serve', join(root, 'models'), '--port', '0', '--grpc-port', '0', '--log-level', 'warn'],
      { env: { INFER_HOST: '127.0.0.1' } },
    );
    const address = (await cli.waitFor(/gRPC\s+(\S+:\d+)/))[1]!;
    const client = createClient(address);
    try {
      const answer = await call(client, 'ModelInfer', {
        model_name: 'echo',
        inputs: [
          { name: 'x', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [1, 3] } },
        ],
      });
      expect(responseTensors(answer).map(plain)).toEqual([
        { name: 'y', datatype: 'FP32', shape: [1, 2], data: [2, 6] },
      ]);
    } finally {
      client.close();
    }
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  }, 60_000);
});
