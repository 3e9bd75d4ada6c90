import { InferError } from '../errors';
import { VERSION } from '../version';
import { BENCH_USAGE, benchCommand } from './bench-command';
import { CliError } from './cli-error';
import { DESCRIBE_USAGE, describeCommand } from './describe-command';
import type { CliIO } from './output';
import { PREDICT_USAGE, predictCommand } from './predict-command';
import { SERVE_USAGE, serveCommand } from './serve-command';

export const USAGE = `infer ${VERSION}: serve ML models over the Open Inference Protocol

Usage: infer <command> [options]

Commands:
  serve [dir | model-settings.json ...]   serve models (see infer serve --help)
  describe <model file>                    print inputs/outputs, write a starter model-settings.json
  predict <url | dir> --model M --input name=@file.png|json   one request, print the outputs
  bench <url> --model M                    load test with autocannon

Settings: settings.json and model-settings.json files, INFER_* environment variables
(INFER_PORT, INFER_HOST, INFER_LOG_LEVEL, INFER_MODELS='[{"name":..,"runtime":..}]', ...).
Set INFER_DEBUG=1 to print stack traces of errors.`;

const COMMANDS: Record<
  string,
  { run: (args: string[], io: CliIO) => Promise<number>; usage: string }
> = {
  serve: { run: serveCommand, usage: SERVE_USAGE },
  describe: { run: describeCommand, usage: DESCRIBE_USAGE },
  predict: { run: predictCommand, usage: PREDICT_USAGE },
  bench: { run: benchCommand, usage: BENCH_USAGE },
};

/**
 * Runs the `infer` CLI with `argv` (without `node` and the script) and resolves with the
 * exit code. Errors are printed as their message alone: settings errors name the file,
 * field and reason; nothing prints a stack unless `INFER_DEBUG=1`.
 *
 * @example
 * process.exitCode = await runCli(['serve', './models', '--port', '8080']);
 */
export async function runCli(argv: readonly string[], io: Partial<CliIO> = {}): Promise<number> {
  const full: CliIO = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
  };
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    full.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    full.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS[command];
  if (entry === undefined) {
    full.stderr.write(`infer: unknown command "${command}"\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await entry.run(rest, full);
  } catch (error) {
    return report(error, command, full);
  }
}

function report(error: unknown, command: string, io: CliIO): number {
  const debug = io.env.INFER_DEBUG === '1' || io.env.INFER_DEBUG === 'true';
  const code = (error as { code?: unknown })?.code;
  let message: string;
  let exitCode = 1;
  if (error instanceof CliError) {
    message = error.message;
    exitCode = error.exitCode;
  } else if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    // node:util parseArgs: unknown option, missing value.
    message = `${(error as Error).message}\n\n${COMMANDS[command]?.usage ?? USAGE}`;
    exitCode = 2;
  } else if (InferError.isInstance(error)) {
    message =
      code === 'INFER_ERR_INVALID_SETTINGS'
        ? `invalid settings:\n${indent((error as Error).message)}`
        : `${(error as Error).message} [${String(code)}]`;
  } else {
    message = error instanceof Error ? error.message : String(error);
  }
  io.stderr.write(`infer ${command}: ${message}\n`);
  if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  return exitCode;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
