#!/usr/bin/env node
// Makes `npm start` and `npm test` work on a fresh clone with only Node and npm:
// installs the workspace with the lockfile (pnpm through npx when it is not installed)
// and builds every package (turbo caches, so a second run is quick).
import { execSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM_VERSION = '10.34.9';
const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  TURBO_NO_UPDATE_NOTIFIER: '1',
  DO_NOT_TRACK: '1',
};

function hasPnpm() {
  try {
    execSync('pnpm --version', { stdio: 'ignore', env });
    return true;
  } catch {
    return false;
  }
}

function run(command) {
  process.stderr.write(`> ${command}\n`);
  execSync(command, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env });
}

const pnpm = hasPnpm() ? 'pnpm' : `npx --yes pnpm@${PNPM_VERSION}`;
run(`${pnpm} install --frozen-lockfile --prefer-offline --reporter=silent`);
run(`${pnpm} build --output-logs=errors-only`);
