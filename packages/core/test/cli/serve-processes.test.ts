import type { Worker } from 'node:cluster';
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClusterMetrics,
  coresPerProcess,
  MAX_CRASHES,
  unevenModels,
} from '../../src/cli/server-processes';
import {
  assertBuilt,
  type CliProcess,
  fixtureRoot,
  startCli,
  writeModelSettings,
} from './cli-process';

let root: string;

/** POSTs `body` on a connection of its own (so the primary hands each to the next process). */
function postOnce(url: string, body: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const INPUT = JSON.stringify({
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [1] }],
});

/** The pid, INFER_PROCESS_INDEX and INFER_CORES of the process that answered. */
async function whoAnswers(url: string): Promise<{ pid: number; index: number; cores: number }> {
  const { status, json } = await postOnce(`${url}/v2/models/pid/infer`, INPUT);
  expect(status).toBe(200);
  const outputs = (json as { outputs: { name: string; data: number[] }[] }).outputs;
  const value = (name: string) => outputs.find((o) => o.name === name)!.data[0]!;
  return { pid: value('pid'), index: value('index'), cores: value('cores') };
}

/** GETs `path` on a connection of its own: status, text and milliseconds taken. */
function getOnce(url: string): Promise<{ status: number; text: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text, ms: performance.now() - started }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** infer_requests_total of the pid model, status 200, in one scrape's text. */
function answered(text: string): number {
  const line = text
    .split('\n')
    .find((l) => l.startsWith('infer_requests_total{model="pid"') && l.includes('"200"'));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** A models directory `root/<dir>` with one pid-runtime model of these parameters. */
function pidModelDir(dir: string, parameters: Record<string, unknown>): string {
  writeModelSettings(root, `${dir}/model`, {
    name: dir,
    runtime: '../../pid-runtime.mjs',
    parameters,
  });
  return join(root, dir);
}

/** The exit code of `cli`, killing it after 30 s. */
async function exitCodeOf(cli: CliProcess): Promise<number | string> {
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), 30_000);
  try {
    return await cli.exited;
  } finally {
    clearTimeout(timer);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(() => {
  assertBuilt();
  root = fixtureRoot('infer-processes-', 'pid-runtime.mjs');
  writeModelSettings(root, 'models/pid', { name: 'pid', runtime: '../../pid-runtime.mjs' });
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('unevenModels', () => {
  it('names the models some processes failed to load and others did not', () => {
    expect(unevenModels([['m'], []])).toEqual(['m: failed in 1 of 2 processes']);
    expect(unevenModels([['a', 'b'], ['b'], ['b']])).toEqual(['a: failed in 1 of 3 processes']);
    expect(unevenModels([['b'], ['b']])).toEqual([]);
    expect(unevenModels([[], []])).toEqual([]);
  });
});

describe('coresPerProcess', () => {
  it('splits the cores evenly, at least one each', () => {
    expect(coresPerProcess(16, 3)).toBe(5);
    expect(coresPerProcess(12, 2)).toBe(6);
    expect(coresPerProcess(2, 4)).toBe(1);
  });
});

describe('infer serve --processes (child processes)', () => {
  let cli: CliProcess;
  let url: string;

  beforeAll(async () => {
    cli = startCli(['serve', join(root, 'models'), '--port', '0', '--processes', '2'], {
      env: { INFER_CORES: '6', INFER_LOG_LEVEL: 'info' },
    });
    url = (await cli.waitFor(/Listening on (http:\/\/\S+)/))[1]!;
    await cli.waitFor(/2 server processes ready/);
  }, 60_000);

  afterAll(async () => {
    if (cli && cli.child.exitCode === null) {
      cli.child.kill('SIGKILL');
      await cli.exited;
    }
  });

  it('prints the banner once, with the cores each process gets', () => {
    const out = cli.stdout();
    expect(out).toMatch(/2 server processes sharing the ports \(node:cluster\), 3 of 6 cores each/);
    expect(out.match(/Listening on /g)).toHaveLength(1);
    expect(out.match(/loading 1 model/g)).toHaveLength(1);
  });

  it('logs JSON lines that say which process wrote them', () => {
    const lines = cli
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { pid?: number; process?: number; msg?: string });
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line.pid, line.msg).toBeGreaterThan(0);
      expect([0, 1]).toContain(line.process);
    }
    expect(new Set(lines.map((line) => line.process))).toEqual(new Set([0, 1]));
  });

  it('answers from both processes on one port, each told its share of the cores', async () => {
    const answers = [];
    for (let i = 0; i < 12; i += 1) answers.push(await whoAnswers(url));
    expect(new Set(answers.map((a) => a.pid)).size).toBe(2);
    expect(new Set(answers.map((a) => a.cores))).toEqual(new Set([3]));
  });

  it('reports the metrics of all processes on any scrape', async () => {
    const count = async () => answered((await getOnce(`${url}/metrics`)).text);
    const before = await count();
    for (let i = 0; i < 10; i += 1) await whoAnswers(url);
    // Each scrape reaches one process; every one reports the sum over both.
    expect(await count()).toBe(before + 10);
    expect(await count()).toBe(before + 10);
  });

  it('answers a scrape while one process is busy, with its last metrics', async () => {
    const before = answered((await getOnce(`${url}/metrics`)).text);
    // One process blocks its event loop for 3 s; two scrapes, one per process.
    const busy = postOnce(
      `${url}/v2/models/pid/infer`,
      JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [-3] }] }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const scrapes = await Promise.all([getOnce(`${url}/metrics`), getOnce(`${url}/metrics`)]);
    await busy;
    const quick = scrapes.filter((scrape) => scrape.ms < 2_500);
    expect(quick.length).toBeGreaterThanOrEqual(1);
    for (const scrape of scrapes) {
      expect(scrape.status).toBe(200);
      expect(answered(scrape.text)).toBeGreaterThanOrEqual(before);
    }
  });

  it('replaces a process that dies, keeps answering, and its counts stay in the sums', async () => {
    // The banner's process goes: its replacement prints no second banner.
    let pid = 0;
    await until(async () => {
      const who = await whoAnswers(url);
      pid = who.pid;
      return who.index === 0;
    });
    const before = answered((await getOnce(`${url}/metrics`)).text);
    process.kill(pid, 'SIGKILL');
    await until(() =>
      cli.stderr().includes(`server process ${pid} exited (SIGKILL); starting another`),
    );
    // The replacement listens: answers come from two live processes again, the dead one not.
    await until(async () => {
      const pids = new Set<number>();
      for (let i = 0; i < 6; i += 1) pids.add((await whoAnswers(url)).pid);
      return pids.size === 2 && !pids.has(pid);
    });
    expect(cli.stdout().match(/Listening on /g)).toHaveLength(1);
    // The dead process's requests still count: the sum never goes down.
    expect(answered((await getOnce(`${url}/metrics`)).text)).toBeGreaterThanOrEqual(before + 6);
  });

  it('replaces a process that drained on a SIGTERM of its own, not counting it a death', async () => {
    for (let i = 0; i < MAX_CRASHES; i += 1) {
      const { pid } = await whoAnswers(url);
      process.kill(pid, 'SIGTERM');
      await until(() => cli.stderr().includes(`server process ${pid} ended (0); starting another`));
      await until(async () => {
        const pids = new Set<number>();
        for (let j = 0; j < 6; j += 1) pids.add((await whoAnswers(url)).pid);
        return pids.size === 2 && !pids.has(pid);
      });
    }
    expect(cli.child.exitCode).toBeNull();
    expect(cli.stderr()).not.toContain('died within');
  });

  it('drains every process on SIGTERM and exits 0 (a repeat within 1 s is the same signal)', async () => {
    const pids = new Set<number>();
    for (let i = 0; i < 6; i += 1) pids.add((await whoAnswers(url)).pid);
    cli.child.kill('SIGTERM');
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(cli.stdout().match(/SIGTERM: draining 2 server processes/g)).toHaveLength(1);
    expect(cli.stdout().match(/drained; bye/g)).toHaveLength(1);
    expect(cli.stdout()).not.toContain('again');
  });
});

describe('infer serve --processes when a process cannot start', () => {
  let blocker: Server;

  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  });

  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it('stops the others and exits 1 when the port is taken', async () => {
    const port = (blocker.address() as { port: number }).port;
    const cli = startCli(
      ['serve', join(root, 'models'), '--port', String(port), '--processes', '2'],
      {
        env: { INFER_LOG_LEVEL: 'warn' },
      },
    );
    expect(await exitCodeOf(cli)).toBe(1);
    expect(cli.stderr()).toMatch(/EADDRINUSE|address already in use/i);
    expect(cli.stderr()).toContain('a server process exited (1) before all 2 were ready; stopping');
  });

  it('stops and exits 1 when the processes keep dying', async () => {
    const cli = startCli(['serve', join(root, 'models'), '--port', '0', '--processes', '2'], {
      env: { INFER_LOG_LEVEL: 'warn' },
    });
    const url = (await cli.waitFor(/Listening on (http:\/\/\S+)/))[1]!;
    await cli.waitFor(/2 server processes ready/);
    const fatal = JSON.stringify({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [-1] }],
    });
    const replaced = () => cli.stderr().match(/exited \(3\); starting another/g)?.length ?? 0;
    try {
      // Each such request ends the process that takes it; the primary replaces four, then
      // stops. One at a time: the other process keeps the port open meanwhile.
      for (let i = 1; i < MAX_CRASHES; i += 1) {
        await postOnce(`${url}/v2/models/pid/infer`, fatal).catch(() => undefined);
        await until(() => replaced() === i);
        // The replacement serves: two live pids answer again.
        await until(async () => {
          const pids = new Set<number>();
          for (let j = 0; j < 6; j += 1) pids.add((await whoAnswers(url)).pid);
          return pids.size === 2;
        });
      }
      await postOnce(`${url}/v2/models/pid/infer`, fatal).catch(() => undefined);
      expect(await cli.exited).toBe(1);
      expect(replaced()).toBe(MAX_CRASHES - 1);
      expect(cli.stderr()).toContain(`${MAX_CRASHES} server processes died within 60 s; stopping`);
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    }
  }, 60_000);

  it('stops and exits 1 when the processes do not load the same models', async () => {
    const dir = pidModelDir('uneven', { failLoadIn: '1' });
    const cli = startCli(['serve', dir, '--port', '0', '--processes', '2'], {
      env: { INFER_LOG_LEVEL: 'silent' },
    });
    expect(await exitCodeOf(cli)).toBe(1);
    expect(cli.stderr()).toContain(
      'the server processes loaded different models (uneven: failed in 1 of 2 processes); stopping',
    );
  });

  it('keeps a replacement that loaded other models than the first processes, and says so', async () => {
    // `transient` fails in the first two processes and loads in their replacements.
    const dir = pidModelDir('transient', { failBelow: '2' });
    writeModelSettings(dir, 'pid', { name: 'pid', runtime: '../../pid-runtime.mjs' });
    const cli = startCli(['serve', dir, '--port', '0', '--processes', '2'], {
      env: { INFER_LOG_LEVEL: 'silent' },
    });
    try {
      const url = (await cli.waitFor(/Listening on (http:\/\/\S+)/))[1]!;
      await cli.waitFor(/2 server processes ready/);
      expect(cli.stdout()).toMatch(/FAILED\s+transient/);
      const { pid } = await whoAnswers(url);
      process.kill(pid, 'SIGKILL');
      await until(() =>
        cli
          .stderr()
          .includes(
            'failed to load [] where the first processes failed to load [transient]; it serves what it loaded',
          ),
      );
      for (let i = 0; i < 6; i += 1) await whoAnswers(url);
      expect(cli.child.exitCode).toBeNull();
      expect(cli.stderr()).not.toContain('stopping');
      cli.child.kill('SIGTERM');
      expect(await exitCodeOf(cli)).toBe(0);
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    }
  });

  it('a signal before the processes are ready stops them: exit 128 + its number', async () => {
    const dir = pidModelDir('slow', { loadDelayMs: 5000 });
    const cli = startCli(['serve', dir, '--port', '0', '--processes', '2']);
    await cli.waitFor(/2 server processes sharing the ports/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    cli.child.kill('SIGTERM');
    expect(await exitCodeOf(cli)).toBe(143);
    expect(cli.stdout()).toContain('SIGTERM: draining 2 server processes');
    expect(cli.stdout()).not.toContain('drained; bye');
    expect(cli.stderr()).not.toContain('were ready; stopping');
  });

  it('rejects --processes 0 with the field named', async () => {
    const cli = startCli(['serve', join(root, 'models'), '--port', '0', '--processes', '0']);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toMatch(/processes/);
  });
});

describe('ClusterMetrics (the primary side)', () => {
  type Asked = { worker: Worker; id: number };

  /** A stand-in for a cluster Worker: records what the primary asks. */
  function fakeWorker(asked: Asked[]): Worker {
    const worker = {
      isConnected: () => true,
      send: (message: { id: number }) => {
        asked.push({ worker, id: message.id });
        return true;
      },
    } as unknown as Worker;
    return worker;
  }

  /** One process's metrics: infer_requests_total = `count`. */
  async function snapshot(count: number) {
    const registry = new Registry();
    new Counter({ name: 'infer_requests_total', help: 'requests', registers: [registry] }).inc(
      count,
    );
    return registry.getMetricsAsJSON();
  }

  const total = (text: string) =>
    Number(/^infer_requests_total (\d+)$/m.exec(text)?.[1] ?? Number.NaN);

  it('sums the processes, keeps a dead one in the sums once, and never goes down', async () => {
    const metrics = new ClusterMetrics();
    const asked: Asked[] = [];
    const [a, b, c] = [fakeWorker(asked), fakeWorker(asked), fakeWorker(asked)];
    const answerAll = async (counts: Map<Worker, number>) => {
      for (const { worker, id } of [...asked]) {
        const count = counts.get(worker);
        if (count !== undefined) {
          asked.splice(
            asked.findIndex((x) => x.id === id),
            1,
          );
          metrics.answer(worker, {
            type: 'infer:cluster-snapshot',
            id,
            metrics: await snapshot(count),
          });
        }
      }
    };

    let scrape = metrics.render([a, b, c]);
    await answerAll(
      new Map([
        [a, 10],
        [b, 5],
        [c, 1],
      ]),
    );
    expect(total(await scrape)).toBe(16);

    // A scrape in flight while `a` dies after answering (b and c not yet): `a` counts once.
    scrape = metrics.render([a, b, c]);
    await answerAll(new Map([[a, 10]]));
    metrics.retire(a);
    await answerAll(
      new Map([
        [b, 6],
        [c, 1],
      ]),
    );
    expect(total(await scrape)).toBe(17);
    // Later scrapes: `a`'s 10 from the retired sums, b and c live.
    scrape = metrics.render([b, c]);
    await answerAll(
      new Map([
        [b, 6],
        [c, 2],
      ]),
    );
    expect(total(await scrape)).toBe(18);
  });

  it('counts a process that answers late with its last answer, then with the late one', async () => {
    const metrics = new ClusterMetrics();
    const asked: Asked[] = [];
    const [a, b] = [fakeWorker(asked), fakeWorker(asked)];
    let scrape = metrics.render([a, b]);
    for (const { worker, id } of asked.splice(0)) {
      const metricsJson = await snapshot(worker === a ? 3 : 4);
      metrics.answer(worker, { type: 'infer:cluster-snapshot', id, metrics: metricsJson });
    }
    expect(total(await scrape)).toBe(7);

    // `b` does not answer within SCRAPE_WAIT_MS: its last answer counts.
    scrape = metrics.render([a, b]);
    const late = asked.splice(0);
    const askA = late.find((x) => x.worker === a)!;
    metrics.answer(a, { type: 'infer:cluster-snapshot', id: askA.id, metrics: await snapshot(5) });
    expect(total(await scrape)).toBe(9);
    // Its late answer is kept for the next scrape, which it misses again.
    const askB = late.find((x) => x.worker === b)!;
    metrics.answer(b, { type: 'infer:cluster-snapshot', id: askB.id, metrics: await snapshot(8) });
    scrape = metrics.render([a, b]);
    const again = asked.splice(0).find((x) => x.worker === a)!;
    metrics.answer(a, { type: 'infer:cluster-snapshot', id: again.id, metrics: await snapshot(5) });
    expect(total(await scrape)).toBe(13);
  }, 10_000);
});
