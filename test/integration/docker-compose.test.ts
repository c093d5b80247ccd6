// No Docker engine runs here: this checks what can be checked without one. The compose file
// parses, references only files that exist, exposes the documented services/ports and holds no
// literal secret; the InfluxDB 2.x init script is syntax-checked and run against a recording
// fake `influx` CLI (a real influxdb:2.7 container was NOT available to test it).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../support/node-red';

// js-yaml comes with node-red (no types installed): a narrow view of what we use
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = require('js-yaml') as { load(text: string): unknown };

type Service = {
  build?: { context: string; dockerfile: string };
  image?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  env_file?: string | string[];
  entrypoint?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
};
type Compose = { services: Record<string, Service>; volumes: Record<string, unknown> };

const compose = yaml.load(fs.readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8')) as Compose;
const services = compose.services;

describe('docker-compose.yml and docker/', function () {
  it('has the documented services, images and ports', function () {
    assert.deepEqual(Object.keys(services).sort(), ['influxdb', 'mosquitto', 'node-red']);
    assert.deepEqual(services['node-red']?.ports, ['1880:1880']);
    // plain MQTT on the host address .env chooses (the firmware has no TLS), MQTT over TLS on 8883
    assert.deepEqual(services.mosquitto?.ports, ['${MQTT_PLAIN_HOST_IP:-0.0.0.0}:1883:1883', '8883:8883']);
    assert.deepEqual(services.influxdb?.ports, ['127.0.0.1:8086:8086']);
    assert.equal(services.mosquitto?.image, 'eclipse-mosquitto:2');
    assert.equal(services.influxdb?.image, 'influxdb:2.7');
    assert.match(fs.readFileSync(path.join(projectRoot, 'docker/node-red/Dockerfile'), 'utf8'), /^FROM nodered\/node-red:4\.1$/m);
  });

  it('references only files and directories that exist', function () {
    const missing: string[] = [];
    const check = (relative: string, what: string) => {
      if (!fs.existsSync(path.resolve(projectRoot, relative))) missing.push(`${what}: ${relative}`);
    };
    for (const [name, service] of Object.entries(services)) {
      if (service.build) {
        check(service.build.context, `${name} build context`);
        check(path.join(service.build.context, service.build.dockerfile), `${name} Dockerfile`);
      }
      for (const volume of service.volumes ?? []) {
        // a host path from .env: required (${VAR:?message}) and documented in .env.example
        const fromEnv = /^\$\{([A-Z_]+):\?[^}]+\}:/.exec(volume);
        if (fromEnv) {
          assert.match(fs.readFileSync(path.join(projectRoot, '.env.example'), 'utf8'), new RegExp(`^${fromEnv[1]}=$`, 'm'), `${name}: ${fromEnv[1]} is not in .env.example`);
          continue;
        }
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('.') || source.startsWith('/')) check(source, `${name} bind mount`);
        else assert.ok(source in compose.volumes, `${name}: named volume ${source} is not declared`);
      }
      for (const file of [service.env_file ?? []].flat()) check(file, `${name} env_file`);
    }
    // what the Dockerfile COPYs from the context
    const dockerfile = fs.readFileSync(path.join(projectRoot, 'docker/node-red/Dockerfile'), 'utf8');
    for (const match of dockerfile.matchAll(/^COPY (?!--from)(?:--\S+ )*(.+) \S+$/gm)) {
      for (const source of (match[1] ?? '').split(' ')) check(source, 'Dockerfile COPY');
    }
    assert.deepEqual(missing, []);
  });

  it('keeps every secret out of the file: only ${VAR} references, required ones fail loudly', function () {
    const secretKey = /PASSWORD|TOKEN|SECRET/;
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (!secretKey.test(key) || key === 'HEATPUMP_TOKEN_FILE') continue;
        assert.match(String(value), /^\$\{[A-Z_]+:\?[^}]+\}$/, `${name}.${key} must be \${VAR:?message}`);
      }
    }
    const example = fs.readFileSync(path.join(projectRoot, '.env.example'), 'utf8');
    for (const line of example.split('\n')) {
      const [key, value] = line.split('=');
      if (key && secretKey.test(key) && !key.startsWith('#')) assert.equal(value, '', `.env.example sets ${key}`);
    }
  });

  it('starts Node-RED after healthy Mosquitto and InfluxDB, with the environment the flows read', function () {
    const nodeRed = services['node-red'];
    assert.deepEqual(nodeRed?.depends_on, { mosquitto: { condition: 'service_healthy' }, influxdb: { condition: 'service_healthy' } });
    for (const service of Object.values(services)) assert.ok(service.healthcheck?.test.length);
    const env = nodeRed?.environment ?? {};
    for (const key of ['MQTT_BROKER', 'MQTT_PORT', 'MQTT_USER', 'MQTT_PASSWORD', 'INFLUXDB_URL', 'INFLUXDB_DATABASE', 'INFLUXDB_USER', 'INFLUXDB_PASSWORD', 'HEATPUMP_SIMULATOR_DEVICES', 'DEVICE_ONLINE_TIMEOUT_SECONDS', 'NODE_RED_CREDENTIAL_SECRET']) {
      assert.ok(key in env, `node-red lacks ${key}`);
    }
    assert.equal(env.MQTT_USER, 'nodered');
    // the broker replaces the client id with the user name (use_username_as_clientid)
    assert.equal(env.MQTT_CLIENT_ID, env.MQTT_USER);
    assert.ok(nodeRed?.volumes?.includes('./settings.js:/data/settings.js:ro'));
  });

  it('mosquitto: the shipped config requires passwords and the per-device ACL', function () {
    const conf = fs.readFileSync(path.join(projectRoot, 'docker/mosquitto/mosquitto.conf'), 'utf8');
    for (const line of ['allow_anonymous false', 'persistence true', 'max_queued_messages 100000', 'max_queued_bytes 268435456', 'listener 1883', 'listener 8883', 'cafile /mosquitto/tls/ca.crt', 'certfile /mosquitto/tls/server.crt', 'keyfile /mosquitto/tls/server.key']) {
      assert.match(conf, new RegExp(`^${line}$`, 'm'));
    }
    // a listener option: every listener sets it (before the first listener mosquitto 2.0 ignores it)
    const listeners = conf.split(/^(?=listener )/m);
    assert.doesNotMatch(listeners[0] ?? '', /^use_username_as_clientid/m);
    assert.equal(listeners.length, 3);
    for (const listener of listeners.slice(1)) assert.match(listener, /^use_username_as_clientid true$/m);
    assert.doesNotMatch(conf, /^pid_file/m);
    const acl = fs.readFileSync(path.join(projectRoot, 'docker/mosquitto/acl'), 'utf8');
    assert.doesNotMatch(acl, /^pattern readwrite/m);
    assert.match(acl, /^pattern read heatpump\/%u\/cmd$/m);
    assert.match(acl, /^pattern write heatpump\/%u\/data$/m);
    assert.match(acl, /^user nodered\ntopic readwrite heatpump\/#$/m);
    // the healthcheck logs in as its own user, never as nodered (that would take Node-RED's session over)
    const healthcheck = services.mosquitto?.healthcheck?.test.join(' ') ?? '';
    assert.match(healthcheck, /-u healthcheck /);
    assert.doesNotMatch(healthcheck, /nodered|MQTT_PASSWORD/);
    execFileSync('sh', ['-n', path.join(projectRoot, 'docker/mosquitto/entrypoint.sh')]);
    execFileSync('bash', ['-n', path.join(projectRoot, 'docker/node-red/entrypoint.sh')]);
  });

  describe('InfluxDB 2.x init script with a recording fake `influx` CLI', function () {
    const script = path.join(projectRoot, 'docker/influxdb/init/10-heatpump.sh');
    let dir = '';
    // records each call's arguments; keeps created buckets/DBRPs/tasks/auths in files so a
    // second run sees them, and answers with the JSON shapes the real CLI prints
    const fakeInflux = `#!/bin/bash
state="$FAKE_STATE"
echo "$*" >>"$state/calls"
args="$*"
name() { sed -n 's/.*--name \\([^ ]*\\).*/\\1/p' <<<"$args"; }
case "$1 $2" in
  "bucket list") n="$(name)"; if grep -qx "$n" "$state/buckets" 2>/dev/null; then printf '[\\n  {\\n    "id": "id-%s",\\n    "name": "%s"\\n  }\\n]\\n' "\${n//\\//-}" "$n"; else echo '[]'; fi ;;
  "bucket create") n="$(name)"; echo "$n" >>"$state/buckets"; printf '{\\n  "id": "id-%s",\\n  "orgID": "org1"\\n}\\n' "\${n//\\//-}" ;;
  "bucket update") echo '{}' ;;
  "v1 dbrp") if [ "$3" = list ]; then rp="$(sed -n 's/.*--rp \\([^ ]*\\).*/\\1/p' <<<"$args")"; if grep -qx "$rp" "$state/dbrps" 2>/dev/null; then echo '[{"bucketID": "x"}]'; else echo '[]'; fi; else sed -n 's/.*--rp \\([^ ]*\\).*/\\1/p' <<<"$args" >>"$state/dbrps"; fi ;;
  "task list") cat "$state/tasks" 2>/dev/null || echo '[]' ;;
  "task create") f="$(sed -n 's/.*--file \\([^ ]*\\).*/\\1/p' <<<"$args")"; cat "$f" >>"$state/flux"; n="$(sed -n 's/^option task = {name: "\\([^"]*\\)".*/\\1/p' "$f")"; echo "{\\"name\\": \\"$n\\"}" >>"$state/tasks" ;;
  "v1 auth") if [ "$3" = list ]; then cat "$state/v1auth" 2>/dev/null || echo '[]'; elif [ "$3" = create ]; then echo '[{"userName": "nodered"}]' >"$state/v1auth"; fi ;;
  "auth create") printf '{\\n  "id": "tok1",\\n  "token": "fake-token-123",\\n  "status": "active"\\n}\\n' ;;
  *) echo "fake influx: unexpected $args" >&2; exit 3 ;;
esac
`;
    const run = () =>
      execFileSync('bash', [script], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: `${path.join(dir, 'bin')}:${process.env.PATH ?? ''}`,
          FAKE_STATE: path.join(dir, 'state'),
          DOCKER_INFLUXDB_INIT_ORG: 'heatpump',
          INFLUXDB_USER: 'nodered',
          INFLUXDB_PASSWORD: 'test-password',
          HEATPUMP_TOKEN_FILE: path.join(dir, 'secrets', 'influxdb-token'),
        },
      });
    const calls = () => fs.readFileSync(path.join(dir, 'state', 'calls'), 'utf8').trim().split('\n');

    before(function () {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-influx2-'));
      fs.mkdirSync(path.join(dir, 'bin'));
      fs.mkdirSync(path.join(dir, 'state'));
      fs.writeFileSync(path.join(dir, 'bin', 'influx'), fakeInflux, { mode: 0o755 });
    });
    after(function () {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('is valid bash', function () {
      execFileSync('bash', ['-n', script]);
    });

    it('creates buckets, DBRP mappings, tasks, the v1 user and the token', function () {
      const output = run();
      const made = calls();
      const has = (call: string) => assert.ok(made.includes(call), `missing: ${call}\nin:\n${made.join('\n')}`);
      has('bucket create --org heatpump --name heatpump/raw --retention 720h --json');
      has('bucket create --org heatpump --name heatpump/hourly --retention 8736h --json');
      has('bucket create --org heatpump --name heatpump/daily --retention 0 --json');
      has('v1 dbrp create --org heatpump --db heatpump --rp raw --bucket-id id-heatpump-raw --default');
      has('v1 dbrp create --org heatpump --db heatpump --rp hourly --bucket-id id-heatpump-hourly');
      has('v1 dbrp create --org heatpump --db heatpump --rp daily --bucket-id id-heatpump-daily');
      const rights = ['raw', 'hourly', 'daily'].map((rp) => `--read-bucket id-heatpump-${rp} --write-bucket id-heatpump-${rp}`).join(' ');
      assert.ok(made.some((call) => call.startsWith('v1 auth create --org heatpump --username nodered --password test-password') && call.endsWith(rights)));
      assert.ok(made.some((call) => call.startsWith('auth create --org heatpump') && call.includes(rights)));
      assert.equal(fs.readFileSync(path.join(dir, 'secrets', 'influxdb-token'), 'utf8'), 'fake-token-123\n');
      assert.equal(fs.statSync(path.join(dir, 'secrets', 'influxdb-token')).mode & 0o077, 0);

      const flux = fs.readFileSync(path.join(dir, 'state', 'flux'), 'utf8');
      assert.match(flux, /option task = \{name: "heatpump_hourly", every: 1h, offset: 5m\}/);
      assert.match(flux, /option task = \{name: "heatpump_daily", every: 1d, offset: 15m\}/);
      assert.match(flux, /aggregate\(fn: mean, prefix: "mean_"\), aggregate\(fn: min, prefix: "min_"\), aggregate\(fn: max, prefix: "max_"\)/);
      assert.match(flux, /to\(bucket: "heatpump\/hourly", org: "heatpump"\)/);
      assert.match(flux, /to\(bucket: "heatpump\/daily", org: "heatpump"\)/);
      assert.match(flux, /from\(bucket: "heatpump\/raw"\)/);
      assert.equal(output, "");
    });

    it('a second run creates nothing again', function () {
      const before = calls().length;
      run();
      const second = calls().slice(before);
      assert.deepEqual(second.filter((call) => / create /.test(` ${call} `)), []);
      assert.ok(second.some((call) => call.startsWith('v1 auth set-password --username nodered')));
    });
  });
});
