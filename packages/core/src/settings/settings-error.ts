import type { z } from 'zod';
import { InvalidSettingsError } from '../errors';

/** One problem in a settings source: where, which field, why. */
export interface SettingsIssue {
  /** The file (absolute path), env variable (`INFER_PORT (env)`) or CLI flag at fault. */
  source: string;
  /** Dotted field path, e.g. `batching.maxBatchSize` or `modelDirs[0]`; `''` for the whole. */
  field: string;
  /** Why, in words, with the offending value when short. */
  reason: string;
}

/**
 * Settings that failed validation: every issue with its source (file or env variable), its
 * field path and the reason. Code `INFER_ERR_INVALID_SETTINGS`; the CLI prints `message`
 * (one line per issue), never a stack.
 *
 * @example
 * try { await loadSettings({ paths: ['./models'] }); }
 * catch (e) { if (SettingsError.isInstance(e)) for (const i of e.issues) console.error(i.source, i.field, i.reason); }
 */
export class SettingsError extends InvalidSettingsError {
  readonly issues: readonly SettingsIssue[];

  constructor(issues: readonly SettingsIssue[], options: { cause?: unknown } = {}) {
    const first = issues[0] ?? { source: 'settings', field: '', reason: 'invalid settings' };
    super({
      file: first.source,
      ...(first.field === '' ? {} : { field: first.field }),
      reason: first.reason,
      ...options,
    });
    this.name = 'SettingsError';
    this.issues = issues;
    this.message = issues.map(formatIssue).join('\n');
  }
}

function formatIssue(issue: SettingsIssue): string {
  return issue.field === ''
    ? `${issue.source}: ${issue.reason}`
    : `${issue.source}: ${issue.field}: ${issue.reason}`;
}

/**
 * `a.b[0].c` from a zod path.
 *
 * @internal
 * @example
 * fieldPath(['models', 0, 'name']); // 'models[0].name'
 */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * Readable issues from a zod error: unknown keys become one issue per key, unions say
 * what each branch expected, and the offending value is shown when short.
 *
 * @internal
 * @example
 * zodIssues(error, input, () => '/srv/model-settings.json');
 */
export function zodIssues(
  error: z.ZodError,
  input: unknown,
  sourceOf: (path: readonly PropertyKey[]) => string,
  prefix: readonly PropertyKey[] = [],
): SettingsIssue[] {
  const issues: SettingsIssue[] = [];
  collect(error.issues, [], input, prefix, sourceOf, issues);
  return issues;
}

type ZodIssue = z.core.$ZodIssue;

function collect(
  list: readonly ZodIssue[],
  base: readonly PropertyKey[],
  input: unknown,
  prefix: readonly PropertyKey[],
  sourceOf: (path: readonly PropertyKey[]) => string,
  issues: SettingsIssue[],
): void {
  for (const issue of list) {
    const inputPath = [...base, ...issue.path];
    const path = [...prefix, ...inputPath];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        issues.push({
          source: sourceOf(keyPath),
          field: fieldPath(keyPath),
          reason: 'unknown field',
        });
      }
      continue;
    }
    if (issue.code === 'invalid_union') {
      // A branch whose issues go deeper than the value itself is the one the author meant
      // (e.g. the object form of `batching`): report its issues instead of "invalid input".
      const deeper = issue.errors.find((branch) =>
        branch.some(
          (inner) =>
            inner.path.length > 0 ||
            inner.code === 'unrecognized_keys' ||
            inner.code === 'invalid_union',
        ),
      );
      if (deeper !== undefined) {
        collect(deeper, inputPath, input, prefix, sourceOf, issues);
        continue;
      }
    }
    const value = valueAt(input, inputPath);
    let reason = issue.message;
    if (issue.code === 'invalid_union') {
      reason = `must be ${[...new Set(issue.errors.flat().map(expectation))].join(' or ')}`;
    } else if (issue.code === 'invalid_type' && value === undefined) {
      reason = 'required';
    } else if (issue.code === 'invalid_type' || issue.code === 'invalid_value') {
      reason = `must be ${expectation(issue)}`;
    }
    // A secret (the repository API's token) is never echoed, valid or not: errors go to logs.
    const secret = SECRET_FIELDS.has(String(path.at(-1)));
    const shown = reason === 'required' ? undefined : secret ? '[hidden]' : show(value);
    issues.push({
      source: sourceOf(path),
      field: fieldPath(path),
      reason: shown === undefined ? reason : `${reason} (got ${shown})`,
    });
  }
}

/** Fields whose value an error must not show. */
const SECRET_FIELDS = new Set(['token']);

function expectation(issue: ZodIssue): string {
  if (issue.code === 'invalid_type') {
    return issue.expected === 'record' ? 'an object' : `a ${issue.expected}`;
  }
  if (issue.code === 'invalid_value') {
    return issue.values.map((value) => JSON.stringify(value)).join(' or ');
  }
  return issue.message;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function show(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  return text !== undefined && text.length <= 60 ? text : undefined;
}
