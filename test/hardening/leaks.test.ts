/**
 * Leaks: a soak of a few thousand requests against serve() (the echo model, then the real
 * MobileNet for a few hundred, in two halves of continuous load), run in a child process with
 * `--expose-gc` (see soak.ts) so the heap is measured after full collections. After the soak:
 * the heap is flat (no growth between the thirds of the echo soak, < 10% over the warm-up
 * overall), every tensor the model received has been collected, requests under load keep no
 * finished request's buffers reachable, RSS stays bounded and plateaus, and the active handles
 * are back to what they were before the server started.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers';

const ECHO_REQUESTS = 2400;
const MOBILENET_REQUESTS = 640;

interface Memory {
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
}

interface SoakReport {
  echoRequests: number;
  mobilenetRequests: number;
  seconds: number;
  echoSeconds: number;
  warm: Memory;
  echoSamples: number[];
  afterEcho: Memory;
  /** After one full GC late in each MobileNet half, with requests in flight. */
  underLoad: Memory[];
  afterMobilenetHalf: Memory;
  afterMobilenet: Memory;
  tensorsCreated: number;
  liveTensors: number;
  handlesBefore: Record<string, number>;
  handlesServing: Record<string, number>;
  handlesAfter: Record<string, number>;
}

function soak(): Promise<SoakReport> {
  const script = join(ROOT, 'test', 'hardening', 'soak.ts');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', script, String(ECHO_REQUESTS), String(MOBILENET_REQUESTS)],
      { cwd: ROOT, timeout: 150_000, maxBuffer: 4 * 2 ** 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`soak failed: ${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as SoakReport);
      },
    );
  });
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const growth = (from: number, to: number) => (to - from) / from;

describe('a soak of thousands of requests', () => {
  it('leaves the heap flat, no live tensors, RSS bounded, handles back to baseline', async () => {
    const report = await soak();
    const [first, , last] = report.echoSamples as [number, number, number];
    console.info(
      `leaks: ${report.echoRequests} echo + ${report.mobilenetRequests} MobileNet requests in ` +
        `${report.seconds.toFixed(1)} s; heap after warm-up ${mib(report.warm.heapUsed)} MiB, ` +
        `echo thirds ${report.echoSamples.map(mib).join(' / ')} MiB, after MobileNet ` +
        `${mib(report.afterMobilenet.heapUsed)} MiB; RSS ${mib(report.warm.rss)} -> ` +
        `${mib(report.afterEcho.rss)} -> ${mib(report.afterMobilenetHalf.rss)} -> ` +
        `${mib(report.afterMobilenet.rss)} MiB; under MobileNet load after GC: arrayBuffers ` +
        `${report.underLoad.map((m) => mib(m.arrayBuffers)).join(' / ')} MiB; ` +
        `live tensors ${report.liveTensors}/${report.tensorsCreated}; ` +
        `handles ${JSON.stringify(report.handlesBefore)} -> ${JSON.stringify(report.handlesAfter)}`,
    );
    expect(report.echoRequests).toBeGreaterThanOrEqual(ECHO_REQUESTS);
    expect(report.mobilenetRequests).toBeGreaterThanOrEqual(MOBILENET_REQUESTS);
    // Every input tensor the model saw was garbage collected.
    expect(report.tensorsCreated).toBeGreaterThan(ECHO_REQUESTS * 3);
    expect(report.liveTensors).toBeLessThanOrEqual(3);
    // Heap: flat across the echo soak, and within 10% of the warm heap at the end.
    expect(growth(first, last)).toBeLessThan(0.05);
    expect(growth(report.warm.heapUsed, report.afterMobilenet.heapUsed)).toBeLessThan(0.1);
    // Under continuous MobileNet load, only the requests in flight and the few settled ones
    // awaiting the batcher's next list compaction stay reachable: 4-48 MiB measured. Issue 8:
    // the batcher kept every settled request (0.6-0.9 MiB of ArrayBuffers each) until the load
    // stopped: 143-304 MiB here in 5 of the 6 probes measured (the sixth fell just after a
    // moment with nothing in flight; the RSS bound below caught that run too).
    expect(report.underLoad).toHaveLength(2);
    for (const sample of report.underLoad) expect(sample.arrayBuffers).toBeLessThan(96 * 2 ** 20);
    // RSS (after GC, idle): +29 to +117 MiB over the warm process after 640 MobileNet
    // requests (ORT's arena for batches up to 4, malloc keeping freed pages). That is one step,
    // in the first half or in the second: over 11 runs on 2026-11-27 the larger half grew +21
    // to +97 MiB and the smaller -70 to +26. A leak grows in both halves: issue 8's was
    // +152 MiB after 320 requests and +203 after 640.
    expect(report.afterMobilenet.rss - report.warm.rss).toBeLessThan(128 * 2 ** 20);
    const halves = [
      report.afterMobilenetHalf.rss - report.afterEcho.rss,
      report.afterMobilenet.rss - report.afterMobilenetHalf.rss,
    ];
    expect(Math.min(...halves)).toBeLessThan(48 * 2 ** 20);
    // Handles: only the listening socket while serving, none left after close().
    expect(report.handlesServing).toEqual({
      ...report.handlesBefore,
      TCPServerWrap: (report.handlesBefore.TCPServerWrap ?? 0) + 1,
    });
    expect(report.handlesAfter).toEqual(report.handlesBefore);
  }, 180_000);
});
