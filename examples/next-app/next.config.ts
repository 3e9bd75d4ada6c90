import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const nextConfig: NextConfig = {
  // Loaded by Node at run time, never bundled: native addons (onnxruntime-node, sharp), the
  // @infer packages that load them and what those load dynamically (workers, metrics).
  // For a workspace link this list is not enough (see lib/infer-service.ts).
  serverExternalPackages: [
    'onnxruntime-node',
    'sharp',
    '@infer/core',
    '@infer/runtime-onnx',
    '@infer/codecs',
    'piscina',
    'prom-client',
  ],
  // The pnpm workspace root: the @infer packages are symlinks into ../../packages.
  turbopack: { root },
  outputFileTracingRoot: root,
  poweredByHeader: false,
};

export default nextConfig;
