import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createMetrics } from '../metrics/create-metrics';
import { modelLabel } from '../model-repository';
import { REPEATED_SIGNAL_MS } from '../serve';
import { MAX_WORKERS } from '../serving-options';
import { loadSettings } from '../settings/load-settings';
import { type ServedModelInfo, serveFromSettings } from '../settings/serve-from-settings';
import type { ServerSettingsInput } from '../settings/server-settings';
import type { ServingOptionsV1 } from '../spec';
import { VERSION } from '../version';
import { CliError } from './cli-error';
import { createConsoleLogger } from './console-logger';
import { type CliIO, formatDuration, formatTable, shellQuote } from './output';
import { zerosInput } from './request-builder';
import {
  clusterMetrics,
  isServerProcess,
  PROCESS_INDEX_VARIABLE,
  reportServerProcessReady,
  runServerProcesses,
} from './server-processes';

export const SERVE_USAGE = `Usage: infer serve [dir | model-settings.json ...] [options]

Finds every model-settings.json under the directories (and settings.json at the top of
one), loads each model through its runtime package, and serves the Open Inference
Protocol over HTTP until SIGTERM/SIGINT (then drains and exits 0).

Options:
  --port N           TCP port (default 8080; INFER_PORT)
  --host H           interface (default 127.0.0.1; INFER_HOST)
  --grpc-port N      also serve OIP over gRPC on port N (in env: INFER_GRPC_ENABLED=true and
                     INFER_GRPC_PORT=N; needs @grpc/grpc-js and @grpc/proto-loader installed)
  --settings FILE    settings.json to read (default: one at the top of a directory)
  --log-level L      fatal|error|warn|info|debug|trace|silent (default info; logs go to stderr)
  --workers N        worker threads per model, over each model's own setting
  --processes N      server processes sharing the ports (node:cluster), each told it may
                     use floor(cores / N) cores (default 1; INFER_PROCESSES)
  -h, --help         this help`;

/**
 * `infer serve`: loads settings and models, prints a progress line per model, a table and
 * a ready-to-paste curl command, then serves until SIGTERM/SIGINT, draining gracefully.
 * Resolves with the exit code once the server has closed.
 *
 * @internal
 */
export async function serveCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'grpc-port': { type: 'string' },
      settings: { type: 'string' },
      'log-level': { type: 'string' },
      workers: { type: 'string' },
      processes: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  const overrides: ServerSettingsInput = {};
  if (values.port !== undefined) overrides.port = integerFlag('--port', values.port);
  if (values.host !== undefined) overrides.host = values.host;
  if (values['grpc-port'] !== undefined) {
    overrides.grpc = { enabled: true, port: integerFlag('--grpc-port', values['grpc-port']) };
  }
  if (values.processes !== undefined) {
    overrides.processes = integerFlag('--processes', values.processes);
  }
  if (values['log-level'] !== undefined) {
    overrides.logLevel = values['log-level'] as NonNullable<ServerSettingsInput['logLevel']>;
  }
  const serving: ServingOptionsV1 = {};
  if (values.workers !== undefined) {
    serving.workers = integerFlag('--workers', values.workers);
    if (serving.workers > MAX_WORKERS) {
      throw new CliError(`--workers must be at most ${MAX_WORKERS} (got ${serving.workers})`, 2);
    }
  }

  const paths = positionals.length > 0 ? positionals : [];
  const loaded = await loadSettings({
    paths,
    ...(values.settings === undefined ? {} : { settingsFile: values.settings }),
    env: io.env,
    cwd: io.cwd,
    overrides,
    overridesOrigin: 'command line',
  });
  const serverProcess = isServerProcess(io.env);
  if (loaded.server.processes > 1 && !serverProcess) {
    return runServerProcesses(loaded.server.processes, args, io, loaded.server.shutdownGraceMs);
  }
  // Of several server processes, each log line says which one wrote it.
  const logger = createConsoleLogger(
    loaded.server.logLevel,
    io.stderr,
    serverProcess ? { pid: process.pid, process: Number(io.env[PROCESS_INDEX_VARIABLE]) } : {},
  );
  // Of several server processes, the first prints the banner.
  const quiet = serverProcess && io.env[PROCESS_INDEX_VARIABLE] !== '0';
  const out = quiet ? () => {} : (line = '') => io.stdout.write(`${line}\n`);
  const total = loaded.models.length;
  out(
    `infer ${VERSION}: ${total === 0 ? 'no models found' : `loading ${total} model${total === 1 ? '' : 's'}`}`,
  );
  if (total === 0) {
    const where =
      paths.length > 0
        ? `no model-settings.json under ${paths.join(', ')}`
        : 'no model directory given (infer serve DIR), and no modelDirs or INFER_MODELS';
    out(`  (${where}; serving an empty repository)`);
  }
  const server = await serveFromSettings({
    loaded,
    cwd: io.cwd,
    logger,
    serving,
    ...(serverProcess && loaded.server.metrics.enabled
      ? { metrics: clusterMetrics(createMetrics({ defaultMetrics: true })) }
      : {}),
    onModel(event) {
      const label = modelLabel(event.name, event.version);
      const step = `[${event.index + 1}/${event.total}]`;
      if (event.phase === 'loading') out(`${step} loading ${label} (${event.runtime})`);
      else if (event.phase === 'ready')
        out(`${step} ready   ${label} in ${formatDuration(event.durationMs ?? 0)}`);
      else out(`${step} FAILED  ${label}: ${event.error?.message ?? 'unknown error'}`);
    },
  }).finally(() => {
    // Listening (which under node:cluster waits on the primary's channel) is done, or failed:
    // from here the channel must not keep a drained or failed server process alive.
    if (serverProcess) process.channel?.unref();
  });

  const models = server.models();
  out();
  if (models.length > 0) {
    out(
      formatTable(
        ['NAME', 'VERSION', 'RUNTIME', 'PLATFORM', 'STATE', 'URL'],
        models.map((m) => [m.name, m.version ?? '-', m.runtime, m.platform || '-', m.state, m.url]),
      ),
    );
    out();
  }
  out(`Listening on ${server.url}`);
  if (server.grpc !== undefined)
    out(`  gRPC     ${server.grpc.address} (inference.GRPCInferenceService)`);
  out(`  ready    ${server.url}/v2/health/ready`);
  out(`  docs     ${server.url}/v2/docs`);
  if (server.metricsUrl !== undefined) out(`  metrics  ${server.metricsUrl}`);
  if (loaded.server.repositoryApi.enabled) {
    out(
      `  repository API on ${server.url}/v2/repository/index${loaded.server.repositoryApi.token ? ' (bearer token)' : ''}`,
    );
  }
  const example = models.find((m) => m.state === 'READY');
  if (example !== undefined) {
    out();
    out('Try:');
    out(`  ${curlCommand(server, example)}`);
  }
  out('Press Ctrl+C to stop.');

  // Of several server processes, the primary reports the stop.
  const say = serverProcess ? () => {} : out;
  return new Promise<number>((resolve) => {
    let stopping = false;
    let stoppedAt = 0;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        // The same signal delivered twice at once (see REPEATED_SIGNAL_MS).
        if (performance.now() - stoppedAt < REPEATED_SIGNAL_MS) return;
        say(`${signal} again: closing connections now`);
        server.server.closeAllConnections();
        return;
      }
      stopping = true;
      stoppedAt = performance.now();
      say(
        `${signal}: draining (readiness is false; in-flight requests finish, up to ${loaded.server.shutdownGraceMs} ms)`,
      );
      server.close().then(
        () => {
          say('drained; bye');
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          resolve(0);
        },
        (error: unknown) => {
          io.stderr.write(`infer: shutdown failed: ${(error as Error).message}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    // Ready once it drains on a signal: the primary may signal it at once.
    if (serverProcess) {
      reportServerProcessReady(
        models.filter((m) => m.state !== 'READY').map((m) => modelLabel(m.name, m.version)),
      );
    }
  });
}

function integerFlag(flag: string, value: string): number {
  if (!/^\d+$/.test(value))
    throw new CliError(`${flag} must be a non-negative integer (got "${value}")`, 2);
  return Number(value);
}

/** The picture the quick start's curl sends, when run from the repository root. */
const EXAMPLE_IMAGE = 'fixtures/finch.jpeg';

/**
 * A ready-to-paste curl command for one model: a real image for image models (BYTES input
 * with `content_type: img`), else zeros shaped like its inputs.
 */
function curlCommand(
  server: {
    repository: {
      metadata(name: string, version?: string): { inputs: import('../spec').TensorMetadata[] };
    };
  },
  model: ServedModelInfo,
): string {
  const declared = server.repository.metadata(model.name, model.version).inputs;
  const url = `${model.url}/infer`;
  const image = declared.find(
    (input) => input.datatype === 'BYTES' && input.parameters?.content_type === 'img',
  );
  if (image && declared.length === 1) {
    // An image model: send a real picture, base64 in a BYTES element.
    const file = existsSync(EXAMPLE_IMAGE) ? EXAMPLE_IMAGE : 'your-image.jpg';
    const body = `{"inputs":[{"name":"${image.name}","datatype":"BYTES","shape":[1],"data":["'"$(base64 < ${file} | tr -d '\\n')"'"]}]}`;
    return `curl -s -X POST ${shellQuote(url)} -H 'content-type: application/json' -d '${body}'`;
  }
  const inputs = declared.map(zerosInput);
  const count = inputs.reduce((sum, input) => sum + input.data.length, 0);
  if (count <= 64) {
    const body = JSON.stringify({ inputs });
    return `curl -s -X POST ${shellQuote(url)} -H 'content-type: application/json' -d ${shellQuote(body)}`;
  }
  // Too large to paste as a literal: let node generate the zeros.
  const generator = `process.stdout.write(JSON.stringify({inputs:${JSON.stringify(
    inputs.map(({ data, ...rest }) => rest),
  )}.map(i=>({...i,data:new Array(i.shape.reduce((a,b)=>a*b,1)).fill(${JSON.stringify(
    inputs[0]?.datatype === 'BYTES' ? '' : 0,
  )})}))}))`;
  return `node -e ${shellQuote(generator)} | curl -s -X POST ${shellQuote(url)} -H 'content-type: application/json' --data-binary @-`;
}
