import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { BadRequestError, InvalidOptionError, ModelNotFoundError } from '../errors';
import type { ServingOptionsV1 } from '../spec';
import { compareVersions } from '../version-order';
import { createModelFromSettings, type ModelFromSettings } from './create-model';
import {
  findModelSettingsFiles,
  type ModelSettingsEntry,
  parseModelSettings,
} from './load-settings';
import { MODEL_NAME_PATTERN, MODEL_NAME_RULE } from './model-settings';
import { SettingsError } from './settings-error';

/** Options of {@link createModelDirectoryLoader}. */
export interface ModelDirectoryLoaderOptions {
  /** The only directories models may be loaded from (absolute or relative to the cwd). */
  dirs: readonly string[];
  /** Directories runtime packages resolve from after each settings file's own. Default `[process.cwd()]`. */
  resolveFrom?: readonly string[];
}

/**
 * Loads models for the repository API by NAME only, from `model-settings.json` files under
 * the configured directories. Request input never becomes a path: names are checked
 * against a strict pattern and looked up in the scanned settings; entries whose file or
 * `uri` resolves (through symlinks) outside their directory are refused.
 */
export interface ModelDirectoryLoader {
  /** The configured directories, absolute. */
  readonly dirs: readonly string[];
  /** Every loadable model found now (a fresh scan each call, so new directories appear). */
  list(): ModelSettingsEntry[];
  /**
   * The settings of the model named `name` (and `version`). Throws `BadRequestError` (400)
   * for a name that could escape, or a model that resolves outside; `ModelNotFoundError` (404).
   */
  find(name: unknown, version?: unknown): ModelSettingsEntry;
  /**
   * `find()` then create the model through its runtime; the result fits the repository
   * API's `loader` (`{ model, options }`, options being the settings' serving knobs).
   */
  load(
    name: unknown,
    version?: unknown,
  ): Promise<ModelFromSettings & { options: ServingOptionsV1 }>;
}

/**
 * Checks a model name (or version) from a request: letters, digits, `_`, `.`, `-`, starting
 * with a letter or digit; refuses `..`, separators, absolute paths, URLs, `%` escapes and
 * null bytes with a `BadRequestError` that says why.
 *
 * @example
 * assertSafeModelName('resnet'); // 'resnet'
 * assertSafeModelName('../etc/passwd'); // throws BadRequestError (400)
 */
export function assertSafeModelName(name: unknown, what = 'model name'): string {
  if (typeof name !== 'string' || name === '')
    throw new BadRequestError(`${what} must be a non-empty string`);
  const refuse = (reason: string) =>
    new BadRequestError(`${what} ${JSON.stringify(name.slice(0, 80))} refused: ${reason}`);
  if (name.includes('\u0000')) throw refuse('contains a null byte');
  if (name.includes('%')) throw refuse('contains percent-encoding');
  if (/^[a-z][a-z0-9+.-]*:/i.test(name)) throw refuse('URLs and drive paths are not accepted');
  if (name.includes('/') || name.includes('\\')) throw refuse('contains a path separator');
  if (name.includes('..')) throw refuse('contains ".."');
  if (isAbsolute(name)) throw refuse('is an absolute path');
  if (!MODEL_NAME_PATTERN.test(name)) {
    throw refuse(MODEL_NAME_RULE);
  }
  return name;
}

/**
 * Creates the loader the repository API uses to load models by name from configured
 * directories (the `repositoryApi.loader` of `InferenceService`).
 *
 * @example
 * const loader = createModelDirectoryLoader({ dirs: ['/models'] });
 * const { model, serving } = await loader.load('resnet');
 */
export function createModelDirectoryLoader(
  options: ModelDirectoryLoaderOptions,
): ModelDirectoryLoader {
  if (typeof options !== 'object' || options === null || !Array.isArray(options.dirs)) {
    throw new InvalidOptionError('options.dirs', 'must be an array of directories');
  }
  const dirs = options.dirs.map((dir, index) => {
    if (typeof dir !== 'string' || dir === '') {
      throw new InvalidOptionError(`options.dirs[${index}]`, 'must be a non-empty path');
    }
    return resolve(dir);
  });
  const resolveFrom = options.resolveFrom;

  interface Scanned {
    entries: ModelSettingsEntry[];
    /** Directory names of settings files that resolve outside their root (symlinks). */
    escaping: Set<string>;
  }

  const scan = (): Scanned => {
    const entries: ModelSettingsEntry[] = [];
    const escaping = new Set<string>();
    for (const root of dirs) {
      const realRoot = realOrUndefined(root);
      if (realRoot === undefined) continue;
      for (const file of findModelSettingsFiles(root)) {
        const realFile = realOrUndefined(file);
        if (realFile === undefined || !inside(realRoot, realFile)) {
          escaping.add(basename(dirname(file)));
          continue;
        }
        let json: unknown;
        try {
          json = JSON.parse(readFileSync(realFile, 'utf8'));
        } catch {
          continue; // a broken file only hides that model; startup validation reports it
        }
        const issues: import('./settings-error').SettingsIssue[] = [];
        const entry = parseModelSettings(json, { source: file, baseDir: dirname(file) }, issues);
        if (entry === undefined) continue;
        // The data files the settings make the server read: the model (`uri` or a
        // `parameters.path`) and its labels. One outside the root refuses the model (through
        // the API it would read a file outside the directories, and an error could quote it).
        // A runtime given by path is code the deployment chose; it may live beside them.
        if (filesOf(entry, dirname(file)).some((path) => !inside(realRoot, realish(path)))) {
          escaping.add(entry.settings.name);
          continue;
        }
        entries.push(entry);
      }
    }
    return { entries, escaping };
  };

  const find = (name: unknown, version?: unknown): ModelSettingsEntry => {
    const safeName = assertSafeModelName(name);
    const safeVersion =
      version === undefined ? undefined : assertSafeModelName(version, 'model version');
    const { entries, escaping } = scan();
    const matches = entries.filter(
      (entry) =>
        entry.settings.name === safeName &&
        (safeVersion === undefined || entry.settings.version === safeVersion),
    );
    if (matches.length === 0) {
      if (escaping.has(safeName)) {
        throw new BadRequestError(
          `model "${safeName}" resolves outside the configured model directories; refused`,
        );
      }
      throw new ModelNotFoundError({ model: safeName, version: safeVersion });
    }
    // Several versions and none asked for: the highest (as the repository's "latest").
    return matches.sort((a, b) => compareVersions(a.settings.version, b.settings.version)).at(-1)!;
  };

  return {
    dirs,
    list: () => scan().entries,
    find,
    async load(name, version) {
      const entry = find(name, version);
      try {
        const created = await createModelFromSettings(
          entry,
          resolveFrom === undefined ? {} : { resolveFrom },
        );
        return { ...created, options: created.serving };
      } catch (error) {
        if (SettingsError.isInstance(error))
          throw new BadRequestError(error.message, { cause: error });
        throw error;
      }
    },
  };
}

function realOrUndefined(path: string): string | undefined {
  try {
    return existsSync(path) ? realpathSync(path) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The data files a model's settings name, as absolute paths: `uri`, the labels file, and a
 * `parameters.path` (TF.js takes its model from there when there is no `uri`).
 */
function filesOf(entry: ModelSettingsEntry, dir: string): string[] {
  const { uri, classifier, parameters } = entry.settings;
  const files: string[] = [];
  if (uri !== undefined) files.push(uri);
  if (typeof classifier?.labels === 'string') files.push(resolve(dir, classifier.labels));
  if (typeof parameters?.path === 'string') files.push(resolve(dir, parameters.path));
  return files;
}

/** The real path of `path`, or of its nearest existing ancestor joined with the rest. */
function realish(path: string): string {
  let head = resolve(path);
  const rest: string[] = [];
  while (!existsSync(head) && dirname(head) !== head) {
    rest.unshift(basename(head));
    head = dirname(head);
  }
  return resolve(realOrUndefined(head) ?? head, ...rest);
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}
