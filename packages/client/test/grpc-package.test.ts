/**
 * How `@infer/client/grpc` is packaged: the shipped proto is the OIP spec's (byte for byte,
 * with its licence), the generated types match it, the gRPC packages are optional and the
 * main entry never reaches them (a browser bundle must not pull grpc).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GRPC_IMPORTERS, loadGrpcModules } from '../src/grpc/grpc-modules';
import { inferenceProtoPath } from '../src/grpc/index';

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, '..');
const repositoryRoot = join(packageRoot, '..', '..');

describe('the shipped proto', () => {
  it('is byte for byte the OIP spec copy (spec/oip/), with the same LICENSE', () => {
    const spec = join(repositoryRoot, 'spec', 'oip');
    expect(inferenceProtoPath()).toBe(join(packageRoot, 'proto', 'open_inference_grpc.proto'));
    expect(readFileSync(inferenceProtoPath())).toEqual(
      readFileSync(join(spec, 'open_inference_grpc.proto')),
    );
    expect(readFileSync(join(packageRoot, 'proto', 'LICENSE'))).toEqual(
      readFileSync(join(spec, 'LICENSE')),
    );
  });

  it('has generated types identical to the server side (same proto, same generate:grpc flags)', () => {
    const ours = join(packageRoot, 'src', 'grpc', 'generated');
    const core = join(repositoryRoot, 'packages', 'core', 'src', 'grpc', 'generated');
    const files = (dir: string): string[] =>
      readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts'))
        .sort();
    expect(files(ours)).toEqual(files(core));
    for (const file of files(ours)) {
      expect(readFileSync(join(ours, file), 'utf8'), file).toBe(
        readFileSync(join(core, file), 'utf8'),
      );
    }
    const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
    expect(manifest.scripts['generate:grpc']).toContain('--longs=String');
  });
});

describe('optional peers', () => {
  const notFound = (name: string) => () =>
    Promise.reject(
      Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' }),
    );

  it('are declared optional peer dependencies, exported as ./grpc', () => {
    const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
    for (const name of ['@grpc/grpc-js', '@grpc/proto-loader']) {
      expect(manifest.peerDependencies[name]).toBeDefined();
      expect(manifest.peerDependenciesMeta[name]).toEqual({ optional: true });
      expect(manifest.dependencies?.[name]).toBeUndefined();
    }
    expect(manifest.exports['./grpc']).toEqual({
      import: { types: './dist/grpc/index.d.ts', default: './dist/grpc/index.js' },
      require: { types: './dist/grpc/index.d.cts', default: './dist/grpc/index.cjs' },
    });
    expect(manifest.files).toContain('proto');
  });

  it('a missing package is INFER_CLIENT_ERR_INVALID_OPTION naming it and the install command', async () => {
    const error = await loadGrpcModules({
      ...GRPC_IMPORTERS,
      protoLoader: notFound('@grpc/proto-loader'),
    }).then(
      () => undefined,
      (caught: unknown) => caught as Error & { code: string },
    );
    expect(error?.code).toBe('INFER_CLIENT_ERR_INVALID_OPTION');
    expect(error?.message).toContain('@grpc/proto-loader (not installed)');
    expect(error?.message).toContain('npm install @grpc/grpc-js @grpc/proto-loader');
  });

  it('another import failure is not hidden as "not installed"', async () => {
    const broken = () => Promise.reject(new SyntaxError('Unexpected token'));
    await expect(loadGrpcModules({ ...GRPC_IMPORTERS, grpc: broken })).rejects.toThrow(SyntaxError);
  });
});

describe('the main entry', () => {
  /** Every source file the main entry reaches through relative imports, with its imports. */
  function reachable(entry: string): Map<string, string[]> {
    const seen = new Map<string, string[]>();
    const queue = [entry];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      const source = readFileSync(file, 'utf8');
      const specifiers = [
        ...source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g),
        ...source.matchAll(/import\(\s*'([^']+)'\s*\)/g),
      ].map((match) => match[1]!);
      seen.set(file, specifiers);
      for (const specifier of specifiers) {
        if (specifier.startsWith('.')) queue.push(`${resolve(dirname(file), specifier)}.ts`);
      }
    }
    return seen;
  }

  it('reaches no Node built-in, no @grpc package and nothing under src/grpc/', () => {
    const files = reachable(join(packageRoot, 'src', 'index.ts'));
    expect(files.size).toBeGreaterThan(10);
    for (const [file, specifiers] of files) {
      expect(file, file).not.toContain(`${join('src', 'grpc')}`);
      for (const specifier of specifiers) {
        expect(specifier, `${file} imports ${specifier}`).not.toMatch(/^(node:|@grpc\/)/);
        expect(specifier, `${file} imports ${specifier}`).not.toMatch(
          /^(fs|path|url|http2?|net|os|crypto|stream|events|buffer)$/,
        );
      }
    }
    // The check can fail: the gRPC entry does reach grpc-js and Node built-ins.
    const grpcFiles = reachable(join(packageRoot, 'src', 'grpc', 'index.ts'));
    const all = [...grpcFiles.values()].flat();
    expect(all).toContain('@grpc/grpc-js');
    expect(all.some((specifier) => specifier.startsWith('node:'))).toBe(true);
  });
});
