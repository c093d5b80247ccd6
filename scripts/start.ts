// `npm start`: Node-RED with our nodes and the shipped flows, plus everything they need to show
// something real: an embedded MQTT broker, a local InfluxDB (when installed) and a simulated
// fleet. Ctrl-C / SIGTERM stops all of it and exits 0.
//
// Configuration (environment): PORT, MQTT_BROKER/MQTT_PORT/MQTT_USER/MQTT_PASSWORD, INFLUXDB_URL
// (+ INFLUXDB_USER/INFLUXDB_PASSWORD/INFLUXDB_TOKEN/INFLUXDB_DATABASE), INFLUXDB_PORT (local
// influxd), SIMULATOR (device count, 0 = off), SIMULATOR_INTERVAL (s), HEATPUMP_HOME (where the
// Node-RED user directory, the InfluxDB data and the embedded broker's sessions go; default
// .node-red/ and .data/ in the repo),
// HEATPUMP_RESET_FLOWS=1 (replace edited flows with the shipped ones), MQTT_BIND (embedded
// broker address, default 127.0.0.1), LOCAL_INFLUXD=0 (never start a local influxd), HOST (address
// of the editor, dashboard and API, default 127.0.0.1: this machine only; 0.0.0.0 or :: opens them
// to the network), HEATPUMP_DEVICE_PASSWORDS (a file of `<device id>:<hash>` lines: the embedded
// broker then wants a device login and keeps each device to its own topics; default: no login).
// The API limits (HEATPUMP_API_RATE, ...) are settings.js's (httpNodeAuth).
import crypto from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import RED from 'node-red';
import { startBroker, type RunningBroker } from './lib/broker';
import { parseDevicePasswords, sha256Hash } from './lib/device-logins';
import { findInfluxd, startInfluxd, stopStaleInfluxd, type RunningInfluxd } from './lib/influxd';
import { influxVersion, setupInfluxDb, setupOptionsFromEnv } from './lib/influx-setup';
import { portOrFree } from './lib/ports';
import { clusterBrokerProblem, mqttTarget, portNumber, simulatorDevices, simulatorIntervalMs } from './lib/runtime-env';
import { loadShippedFlows, projectRoot, SEED_STATE_FILE, seedUserFlows } from './lib/shipped-flows';
import { simulatedDeviceIds } from './lib/sim-model';
import { startSimulator, type RunningSimulator } from './lib/simulator';
import { jsonErrorHandler } from '../nodes/shared/http-guard';
import { authConfigFromEnv } from '../nodes/shared/http-auth';

function log(message: string): void {
  const time = new Date().toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  console.log(`${time} - [heatpump] ${message}`);
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** What this process started, stopped in reverse order on shutdown. */
interface Started {
  server?: http.Server;
  sockets: Set<net.Socket>;
  nodeRed?: boolean;
  broker?: RunningBroker;
  influxd?: RunningInfluxd;
  simulator?: RunningSimulator;
}

const started: Started = { sockets: new Set() };

async function stopAll(): Promise<void> {
  const step = async (what: string, action: () => Promise<void> | void) => {
    try {
      await action();
    } catch (err) {
      log(`stopping ${what} failed: ${errorText(err)}`);
    }
  };
  if (started.simulator) await step('simulator', () => started.simulator?.stop());
  if (started.nodeRed) await step('Node-RED', () => RED.stop());
  if (started.server) {
    const server = started.server;
    await step('HTTP server', async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of started.sockets) socket.destroy(); // websockets and keep-alive
      await closed;
    });
  }
  if (started.broker) await step('MQTT broker', () => started.broker?.close());
  if (started.influxd) await step('influxd', () => started.influxd?.stop());
}

const GATE_WAIT_MS = 30_000;

/**
 * Before the API answers: devices get in once Node-RED's session is back (it subscribed). Flows
 * without an `mqtt in` node never subscribe: devices get in at once; flows whose `mqtt in` nodes
 * use another broker or client id: after GATE_WAIT_MS, said in the log.
 */
async function letDevicesIn(broker: RunningBroker): Promise<void> {
  const { flows } = (await RED.runtime.flows.getFlows({})) as { flows: { type?: string; d?: boolean }[] };
  // d: disabled in the editor
  if (!flows.some((node) => node.type === 'mqtt in' && !node.d)) {
    broker.acceptDevices();
    log('embedded MQTT broker: the flows have no mqtt in node, devices accepted');
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const subscribed = await Promise.race([
    broker.devicesAccepted.then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), GATE_WAIT_MS))),
  ]);
  clearTimeout(timer);
  if (subscribed) {
    log('embedded MQTT broker: Node-RED subscribed, devices accepted');
  } else {
    broker.acceptDevices();
    log(`embedded MQTT broker: Node-RED did not subscribe within ${GATE_WAIT_MS / 1000} s (no mqtt in node on this broker, or a different MQTT_CLIENT_ID?): devices accepted anyway`);
  }
}

interface History {
  on: boolean;
  url: string;
  note: string;
}

/** Uses INFLUXDB_URL, else a local influxd, else no history; applies the database set-up. */
async function prepareInfluxDb(home: { dataDir: string }): Promise<History> {
  const env = process.env;
  let url = env.INFLUXDB_URL?.trim();
  let note = '';
  if (url) {
    note = 'INFLUXDB_URL';
  } else {
    const binary = env.LOCAL_INFLUXD === '0' ? undefined : findInfluxd();
    if (!binary) {
      if (env.LOCAL_INFLUXD === '0') return { on: false, url: '', note: 'no INFLUXDB_URL and LOCAL_INFLUXD=0' };
      return { on: false, url: '', note: 'no INFLUXDB_URL and no influxd installed (apt-get install influxdb)' };
    }
    const wanted = portNumber('INFLUXDB_PORT', env.INFLUXDB_PORT, 8086);
    // an influxd left on this data directory (a crashed or killed start) goes first: it frees its
    // port, and two influxd never share the data
    try {
      const stale = await stopStaleInfluxd(home.dataDir);
      if (stale.length > 0) log(`stopped the influxd already running on ${home.dataDir} (pid ${stale.join(', ')})`);
    } catch (err) {
      return { on: false, url: '', note: `local influxd failed to start: ${errorText(err)}` };
    }
    const port = await portOrFree(wanted);
    if (port !== wanted) log(`port ${wanted} is busy: local influxd uses ${port}`);
    try {
      started.influxd = await startInfluxd({ dataDir: home.dataDir, port, binary });
    } catch (err) {
      return { on: false, url: '', note: `local influxd failed to start: ${errorText(err)}` };
    }
    url = started.influxd.url;
    note = `local influxd, data in ${home.dataDir}`;
  }
  try {
    // the same logins as `npm run db:setup`: an admin (INFLUXDB_ADMIN_USER, else INFLUXDB_USER) and
    // the write-only / read-only users it creates
    const options = { ...setupOptionsFromEnv(env), url };
    const version = await influxVersion(options);
    if (/^v?[23]\./.test(version)) {
      note += `, InfluxDB ${version} (set up by docker/influxdb/init)`;
    } else {
      const report = await setupInfluxDb(options);
      if (report.actions.length > 0) log(`InfluxDB set-up applied ${report.actions.length} change(s) to "${report.database}"`);
    }
  } catch (err) {
    // keep history on: the database may come up later, and /api/health shows the real state
    log(`InfluxDB set-up at ${url} failed: ${errorText(err)}`);
  }
  return { on: true, url, note };
}

/** HEATPUMP_DEVICE_PASSWORDS: device id -> hash, or undefined (devices need no login); a bad file stops the start. */
function readDevicePasswords(file: string | undefined): Map<string, string> | undefined {
  if (file === undefined || file.trim() === '') return undefined;
  const { hashes, problems } = parseDevicePasswords(fs.readFileSync(path.resolve(file), 'utf8'));
  if (problems.length > 0) throw new Error(`HEATPUMP_DEVICE_PASSWORDS ${file}: ${problems.join('; ')}`);
  log(`embedded MQTT broker: device logins on, ${hashes.size} devices in ${file}`);
  return hashes;
}

async function main(): Promise<void> {
  const env = process.env;
  const home = env.HEATPUMP_HOME ? path.resolve(env.HEATPUMP_HOME) : undefined;
  const userDir = home ? path.join(home, 'node-red') : path.join(projectRoot, '.node-red');
  const dataDir = home ? path.join(home, 'influxdb') : path.join(projectRoot, '.data', 'influxdb');
  const mqttDir = home ? path.join(home, 'mqtt') : path.join(projectRoot, '.data', 'mqtt');
  const uiPort = portNumber('PORT', env.PORT, 1880);
  const uiHost = env.HOST?.trim() || '127.0.0.1';
  const devices = simulatorDevices(env);
  const intervalMs = simulatorIntervalMs(env);
  const mqtt = mqttTarget(env);
  const clusterProblem = clusterBrokerProblem(env);
  if (clusterProblem) throw new Error(clusterProblem);

  // settings.js is shared with the Docker image; npm start adds where things are
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = { ...(require(path.join(projectRoot, 'settings.js')) as Record<string, unknown>) };
  const flowFile = typeof settings.flowFile === 'string' ? settings.flowFile : 'flows.json';
  settings.userDir = userDir;
  settings.uiPort = uiPort;
  settings.uiHost = uiHost;
  // our package (package.json "node-red") and the third-party node packages the flows use
  settings.nodesDir = [
    projectRoot,
    path.join(projectRoot, 'node_modules', 'node-red-contrib-influxdb'),
    path.join(projectRoot, 'node_modules', '@flowfuse', 'node-red-dashboard'),
  ].filter((dir) => fs.existsSync(dir));

  if (env.HEATPUMP_RESET_FLOWS === '1') fs.rmSync(path.join(userDir, flowFile), { force: true });
  const outcome = seedUserFlows(userDir, loadShippedFlows(), flowFile);
  if (outcome === 'kept-user-flows') {
    log(
      `keeping your edited flows in ${path.join(userDir, flowFile)}; to go back to the shipped flows, ` +
        `run with HEATPUMP_RESET_FLOWS=1 (or delete that file and ${SEED_STATE_FILE})`,
    );
  } else if (outcome !== 'unchanged') {
    log(`shipped flows ${outcome === 'written' ? 'written to' : 'updated in'} ${path.join(userDir, flowFile)}`);
  }

  const deviceLogins = mqtt.external ? undefined : readDevicePasswords(env.HEATPUMP_DEVICE_PASSWORDS);
  if (mqtt.external && env.HEATPUMP_DEVICE_PASSWORDS) log(`HEATPUMP_DEVICE_PASSWORDS is for the embedded broker: ignored with MQTT_BROKER (${mqtt.host})`);
  // the simulated devices log in like real ones, with a password of this start (unless the file lists them)
  const simulatorPassword = crypto.randomBytes(18).toString('base64url');
  if (deviceLogins) for (const id of simulatedDeviceIds(devices)) if (!deviceLogins.has(id)) deviceLogins.set(id, sha256Hash(simulatorPassword));

  // a stable client id keeps Node-RED's persistent MQTT session across restarts; replicas of a
  // cluster (REDIS_URL) each need their own, hence HEATPUMP_INSTANCE_ID when set
  env.MQTT_CLIENT_ID ||= `heatpump-monitor-${env.HEATPUMP_INSTANCE_ID?.trim() || os.hostname()}`;
  if (!mqtt.external) {
    // Node-RED's login to the embedded broker: a password no device knows (new every start unless
    // MQTT_PASSWORD is set), so no device can take over Node-RED's session or open the gate
    env.MQTT_USER ||= 'nodered';
    env.MQTT_PASSWORD ||= crypto.randomBytes(18).toString('base64url');
    const port = await portOrFree(mqtt.port, env.MQTT_BIND || '127.0.0.1');
    if (port !== mqtt.port) log(`port ${mqtt.port} is busy: the embedded MQTT broker uses ${port}`);
    started.broker = await startBroker({
      port,
      host: env.MQTT_BIND || '127.0.0.1',
      dataDir: mqttDir,
      nodeRed: { clientId: env.MQTT_CLIENT_ID, username: env.MQTT_USER, password: env.MQTT_PASSWORD },
      deviceLogins,
    });
    mqtt.port = started.broker.port;
    log(`embedded MQTT broker: sessions and queued messages in ${mqttDir}; devices wait until Node-RED has subscribed`);
  }

  const history = await prepareInfluxDb({ dataDir });

  // the flows' config nodes read these through ${VAR} (README "Configuration")
  env.PORT = String(uiPort);
  env.MQTT_BROKER = mqtt.host;
  env.MQTT_PORT = String(mqtt.port);
  env.MQTT_USER ??= '';
  env.MQTT_PASSWORD ??= '';
  // the one database setting: the flows derive host, port and protocol from it (global
  // environment in flows/00-config.json); empty means history off, nothing written or queried
  env.INFLUXDB_URL = history.url;
  env.INFLUXDB_DATABASE ||= 'heatpump';
  env.INFLUXDB_USER ??= '';
  env.INFLUXDB_PASSWORD ??= '';
  env.INFLUXDB_TOKEN ??= '';
  // SMS stays silent until admin numbers are given (E.164, comma separated)
  env.SMS_ADMIN_NUMBERS ??= '';
  env.SMS_DEFAULT_COUNTRY ??= '';
  env.HEATPUMP_SIMULATOR_DEVICES = String(devices);
  if (!history.on) log(`HISTORY OFF: ${history.note}. Live data, alerts and the API work; history charts and /readings do not.`);

  // the same layout as node-red's own red.js: editor/admin API and the flows' endpoints on one app
  const app = express();
  const server = http.createServer(app);
  server.on('connection', (socket) => {
    started.sockets.add(socket);
    socket.once('close', () => started.sockets.delete(socket));
  });
  started.server = server;
  RED.init(server, settings as unknown as Parameters<typeof RED.init>[1]);
  app.use(String(settings.httpAdminRoot ?? '/'), RED.httpAdmin);
  // settings.js's guard in front of the flows' endpoints, as node-red's red.js mounts httpNodeAuth
  const nodeGuard = settings.httpNodeAuth;
  if (typeof nodeGuard === 'function' || Array.isArray(nodeGuard)) app.use(String(settings.httpNodeRoot ?? '/'), nodeGuard as express.RequestHandler);
  app.use(String(settings.httpNodeRoot ?? '/'), RED.httpNode);
  // errors that got past everything answer JSON, never Express's HTML page with a stack trace
  app.use(jsonErrorHandler as unknown as express.ErrorRequestHandler);
  // RED.start() can resolve before the flows run; the banner below means "ready" (dashboard, API)
  const flowsStarted = new Promise<void>((resolve) => RED.events.once('flows:started', () => resolve()));
  await RED.start();
  started.nodeRed = true;
  await Promise.race([flowsStarted, new Promise((resolve) => setTimeout(resolve, 30_000))]);
  if (started.broker) await letDevicesIn(started.broker);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(uiPort, uiHost, () => {
      server.off('error', reject);
      resolve();
    });
  });

  if (devices > 0) {
    started.simulator = await startSimulator({
      brokerUrl: `mqtt://${mqtt.host}:${mqtt.port}`,
      devices,
      intervalMs,
      // Node-RED's login is not the simulator's: the embedded broker takes any other client
      username: (mqtt.external && env.MQTT_USER) || undefined,
      password: (mqtt.external && env.MQTT_PASSWORD) || undefined,
      devicePassword: deviceLogins ? simulatorPassword : undefined,
    });
  }

  const loopback = uiHost === 'localhost' || uiHost === '::1' || uiHost.startsWith('127.');
  const everywhere = uiHost === '0.0.0.0' || uiHost === '::';
  const base = `http://${loopback || everywhere ? 'localhost' : uiHost.includes(':') ? `[${uiHost}]` : uiHost}:${uiPort}`;
  const login = authConfigFromEnv(env);
  const lines = [
    'heatpump-monitor is running',
    loopback
      ? `  listening  ${uiHost}:${uiPort}, this machine only (HOST=0.0.0.0 opens it to the network)`
      : `  listening  ${uiHost}:${uiPort}${everywhere ? ', ALL interfaces: anyone on the network' : ''} (HOST)${
          login.enabled ? '' : ' - set NODE_RED_ADMIN_PASSWORD_HASH, the editor has no login'
        }`,
    login.enabled
      ? `  login      editor, API, /metrics, WebSocket and dashboard: ${login.adminUser} (NODE_RED_ADMIN_PASSWORD_HASH)${
          login.readToken ? ', read-only with HEATPUMP_READ_TOKEN' : ''
        }; SMS webhooks: their signatures`
      : '  login      none: editor, API, WebSocket and dashboard are open (a demo; NODE_RED_ADMIN_PASSWORD_HASH turns the login on)',
    `  editor     ${base}/`,
    `  dashboard  ${base}/dashboard`,
    `  API        ${base}/api/health`,
    `  MQTT       mqtt://${mqtt.host}:${mqtt.port}${mqtt.external ? '' : ' (embedded broker)'}`,
    ...(mqtt.external
      ? []
      : [
          deviceLogins
            ? `  devices    login required (HEATPUMP_DEVICE_PASSWORDS, ${deviceLogins.size} ids incl. the simulator's), each only on heatpump/<its id>/...`
            : `  devices    no login: any client that reaches ${mqtt.host}:${mqtt.port} may publish as any device (a demo; HEATPUMP_DEVICE_PASSWORDS turns logins on)`,
        ]),
    `  InfluxDB   ${history.on ? `${history.url} (${history.note})` : 'history off'}`,
    `  simulator  ${devices > 0 ? `${devices} devices every ${intervalMs / 1000}s` : 'off (SIMULATOR=0)'}`,
    '  Ctrl-C stops everything',
  ];
  const width = Math.max(...lines.map((line) => line.length)) + 2;
  console.log(['', '='.repeat(width), ...lines.map((line) => ` ${line}`), '='.repeat(width), ''].join('\n'));
}

let stopping = false;
function shutdown(signal: string): void {
  if (stopping) {
    log(`${signal} again: exiting now`);
    process.exit(1);
  }
  stopping = true;
  log(`${signal}: stopping`);
  stopAll().then(
    () => {
      log('stopped');
      process.exit(0);
    },
    () => process.exit(1),
  );
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

main().catch(async (err: unknown) => {
  log(`start failed: ${errorText(err)}`);
  await stopAll();
  process.exit(1);
});
