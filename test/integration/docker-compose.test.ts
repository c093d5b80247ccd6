// No Docker engine runs here: this checks what can be checked without one. The compose file
// parses, references only files that exist, exposes the documented services/ports and holds no
// literal secret; the InfluxDB 2.x init script is syntax-checked and run against a recording
// fake `influx` CLI (a real influxdb:2.7 container was NOT available to test it).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
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
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] };
  profiles?: string[];
  command?: string[];
};
type Compose = { services: Record<string, Service>; volumes: Record<string, unknown> };

/**
 * YAML merge keys (`<<: *anchor`) as Docker Compose applies them: the anchored mapping first, the
 * mapping's own keys over it; js-yaml as loaded here leaves `<<` as a plain key.
 */
function resolveMerges(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolveMerges);
  if (typeof value !== 'object' || value === null) return value;
  const { '<<': merged, ...own } = value as Record<string, unknown>;
  const bases = (Array.isArray(merged) ? merged : merged === undefined ? [] : [merged]).map((base) => resolveMerges(base) as Record<string, unknown>);
  const resolved: Record<string, unknown> = Object.assign({}, ...bases);
  for (const [key, child] of Object.entries(own)) resolved[key] = resolveMerges(child);
  return resolved;
}

const compose = resolveMerges(yaml.load(fs.readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8'))) as Compose;
const services = compose.services;

describe('docker-compose.yml and docker/', function () {
  it('has the documented services, images and ports', function () {
    const byDefault = Object.keys(services).filter((name) => services[name]?.profiles === undefined);
    assert.deepEqual(byDefault.sort(), ['influxdb', 'mosquitto', 'node-red']);
    const cluster = Object.keys(services).filter((name) => services[name]?.profiles?.includes('cluster'));
    assert.deepEqual(cluster.sort(), ['haproxy', 'node-red-a', 'node-red-b', 'redis']);
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
        if (!secretKey.test(key) || key.endsWith('_FILE')) continue;
        // digests of device tokens, not the tokens: optional (empty = HTTP ingestion off), still never in the file
        if (key === 'HEATPUMP_DEVICE_TOKENS') {
          assert.equal(value, '${HEATPUMP_DEVICE_TOKENS:-}', `${name}.${key} must come from the environment`);
          continue;
        }
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
    // HAProxy checks the replicas itself (docker/haproxy/haproxy.cfg); every other service has a healthcheck
    for (const [name, service] of Object.entries(services)) if (name !== 'haproxy') assert.ok(service.healthcheck?.test.length, `${name} has no healthcheck`);
    const env = nodeRed?.environment ?? {};
    const flowsRead = ['MQTT_BROKER', 'MQTT_PORT', 'MQTT_USER', 'MQTT_PASSWORD', 'INFLUXDB_URL', 'INFLUXDB_DATABASE', 'HEATPUMP_SIMULATOR_DEVICES', 'DEVICE_ONLINE_TIMEOUT_SECONDS', 'NODE_RED_CREDENTIAL_SECRET', 'HEATPUMP_DEVICE_TOKENS'];
    const leastPrivilege = ['INFLUXDB_WRITE_USER', 'INFLUXDB_WRITE_PASSWORD', 'INFLUXDB_READ_USER', 'INFLUXDB_READ_PASSWORD'];
    for (const key of [...flowsRead, ...leastPrivilege, 'NODE_RED_ADMIN_PASSWORD_HASH', 'HEATPUMP_READ_TOKEN']) {
      assert.ok(key in env, `node-red lacks ${key}`);
    }
    assert.equal(env.MQTT_USER, 'nodered');
    // one login would do both: the split users are the only InfluxDB logins it gets
    assert.equal(env.INFLUXDB_USER, undefined);
    assert.equal(env.INFLUXDB_PASSWORD, undefined);
    // the broker replaces the client id with the user name (use_username_as_clientid)
    assert.equal(env.MQTT_CLIENT_ID, env.MQTT_USER);
    assert.ok(nodeRed?.volumes?.includes('./settings.js:/data/settings.js:ro'));
  });

  it('cluster profile: two replicas with the whole environment, their own MQTT login each, Redis with its file, HAProxy on 1880', function () {
    const single = services['node-red']?.environment ?? {};
    const replicas = ['node-red-a', 'node-red-b'].map((name) => ({ name, service: services[name] as Service }));
    const conf = fs.readFileSync(path.join(projectRoot, 'docker/mosquitto/acl'), 'utf8');
    const replicaUsers = String(services.mosquitto?.environment?.MQTT_REPLICA_USERS ?? '').split(' ');
    for (const { name, service } of replicas) {
      const env = service.environment ?? {};
      for (const key of Object.keys(single)) if (!['MQTT_USER', 'MQTT_CLIENT_ID'].includes(key)) assert.equal(env[key], single[key], `${name}.${key} as node-red's`);
      assert.equal(env.REDIS_URL, 'redis://redis:6379');
      assert.equal(env.HEATPUMP_INSTANCE_ID, name);
      assert.equal(env.HEATPUMP_SHARE_GROUP, 'heatpump-monitor');
      // optional, from .env: the flows switch to MQTT 5 only when it is set
      assert.equal(env.MQTT_SESSION_EXPIRY_SECONDS, '${MQTT_SESSION_EXPIRY_SECONDS:-}');
      assert.match(fs.readFileSync(path.join(projectRoot, '.env.example'), 'utf8'), /^MQTT_SESSION_EXPIRY_SECONDS=$/m);
      // use_username_as_clientid: a login per replica is a client id and a persistent session per replica
      assert.equal(env.MQTT_CLIENT_ID, env.MQTT_USER);
      assert.ok(replicaUsers.includes(String(env.MQTT_USER)), `mosquitto creates ${env.MQTT_USER}`);
      assert.match(conf, new RegExp(`^user ${env.MQTT_USER}\ntopic readwrite heatpump/#$`, 'm'), `the ACL grants ${env.MQTT_USER}`);
      assert.deepEqual(service.ports, [], `${name} is reached through HAProxy only`);
      assert.deepEqual((service.depends_on as Record<string, { condition: string }>).redis, { condition: 'service_healthy' });
      assert.ok(service.volumes?.includes('./settings.js:/data/settings.js:ro'));
      assert.ok(service.volumes?.includes(`${name}-data:/data`), `${name} has its own /data`);
      assert.ok(compose.volumes[`${name}-data`] !== undefined);
    }
    assert.notEqual(replicas[0]?.service.environment?.MQTT_USER, replicas[1]?.service.environment?.MQTT_USER);
    assert.deepEqual(services.redis?.command, ['redis-server', '--appendonly', 'yes', '--save', '']);
    assert.ok(services.redis?.volumes?.includes('redis-data:/data'));
    assert.deepEqual(services.haproxy?.ports, ['1880:1880']);
    const haproxy = fs.readFileSync(path.join(projectRoot, 'docker/haproxy/haproxy.cfg'), 'utf8');
    assert.match(haproxy, /^\s+bind :1880$/m);
    for (const { name } of replicas) assert.match(haproxy, new RegExp(`^\\s+server ${name} ${name}:1880 check`, 'm'));
    // the health check carries the read-only token from the environment, never a literal one
    assert.match(haproxy, /hdr Authorization "Bearer \$\{HEATPUMP_READ_TOKEN\}"/);
    assert.match(String(services.haproxy?.environment?.HEATPUMP_READ_TOKEN), /^\$\{HEATPUMP_READ_TOKEN:\?/);
  });

  it('login is mandatory: the admin hash and the read token are required, and the healthcheck uses the token', async function () {
    const env = services['node-red']?.environment ?? {};
    assert.match(String(env.NODE_RED_ADMIN_PASSWORD_HASH), /^\$\{NODE_RED_ADMIN_PASSWORD_HASH:\?/);
    assert.match(String(env.HEATPUMP_READ_TOKEN), /^\$\{HEATPUMP_READ_TOKEN:\?/);
    // run the healthcheck's script against a stand-in that asks for the token, as settings.js does
    const test = services['node-red']?.healthcheck?.test ?? [];
    assert.deepEqual(test.slice(0, 3), ['CMD', 'node', '-e']);
    const token = 'read-token-for-the-healthcheck';
    const server = http.createServer((req, res) => {
      res.statusCode = req.url === '/api/health' && req.headers.authorization === `Bearer ${token}` ? 200 : 401;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const script = String(test[3]).replace('http://127.0.0.1:1880/', `http://127.0.0.1:${port}/`);
    assert.notEqual(script, test[3]);
    const exitCode = (readToken: string) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '', HEATPUMP_READ_TOKEN: readToken }, stdio: 'ignore' });
        child.once('exit', resolve);
      });
    try {
      assert.equal(await exitCode(token), 0, 'healthy with the token');
      assert.equal(await exitCode('wrong'), 1, 'a refused request is unhealthy');
    } finally {
      server.close();
    }
  });

  it('node-red entrypoint exports the InfluxDB tokens from the files the init script wrote', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-entry-'));
    try {
      // the image's own entrypoint replaced by a stand-in that prints what it was given
      const entry = fs.readFileSync(path.join(projectRoot, 'docker/node-red/entrypoint.sh'), 'utf8');
      const exec = 'exec /usr/src/node-red/entrypoint.sh "$@"';
      assert.ok(entry.includes(exec));
      fs.writeFileSync(path.join(dir, 'entry.sh'), entry.replace(exec, 'exec env'));
      fs.writeFileSync(path.join(dir, 'write'), 'write-token\n');
      fs.writeFileSync(path.join(dir, 'read'), 'read-token\n');
      const run = (extra: Record<string, string>) => {
        const printed = execFileSync('bash', [path.join(dir, 'entry.sh')], {
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '', INFLUXDB_WRITE_TOKEN_FILE: path.join(dir, 'write'), INFLUXDB_READ_TOKEN_FILE: path.join(dir, 'read'), ...extra },
        });
        return Object.fromEntries(printed.split('\n').filter((line) => line.startsWith('INFLUXDB_')).map((line) => line.split('=')));
      };
      assert.deepEqual(run({}), { INFLUXDB_WRITE_TOKEN: 'write-token', INFLUXDB_READ_TOKEN: 'read-token', INFLUXDB_WRITE_TOKEN_FILE: path.join(dir, 'write'), INFLUXDB_READ_TOKEN_FILE: path.join(dir, 'read') });
      assert.equal(run({ INFLUXDB_READ_TOKEN: 'set-in-env' }).INFLUXDB_READ_TOKEN, 'set-in-env', 'the environment wins');
      fs.rmSync(path.join(dir, 'write'));
      assert.equal(run({}).INFLUXDB_WRITE_TOKEN, undefined, 'no file, no token');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
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
    assert.match(acl, /^pattern write heatpump\/%u\/metrics$/m);
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
  "v1 auth") if [ "$3" = list ]; then cat "$state/v1auth" 2>/dev/null || echo '[]'; elif [ "$3" = create ]; then echo "{\\"userName\\": \\"$(sed -n 's/.*--username \\([^ ]*\\).*/\\1/p' <<<"$args")\\"}" >>"$state/v1auth"; fi ;;
  "auth create") case "$args" in *--write-bucket*) kind=write ;; *) kind=read ;; esac; printf '{\\n  "id": "tok1",\\n  "token": "fake-%s-token",\\n  "status": "active"\\n}\\n' "$kind" ;;
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
          INFLUXDB_WRITE_USER: 'writer',
          INFLUXDB_WRITE_PASSWORD: 'write-password',
          INFLUXDB_READ_USER: 'reader',
          INFLUXDB_READ_PASSWORD: 'read-password',
          INFLUXDB_WRITE_TOKEN_FILE: path.join(dir, 'secrets', 'influxdb-write-token'),
          INFLUXDB_READ_TOKEN_FILE: path.join(dir, 'secrets', 'influxdb-read-token'),
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

    it('creates buckets, DBRP mappings, tasks, a write-only and a read-only v1 user and token', function () {
      const output = run();
      const made = calls();
      const has = (call: string) => assert.ok(made.includes(call), `missing: ${call}\nin:\n${made.join('\n')}`);
      has('bucket create --org heatpump --name heatpump/raw --retention 720h --shard-group-duration 168h --json');
      has('bucket create --org heatpump --name heatpump/hourly --retention 8736h --json');
      has('bucket create --org heatpump --name heatpump/daily --retention 0 --json');
      has('v1 dbrp create --org heatpump --db heatpump --rp raw --bucket-id id-heatpump-raw --default');
      has('v1 dbrp create --org heatpump --db heatpump --rp hourly --bucket-id id-heatpump-hourly');
      has('v1 dbrp create --org heatpump --db heatpump --rp daily --bucket-id id-heatpump-daily');
      // the writer writes all three (readings to raw, performance figures to hourly and daily) and reads nothing; the reader reads all three
      const writeRights = ['raw', 'hourly', 'daily'].map((rp) => `--write-bucket id-heatpump-${rp}`).join(' ');
      const readRights = ['raw', 'hourly', 'daily'].map((rp) => `--read-bucket id-heatpump-${rp}`).join(' ');
      has(`v1 auth create --org heatpump --username writer --password write-password --description heatpump-monitor Node-RED writes (write-only) ${writeRights}`);
      has(`v1 auth create --org heatpump --username reader --password read-password --description heatpump-monitor Node-RED queries (read-only) ${readRights}`);
      has(`auth create --org heatpump --description heatpump-monitor write-only ${writeRights} --json`);
      has(`auth create --org heatpump --description heatpump-monitor read-only ${readRights} --json`);
      for (const call of made.filter((line) => /^(v1 )?auth create/.test(line))) {
        assert.ok(!(call.includes('--write-bucket') && call.includes('--read-bucket')), `one right per login: ${call}`);
      }
      for (const kind of ['write', 'read']) {
        const file = path.join(dir, 'secrets', `influxdb-${kind}-token`);
        assert.equal(fs.readFileSync(file, 'utf8'), `fake-${kind}-token\n`);
        assert.equal(fs.statSync(file).mode & 0o077, 0);
      }

      const flux = fs.readFileSync(path.join(dir, 'state', 'flux'), 'utf8');
      assert.match(flux, /option task = \{name: "heatpump_hourly", every: 1h, offset: 5m\}/);
      assert.match(flux, /option task = \{name: "heatpump_daily", every: 1d, offset: 15m\}/);
      for (const [fn, set] of [['mean', 'fields'], ['min', 'fields'], ['max', 'fields'], ['last', 'states']]) {
        assert.match(flux, new RegExp(`aggregate\\(fn: ${fn}, prefix: "${fn}_", set: ${set}\\)`));
      }
      assert.match(flux, /states = \["compressor_running", "fan_running", "defrost_active"\]/);
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
      assert.ok(second.some((call) => call.startsWith('v1 auth set-password --username writer --password write-password')));
      assert.ok(second.some((call) => call.startsWith('v1 auth set-password --username reader --password read-password')));
    });
  });
});
