import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RuntimeNotFoundError, UnsupportedSpecVersionError } from './errors';
import type { RuntimePluginV1 } from './spec';

/** Options of {@link loadRuntime}. */
export interface LoadRuntimeOptions {
  /**
   * Directories a package name resolves from, tried in order (like `node_modules` lookup
   * from a file in each). Relative paths (`./my-runtime.mjs`) resolve from the first one.
   * Default: `[process.cwd()]`; @infer/core's own location is always tried last.
   */
  from?: readonly string[];
}

/** A runtime that was resolved and imported: the plugin and the file it came from. */
export interface LoadedRuntime {
  plugin: RuntimePluginV1;
  /** Absolute path of the module file that was imported. */
  file: string;
}

/**
 * Where this module lives (ESM or CJS build), so runtimes installed next to core resolve.
 *
 * @internal
 */
export const SELF_DIR = dirname(
  typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url),
);

/** Each module file is imported (and validated) once per process. */
const imported = new Map<string, Promise<RuntimePluginV1>>();

const CONDITIONS = ['node', 'import', 'module-sync', 'default'];

/**
 * Resolves a runtime plugin by package name (`@infer/runtime-onnx`, `infer-runtime-foo`,
 * `pkg/subpath`) or path (`./runtime.mjs`, absolute, `file:` URL), imports it once, and
 * checks it is a `RuntimePluginV1`. Package names are tried from each directory of
 * `options.from`, then from @infer/core's own location; when none works, one
 * `RuntimeNotFoundError` lists every candidate and why it failed.
 *
 * @example
 * const { plugin } = await loadRuntime('@infer/runtime-onnx', { from: [settingsDir, process.cwd()] });
 * const model = await plugin.create({ name: 'resnet', uri: '/models/resnet/model.onnx' });
 */
export async function loadRuntime(
  specifier: string,
  options: LoadRuntimeOptions = {},
): Promise<LoadedRuntime> {
  if (typeof specifier !== 'string' || specifier.trim() === '') {
    throw new RuntimeNotFoundError({
      runtime: String(specifier),
      tried: [{ name: String(specifier), reason: 'the runtime must be a non-empty string' }],
    });
  }
  const bases = unique([...(options.from ?? [process.cwd()]), SELF_DIR].map((d) => resolve(d)));
  const tried: { name: string; reason: string }[] = [];
  let unsupported: unknown;

  for (const candidate of candidatesOf(specifier, bases)) {
    let file: string;
    try {
      file = candidate.resolve();
    } catch (error) {
      tried.push({ name: candidate.label, reason: messageOf(error) });
      continue;
    }
    try {
      const plugin = await importPlugin(file);
      return { plugin, file };
    } catch (error) {
      if (UnsupportedSpecVersionError.isInstance(error)) unsupported = error;
      tried.push({ name: `${candidate.label} -> ${file}`, reason: messageOf(error) });
    }
  }
  // Found but of an unknown contract version: say that, not "not found".
  if (unsupported !== undefined) throw unsupported;
  throw new RuntimeNotFoundError({ runtime: specifier, tried });
}

interface Candidate {
  label: string;
  resolve(): string;
}

function candidatesOf(specifier: string, bases: string[]): Candidate[] {
  if (specifier.startsWith('file:')) {
    return [{ label: specifier, resolve: () => resolveFile(fileURLToPath(specifier)) }];
  }
  if (isPathLike(specifier)) {
    const base = bases[0] ?? process.cwd();
    const path = isAbsolute(specifier) ? specifier : resolve(base, specifier);
    return [{ label: path, resolve: () => resolveFile(path) }];
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier) && !specifier.startsWith('@')) {
    return [
      {
        label: specifier,
        resolve: () => {
          throw new Error('URLs are not loaded; use a package name or a local path');
        },
      },
    ];
  }
  return bases.map((base) => ({
    label: `${specifier} from ${base}`,
    resolve: () => resolvePackage(specifier, base),
  }));
}

function isPathLike(specifier: string): boolean {
  return (
    specifier.startsWith('./') ||
    specifier.startsWith('../') ||
    specifier === '.' ||
    specifier === '..' ||
    isAbsolute(specifier)
  );
}

/** A file, or a directory holding a package (its `exports`/`main`) or an `index.js`. */
function resolveFile(path: string): string {
  if (!existsSync(path)) throw new Error('no such file or directory');
  if (!statSync(path).isDirectory()) return path;
  if (existsSync(join(path, 'package.json'))) return resolvePackageEntry(path, '.');
  for (const index of ['index.js', 'index.mjs', 'index.cjs']) {
    if (existsSync(join(path, index))) return join(path, index);
  }
  throw new Error('a directory without package.json or index.js');
}

/** Node's lookup of `name` in `node_modules` of `base` and its ancestors, with ESM conditions. */
function resolvePackage(specifier: string, base: string): string {
  const parts = specifier.split('/');
  const nameLength = specifier.startsWith('@') ? 2 : 1;
  const name = parts.slice(0, nameLength).join('/');
  const subpath = parts.length > nameLength ? `./${parts.slice(nameLength).join('/')}` : '.';
  if (name === '' || (nameLength === 2 && parts.length < 2)) {
    throw new Error('not a valid package name');
  }
  for (let dir = base; ; dir = dirname(dir)) {
    const pkgDir = join(dir, 'node_modules', name);
    if (existsSync(join(pkgDir, 'package.json'))) return resolvePackageEntry(pkgDir, subpath);
    if (dirname(dir) === dir) break;
  }
  // Last resort: CommonJS resolution (covers NODE_PATH and Yarn PnP style setups).
  try {
    return createRequire(join(base, 'noop.js')).resolve(specifier);
  } catch {
    throw new Error('not installed (no node_modules/' + name + ' here or above)');
  }
}

function resolvePackageEntry(pkgDir: string, subpath: string): string {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
    exports?: unknown;
    main?: string;
    module?: string;
  };
  if (pkg.exports !== undefined && pkg.exports !== null) {
    const target = exportTarget(pkg.exports, subpath);
    if (target === undefined) {
      throw new Error(`package.json "exports" of ${pkgDir} has no "${subpath}" for import`);
    }
    return resolveFile(resolve(pkgDir, target));
  }
  if (subpath !== '.') return resolveFile(resolve(pkgDir, subpath));
  return resolveFile(resolve(pkgDir, pkg.main ?? 'index.js'));
}

function exportTarget(exports: unknown, subpath: string): string | undefined {
  const isSubpathMap =
    typeof exports === 'object' &&
    exports !== null &&
    !Array.isArray(exports) &&
    Object.keys(exports).some((key) => key.startsWith('.'));
  const map = (isSubpathMap ? exports : { '.': exports }) as Record<string, unknown>;
  if (Object.hasOwn(map, subpath)) return conditionTarget(map[subpath]);
  for (const [key, value] of Object.entries(map)) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const prefix = key.slice(0, star);
    const suffix = key.slice(star + 1);
    if (
      subpath.startsWith(prefix) &&
      subpath.endsWith(suffix) &&
      subpath.length >= key.length - 1
    ) {
      const match = subpath.slice(prefix.length, subpath.length - suffix.length);
      return conditionTarget(value)?.replaceAll('*', match);
    }
  }
  return undefined;
}

function conditionTarget(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const item of target) {
      const found = conditionTarget(item);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof target === 'object' && target !== null) {
    for (const [condition, value] of Object.entries(target)) {
      if (!CONDITIONS.includes(condition)) continue;
      const found = conditionTarget(value);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function importPlugin(file: string): Promise<RuntimePluginV1> {
  let pending = imported.get(file);
  if (pending === undefined) {
    pending = import(pathToFileURL(file).href).then((module: unknown) => pluginOf(module));
    imported.set(file, pending);
  }
  return pending;
}

/** The plugin among the module's default export, a CJS double default, or the namespace. */
function pluginOf(module: unknown): RuntimePluginV1 {
  const namespace = module as { default?: { default?: unknown } };
  const candidates = [namespace.default, namespace.default?.default, module];
  for (const candidate of candidates) {
    if (typeof candidate !== 'object' && typeof candidate !== 'function') continue;
    if (candidate === null) continue;
    const version = (candidate as { specificationVersion?: unknown }).specificationVersion;
    if (version === undefined) continue;
    if (version !== 'v1') {
      throw new UnsupportedSpecVersionError({ specificationVersion: version, what: 'runtime' });
    }
    const plugin = candidate as Partial<RuntimePluginV1>;
    if (typeof plugin.create !== 'function') throw new Error('its plugin has no create() function');
    if (typeof plugin.name !== 'string') throw new Error('its plugin has no string name');
    return plugin as RuntimePluginV1;
  }
  throw new Error(
    'its default export is not a runtime plugin ({ specificationVersion: "v1", name, create })',
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/**
 * Resolves a runtime module to an absolute file path the way {@link loadRuntime} does
 * (package `exports` with ESM conditions, then core's own location), without importing it:
 * the worker pool resolves in the main thread and imports in each worker.
 *
 * @example
 * const file = resolveRuntimeFile('@infer/runtime-onnx', { from: [process.cwd()] });
 */
export function resolveRuntimeFile(specifier: string, options: LoadRuntimeOptions = {}): string {
  const bases = unique([...(options.from ?? [process.cwd()]), SELF_DIR].map((d) => resolve(d)));
  const tried: { name: string; reason: string }[] = [];
  for (const candidate of candidatesOf(specifier, bases)) {
    try {
      return candidate.resolve();
    } catch (error) {
      tried.push({ name: candidate.label, reason: messageOf(error) });
    }
  }
  throw new RuntimeNotFoundError({ runtime: specifier, tried });
}
