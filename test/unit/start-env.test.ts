import assert from 'node:assert/strict';
import jsonata from 'jsonata';
import { mqttTarget, simulatorDevices, simulatorIntervalMs } from '../../scripts/lib/runtime-env';
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

  it('derives the InfluxDB host, port and protocol from INFLUXDB_URL (global environment of the shipped flow)', async function () {
    const globalEnv = loadShippedFlows().find((node) => node.type === 'global-config')?.env as { name: string; value: string; type: string }[];
    const derive = async (url: string | undefined) => {
      const out: Record<string, unknown> = {};
      for (const entry of globalEnv) {
        assert.equal(entry.type, 'jsonata');
        const expression = jsonata(entry.value);
        expression.registerFunction('env', (name: string) => (name === 'INFLUXDB_URL' ? (url ?? '') : ''), '<s:s>');
        out[entry.name] = await expression.evaluate({});
      }
      return out;
    };
    assert.deepEqual(await derive('http://localhost:8086'), { INFLUXDB_PROTOCOL: 'http', INFLUXDB_HOST: 'localhost', INFLUXDB_PORT: '8086' });
    assert.deepEqual(await derive('https://influx.example.com/'), { INFLUXDB_PROTOCOL: 'https', INFLUXDB_HOST: 'influx.example.com', INFLUXDB_PORT: '443' });
    assert.deepEqual(await derive('http://influxdb:18086/base'), { INFLUXDB_PROTOCOL: 'http', INFLUXDB_HOST: 'influxdb', INFLUXDB_PORT: '18086' });
    // unset: no host, so the fleet says history is off and nothing is written or queried
    assert.deepEqual(await derive(undefined), { INFLUXDB_PROTOCOL: 'http', INFLUXDB_HOST: '', INFLUXDB_PORT: '8086' });
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
