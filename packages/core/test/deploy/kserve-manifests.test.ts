import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { SERVE_USAGE } from '../../src/cli/serve-command';
import { CORES_VARIABLE } from '../../src/cores';
import { ENV_SETTINGS } from '../../src/settings/env-settings';

/**
 * Static checks of deploy/: the KServe manifests against JSON schemas of the subset we rely
 * on (deploy/kserve/schemas/), cross-references between them, and the Dockerfile's shape.
 * No cluster and no Docker engine run here; this is what CI can check.
 */
const DEPLOY = fileURLToPath(new URL('../../../../deploy/', import.meta.url));
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ??
  AjvModule) as typeof AjvModule;

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML, checked by the schemas
type Manifest = Record<string, any>;

function loadYaml(file: string): Manifest[] {
  const docs = parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8'));
  for (const doc of docs) expect(doc.errors, `${file} parses`).toEqual([]);
  return docs.map((doc) => doc.toJS() as Manifest);
}

/** The `--flags` of `infer serve` (from its usage text, which its tests keep in step with parseArgs). */
const SERVE_FLAGS = new Set(SERVE_USAGE.match(/^\s+(--[a-z-]+)/gm)!.map((line) => line.trim()));

function envOf(container: Manifest): Record<string, string> {
  return Object.fromEntries(
    container.env.map((e: { name: string; value: string }) => [e.name, e.value]),
  );
}

function validator(schemaFile: string) {
  const schema = JSON.parse(readFileSync(join(DEPLOY, 'kserve', 'schemas', schemaFile), 'utf8'));
  return new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
}

describe('deploy/kserve', () => {
  const [runtime] = loadYaml('kserve/serving-runtime.yaml');
  const [service] = loadYaml('kserve/inference-service.yaml');
  const [grpcService] = loadYaml('kserve/inference-service-grpc.yaml');
  const validateRuntime = validator('serving-runtime.schema.json');
  const validateService = validator('inference-service.schema.json');

  it('has a ServingRuntime that fits the schema', () => {
    expect(validateRuntime(runtime), JSON.stringify(validateRuntime.errors)).toBe(true);
  });

  it('has InferenceServices (REST and gRPC) that fit the schema', () => {
    expect(validateService(service), JSON.stringify(validateService.errors)).toBe(true);
    expect(validateService(grpcService), JSON.stringify(validateService.errors)).toBe(true);
  });

  it('the schemas reject what they must (a v1-only runtime, a root container, a probe elsewhere)', () => {
    const broken = structuredClone(runtime!);
    broken.spec.protocolVersions = ['v1'];
    broken.spec.containers[0].securityContext.runAsNonRoot = false;
    delete broken.spec.containers[0].readinessProbe;
    expect(validateRuntime(broken)).toBe(false);
    const paths = (validateRuntime.errors ?? []).map((e) => e.instancePath);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/spec/protocolVersions',
        '/spec/containers/0/securityContext/runAsNonRoot',
        '/spec/containers/0',
      ]),
    );
  });

  it('probes the OIP health routes on the container port the server listens on', () => {
    const container = runtime!.spec.containers[0];
    const port = container.ports[0].containerPort;
    expect(container.livenessProbe.httpGet).toEqual({ path: '/v2/health/live', port });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/v2/health/ready', port });
    // Liveness waits for the load (which happens before the server listens): 60 x 5 s.
    expect(container.startupProbe.httpGet).toEqual({ path: '/v2/health/live', port });
    expect(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold).toBe(
      300,
    );
    expect(container.lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
    const env = envOf(container);
    expect(Number(env.INFER_PORT)).toBe(port);
    expect(env.INFER_HOST).toBe('0.0.0.0');
    expect(container.args.slice(0, 2)).toEqual(['serve', '/mnt/models']);
    expect(runtime!.spec.annotations['prometheus.kserve.io/port']).toBe(String(port));
  });

  it('the InferenceService names that runtime and one of its model formats', () => {
    const model = service!.spec.predictor.model;
    expect(model.runtime).toBe(runtime!.metadata.name);
    expect(runtime!.spec.supportedModelFormats.map((f: { name: string }) => f.name)).toContain(
      model.modelFormat.name,
    );
    expect(runtime!.spec.protocolVersions).toContain(model.protocolVersion);
    // The drain (INFER_SHUTDOWN_GRACE_MS) fits in the pod's grace period.
    const grace = Number(
      runtime!.spec.containers[0].env.find(
        (e: { name: string }) => e.name === 'INFER_SHUTDOWN_GRACE_MS',
      ).value,
    );
    // The preStop pause, then the drain, then the exit (about 1 s more) fit the pod's grace,
    // with room to spare.
    const preStopMs = 1000 * Number(runtime!.spec.containers[0].lifecycle.preStop.exec.command[1]);
    expect(preStopMs + grace + 3000).toBeLessThan(
      service!.spec.predictor.terminationGracePeriodSeconds * 1000,
    );
  });

  it('runs only flags and INFER_* variables that `infer serve` has', () => {
    const container = runtime!.spec.containers[0];
    const flags = (container.args as string[]).filter((arg) => arg.startsWith('--'));
    expect(flags.length).toBeGreaterThan(0);
    for (const flag of flags) expect(SERVE_FLAGS, flag).toContain(flag.split('=')[0]);
    for (const name of Object.keys(envOf(container))) {
      if (name !== CORES_VARIABLE) expect(ENV_SETTINGS, name).toHaveProperty(name);
    }
  });

  it("gives the server its CPU limit as INFER_CORES (Node sees the node's cores)", () => {
    const container = runtime!.spec.containers[0];
    const cores = container.env.find((e: { name: string }) => e.name === CORES_VARIABLE);
    expect(cores).toEqual({
      name: 'INFER_CORES',
      valueFrom: {
        resourceFieldRef: { containerName: container.name, resource: 'limits.cpu', divisor: '1' },
      },
    });
    expect(container.resources.limits.cpu).toBeDefined();
  });

  it('serves gRPC on a second port named h2c (TCP), the port --grpc-port gives', () => {
    const container = runtime!.spec.containers[0];
    const [rest, grpc, ...more] = container.ports;
    expect(more).toEqual([]);
    // KServe's raw Service: the first port (REST) on 80, a port named *h2c*/*grpc* on its own
    // number with appProtocol kubernetes.io/h2c.
    expect(rest.containerPort).toBe(container.readinessProbe.httpGet.port);
    expect(grpc).toEqual({ name: 'h2c', containerPort: 8081, protocol: 'TCP' });
    const args = container.args as string[];
    expect(args[args.indexOf('--grpc-port') + 1]).toBe(String(grpc.containerPort));
    expect(runtime!.spec.protocolVersions).toEqual(['v2', 'grpc-v2']);
  });

  it('the gRPC InferenceService asks for grpc-v2 from that runtime, in RawDeployment mode', () => {
    const model = grpcService!.spec.predictor.model;
    expect(model.protocolVersion).toBe('grpc-v2');
    expect(model.runtime).toBe(runtime!.metadata.name);
    // KServe refuses a runtime that does not list the InferenceService's protocolVersion.
    expect(runtime!.spec.protocolVersions).toContain(model.protocolVersion);
    expect(runtime!.spec.supportedModelFormats.map((f: { name: string }) => f.name)).toContain(
      model.modelFormat.name,
    );
    // Knative (Serverless mode) allows one container port; the runtime has two.
    for (const isvc of [service!, grpcService!]) {
      expect(['RawDeployment', 'Standard']).toContain(
        isvc.metadata.annotations['serving.kserve.io/deploymentMode'],
      );
    }
  });

  it('the schemas reject grpc-v2 without an h2c port, and an unknown protocolVersion', () => {
    const noH2c = structuredClone(runtime!);
    noH2c.spec.containers[0].ports = [{ name: 'grpc', containerPort: 8081, protocol: 'TCP' }];
    expect(validateRuntime(noH2c)).toBe(false);
    const restOnly = structuredClone(noH2c);
    restOnly.spec.protocolVersions = ['v2'];
    expect(validateRuntime(restOnly), JSON.stringify(validateRuntime.errors)).toBe(true);
    const v1 = structuredClone(grpcService!);
    v1.spec.predictor.model.protocolVersion = 'grpc-v1';
    expect(validateService(v1)).toBe(false);
  });

  it('the schema takes an env entry with a value or a valueFrom, not both or neither', () => {
    const withEnv = (entry: object) => {
      const copy = structuredClone(runtime!);
      copy.spec.containers[0].env = [entry];
      return validateRuntime(copy);
    };
    expect(withEnv({ name: 'INFER_PORT', value: '8080' })).toBe(true);
    const fromLimit = { resourceFieldRef: { resource: 'limits.cpu', divisor: '1' } };
    expect(withEnv({ name: 'INFER_CORES', valueFrom: fromLimit })).toBe(true);
    expect(withEnv({ name: 'INFER_CORES', value: '2', valueFrom: fromLimit })).toBe(false);
    expect(withEnv({ name: 'INFER_CORES' })).toBe(false);
    expect(
      withEnv({ name: 'INFER_CORES', valueFrom: { resourceFieldRef: { resource: 'cpu' } } }),
    ).toBe(false);
  });
});

describe('deploy/Dockerfile', () => {
  const text = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
  const lines = text.split('\n').filter((line) => !line.trim().startsWith('#'));

  it('is multi-stage and runs `infer serve /models` as a non-root user on port 8080', () => {
    expect(lines.filter((line) => /^FROM\s/.test(line)).length).toBeGreaterThanOrEqual(2);
    const users = lines.filter((line) => /^USER\s/.test(line));
    expect(users.at(-1)).toMatch(/^USER\s+(node|\d{3,})\s*$/);
    expect(text).toContain(
      'ENTRYPOINT ["node", "--initial-old-space-size=128", "/app/node_modules/@infer/core/dist/cli.js"]',
    );
    expect(text).toContain('CMD ["serve", "/models"]');
    expect(text).toMatch(/^EXPOSE 8080 8081$/m);
    expect(text).toMatch(/INFER_PORT=8080/);
    expect(text).toMatch(/INFER_HOST=0\.0\.0\.0/);
  });

  it('turns gRPC on at 8081 (the h2c port of the ServingRuntime) and installs its packages', () => {
    expect(text).toMatch(/INFER_GRPC_ENABLED=true/);
    expect(text).toMatch(/INFER_GRPC_PORT=8081\b/);
    for (const name of ['INFER_GRPC_ENABLED', 'INFER_GRPC_PORT']) {
      expect(ENV_SETTINGS).toHaveProperty(name);
    }
    // core's optional peers for gRPC, pinned in the install stage.
    for (const pkg of [
      '@grpc/grpc-js',
      '@grpc/proto-loader',
      'grpc-health-check',
      '@grpc/reflection',
    ]) {
      expect(text).toMatch(new RegExp(`${pkg.replace('/', '\\/')}@\\d+\\.\\d+\\.\\d+`));
    }
  });

  it('packs the packages the bin needs, and .dockerignore keeps host builds out', () => {
    for (const pkg of ['codecs', 'batching', 'core', 'runtime-onnx']) expect(text).toContain(pkg);
    const ignore = readFileSync(join(DEPLOY, '..', '.dockerignore'), 'utf8');
    expect(ignore).toMatch(/^\*\*\/node_modules$/m);
    expect(ignore).toMatch(/^\*\*\/dist$/m);
  });
});
