import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { readEnvOverrides } from './env-settings';
import { modelSettingsSchema } from './model-settings';
import {
  type ServerSettings,
  type ServerSettingsInput,
  serverSettingsSchema,
} from './server-settings';
import { SettingsError, type SettingsIssue, zodIssues } from './settings-error';

/** The server settings file `loadSettings()` looks for at the top of a directory. */
export const SETTINGS_FILE = 'settings.json';
/** The file of one model's settings, which `loadSettings()` finds anywhere under a directory. */
export const MODEL_SETTINGS_FILE = 'model-settings.json';

/** Model settings after validation, with `uri` made absolute. */
export type ResolvedModelSettings = Omit<z.output<typeof modelSettingsSchema>, '$schema'>;

/** One model's settings and where they came from. */
export interface ModelSettingsEntry {
  settings: ResolvedModelSettings;
  /** The `model-settings.json` path, `INFER_MODELS (env)`, or `'inline'`. */
  source: string;
  /** Directory relative `uri` and `runtime` paths resolve from. */
  baseDir: string;
}

/** What {@link loadSettings} found. */
export interface LoadedSettings {
  server: ServerSettings;
  models: ModelSettingsEntry[];
  /** Absolute model directories: the given directories plus `modelDirs` (repository API roots). */
  modelDirs: string[];
  /** The `settings.json` read, if any. */
  settingsFile: string | undefined;
}

/** Options of {@link loadSettings}. */
export interface LoadSettingsOptions {
  /** Model directories (searched for `model-settings.json`) and `model-settings.json` files. */
  paths?: readonly string[];
  /**
   * `settings.json` to read. Default: `INFER_SETTINGS`, else a `settings.json` at the top of
   * one of `paths` (an error if several have one).
   */
  settingsFile?: string;
  /** Environment for `INFER_*` overrides. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Server settings applied last, over file and env (CLI flags). */
  overrides?: ServerSettingsInput;
  /** What errors call the source of `overrides`. Default `'options'`; the CLI's `'command line'`. */
  overridesOrigin?: string;
  /** Directory relative paths resolve from. Default `process.cwd()`. */
  cwd?: string;
}

/**
 * Loads server settings (`settings.json`, then `INFER_*` env, then `overrides`) and every
 * `model-settings.json` under the given directories and `modelDirs`, plus the `INFER_MODELS`
 * JSON list. Validates everything first and throws one {@link SettingsError} naming each
 * file (or variable), field and reason.
 *
 * @example
 * const { server, models } = await loadSettings({ paths: ['./models'], overrides: { port: 9000 } });
 */
export async function loadSettings(options: LoadSettingsOptions = {}): Promise<LoadedSettings> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const issues: SettingsIssue[] = [];
  const paths = (options.paths ?? []).map((path) => resolve(cwd, path));

  const dirs: string[] = [];
  const files: string[] = [];
  for (const path of paths) {
    if (!existsSync(path)) {
      issues.push({ source: path, field: '', reason: 'no such file or directory' });
    } else if (statSync(path).isDirectory()) {
      dirs.push(path);
    } else {
      files.push(path);
    }
  }

  // Server settings: file < env < overrides; remember which source set each field.
  const settingsFile = findSettingsFile(
    options.settingsFile ?? env.INFER_SETTINGS,
    dirs,
    cwd,
    issues,
  );
  const merged: Record<string, unknown> = {};
  const origins = new Map<string, string>();
  if (settingsFile !== undefined) {
    const json = readJson(settingsFile, issues);
    if (json !== undefined) {
      if (typeof json !== 'object' || json === null || Array.isArray(json)) {
        issues.push({ source: settingsFile, field: '', reason: 'must be a JSON object' });
      } else {
        const copy = { ...(json as Record<string, unknown>) };
        if (Array.isArray(copy.modelDirs)) {
          const base = dirname(settingsFile);
          copy.modelDirs = copy.modelDirs.map((dir) =>
            typeof dir === 'string' ? resolve(base, dir) : dir,
          );
        }
        mergeInto(merged, copy, [], settingsFile, origins);
      }
    }
  }
  const fromEnv = readEnvOverrides(env);
  issues.push(...fromEnv.issues);
  for (const override of fromEnv.overrides) {
    const value =
      override.variable === 'INFER_MODEL_DIRS'
        ? (override.value as string[]).map((dir) => resolve(cwd, dir))
        : override.value;
    setAt(merged, override.path, value);
    origins.set(override.path.join('.'), `${override.variable} (env)`);
  }
  if (options.overrides !== undefined) {
    const origin = options.overridesOrigin ?? 'options';
    mergeInto(merged, options.overrides as Record<string, unknown>, [], origin, origins);
  }
  const sourceOf = (path: readonly PropertyKey[]) => {
    for (let n = path.length; n > 0; n -= 1) {
      const origin = origins.get(path.slice(0, n).map(String).join('.'));
      if (origin !== undefined) return origin;
    }
    return settingsFile ?? 'settings';
  };
  const parsedServer = serverSettingsSchema.safeParse(merged);
  if (!parsedServer.success) issues.push(...zodIssues(parsedServer.error, merged, sourceOf));
  // Each server process has its own repository: a load or unload through the API would
  // change one of them, and readiness would then differ from request to request.
  if (
    parsedServer.success &&
    parsedServer.data.processes > 1 &&
    parsedServer.data.repositoryApi.enabled
  ) {
    issues.push({
      source: sourceOf(['repositoryApi', 'enabled']),
      field: 'repositoryApi.enabled',
      reason: `the repository API changes one server process; it cannot be on with processes ${parsedServer.data.processes} (from ${sourceOf(['processes'])})`,
    });
  }

  // Model settings: given files, every model-settings.json under the dirs, INFER_MODELS.
  const modelDirs = unique([...dirs, ...(parsedServer.success ? parsedServer.data.modelDirs : [])]);
  for (const dir of modelDirs) {
    if (!dirs.includes(dir) && !existsSync(dir)) {
      issues.push({
        source: sourceOf(['modelDirs']),
        field: 'modelDirs',
        reason: `${dir} does not exist`,
      });
      continue;
    }
    files.push(...findModelSettingsFiles(dir));
  }
  const models: ModelSettingsEntry[] = [];
  for (const file of unique(files)) {
    const json = readJson(file, issues);
    if (json === undefined) continue;
    const entry = parseModelSettings(json, { source: file, baseDir: dirname(file) }, issues);
    if (entry !== undefined) models.push(entry);
  }
  const listed = env.INFER_MODELS;
  if (listed !== undefined && listed.trim() !== '') {
    models.push(...parseModelList(listed, cwd, issues));
  }
  checkDuplicates(models, issues);

  if (issues.length > 0 || !parsedServer.success) throw new SettingsError(issues);
  return { server: parsedServer.data, models, modelDirs, settingsFile };
}

/**
 * Validates one model's settings (from a file, env or code) and makes `uri` absolute
 * against `baseDir`; throws a {@link SettingsError} when invalid.
 *
 * @example
 * const entry = parseModelSettings({ name: 'm', runtime: '@infer/runtime-onnx', uri: './m.onnx' }, { baseDir: '/models/m' });
 * entry?.settings.uri; // '/models/m/m.onnx' (`undefined` only when `issues` was given and got them)
 */
export function parseModelSettings(
  json: unknown,
  context: { source?: string; baseDir?: string },
  issues?: SettingsIssue[],
): ModelSettingsEntry | undefined {
  const source = context.source ?? 'model settings';
  const baseDir = resolve(context.baseDir ?? process.cwd());
  const own: SettingsIssue[] = [];
  const parsed = modelSettingsSchema.safeParse(json);
  let entry: ModelSettingsEntry | undefined;
  if (!parsed.success) {
    own.push(...zodIssues(parsed.error, json, () => source));
  } else {
    const { $schema: _schema, ...settings } = parsed.data;
    if (settings.uri !== undefined) {
      settings.uri = settings.uri.startsWith('file:')
        ? fileURLToPath(settings.uri)
        : isAbsolute(settings.uri)
          ? settings.uri
          : resolve(baseDir, settings.uri);
    }
    entry = { settings, source, baseDir };
  }
  if (issues !== undefined) {
    issues.push(...own);
    return entry;
  }
  if (own.length > 0) throw new SettingsError(own);
  return entry;
}

function parseModelList(text: string, cwd: string, issues: SettingsIssue[]): ModelSettingsEntry[] {
  const source = 'INFER_MODELS (env)';
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (error) {
    issues.push({ source, field: '', reason: `invalid JSON: ${(error as Error).message}` });
    return [];
  }
  if (!Array.isArray(list)) {
    issues.push({ source, field: '', reason: 'must be a JSON array of model settings' });
    return [];
  }
  const entries: ModelSettingsEntry[] = [];
  list.forEach((item, index) => {
    const own: SettingsIssue[] = [];
    const entry = parseModelSettings(item, { source, baseDir: cwd }, own);
    for (const issue of own) {
      issues.push({
        ...issue,
        field: issue.field === '' ? `[${index}]` : `[${index}].${issue.field}`,
      });
    }
    if (entry !== undefined) entries.push(entry);
  });
  return entries;
}

function checkDuplicates(models: ModelSettingsEntry[], issues: SettingsIssue[]): void {
  const seen = new Map<string, string>();
  for (const model of models) {
    const key = `${model.settings.name}\u0000${model.settings.version ?? ''}`;
    const first = seen.get(key);
    if (first !== undefined) {
      const label =
        model.settings.version === undefined ? '' : ` version "${model.settings.version}"`;
      issues.push({
        source: model.source,
        field: 'name',
        reason: `model "${model.settings.name}"${label} is also defined in ${first}`,
      });
    } else {
      seen.set(key, model.source);
    }
  }
}

function findSettingsFile(
  explicit: string | undefined,
  dirs: string[],
  cwd: string,
  issues: SettingsIssue[],
): string | undefined {
  if (explicit !== undefined && explicit !== '') {
    const file = resolve(cwd, explicit);
    if (!existsSync(file)) {
      issues.push({ source: file, field: '', reason: 'settings file not found' });
      return undefined;
    }
    return file;
  }
  const found = dirs.map((dir) => join(dir, SETTINGS_FILE)).filter((file) => existsSync(file));
  if (found.length > 1) {
    issues.push({
      source: found.join(', '),
      field: '',
      reason: 'several settings.json found; choose one with --settings',
    });
  }
  return found[0];
}

function readJson(file: string, issues: SettingsIssue[]): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    issues.push({ source: file, field: '', reason: `cannot read: ${(error as Error).message}` });
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    issues.push({ source: file, field: '', reason: `invalid JSON: ${(error as Error).message}` });
    return undefined;
  }
}

/**
 * Every `model-settings.json` under `dir` (sorted), skipping `node_modules` and dot
 * directories, following symlinked directories once.
 *
 * @example
 * findModelSettingsFiles('/models'); // ['/models/a/model-settings.json', '/models/b/model-settings.json']
 */
export function findModelSettingsFiles(dir: string, maxDepth = 8): string[] {
  const found: string[] = [];
  const visited = new Set<string>();
  const walk = (current: string, depth: number) => {
    let real: string;
    try {
      real = realpathSync(current);
    } catch {
      return;
    }
    if (visited.has(real) || depth > maxDepth) return;
    visited.add(real);
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.name === MODEL_SETTINGS_FILE && (entry.isFile() || entry.isSymbolicLink())) {
        found.push(path);
      } else if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) {
        const isDir = entry.isDirectory() || (entry.isSymbolicLink() && safeIsDirectory(path));
        if (isDir) walk(path, depth + 1);
      }
    }
  };
  walk(dir, 0);
  return found.sort();
}

function safeIsDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Keys a merge must not follow: they reach the prototype chain of every object. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function mergeInto(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  path: string[],
  origin: string,
  origins: Map<string, string>,
): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const here = [...path, key];
    if (UNSAFE_KEYS.has(key)) {
      // An own field, never merged into: `target.__proto__` is Object.prototype, and merging
      // into it would pollute every object of the process. Validation reports it unknown.
      Object.defineProperty(target, key, { value, enumerable: true, writable: true });
      origins.set(here.join('.'), origin);
      continue;
    }
    const existing = target[key];
    if (isPlainObject(value) && isPlainObject(existing)) {
      mergeInto(existing, value, here, origin, origins);
    } else {
      target[key] = isPlainObject(value) ? { ...value } : value;
      origins.set(here.join('.'), origin);
    }
  }
}

function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  path.slice(0, -1).forEach((key) => {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  });
  node[path[path.length - 1] as string] = value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
