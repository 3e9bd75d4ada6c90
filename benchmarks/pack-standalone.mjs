/**
 * Packs what the serving benches need into one folder that runs on a Linux x64 machine with
 * no registry and no pnpm: the built packages (`pnpm build` first), `benchmarks/`,
 * `fixtures/`, the bundled MobileNet, and a flat `node_modules` copied from this workspace
 * (the closure of `tsx`, `autocannon`, `onnxruntime-node` with its linux-x64 binaries only,
 * and `sharp`). With `--with-wrk`, the machine's `wrk` and its LuaJIT go in `bin/` and `lib/`.
 * The device runs of stop 31 (docs/benchmarks.md) used this layout, carried as
 * `tar -cJf pack.tar.xz -C <dir> pack` beside `xz -c $(which node)`.
 *
 * Run on Linux x64 (the binaries copied are this machine's): `node
 * benchmarks/pack-standalone.mjs <dir> [--with-wrk]`, then on the other machine, from
 * `<dir>/pack`: `PATH=$PWD/bin:$PATH LD_LIBRARY_PATH=$PWD/lib node --import tsx
 * benchmarks/serving-floor.bench.ts`. Runs from the pack: `serving-floor`, `mobilenet-soak`,
 * `onnx-spinning`, `batching-policy`. Not: benches that need Express, Fastify, gRPC, TF.js,
 * OCR models or the test fixtures (`serving`, `probes-under-load`, `runtime-onnx`, `grpc*`,
 * ...), whose packages are left out. wrk also needs the target's libssl3.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = ['codecs', 'batching', 'core', 'runtime-onnx'];
/** Packages a MobileNet bench never loads (and the largest ones). */
const SKIP = new Set(['@types/node', 'typescript']);

/** The installed copy of `name` that `fromDir` resolves (walking up its node_modules). */
function findPackage(fromDir, name) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

/** Leaves out onnxruntime-node's binaries for other platforms (over 200 MB). */
function keep(source) {
  return !/onnxruntime-node\/bin\/napi-v\d+\/(darwin|win32|linux\/arm64)/.test(source);
}

function pack(out, withWrk) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `packs this machine's binaries for linux-x64, not ${process.platform}-${process.arch}`,
    );
  }
  const dir = join(out, 'pack');
  rmSync(dir, { recursive: true, force: true });
  const modules = join(dir, 'node_modules');
  /** name -> the real directory placed at the top level */
  const placed = new Map();
  const queue = [];
  const place = (name, real, into) => {
    cpSync(real, join(into, name), { recursive: true, dereference: true, filter: keep });
    queue.push({ real, target: join(into, name) });
  };
  const add = (name, fromDir, dependent) => {
    if (SKIP.has(name)) return;
    const real = findPackage(fromDir, name);
    if (real === undefined || placed.get(name) === real) return;
    if (!placed.has(name)) {
      placed.set(name, real);
      place(name, real, modules);
    } else if (!existsSync(join(dependent, 'node_modules', name))) {
      place(name, real, join(dependent, 'node_modules')); // another version: nested
    }
  };
  for (const name of PACKAGES) {
    const source = join(ROOT, 'packages', name);
    if (!existsSync(join(source, 'dist'))) throw new Error(`packages/${name}/dist: run pnpm build`);
    const target = join(modules, '@infer', name);
    mkdirSync(target, { recursive: true });
    cpSync(join(source, 'package.json'), join(target, 'package.json'));
    cpSync(join(source, 'dist'), join(target, 'dist'), { recursive: true });
    placed.set(`@infer/${name}`, source);
    queue.push({ real: source, target });
  }
  add('tsx', ROOT, dir);
  add('autocannon', ROOT, dir);
  add('onnxruntime-node', join(ROOT, 'packages', 'runtime-onnx'), dir);
  add('sharp', join(ROOT, 'packages', 'codecs'), dir);
  while (queue.length > 0) {
    const { real, target } = queue.shift();
    const manifest = JSON.parse(readFileSync(join(real, 'package.json'), 'utf8'));
    const needs = { ...manifest.dependencies, ...manifest.optionalDependencies };
    for (const name of Object.keys(needs)) add(name, real, target);
  }
  // esbuild's install script copies its binary into esbuild/bin too; tsx uses the package's.
  rmSync(join(modules, 'esbuild', 'bin', 'esbuild'), { force: true });
  for (const item of ['benchmarks', 'fixtures', join('models', 'mobilenet'), 'package.json']) {
    cpSync(join(ROOT, item), join(dir, item), {
      recursive: true,
      filter: (source) => !source.includes(`${join('benchmarks', 'results')}/`),
    });
  }
  mkdirSync(join(dir, 'benchmarks', 'results'), { recursive: true });
  if (withWrk) {
    const wrk = execFileSync('which', ['wrk'], { encoding: 'utf8' }).trim();
    mkdirSync(join(dir, 'bin'), { recursive: true });
    mkdirSync(join(dir, 'lib'), { recursive: true });
    cpSync(wrk, join(dir, 'bin', 'wrk'));
    const luajit = /libluajit[^ ]* => (\S+)/.exec(execFileSync('ldd', [wrk], { encoding: 'utf8' }));
    if (luajit?.[1] !== undefined)
      cpSync(realpathSync(luajit[1]), join(dir, 'lib', 'libluajit-5.1.so.2'));
  }
  writeFileSync(join(dir, 'PACKED.txt'), `packed from ${ROOT} at ${new Date().toISOString()}\n`);
  console.log(`packed ${placed.size} packages into ${dir}`);
}

const [out] = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
if (out === undefined) {
  console.error('usage: node benchmarks/pack-standalone.mjs <dir> [--with-wrk]');
  process.exit(2);
}
pack(resolve(out), process.argv.includes('--with-wrk'));
