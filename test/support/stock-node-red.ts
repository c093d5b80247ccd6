// A Node-RED as a user runs it, for the stock-runtime tests: Node-RED's own defaults (no
// contextStorage, no environment prepared by npm start), our package and the two node packages
// the shipped flow uses. `node stock-node-red.js <userDir> <port>`; prints "ready" when listening.
import http from 'node:http';
import path from 'node:path';
import { nodeRedPath, projectRoot } from './node-red';

interface EmbeddedRed {
  init(server: http.Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: http.RequestListener;
  httpNode: http.RequestListener;
}

async function main(): Promise<void> {
  const [userDir, portText] = process.argv.slice(2);
  if (!userDir || !portText) throw new Error('usage: stock-node-red <userDir> <port>');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require(nodeRedPath) as EmbeddedRed;
  const server = http.createServer((req, res) => {
    // the editor's admin API and the flows' endpoints on one port, as node-red's own red.js does
    const url = req.url ?? '';
    const admin = url === '/flows' || url.startsWith('/flows?') || url.startsWith('/settings') || url.startsWith('/nodes');
    (admin ? RED.httpAdmin : RED.httpNode)(req, res);
  });
  RED.init(server, {
    userDir,
    uiPort: Number(portText),
    httpAdminRoot: '/',
    httpNodeRoot: '/',
    nodesDir: [
      projectRoot,
      path.join(projectRoot, 'node_modules', 'node-red-contrib-influxdb'),
      path.join(projectRoot, 'node_modules', '@flowfuse', 'node-red-dashboard'),
    ],
    logging: { console: { level: 'info', metrics: false, audit: false } },
  });
  await RED.start();
  await new Promise<void>((resolve) => server.listen(Number(portText), '127.0.0.1', resolve));
  console.log('ready');
  process.on('SIGTERM', () => {
    void RED.stop().then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
