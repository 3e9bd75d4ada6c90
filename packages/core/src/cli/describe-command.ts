import { existsSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createModelFromSettings } from '../settings/create-model';
import { MODEL_SETTINGS_FILE } from '../settings/load-settings';
import { MODEL_NAME_PATTERN, MODEL_NAME_RULE } from '../settings/model-settings';
import type { TensorMetadata } from '../spec';
import { CliError } from './cli-error';
import { type CliIO, formatTable, shellQuote } from './output';

export const DESCRIBE_USAGE = `Usage: infer describe <model file> [options]

Loads a model file with the runtime that matches it (.onnx -> @infer/runtime-onnx,
model.json -> @infer/runtime-tfjs), prints its inputs and outputs, and writes a starter
model-settings.json next to it (never over an existing one).

Options:
  --runtime PKG      runtime package or path (default: from the file extension)
  --name NAME        model name in the starter settings (default: the directory name)
  --write / --no-write   write the starter model-settings.json (default --write)
  --json             print the metadata as JSON
  --ts               print a defineSchema(...) literal for @infer/client typed models
  -h, --help         this help`;

/** The runtime package for a model file, from its name. */
export function runtimeForFile(file: string): string | undefined {
  if (extname(file).toLowerCase() === '.onnx') return '@infer/runtime-onnx';
  if (basename(file) === 'model.json' || extname(file).toLowerCase() === '.json')
    return '@infer/runtime-tfjs';
  return undefined;
}

/**
 * `infer describe`: prints a model file's inputs/outputs and writes a starter settings file.
 *
 * @internal
 */
export async function describeCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      runtime: { type: 'string' },
      name: { type: 'string' },
      write: { type: 'boolean' },
      'no-write': { type: 'boolean' },
      json: { type: 'boolean' },
      ts: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${DESCRIBE_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1)
    throw new CliError(`infer describe takes one model file\n\n${DESCRIBE_USAGE}`, 2);
  const file = resolve(io.cwd, positionals[0]!);
  if (!existsSync(file)) throw new CliError(`${file}: no such file`);
  const runtime = values.runtime ?? runtimeForFile(file);
  if (runtime === undefined) {
    throw new CliError(`${file}: no runtime known for this file type; pass --runtime <package>`, 2);
  }
  // A name `infer serve` would refuse is refused before anything is loaded or written.
  if (values.name !== undefined && !MODEL_NAME_PATTERN.test(values.name)) {
    throw new CliError(`--name ${MODEL_NAME_RULE} (got ${JSON.stringify(values.name)})`, 2);
  }
  const dir = dirname(file);
  const name =
    values.name ?? safeName(basename(dir)) ?? safeName(basename(file, extname(file))) ?? 'model';
  const { model } = await createModelFromSettings(
    { settings: { name, runtime, uri: file }, source: file, baseDir: dir },
    { resolveFrom: [io.cwd] },
  );
  await model.load();
  try {
    const metadata = model.metadata();
    if (values.json) {
      io.stdout.write(`${JSON.stringify(metadata, null, 2)}\n`);
    } else if (values.ts) {
      io.stdout.write(schemaSource(metadata, name));
    } else {
      io.stdout.write(`${name} (${runtime}, platform ${metadata.platform})\n\n`);
      const rows = [
        ...metadata.inputs.map((t) => ['input', t.name, t.datatype, `[${t.shape.join(', ')}]`]),
        ...metadata.outputs.map((t) => ['output', t.name, t.datatype, `[${t.shape.join(', ')}]`]),
      ];
      io.stdout.write(`${formatTable(['', 'NAME', 'DATATYPE', 'SHAPE'], rows)}\n`);
      io.stdout.write('\n-1 marks a dynamic dimension.\n');
    }
  } finally {
    await model.unload();
  }
  if (values['no-write'] !== true) {
    const target = resolve(dir, MODEL_SETTINGS_FILE);
    if (existsSync(target)) {
      io.stderr.write(`${target} exists; left as it is\n`);
    } else {
      const uri = `./${relative(dir, file).split('\\').join('/')}`;
      writeFileSync(target, `${JSON.stringify({ name, runtime, uri }, null, 2)}\n`);
      io.stderr.write(
        `wrote ${target}; serve it with: infer serve ${shellQuote(relative(io.cwd, dir) || '.')}\n`,
      );
    }
  }
  return 0;
}

function safeName(candidate: string): string | undefined {
  const cleaned = candidate
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128);
  return cleaned === '' ? undefined : cleaned;
}

/**
 * A `defineSchema(...)` literal for `@infer/client` typed models (what `--ts` prints); the
 * same text as the client's `schemaToTypeScript()`, written here because core does not
 * depend on the client.
 */
export function schemaSource(
  metadata: { inputs: TensorMetadata[]; outputs: TensorMetadata[] },
  name: string,
): string {
  const side = (tensors: TensorMetadata[]) =>
    tensors.length === 0
      ? '{}'
      : `{\n${tensors
          .map((t) => {
            const key = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(t.name) ? t.name : JSON.stringify(t.name);
            return `    ${key}: { datatype: '${t.datatype}', shape: [${t.shape.join(', ')}] },`;
          })
          .join('\n')}\n  }`;
  const constName = `${name.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase()).replace(/^[^A-Za-z_$]+/, '') || 'model'}Schema`;
  return [
    "import { defineSchema } from '@infer/client';",
    '',
    `export const ${constName} = defineSchema({`,
    `  inputs: ${side(metadata.inputs)},`,
    `  outputs: ${side(metadata.outputs)},`,
    '} as const);',
    '',
  ].join('\n');
}
