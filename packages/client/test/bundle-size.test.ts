import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

/** The part of esbuild's metafile read here. */
interface Metafile {
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
}

/** The part of esbuild's `build` used here (with `write: false` and `metafile: true`). */
type Build = (options: Record<string, unknown>) => Promise<{
  outputFiles: Array<{ contents: Uint8Array }>;
  metafile: Metafile;
}>;

// esbuild comes with tsup (a root devDependency, the tool that builds every package), so the
// test bundles with the same esbuild the build uses and needs no dependency of its own.
const requireFromTsup = createRequire(createRequire(import.meta.url).resolve('tsup'));
const { build } = requireFromTsup('esbuild') as { build: Build };

// What a user's bundler sees: the PUBLISHED packages (`dist/`, resolved through
// node_modules and package.json `exports` / `sideEffects`), not the TypeScript sources.
// Needs `pnpm build` first (`pnpm test` builds; for vitest alone run `pnpm build`).
const clientDist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const codecsDist = fileURLToPath(new URL('../../codecs/dist/index.js', import.meta.url));
const resolveDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * Issue 11's goal: an app's browser bundle under 10 kB min+gz, read strictly as 10,000 bytes.
 * The app below measures 9,982 B (README, "Bundle size"), the review fixes of 2026-11-27
 * included: they cost about 300 B, paid for by smaller code elsewhere. Growth has to be paid
 * for the same way, not by moving the limit.
 */
const LIMIT = 10_000;
/** The whole entry, every export kept (the code generator too): a regression guard. */
const WHOLE_ENTRY_LIMIT = 10.5 * 1024;

interface Bundle {
  minified: number;
  gzipped: number;
  inputs: string[];
}

/** Bundles `source` for the browser as an app would (esbuild, minified ESM) and gzips it. */
async function bundle(source: string): Promise<Bundle> {
  const result = await build({
    stdin: { contents: source, resolveDir, sourcefile: 'app.js', loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return {
    minified: code.byteLength,
    gzipped: gzipSync(code).byteLength,
    inputs: inputsOf(result.metafile),
  };
}

function inputsOf(metafile: Metafile): string[] {
  return Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => path),
  );
}

const built = existsSync(clientDist) && existsSync(codecsDist);

describe('browser bundle of @infer/client against the built packages', () => {
  it('the packages are built (run `pnpm build` first)', () => {
    expect(built, `${clientDist} or ${codecsDist} is missing: run pnpm build`).toBe(true);
  });

  it.runIf(built)(
    'an app that creates a client and runs infer stays under 10 kB (10,000 B) min+gz, without zod',
    async () => {
      const app = await bundle(`
        import { createClient, defineSchema, InferClientError, textOf } from ${JSON.stringify(clientDist)};
        const schema = defineSchema({ inputs: { x: { datatype: 'FP32' } }, outputs: { y: { datatype: 'BYTES' } } });
        const client = createClient({ baseUrl: '/ml', retry: true });
        client.model('m', schema).infer({ x: new Float32Array(4) }).then(
          (result) => console.log(textOf(result.outputs.y)),
          (error) => console.log(InferClientError.isInstance(error) && error.code),
        );
      `);
      console.log(
        `@infer/client app bundle: ${app.minified} B minified, ${app.gzipped} B gzipped (limit ${LIMIT})`,
      );
      // The zod schemas of @infer/codecs are not used by the client: their module, and zod,
      // must be dropped (a single-file codecs dist kept them: ~104 kB gzipped).
      expect(app.inputs.filter((path) => /zod|schemas\.|sharp|decode-image/.test(path))).toEqual(
        [],
      );
      expect(app.inputs.some((path) => path.includes('codecs/dist'))).toBe(true);
      expect(app.gzipped).toBeLessThanOrEqual(LIMIT);
    },
  );

  it.runIf(built)('the whole entry (every export kept) has no zod either', async () => {
    const entry = await bundle(`export * from ${JSON.stringify(clientDist)};`);
    console.log(
      `@infer/client whole entry: ${entry.minified} B minified, ${entry.gzipped} B gzipped`,
    );
    expect(entry.inputs.filter((path) => /zod|schemas\./.test(path))).toEqual([]);
    // Every export kept adds the code generator (schemaToTypeScript, ~0.28 kB gzipped) and the
    // CLIENT_ERROR_CODES list to the app above.
    expect(entry.gzipped).toBeLessThanOrEqual(WHOLE_ENTRY_LIMIT);
  });
});
