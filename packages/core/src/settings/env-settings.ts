import { delimiter } from 'node:path';
import type { SettingsIssue } from './settings-error';

type Kind = 'string' | 'int' | 'bool' | 'list' | 'origin';

/**
 * Every `INFER_*` variable that overrides a server setting: variable -> field path and kind.
 * `INFER_MODELS` (a JSON list of model settings) and `INFER_SETTINGS` (a settings.json
 * path) are read by `loadSettings()` itself.
 */
export const ENV_SETTINGS: Readonly<Record<string, { path: readonly string[]; kind: Kind }>> = {
  INFER_HOST: { path: ['host'], kind: 'string' },
  INFER_PORT: { path: ['port'], kind: 'int' },
  INFER_PROCESSES: { path: ['processes'], kind: 'int' },
  INFER_LOG_LEVEL: { path: ['logLevel'], kind: 'string' },
  INFER_BODY_LIMIT: { path: ['bodyLimit'], kind: 'string' },
  INFER_METRICS_ENABLED: { path: ['metrics', 'enabled'], kind: 'bool' },
  INFER_METRICS_PATH: { path: ['metrics', 'path'], kind: 'string' },
  INFER_METRICS_PORT: { path: ['metrics', 'port'], kind: 'int' },
  INFER_CORS_ORIGIN: { path: ['cors', 'origin'], kind: 'origin' },
  INFER_COMPRESSION_ENABLED: { path: ['compression', 'enabled'], kind: 'bool' },
  INFER_REPOSITORY_API_ENABLED: { path: ['repositoryApi', 'enabled'], kind: 'bool' },
  INFER_REPOSITORY_API_TOKEN: { path: ['repositoryApi', 'token'], kind: 'string' },
  INFER_GRPC_ENABLED: { path: ['grpc', 'enabled'], kind: 'bool' },
  INFER_GRPC_PORT: { path: ['grpc', 'port'], kind: 'int' },
  INFER_GRPC_TRANSPORT: { path: ['grpc', 'transport'], kind: 'string' },
  INFER_GRPC_KEEPALIVE_TIME_MS: { path: ['grpc', 'keepaliveTimeMs'], kind: 'int' },
  INFER_GRPC_KEEPALIVE_TIMEOUT_MS: { path: ['grpc', 'keepaliveTimeoutMs'], kind: 'int' },
  INFER_GRPC_MAX_QUEUED_BYTES: { path: ['grpc', 'maxQueuedBytes'], kind: 'int' },
  INFER_GRPC_SEND_STALL_MS: { path: ['grpc', 'sendStallMs'], kind: 'int' },
  INFER_SHUTDOWN_GRACE_MS: { path: ['shutdownGraceMs'], kind: 'int' },
  INFER_MODEL_DIRS: { path: ['modelDirs'], kind: 'list' },
};

/**
 * The `INFER_*` variable that sets the server setting at `path`, if any.
 *
 * @internal
 * @example
 * envVariableOf(['grpc', 'sendStallMs']); // 'INFER_GRPC_SEND_STALL_MS'
 */
export function envVariableOf(path: readonly string[]): string | undefined {
  const key = path.join('.');
  return Object.keys(ENV_SETTINGS).find((name) => ENV_SETTINGS[name]!.path.join('.') === key);
}

/** One env override: the field path it sets, its coerced value and the variable's name. */
export interface EnvOverride {
  path: readonly string[];
  value: unknown;
  variable: string;
}

/**
 * Reads the `INFER_*` overrides from `env`, coercing numbers and booleans; a value that
 * cannot be coerced is an issue naming the variable.
 *
 * @internal
 * @example
 * readEnvOverrides({ INFER_PORT: '9000' }); // { overrides: [{ path: ['port'], value: 9000, variable: 'INFER_PORT' }], issues: [] }
 */
export function readEnvOverrides(env: Record<string, string | undefined>): {
  overrides: EnvOverride[];
  issues: SettingsIssue[];
} {
  const overrides: EnvOverride[] = [];
  const issues: SettingsIssue[] = [];
  for (const [variable, { path, kind }] of Object.entries(ENV_SETTINGS)) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    const value = coerce(raw.trim(), kind);
    if (value === undefined) {
      issues.push({
        source: `${variable} (env)`,
        field: path.join('.'),
        reason: `${kind === 'int' ? 'must be an integer' : 'must be true or false'} (got ${JSON.stringify(raw)})`,
      });
      continue;
    }
    overrides.push({ path, value, variable });
  }
  return { overrides, issues };
}

function coerce(raw: string, kind: Kind): unknown {
  switch (kind) {
    case 'int':
      return /^-?\d+$/.test(raw) ? Number(raw) : undefined;
    case 'bool': {
      const lower = raw.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
      if (['0', 'false', 'no', 'off'].includes(lower)) return false;
      return undefined;
    }
    case 'list':
      return raw.split(delimiter).filter((part) => part !== '');
    case 'origin': {
      if (raw === '*' || raw.toLowerCase() === 'true') return true;
      if (raw.toLowerCase() === 'false') return false;
      const origins = raw
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '');
      return origins.length === 1 ? origins[0] : origins;
    }
    default:
      return raw;
  }
}
