import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyFolder } from '../classify.js';

const FINCH = fileURLToPath(new URL('../../../fixtures/finch.jpeg', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../classify-folder.js', import.meta.url));
const FINCH_LABEL = 'house finch, linnet, Carpodacus mexicanus';

let folder: string;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'infer-classify-folder-'));
  for (const name of ['finch-1.jpeg', 'finch-2.JPG', 'finch-3.jpeg', 'finch-4.jpeg']) {
    copyFileSync(FINCH, join(folder, name));
  }
  await sharp({ create: { width: 64, height: 64, channels: 3, background: '#3050c0' } })
    .png()
    .toFile(join(folder, 'blue.png'));
  writeFileSync(join(folder, 'notes.txt'), 'not an image, and not an image extension: skipped');
});
afterAll(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

/** Runs `node classify-folder.js ...args` (the built packages) to completion. */
function runScript(args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('in-process example: classify a folder with predict(), no HTTP', () => {
  it('classifies every image in the folder, in parallel and batched', async () => {
    const progress: number[] = [];
    const { results, batches } = await classifyFolder(folder, {
      onProgress: ({ done, total }) => {
        expect(total).toBe(5);
        progress.push(done);
      },
    });
    expect(results.map((row) => row.file)).toEqual([
      'blue.png',
      'finch-1.jpeg',
      'finch-2.JPG',
      'finch-3.jpeg',
      'finch-4.jpeg',
    ]);
    for (const row of results.slice(1)) {
      expect(row).toMatchObject({ label: FINCH_LABEL, class_index: 12 });
      expect('top' in row && row.top).toHaveLength(5);
    }
    expect(results[0]).not.toHaveProperty('error');
    expect(results[0]).not.toMatchObject({ class_index: 12 });
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    // Five predictions in flight at once: the batcher ran them in fewer batches.
    expect(batches.count).toBeLessThan(5);
    expect(batches.largest).toBeGreaterThan(1);
  });

  it('gives a file that is not an image its own error row and goes on', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'infer-classify-broken-'));
    try {
      copyFileSync(FINCH, join(broken, 'a.jpeg'));
      writeFileSync(join(broken, 'b.png'), 'not a png');
      copyFileSync(FINCH, join(broken, 'c.jpeg'));
      // One at a time: see the skipped test below for the batched case.
      const { results } = await classifyFolder(broken, { concurrency: 1 });
      expect(results[0]).toMatchObject({ file: 'a.jpeg', label: FINCH_LABEL });
      expect(results[1]).toMatchObject({ file: 'b.png', error: expect.stringMatching(/image/) });
      expect(results[2]).toMatchObject({ file: 'c.jpeg', label: FINCH_LABEL });
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('a broken image batched with good ones fails alone', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'infer-classify-broken-'));
    try {
      copyFileSync(FINCH, join(broken, 'a.jpeg'));
      writeFileSync(join(broken, 'b.png'), 'not a png');
      copyFileSync(FINCH, join(broken, 'c.jpeg'));
      const { results } = await classifyFolder(broken, { concurrency: 3 });
      expect(results[0]).toMatchObject({ file: 'a.jpeg', label: FINCH_LABEL });
      expect(results[1]).toHaveProperty('error');
      expect(results[2]).toMatchObject({ file: 'c.jpeg', label: FINCH_LABEL });
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('runs as a script: a table on stdout, the progress bar on stderr', async () => {
    const { code, stdout, stderr } = await runScript([folder]);
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^FILE\s+LABEL\s+PROBABILITY$/);
    const finchLines = lines.filter((line) => line.startsWith('finch-'));
    expect(finchLines).toHaveLength(4);
    for (const line of finchLines) {
      expect(line).toMatch(
        /^finch-\d\.(jpeg|JPG)\s+house finch, linnet, Carpodacus mexicanus\s+0\.9\d+$/,
      );
    }
    expect(lines.some((line) => line.startsWith('blue.png'))).toBe(true);
    expect(stderr).toContain('5/5 100%');
    expect(stderr).toMatch(/5 images in [\d.]+ s .*0 failed/);
  });

  it('prints JSON with --json and exits 2 on a usage error', async () => {
    const json = await runScript([folder, '--json', '--concurrency', '2']);
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as { file: string; label: string }[];
    expect(rows.filter((row) => row.label === FINCH_LABEL)).toHaveLength(4);
    const usage = await runScript([]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage: node classify-folder.js <folder>');
  });
});
