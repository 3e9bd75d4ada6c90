import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageProto } from './grpc-client';
import { type GrpcFixture, startGrpcFixture } from './grpc-fixture';

let fixture: GrpcFixture;
beforeAll(async () => {
  fixture = await startGrpcFixture();
});
afterAll(() => fixture?.close());

const LOADER = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

interface HealthClient extends grpc.Client {
  Check(
    request: { service: string },
    callback: (error: grpc.ServiceError | null, value: { status: string }) => void,
  ): void;
  Check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, value: { status: string }) => void,
  ): void;
  Watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
}

/** Walks a loaded package definition to a service client constructor. */
function clientOf<T>(
  file: string,
  path: string,
): new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => T {
  let node: unknown = grpc.loadPackageDefinition(protoLoader.loadSync(file, LOADER));
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  return node as new (
    address: string,
    credentials: grpc.ChannelCredentials,
  ) => T;
}

function healthClient(address: string): HealthClient {
  const Health = clientOf<HealthClient>(healthProtoPath, 'grpc.health.v1.Health');
  return new Health(address, grpc.credentials.createInsecure());
}

function check(client: HealthClient, service: string): Promise<{ status: string }> {
  return new Promise((resolve, reject) =>
    client.Check({ service }, (error, value) => (error ? reject(error) : resolve(value))),
  );
}

describe('grpc.health.v1.Health', () => {
  it('Check follows the service readiness for "" and inference.GRPCInferenceService', async () => {
    const client = healthClient(fixture.server.address);
    try {
      // "broken" failed to load: not ready, as /v2/health/ready says.
      expect(await check(client, '')).toEqual({ status: 'NOT_SERVING' });
      await fixture.repository.remove('broken');
      expect(await check(client, '')).toEqual({ status: 'SERVING' });
      expect(await check(client, 'inference.GRPCInferenceService')).toEqual({
        status: 'SERVING',
      });
      const unknown = await check(client, 'nope').catch((error: grpc.ServiceError) => error);
      expect((unknown as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
    } finally {
      client.close();
    }
  });

  it('Check of a long unknown service name is NOT_FOUND with its message cut to 2 KiB', async () => {
    const client = healthClient(fixture.server.address);
    try {
      const service = 's'.repeat(300_000);
      const unknown = await new Promise<grpc.ServiceError>((resolve, reject) =>
        client.Check({ service }, { deadline: Date.now() + 5000 }, (error) =>
          error ? resolve(error) : reject(new Error('Check succeeded')),
        ),
      );
      expect(unknown.code).toBe(grpc.status.NOT_FOUND);
      expect(unknown.details.startsWith('Health status unknown for service sss')).toBe(true);
      expect(unknown.details.endsWith('...')).toBe(true);
      expect(unknown.details.length).toBeLessThanOrEqual(2048);
      expect(await check(client, 'inference.GRPCInferenceService')).toBeDefined();
    } finally {
      client.close();
    }
  });

  it('Watch streams the current status, then NOT_SERVING once the service drains', async () => {
    const client = healthClient(fixture.server.address);
    const statuses: string[] = [];
    const stream = client.Watch({ service: '' });
    stream.on('data', (message: { status: string }) => statuses.push(message.status));
    stream.on('error', () => {});
    try {
      const until = async (condition: () => boolean) => {
        const end = Date.now() + 5000;
        while (!condition() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      };
      await until(() => statuses.length > 0);
      expect(statuses[0]).toBe('SERVING');
      await fixture.service.shutdown({ timeoutMs: 100, closeRepository: false });
      await until(() => statuses.includes('NOT_SERVING'));
      expect(statuses).toContain('NOT_SERVING');
    } finally {
      stream.cancel();
      client.close();
    }
  });
});

interface ReflectionAnswer {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Uint8Array[] };
}

interface ReflectionClient extends grpc.Client {
  ServerReflectionInfo(): grpc.ClientDuplexStream<object, ReflectionAnswer>;
}

describe('server reflection', () => {
  it('lists the inference and health services and describes the inference proto', async () => {
    const file = packageProto(
      '@grpc/reflection',
      'build/proto/grpc/reflection/v1/reflection.proto',
    );
    const Reflection = clientOf<ReflectionClient>(file, 'grpc.reflection.v1.ServerReflection');
    const client = new Reflection(fixture.server.address, grpc.credentials.createInsecure());
    const ask = (request: object) =>
      new Promise<ReflectionAnswer>((resolve, reject) => {
        const stream = client.ServerReflectionInfo();
        stream.on('data', (message: ReflectionAnswer) => {
          resolve(message);
          stream.end();
        });
        stream.on('error', reject);
        stream.write(request);
      });
    try {
      const list = await ask({ list_services: '' });
      const names = list.list_services_response?.service.map((s) => s.name);
      expect(names).toContain('inference.GRPCInferenceService');
      expect(names).toContain('grpc.health.v1.Health');
      const described = await ask({ file_containing_symbol: 'inference.GRPCInferenceService' });
      expect(described.file_descriptor_response?.file_descriptor_proto.length).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });
});
