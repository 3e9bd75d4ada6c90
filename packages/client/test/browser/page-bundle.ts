/** Bundles the page's script (page-entry.ts) for the browser against the BUILT client. Node only. */
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

/** packages/client */
export const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));
/** The browser build of the client: what `import '@infer/client'` gives a bundler. */
export const CLIENT_DIST = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

const builtins = new Set(builtinModules);

/** Fails the build on any Node built-in (`node:fs`, `fs`, ...), naming who imports it. */
const noNodeBuiltins: Plugin = {
  name: 'no-node-builtins',
  setup(build) {
    build.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      const bare = args.path.replace(/^node:/, '').split('/')[0]!;
      if (!args.path.startsWith('node:') && !builtins.has(bare)) return undefined;
      return {
        errors: [
          {
            text: `${args.importer} imports "${args.path}": a Node built-in has no place in the browser build`,
          },
        ],
      };
    });
  },
};

/** The page script and the files it was built from (paths relative to packages/client). */
export interface PageBundle {
  code: string;
  inputs: string[];
}

export async function bundlePage(): Promise<PageBundle> {
  if (!existsSync(CLIENT_DIST)) {
    throw new Error(
      `${CLIENT_DIST} is missing: build the client first (pnpm build; npm test does it)`,
    );
  }
  const result = await build({
    absWorkingDir: PACKAGE_DIR,
    entryPoints: ['test/browser/page-entry.ts'],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    // What an app's bundler does with the package: its "import" export, the built dist.
    alias: { '@infer/client': './dist/index.js' },
    plugins: [noNodeBuiltins],
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error('esbuild wrote no output');
  return { code: output.text, inputs: Object.keys(result.metafile.inputs) };
}
