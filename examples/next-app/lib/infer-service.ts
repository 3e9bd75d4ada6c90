import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { InferenceService } from '@infer/core';
import type { NextRouteHandler } from '@infer/core/next';

/**
 * Where the bundled MobileNetV2 lives. The example sits inside the monorepo, so it reads the
 * repository's `models/mobilenet/` (two levels up from the example, which is the working
 * directory of `next dev` / `next start`) instead of copying 3.5 MB into the app.
 * `INFER_MODEL_DIR` points it elsewhere.
 */
export const MODEL_DIR =
  process.env.INFER_MODEL_DIR ?? path.join(process.cwd(), '..', '..', 'models', 'mobilenet');

/** ImageNet preprocessing of MobileNetV2: 224x224 RGB, CHW, scaled to 0..1 then normalised. */
const IMAGE = {
  width: 224,
  height: 224,
  layout: 'CHW',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
} as const;

/** What the route handlers need: the service and its `GET` / `POST` handlers. */
export interface InferApp {
  service: InferenceService;
  handlers: { GET: NextRouteHandler; POST: NextRouteHandler };
}

const KEY = Symbol.for('infer.example.next-app');
const store = globalThis as unknown as Record<symbol, Promise<InferApp> | undefined>;

/**
 * Loads @infer with Node's own `import()`, not through the bundler. In an app that installs
 * @infer from npm, plain `import` statements and `serverExternalPackages` in next.config.ts
 * are enough. Inside this monorepo the @infer packages are pnpm workspace links to
 * `packages/*`, and Next bundles linked packages whatever `serverExternalPackages` says
 * (vercel/next.js#84388), which breaks on the native addons (sharp, onnxruntime-node) they
 * load. The `turbopackIgnore` / `webpackIgnore` comments keep these imports as they are, so
 * Node resolves them from `node_modules/@infer/*` at run time, like any external package.
 */
async function createInferApp(): Promise<InferApp> {
  const [core, next, onnx] = await Promise.all([
    import(/* turbopackIgnore: true */ /* webpackIgnore: true */ '@infer/core'),
    import(/* turbopackIgnore: true */ /* webpackIgnore: true */ '@infer/core/next'),
    import(/* turbopackIgnore: true */ /* webpackIgnore: true */ '@infer/runtime-onnx'),
  ]);
  const labels: string[] = JSON.parse(
    await readFile(/* turbopackIgnore: true */ path.join(MODEL_DIR, 'labels.json'), 'utf8'),
  );
  const model = new onnx.OnnxModel({ name: 'mobilenet', path: path.join(MODEL_DIR, 'model.onnx') });
  const repository = new core.ModelRepository();
  repository.add(new core.ImageClassifier(model, { image: IMAGE, labels, topK: 5 }));
  // A model that fails to load is reported by the service (ready: false, 503 on infer).
  for (const failure of await repository.loadAll()) {
    console.error(`[infer] model ${failure.name} failed to load: ${failure.error.message}`);
  }
  const service = new core.InferenceService({ repository, openapiServerUrl: '/api' });
  return { service, handlers: next.createNextHandlers(service, { prefix: '/api' }) };
}

/**
 * The one inference service of this process, created on the first request (so `next build`
 * never loads the model) and kept on `globalThis`, so `next dev` hot reloads reuse the loaded
 * model instead of opening a new ONNX Runtime session on every edit. A failed start is not
 * kept: the next request tries again.
 */
export function getInferApp(): Promise<InferApp> {
  const existing = store[KEY];
  if (existing) return existing;
  const created = createInferApp();
  store[KEY] = created;
  created.catch(() => {
    if (store[KEY] === created) store[KEY] = undefined;
  });
  return created;
}
