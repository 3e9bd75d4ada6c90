import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import type { ModelMetadataV1 } from '../spec';
import { CliError } from './cli-error';
import type { CliIO } from './output';
import { buildInputs, preprocessFlag } from './request-builder';

export const BENCH_USAGE = `Usage: infer bench <url> --model M [options]

A load test of one model's infer route with autocannon: a progress line while it runs,
then latency percentiles and throughput. Inputs not given are zeros shaped like the
model's inputs (dynamic dims = 1).

Options:
  --model M          model name (required)
  --version V        model version
  --connections N    concurrent connections (default 32)
  --duration S       seconds to run (default 10)
  --input ...        as for infer predict (name=@image.png, name=@x.json, JSON literal)
  --preprocess P     imagenet | unit | raw (images only; default imagenet)
  --json             print autocannon's full result as JSON
  -h, --help         this help`;

/**
 * `infer bench`: autocannon against `POST /v2/models/{m}/infer` with a fixed body.
 *
 * @internal
 */
export async function benchCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      model: { type: 'string', short: 'm' },
      version: { type: 'string' },
      connections: { type: 'string', short: 'c' },
      duration: { type: 'string', short: 'd' },
      input: { type: 'string', short: 'i', multiple: true },
      preprocess: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }
  const target = positionals[0];
  if (positionals.length !== 1 || target === undefined || !/^https?:\/\//i.test(target)) {
    throw new CliError(`infer bench takes one server URL\n\n${BENCH_USAGE}`, 2);
  }
  if (values.model === undefined) throw new CliError('--model is required', 2);
  const connections = positiveInteger('--connections', values.connections ?? '32');
  const duration = positiveInteger('--duration', values.duration ?? '10');
  const preprocess = preprocessFlag(values.preprocess);
  const base = `${target.replace(/\/+$/, '')}/v2/models/${encodeURIComponent(values.model)}${
    values.version === undefined ? '' : `/versions/${encodeURIComponent(values.version)}`
  }`;

  let metadata: ModelMetadataV1;
  try {
    const response = await fetch(base);
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
    metadata = (await response.json()) as ModelMetadataV1;
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    throw new CliError(`${base}: ${cause ?? (error as Error).message}`);
  }
  const inputs = await buildInputs(values.input ?? [], metadata, {
    cwd: io.cwd,
    preprocess,
  });
  const body = JSON.stringify({ inputs });
  // One request first: a load of requests the server refuses measures nothing.
  const probe = await fetch(`${base}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  }).catch((error: { cause?: { message?: string }; message: string }) => {
    throw new CliError(`${base}/infer: ${error.cause?.message ?? error.message}`);
  });
  if (!probe.ok) {
    const text = await probe.text();
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {}
    throw new CliError(
      `the first request was refused (HTTP ${probe.status}: ${message}); nothing was benchmarked. Fix the request (--input) and run again`,
    );
  }
  io.stderr.write(
    `bench ${base}/infer: ${connections} connections, ${duration} s, body ${body.length} bytes\n`,
  );

  let finish: (result: autocannon.Result) => void = () => {};
  let fail: (error: Error) => void = () => {};
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      url: `${base}/infer`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections,
      duration,
    },
    (error, result) => (error ? fail(error) : finish(result)),
  );
  let seconds = 0;
  let requests = 0;
  instance.on('response', () => {
    requests += 1;
  });
  instance.on('tick', () => {
    seconds = Math.min(duration, seconds + 1);
    const width = 20;
    const filled = Math.min(width, Math.round((seconds / duration) * width));
    io.stderr.write(
      `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${seconds}/${duration} s  ${requests} requests`,
    );
  });
  const stop = () => instance.stop();
  process.once('SIGINT', stop);
  const result = await finished.finally(() => process.off('SIGINT', stop));
  io.stderr.write('\n');

  if (values.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const latency = result.latency;
    const lines = [
      `requests  ${result.requests.total} in ${(result.duration ?? duration).toFixed(1)} s: ${result.requests.average.toFixed(1)} req/s (average)`,
      `latency   p50 ${latency.p50} ms  p90 ${latency.p90} ms  p99 ${latency.p99} ms  max ${latency.max} ms`,
      `errors    ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx responses`,
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
  }
  return result.errors > 0 || result.non2xx > 0 ? 1 : 0;
}

function positiveInteger(flag: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) {
    throw new CliError(`${flag} must be a positive integer (got "${value}")`, 2);
  }
  return number;
}
