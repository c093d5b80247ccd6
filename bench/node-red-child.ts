// A Node-RED runtime in its own process for the end-to-end bench, so CPU time and memory can be
// read per pipeline: `node node-red-child.js <flows.json> <port>`; prints "ready" when started.
// Config nodes read their broker and database from the environment (FLOWS.md).
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import RED from 'node-red';
import { projectRoot } from '../scripts/lib/shipped-flows';

async function main(): Promise<void> {
  const [flowFile, portText] = process.argv.slice(2);
  if (!flowFile || !portText) throw new Error('usage: node-red-child <flows.json> <port>');
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-bench-nr-'));
  fs.copyFileSync(flowFile, path.join(userDir, 'flows.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const base = require(path.join(projectRoot, 'settings.js')) as Record<string, unknown>;
  const settings = {
    ...base,
    userDir,
    flowFile: 'flows.json',
    uiPort: Number(portText),
    nodesDir: [projectRoot],
    logging: { console: { level: 'warn', metrics: false, audit: false } },
  };
  const app = express();
  const server = http.createServer(app);
  RED.init(server, settings as unknown as Parameters<typeof RED.init>[1]);
  app.use('/', RED.httpAdmin);
  app.use('/', RED.httpNode);
  await RED.start();
  await new Promise<void>((resolve) => server.listen(Number(portText), '127.0.0.1', resolve));
  console.log('ready');
  process.on('SIGTERM', () => {
    void RED.stop().then(() => {
      fs.rmSync(userDir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
