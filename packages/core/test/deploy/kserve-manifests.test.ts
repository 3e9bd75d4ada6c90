import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

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

function validator(schemaFile: string) {
  const schema = JSON.parse(readFileSync(join(DEPLOY, 'kserve', 'schemas', schemaFile), 'utf8'));
  return new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
}

describe('deploy/kserve', () => {
  const [runtime] = loadYaml('kserve/serving-runtime.yaml');
  const [service] = loadYaml('kserve/inference-service.yaml');
  const validateRuntime = validator('serving-runtime.schema.json');
  const validateService = validator('inference-service.schema.json');

  it('has a ServingRuntime that fits the schema', () => {
    expect(validateRuntime(runtime), JSON.stringify(validateRuntime.errors)).toBe(true);
  });

  it('has an InferenceService that fits the schema', () => {
    expect(validateService(service), JSON.stringify(validateService.errors)).toBe(true);
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
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    expect(Number(env.INFER_PORT)).toBe(port);
    expect(env.INFER_HOST).toBe('0.0.0.0');
    expect(container.args).toEqual(['serve', '/mnt/models']);
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
    expect(grace).toBeLessThan(service!.spec.predictor.terminationGracePeriodSeconds * 1000);
  });
});

describe('deploy/Dockerfile', () => {
  const text = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
  const lines = text.split('\n').filter((line) => !line.trim().startsWith('#'));

  it('is multi-stage and runs `infer serve /models` as a non-root user on port 8080', () => {
    expect(lines.filter((line) => /^FROM\s/.test(line)).length).toBeGreaterThanOrEqual(2);
    const users = lines.filter((line) => /^USER\s/.test(line));
    expect(users.at(-1)).toMatch(/^USER\s+(node|\d{3,})\s*$/);
    expect(text).toContain('ENTRYPOINT ["node", "/app/node_modules/@infer/core/dist/cli.js"]');
    expect(text).toContain('CMD ["serve", "/models"]');
    expect(text).toMatch(/^EXPOSE 8080$/m);
    expect(text).toMatch(/INFER_PORT=8080/);
    expect(text).toMatch(/INFER_HOST=0\.0\.0\.0/);
  });

  it('packs the packages the bin needs, and .dockerignore keeps host builds out', () => {
    for (const pkg of ['codecs', 'batching', 'core', 'runtime-onnx']) expect(text).toContain(pkg);
    const ignore = readFileSync(join(DEPLOY, '..', '.dockerignore'), 'utf8');
    expect(ignore).toMatch(/^\*\*\/node_modules$/m);
    expect(ignore).toMatch(/^\*\*\/dist$/m);
  });
});
