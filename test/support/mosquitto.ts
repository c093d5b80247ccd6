// Debian's mosquitto with the SHIPPED docker/mosquitto/mosquitto.conf, acl and entrypoint.sh.
// The broker is started the way the container starts it: `sh entrypoint.sh` builds the password
// file and copies the TLS files, then execs mosquitto. What must differ outside the container:
//   MOSQUITTO_ROOT=<temp dir> (instead of /mosquitto), MOSQUITTO_BIN=<Debian's mosquitto>;
//   in the temp copy of the config `listener 1883` / `listener 8883` -> free ports on 127.0.0.1
//   and every /mosquitto/ path -> the temp dir.
// Everything else (allow_anonymous false, use_username_as_clientid, persistence, queue limits,
// TLS options, ...) is used as shipped; the acl file is copied unchanged. The CA and the server
// certificate for 8883 are made with openssl for this run (test/support/tls.ts).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { freePort } from '../../scripts/lib/ports';
import { projectRoot } from './node-red';
import { makeTestCertificates, type TestCertificates } from './tls';

export const SHIPPED_MOSQUITTO = path.join(projectRoot, 'docker', 'mosquitto');
export const MOSQUITTO_ENTRYPOINT = path.join(SHIPPED_MOSQUITTO, 'entrypoint.sh');

export function rewriteMosquittoConf(text: string, paths: { port: number; tlsPort: number; root: string }): string {
  const rules: [RegExp, string][] = [
    [/^listener 1883$/m, `listener ${paths.port} 127.0.0.1`],
    [/^listener 8883$/m, `listener ${paths.tlsPort} 127.0.0.1`],
  ];
  let out = text;
  for (const [pattern, replacement] of rules) {
    assert.match(out, pattern, `shipped mosquitto.conf lost ${pattern}`);
    out = out.replace(pattern, replacement);
  }
  for (const key of ['password_file', 'acl_file', 'persistence_location', 'cafile', 'certfile', 'keyfile']) {
    assert.match(out, new RegExp(`^${key} /mosquitto/\\S+$`, 'm'), `shipped mosquitto.conf lost ${key} /mosquitto/...`);
  }
  return out.replace(/ \/mosquitto\//g, ` ${paths.root}/`);
}

/** A temp MOSQUITTO_ROOT as docker-compose.yml lays out /mosquitto: config/{mosquitto.conf,acl}, tls-in/. */
export function makeMosquittoRoot(conf: string, tls?: { ca: string; cert: string; key: string }): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-mosquitto-'));
  // run as root, mosquitto drops to the `mosquitto` user: let it reach the files
  fs.chmodSync(root, 0o755);
  fs.mkdirSync(path.join(root, 'config'), { mode: 0o755 });
  fs.mkdirSync(path.join(root, 'tls-in'), { mode: 0o755 });
  fs.copyFileSync(path.join(SHIPPED_MOSQUITTO, 'acl'), path.join(root, 'config', 'acl'));
  fs.writeFileSync(path.join(root, 'config', 'mosquitto.conf'), conf);
  for (const file of ['acl', 'mosquitto.conf']) fs.chmodSync(path.join(root, 'config', file), 0o644);
  if (tls) {
    fs.copyFileSync(tls.ca, path.join(root, 'tls-in', 'ca.crt'));
    fs.copyFileSync(tls.cert, path.join(root, 'tls-in', 'server.crt'));
    fs.copyFileSync(tls.key, path.join(root, 'tls-in', 'server.key'));
  }
  return root;
}

/** The environment docker-compose.yml gives the mosquitto container (entrypoint.sh reads it). */
export interface MosquittoLogins {
  /** password of "nodered" and of the replicas */
  MQTT_PASSWORD: string;
  /** "id:password id2:password2" */
  MQTT_DEVICE_CREDENTIALS?: string;
  /** e.g. "nodered-a nodered-b" */
  MQTT_REPLICA_USERS?: string;
}

/** "id:password" pairs as MQTT_DEVICE_CREDENTIALS lists them. */
export function deviceCredentials(logins: ReadonlyMap<string, string>): string {
  return [...logins].map(([id, password]) => `${id}:${password}`).join(' ');
}

/** One broker on one temp root: stop() and start() again keep its data (sessions, queues). */
export class ShippedMosquitto {
  private child: ChildProcess | undefined;
  private printed = '';

  private constructor(
    private readonly binary: string,
    private readonly logins: MosquittoLogins,
    readonly root: string,
    readonly port: number,
    readonly tlsPort: number,
    readonly certificates: TestCertificates,
    private readonly certificateDir: string,
  ) {}

  /** Certificates, ports and the root for the shipped config; not started yet. */
  static async prepare(options: { binary: string; openssl: string; logins: MosquittoLogins }): Promise<ShippedMosquitto> {
    const certificateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-mosquitto-certs-'));
    const certificates = makeTestCertificates(options.openssl, certificateDir);
    const port = await freePort();
    const tlsPort = await freePort();
    const shipped = fs.readFileSync(path.join(SHIPPED_MOSQUITTO, 'mosquitto.conf'), 'utf8');
    const root = makeMosquittoRoot(rewriteMosquittoConf(shipped, { port, tlsPort, root: '@ROOT@' }), certificates);
    const confPath = path.join(root, 'config', 'mosquitto.conf');
    fs.writeFileSync(confPath, fs.readFileSync(confPath, 'utf8').replaceAll('@ROOT@', root));
    return new ShippedMosquitto(options.binary, options.logins, root, port, tlsPort, certificates, certificateDir);
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** What the running (or last) broker printed. */
  output(): string {
    return this.printed;
  }

  /** The compose healthcheck's login, new at every start. */
  healthcheckPassword(): string {
    return fs.readFileSync(path.join(this.root, 'auth', 'healthcheck'), 'utf8');
  }

  /** `sh entrypoint.sh` as the container runs it; resolves once the healthcheck login connects. */
  async start(): Promise<void> {
    this.printed = '';
    const started = spawn('sh', [MOSQUITTO_ENTRYPOINT], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', MOSQUITTO_ROOT: this.root, MOSQUITTO_BIN: this.binary, ...this.logins },
    });
    this.child = started;
    started.stdout?.on('data', (chunk: Buffer) => (this.printed += chunk.toString()));
    started.stderr?.on('data', (chunk: Buffer) => (this.printed += chunk.toString()));
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const client = await mqtt.connectAsync(this.url, { username: 'healthcheck', password: this.healthcheckPassword(), reconnectPeriod: 0, connectTimeout: 5000 }, false);
        client.end(true);
        return;
      } catch (err) {
        if (Date.now() > deadline || started.exitCode !== null) throw new Error(`mosquitto did not start: ${String(err)}\n${this.printed}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** SIGTERM: mosquitto saves its sessions and queues, as `docker compose restart` lets it. */
  async stop(): Promise<void> {
    const running = this.child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  }

  /** Stops it and removes its root and certificates. */
  async remove(): Promise<void> {
    await this.stop();
    for (const dir of [this.root, this.certificateDir]) fs.rmSync(dir, { recursive: true, force: true });
  }
}
