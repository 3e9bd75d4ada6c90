import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeInferenceRequest, encodeTensor } from '@infer/codecs';
import { loadModel } from '../served-model';
import { createModelFromSettings } from '../settings/create-model';
import { loadSettings } from '../settings/load-settings';
import type { ModelMetadataV1 } from '../spec';
import { CliError } from './cli-error';
import type { CliIO } from './output';
import { buildInputs, preprocessFlag } from './request-builder';

export const PREDICT_USAGE = `Usage: infer predict <url | dir | model-settings.json> --model M [--input name=value ...]

A smoke-test client. With a URL it calls a running OIP server (ours or any other);
with a directory it loads the model in-process from its model-settings.json.

Inputs (--input, repeatable; inputs not given are zeros shaped like the model's):
  name=@photo.jpg    an image, decoded to a tensor shaped like the input (NCHW or NHWC,
                     resized; FP32 gets --preprocess, UINT8 the raw pixels)
  name=@x.json       a JSON tensor {"datatype","shape","data"} or a nested array
  name='[[1,2,3]]'   a JSON literal (datatype from the model metadata)
  name=hello         plain text, sent as BYTES

Options:
  --model M          model name (default: the only model of a directory)
  --version V        model version
  --input ...        see above
  --preprocess P     imagenet (default: /255, ImageNet mean/std) | unit (/255) | raw (0..255)
  --labels FILE      JSON array of class names for top-k (default: labels.json next to the model)
  --top K            classes shown for a score vector (default 5)
  --json             print the whole response as JSON
  -h, --help         this help`;

interface Output {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown[];
}

/**
 * `infer predict`: builds a request from flags, sends it (HTTP or in-process), prints the
 * outputs (top-k for score vectors).
 *
 * @internal
 */
export async function predictCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      model: { type: 'string', short: 'm' },
      version: { type: 'string' },
      input: { type: 'string', short: 'i', multiple: true },
      preprocess: { type: 'string' },
      labels: { type: 'string' },
      top: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${PREDICT_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1)
    throw new CliError(`infer predict takes one URL or directory\n\n${PREDICT_USAGE}`, 2);
  const preprocess = preprocessFlag(values.preprocess);
  const top = values.top === undefined ? 5 : Number(values.top);
  if (!Number.isInteger(top) || top <= 0) throw new CliError('--top must be a positive integer', 2);
  const target = positionals[0]!;
  const flags = values.input ?? [];

  let outputs: Output[];
  let response: unknown;
  let labelsDir: string | undefined;
  const started = performance.now();
  if (/^https?:\/\//i.test(target)) {
    if (values.model === undefined) throw new CliError('--model is required with a URL', 2);
    const base = `${target.replace(/\/+$/, '')}/v2/models/${encodeURIComponent(values.model)}${
      values.version === undefined ? '' : `/versions/${encodeURIComponent(values.version)}`
    }`;
    const metadata = (await fetchJson(base, undefined)) as ModelMetadataV1;
    const inputs = await buildInputs(flags, metadata, { cwd: io.cwd, preprocess });
    response = await fetchJson(`${base}/infer`, { inputs });
    outputs = ((response as { outputs?: Output[] }).outputs ?? []) as Output[];
  } else {
    const path = resolve(io.cwd, target);
    if (!existsSync(path)) throw new CliError(`${path}: no such file or directory`);
    const loaded = await loadSettings({ paths: [path], env: {}, cwd: io.cwd });
    const candidates = loaded.models.filter(
      (m) =>
        (values.model === undefined || m.settings.name === values.model) &&
        (values.version === undefined || m.settings.version === values.version),
    );
    if (candidates.length !== 1) {
      const names = loaded.models.map((m) => m.settings.name).join(', ') || 'none';
      throw new CliError(
        candidates.length === 0
          ? `no model ${values.model ?? ''} under ${path} (found: ${names})`
          : `several models under ${path} (${names}); choose one with --model`,
        2,
      );
    }
    const entry = candidates[0]!;
    labelsDir = entry.baseDir;
    const { model, serving } = await createModelFromSettings(entry, { resolveFrom: [io.cwd] });
    const served = await loadModel(model, { ...serving, workers: 0, warmup: false });
    let failed = false;
    try {
      const inputs = await buildInputs(flags, served.metadata(), { cwd: io.cwd, preprocess });
      const result = await served.predict(decodeInferenceRequest({ inputs }));
      outputs = result.outputs.map((tensor) => encodeTensor(tensor) as Output);
      response = { model_name: served.name, outputs };
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      // After a failure (a model that timed out, say) its batch may still be running, and
      // close() would wait for it: the error is reported without waiting.
      if (failed) served.close().catch(() => {});
      else await served.close();
    }
  }
  const elapsed = performance.now() - started;

  if (values.json) {
    io.stdout.write(`${JSON.stringify(response, null, 2)}\n`);
    return 0;
  }
  const labels = readLabels(
    values.labels === undefined ? undefined : resolve(io.cwd, values.labels),
    labelsDir,
  );
  for (const output of outputs) {
    io.stdout.write(`${output.name}  ${output.datatype}  [${output.shape.join(', ')}]\n`);
    const numbers = output.data.every((v) => typeof v === 'number')
      ? (output.data as number[])
      : undefined;
    if (numbers !== undefined && numbers.length > 10) {
      const classes = output.shape.at(-1) ?? numbers.length;
      const row = numbers.slice(0, classes);
      const best = row
        .map((value, index) => ({ value, index }))
        .sort((a, b) => b.value - a.value)
        .slice(0, top);
      for (const { value, index } of best) {
        const label = labels?.[index];
        io.stdout.write(
          `  ${String(index).padStart(5)}  ${value.toFixed(4).padStart(10)}${label ? `  ${label}` : ''}\n`,
        );
      }
      if (output.shape[0] !== undefined && output.shape.length > 1 && output.shape[0] > 1) {
        io.stdout.write(`  (top ${top} of the first of ${output.shape[0]} rows)\n`);
      }
    } else {
      io.stdout.write(`  ${JSON.stringify(output.data).slice(0, 2000)}\n`);
    }
  }
  io.stderr.write(`done in ${elapsed.toFixed(0)} ms\n`);
  return 0;
}

async function fetchJson(url: string, body: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    throw new CliError(`${url}: ${cause ?? (error as Error).message}`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const message = (json as { error?: string } | undefined)?.error ?? text.slice(0, 300);
    throw new CliError(`${url}: HTTP ${response.status}: ${message}`);
  }
  if (json === undefined) throw new CliError(`${url}: the response is not JSON`);
  return json;
}

function readLabels(file: string | undefined, dir: string | undefined): string[] | undefined {
  const path = file ?? (dir === undefined ? undefined : join(dir, 'labels.json'));
  if (path === undefined || !existsSync(path) || !statSync(path).isFile()) {
    if (file !== undefined) throw new CliError(`--labels ${file}: no such file`);
    return undefined;
  }
  try {
    const labels = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return Array.isArray(labels) ? labels.map(String) : undefined;
  } catch {
    throw new CliError(`${path}: not a JSON array of labels`);
  }
}
