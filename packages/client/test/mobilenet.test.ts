import { fileURLToPath } from 'node:url';
import { type SettingsServer, serveFromSettings } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mobilenetSuite } from './suites/mobilenet.suite';
import { nodeHost } from './test-server';

let server: SettingsServer;

beforeAll(async () => {
  server = await serveFromSettings({
    paths: [fileURLToPath(new URL('../../../models/mobilenet', import.meta.url))],
    env: {},
    overrides: { port: 0, host: '127.0.0.1' },
  });
}, 120_000);
afterAll(() => server?.close());

// Through serveFromSettings; the suite body is shared with the headless Chromium run.
mobilenetSuite(
  { describe, it, expect },
  nodeHost(() => ({ mobilenet: server })),
);
