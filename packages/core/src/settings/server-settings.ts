import { z } from 'zod';
import { DEFAULT_GRPC_OPTIONS } from '../grpc/grpc-server-options';
import { MAX_TIMER_MS } from '../grpc/max-timer';

/** Log levels of pino-compatible loggers, plus `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/**
 * Parses a byte size: a number of bytes, or a string like `'64MiB'`, `'10mb'`, `'512kb'`.
 *
 * @example
 * parseByteSize('64MiB'); // 67108864
 */
export function parseByteSize(value: number | string): number | undefined {
  if (typeof value === 'number')
    return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  if (match === null) return undefined;
  const unit = UNITS[(match[2] || 'b').toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

const port = z.number().int().min(0).max(65535);

/**
 * `settings.json`: the server. Every field is optional; defaults in
 * {@link DEFAULT_SERVER_SETTINGS}.
 *
 * @example
 * serverSettingsSchema.parse({ port: 9000, metrics: { path: '/prom' } });
 */
export const serverSettingsSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Interface to listen on. Default `'127.0.0.1'` (`0.0.0.0` in the Docker image). */
  host: z.string().min(1).default('127.0.0.1'),
  /** TCP port; `0` picks a free one. Default `8080`. */
  port: port.default(8080),
  /**
   * Server processes `infer serve` runs, sharing its ports through `node:cluster`; each gets
   * `floor(cores / processes)` cores (`INFER_CORES`) and loads every model. For machines
   * where one process's event loop is the limit (MobileNet on 12 cores: 2 processes served
   * 1.19-1.24x one). `serveFromSettings()` serves in its own process and ignores it.
   * Default `1`.
   */
  processes: z.number().int().min(1).max(256).default(1),
  /** Prometheus metrics. Default `{ enabled: true, path: '/metrics' }` on the main port. */
  metrics: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Path of the scrape endpoint. Default `'/metrics'`. */
      path: z
        .string()
        .regex(/^\/[^?#\s]*$/, 'must be a path starting with "/"')
        .default('/metrics'),
      /** Serve metrics on this separate port instead of the main one. Default: none. */
      port: port.optional(),
    })
    .prefault({}),
  /** Largest request body: bytes, or a string such as `'64MiB'`. Default 64 MiB. */
  bodyLimit: z
    .union([z.number(), z.string()])
    .transform((value, context) => {
      const bytes = parseByteSize(value);
      if (bytes === undefined) {
        context.addIssue({
          code: 'custom',
          message: 'must be a positive number of bytes or a size such as "64MiB" or "10mb"',
        });
        return z.NEVER;
      }
      return bytes;
    })
    .default(64 * 1024 * 1024),
  /** Log level of the CLI's logger. Default `'info'`. */
  logLevel: z.enum(LOG_LEVELS).default('info'),
  /** CORS: allowed origin(s), `true` for any. Default: no CORS headers. */
  cors: z
    .strictObject({
      origin: z.union([z.boolean(), z.string().min(1), z.array(z.string().min(1))]),
    })
    .optional(),
  /**
   * gzip/deflate answers for clients that send `Accept-Encoding` (applied by `serve()`;
   * Express/Fastify apps use their own middleware). Request bodies in gzip or deflate are
   * decoded whatever this says. Default `{ enabled: false, threshold: 1024, level: 6 }`.
   */
  compression: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Smallest answer worth compressing, in bytes. Default `1024`. */
      threshold: z.number().int().nonnegative().default(1024),
      /** zlib level, 1 (fastest) to 9 (smallest). Default `6`. */
      level: z.number().int().min(1).max(9).default(6),
    })
    .prefault({}),
  /** OIP model repository extension (index/load/unload). Default off. */
  repositoryApi: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Bearer token required on repository routes. Default: none (open when enabled). */
      token: z.string().min(16, 'must be at least 16 characters').optional(),
    })
    .prefault({}),
  /**
   * OIP over gRPC beside REST (needs the optional packages `@grpc/grpc-js` and
   * `@grpc/proto-loader`). Default `{ enabled: false, port: 8081, transport: 'h2c',
   * keepaliveTimeMs: 7200000, keepaliveTimeoutMs: 20000 }`.
   */
  grpc: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** gRPC port; `0` picks a free one. Default `8081`. */
      port: port.default(8081),
      /**
       * The HTTP/2 server: `'h2c'` (@infer's own, plaintext) or `'grpc-js'` (Node's `http2`
       * through grpc-js). Default `'h2c'`.
       */
      transport: z.enum(['h2c', 'grpc-js']).default('h2c'),
      /** A connection silent this long gets a keepalive PING, in ms. Default `7200000` (2 h). */
      keepaliveTimeMs: z
        .number()
        .int()
        .min(1)
        .max(MAX_TIMER_MS)
        .default(DEFAULT_GRPC_OPTIONS.keepaliveTimeMs),
      /** A keepalive PING unanswered this long closes its connection, in ms. Default `20000`. */
      keepaliveTimeoutMs: z
        .number()
        .int()
        .min(1)
        .max(MAX_TIMER_MS)
        .default(DEFAULT_GRPC_OPTIONS.keepaliveTimeoutMs),
      /**
       * h2c only: answer bytes that may wait for one connection's flow-control windows before
       * new calls on it are refused (REFUSED_STREAM). Default: `67108864` (64 MiB) on h2c.
       */
      maxQueuedBytes: z.number().int().min(1).optional(),
      /**
       * h2c only: a connection whose client took under 16 KiB of waiting answers in this many
       * ms is closed; `0`: never. Default: `60000` on h2c.
       */
      sendStallMs: z.number().int().min(0).max(MAX_TIMER_MS).optional(),
    })
    .prefault({}),
  /** How long SIGTERM waits for in-flight requests before closing, in ms. Default `10000`. */
  shutdownGraceMs: z.number().int().nonnegative().default(10_000),
  /** Directories searched for `model-settings.json`, relative to this file. Default `[]`. */
  modelDirs: z.array(z.string().min(1)).default([]),
});

/**
 * Server settings as written in `settings.json` (every field optional).
 *
 * @example
 * const settings: ServerSettingsInput = { port: 9000 };
 */
export type ServerSettingsInput = z.input<typeof serverSettingsSchema>;

/**
 * Server settings after validation, with defaults applied (`bodyLimit` in bytes).
 *
 * @example
 * const { port, host } = (await loadSettings({ paths: ['./models'] })).server;
 */
export type ServerSettings = z.output<typeof serverSettingsSchema>;

/**
 * Defaults of every server setting.
 *
 * @example
 * DEFAULT_SERVER_SETTINGS.port; // 8080
 */
export const DEFAULT_SERVER_SETTINGS: ServerSettings = serverSettingsSchema.parse({});
