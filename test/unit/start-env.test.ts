import assert from 'node:assert/strict';
import jsonata from 'jsonata';
import { clusterBrokerProblem, mqttTarget, simulatorDevices, simulatorIntervalMs } from '../../scripts/lib/runtime-env';
import { loadShippedFlows } from '../../scripts/lib/shipped-flows';

describe('npm start environment (scripts/lib/runtime-env)', function () {
  it('runs the embedded broker unless MQTT_BROKER is set', function () {
    assert.deepEqual(mqttTarget({}), { external: false, host: '127.0.0.1', port: 1883 });
    assert.deepEqual(mqttTarget({ MQTT_PORT: '2883' }), { external: false, host: '127.0.0.1', port: 2883 });
    assert.deepEqual(mqttTarget({ MQTT_BROKER: 'mosquitto' }), { external: true, host: 'mosquitto', port: 1883 });
    assert.deepEqual(mqttTarget({ MQTT_BROKER: 'mqtt://broker.lan:8883', MQTT_PORT: '1' }), {
      external: true,
      host: 'broker.lan',
      port: 8883,
    });
    assert.throws(() => mqttTarget({ MQTT_PORT: 'abc' }), /MQTT_PORT must be a port number/);
  });

  it('a cluster replica (REDIS_URL) needs an external broker: the embedded one has no shared subscriptions', function () {
    assert.equal(clusterBrokerProblem({}), undefined);
    assert.equal(clusterBrokerProblem({ REDIS_URL: 'redis://r', MQTT_BROKER: 'mosquitto' }), undefined);
    assert.match(clusterBrokerProblem({ REDIS_URL: 'redis://r' }) ?? '', /set MQTT_BROKER/);
    assert.match(clusterBrokerProblem({ REDIS_URL: 'redis://r', MQTT_BROKER: ' ' }) ?? '', /set MQTT_BROKER/);
  });

  describe('global environment of the shipped flow (an unset variable reads as empty or a default)', function () {
    const globalEnv = loadShippedFlows().find((node) => node.type === 'global-config')?.env as { name: string; value: string; type: string }[];
    /** Evaluates every entry as Node-RED does at flow start ($env of an unset variable is ""). */
    const evaluate = async (env: Record<string, string>, names: string[]) => {
      const out: Record<string, unknown> = {};
      for (const entry of globalEnv.filter((e) => names.includes(e.name))) {
        assert.equal(entry.type, 'jsonata');
        const expression = jsonata(entry.value);
        expression.registerFunction('env', (name: string) => env[name] ?? '', '<s:s>');
        out[entry.name] = await expression.evaluate({});
      }
      return out;
    };
    const influx = ['INFLUXDB_PROTOCOL', 'INFLUXDB_HOST', 'INFLUXDB_PORT'];

    const cases: [string | undefined, Record<string, string>][] = [
      ['http://localhost:8086', { INFLUXDB_PROTOCOL: 'http', INFLUXDB_HOST: 'localhost', INFLUXDB_PORT: '8086' }],
      ['https://influx.example.com/', { INFLUXDB_PROTOCOL: 'https', INFLUXDB_HOST: 'influx.example.com', INFLUXDB_PORT: '443' }],
      ['http://influxdb:18086/base', { INFLUXDB_PROTOCOL: 'http', INFLUXDB_HOST: 'influxdb', INFLUXDB_PORT: '18086' }],
      // unset: no host, so the fleet says history is off and nothing is written or queried
      [undefined, { INFLUXDB_PROTOCOL: 'http', INFLUXDB_HOST: '', INFLUXDB_PORT: '8086' }],
    ];
    for (const [url, expected] of cases) {
      it(`derives host, port and protocol from INFLUXDB_URL=${String(url)}`, async function () {
        assert.deepEqual(await evaluate(url === undefined ? {} : { INFLUXDB_URL: url }, influx), expected);
      });
    }

    it('gives every other ${VAR} of the flows a value: the environment, else a default or empty', async function () {
      const used = new Set<string>();
      for (const node of loadShippedFlows()) for (const match of JSON.stringify(node).matchAll(/\$\{([A-Z0-9_]+)\}/g)) used.add(match[1] ?? '');
      assert.deepEqual([...used].filter((name) => !globalEnv.some((e) => e.name === name)), [], 'every ${VAR} the flows use has a global default');
      const unset = await evaluate({}, [...used]);
      assert.equal(unset.MQTT_BROKER, 'localhost');
      assert.equal(unset.MQTT_PORT, '1883');
      assert.equal(unset.INFLUXDB_DATABASE, 'heatpump');
      assert.equal(unset.MQTT_USER, '');
      assert.equal(unset.SMS_ADMIN_NUMBERS, '');
      const set = await evaluate({ MQTT_BROKER: 'mosquitto', MQTT_PORT: '8883', INFLUXDB_DATABASE: 'hp' }, ['MQTT_BROKER', 'MQTT_PORT', 'INFLUXDB_DATABASE']);
      assert.deepEqual(set, { MQTT_BROKER: 'mosquitto', MQTT_PORT: '8883', INFLUXDB_DATABASE: 'hp' });
    });
  });

  it('reads SIMULATOR and SIMULATOR_INTERVAL', function () {
    assert.equal(simulatorDevices({}), 3);
    assert.equal(simulatorDevices({ SIMULATOR: '0' }), 0);
    assert.equal(simulatorDevices({ SIMULATOR: '25' }), 25);
    assert.throws(() => simulatorDevices({ SIMULATOR: 'yes' }), /SIMULATOR must be/);
    assert.equal(simulatorIntervalMs({}), 10_000);
    assert.equal(simulatorIntervalMs({ SIMULATOR_INTERVAL: '0.5' }), 500);
    assert.throws(() => simulatorIntervalMs({ SIMULATOR_INTERVAL: '0' }), /SIMULATOR_INTERVAL/);
  });
});
