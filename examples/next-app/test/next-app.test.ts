import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type InferClient, textOf } from '@infer/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mobilenetSchema } from '../lib/mobilenet-schema';

// End to end: `next build` (when stale), `next start` on 127.0.0.1, then the OIP routes over
// HTTP and the page in headless Debian Chromium through playwright-core.

const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FINCH = path.resolve(APP_DIR, '..', '..', 'fixtures', 'finch.jpeg');
const FINCH_LABEL = 'house finch, linnet, Carpodacus mexicanus';
const SCREENSHOT = path.join(APP_DIR, 'artifacts', 'screenshot.png');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const NEXT_BIN = createRequire(path.join(APP_DIR, 'package.json')).resolve('next/dist/bin/next');
const ENV = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' };

/** Newest modification time under the app's sources (the inputs of `next build`). */
function newestSourceMtime(): number {
  let newest = 0;
  const visit = (file: string) => {
    const stat = statSync(file);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(file)) visit(path.join(file, entry));
    } else {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const entry of ['app', 'lib', 'next.config.ts', 'tsconfig.json', 'package.json']) {
    const file = path.join(APP_DIR, entry);
    if (existsSync(file)) visit(file);
  }
  return newest;
}

function buildIsFresh(): boolean {
  const buildId = path.join(APP_DIR, '.next', 'BUILD_ID');
  return existsSync(buildId) && statSync(buildId).mtimeMs > newestSourceMtime();
}

/** Runs `next build`, failing with its output when it fails. */
function nextBuild(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NEXT_BIN, 'build'], { cwd: APP_DIR, env: ENV });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`next build exited with ${code}:\n${output.slice(-4000)}`));
    });
  });
}

/** A port nobody listens on right now: listen on port 0, read it, close. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

let server: ChildProcess | undefined;
let serverLog = '';
let baseUrl = '';
/** The OIP client of the app's routes, mounted under /api. */
let client: InferClient;

async function waitForServer(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server?.exitCode !== null) {
      throw new Error(`next start exited with ${server?.exitCode}:\n${serverLog.slice(-4000)}`);
    }
    try {
      if (await client.ready({ timeoutMs: 5_000 })) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`next start was not ready after ${timeoutMs} ms:\n${serverLog.slice(-4000)}`);
}

function stopServer(): Promise<void> {
  const child = server;
  if (!child || child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

describe('examples/next-app', () => {
  beforeAll(async () => {
    if (!buildIsFresh()) await nextBuild();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    client = createClient({ baseUrl: `${baseUrl}/api`, timeoutMs: 30_000 });
    server = spawn(process.execPath, [NEXT_BIN, 'start', '-p', String(port), '-H', '127.0.0.1'], {
      cwd: APP_DIR,
      env: ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (chunk) => {
      serverLog += chunk;
    });
    server.stderr?.on('data', (chunk) => {
      serverLog += chunk;
    });
    // The first API request creates the service and loads the model; it answers once loaded.
    await waitForServer(60_000);
  }, 240_000);

  afterAll(async () => {
    await stopServer();
  }, 15_000);

  it('serves the OIP routes and classifies the finch photo', async () => {
    expect(await client.ready()).toBe(true);
    const mobilenet = client.model('mobilenet', mobilenetSchema);
    expect(await mobilenet.ready()).toBe(true);

    // The same call as the page's: the JPEG's bytes as one BYTES element (binary extension).
    const { id, outputs } = await mobilenet.infer(
      { image: new Uint8Array(readFileSync(FINCH)) },
      { id: 'finch' },
    );
    expect(id).toBe('finch');
    expect(outputs.label.shape).toEqual([1, 5]);
    expect(textOf(outputs.label)[0]).toBe(FINCH_LABEL);
    expect(outputs.probability.data[0]).toBeGreaterThan(0.5);
    expect(outputs.class_index.data[0]).toBe(12);
  }, 60_000);

  // CI installs Debian's chromium with apt; without it only this part is skipped.
  const hasChromium = existsSync(CHROMIUM);
  it.skipIf(!hasChromium)(
    hasChromium
      ? 'shows the label in headless Chromium after an upload'
      : `shows the label in headless Chromium after an upload (skipped: ${CHROMIUM} is absent)`,
    async () => {
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      try {
        const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
        await page.goto(baseUrl);
        await page.getByLabel('Image (JPEG, PNG, WebP, GIF)').setInputFiles(FINCH);
        const first = page.getByTestId('prediction-label').first();
        await first.waitFor({ timeout: 30_000 });
        expect(await first.textContent()).toBe(FINCH_LABEL);
        expect(await page.getByTestId('prediction').count()).toBe(5);
        const bar = page.getByRole('meter', { name: FINCH_LABEL });
        expect(Number(await bar.getAttribute('value'))).toBeGreaterThan(0.5);
        await page.getByTestId('preview').waitFor();
        mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
      } finally {
        await browser.close();
      }
    },
    90_000,
  );
});
