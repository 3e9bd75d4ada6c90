/**
 * `infer serve` runs under `--initial-old-space-size=128` (src/cli/heap-flag.ts): started
 * without it, it starts Node once more with it and passes signals on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { relaunchArguments, SERVE_NODE_FLAG } from '../../src/cli/heap-flag';
import { assertBuilt, startCli } from './cli-process';

describe('relaunchArguments', () => {
  it('relaunches `serve` with the flag, keeping node options and arguments', () => {
    expect(
      relaunchArguments(['serve', './m', '--port', '0'], ['--enable-source-maps'], {}, '/x/cli.js'),
    ).toEqual([
      '--enable-source-maps',
      SERVE_NODE_FLAG,
      '/x/cli.js',
      'serve',
      './m',
      '--port',
      '0',
    ]);
    expect(SERVE_NODE_FLAG).toBe('--initial-old-space-size=128');
  });

  it('runs as it is: other commands, help, a flag given, a debugger, Windows, the relaunched one, INFER_NODE_FLAG=0', () => {
    const script = '/x/cli.js';
    const as = (argv: string[], execArgv: string[] = [], env = {}, platform = 'linux') =>
      relaunchArguments(argv, execArgv, env, script, platform as NodeJS.Platform);
    expect(as(['describe', 'm.onnx'])).toBeUndefined();
    expect(as(['serve', '--help'])).toBeUndefined();
    expect(as(['serve'], ['--initial-old-space-size=512'])).toBeUndefined();
    expect(as(['serve'], ['--inspect=127.0.0.1:0'])).toBeUndefined();
    expect(as(['serve'], ['--inspect-brk'])).toBeUndefined();
    // The same in NODE_OPTIONS: the launcher would hold the inspector's port.
    expect(as(['serve'], [], { NODE_OPTIONS: '--inspect' })).toBeUndefined();
    expect(
      as(['serve'], [], { NODE_OPTIONS: '--max-old-space-size=4096 --inspect-brk=0' }),
    ).toBeUndefined();
    expect(as(['serve'], [], { NODE_OPTIONS: ' --initial-old-space-size=256' })).toBeUndefined();
    expect(as(['serve'], [], { NODE_OPTIONS: '--enable-source-maps' })).toEqual([
      SERVE_NODE_FLAG,
      script,
      'serve',
    ]);
    expect(as(['serve'], [], {}, 'win32')).toBeUndefined();
    expect(as(['serve'], [], { INFER_RELAUNCHED_BY: '123' })).toBeUndefined();
    expect(as(['serve'], [], { INFER_NODE_FLAG: '0' })).toBeUndefined();
    expect(relaunchArguments(['serve'], [], {}, undefined)).toBeUndefined();
    expect(as(['serve'])).toEqual([SERVE_NODE_FLAG, script, 'serve']);
  });
});

/** Pids whose parent is `pid`, with their command lines (Linux /proc). */
function childrenOf(pid: number): { pid: number; args: string[] }[] {
  const found: { pid: number; args: string[] }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid) continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      found.push({ pid: Number(entry), args });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Whether `pid` ended within `ms` (gone, or a zombie where nothing reaps orphans). */
async function gone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return true;
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe.runIf(process.platform === 'linux')('infer serve, relaunched', () => {
  const start = () => {
    assertBuilt();
    return startCli(['serve', 'models/mobilenet', '--port', '0', '--host', '127.0.0.1']);
  };

  it('serves under the flag and drains on the SIGTERM it passes on (exit 0)', async () => {
    const cli = start();
    const [, url] = await cli.waitFor(/Listening on (http:\/\/\S+)/);
    const [child] = childrenOf(cli.child.pid!);
    expect(child?.args).toContain(SERVE_NODE_FLAG);
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stdout()).toContain('drained; bye');
    expect(await gone(child!.pid, 5000)).toBe(true);
  });

  it('drains once when a supervisor signals both processes (no "again")', async () => {
    const cli = start();
    const [, url] = await cli.waitFor(/Listening on (http:\/\/\S+)/);
    const [child] = childrenOf(cli.child.pid!);
    // A request in flight (its body half sent), so the drain lasts until it ends.
    const { hostname, port } = new URL(url!);
    const socket = connect(Number(port), hostname);
    socket.on('error', () => undefined);
    socket.write(
      'POST /v2/models/mobilenet/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"inputs":',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    // A supervisor that signals every process of the group: the server gets the signal
    // itself, and once more from the launcher, which passes it on.
    process.kill(child!.pid, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    cli.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(cli.stdout()).toContain('draining');
    expect(cli.stdout()).not.toContain('again');
    socket.destroy();
    expect(await cli.exited).toBe(0);
    expect(cli.stdout()).toContain('drained; bye');
  });

  it('shuts down when the launcher is killed outright, instead of living on', async () => {
    const cli = start();
    await cli.waitFor(/Listening on/);
    const [child] = childrenOf(cli.child.pid!);
    cli.child.kill('SIGKILL');
    expect(await gone(child!.pid, 15_000)).toBe(true);
  });
});
