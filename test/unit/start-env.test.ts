import assert from 'node:assert/strict';
import { influxTarget, mqttTarget, simulatorDevices, simulatorIntervalMs } from '../../scripts/lib/runtime-env';

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

  it('derives host, port and protocol from INFLUXDB_URL', function () {
    assert.deepEqual(influxTarget('http://localhost:8086'), { url: 'http://localhost:8086', host: 'localhost', port: 8086, protocol: 'http' });
    assert.deepEqual(influxTarget('https://influx.example.com/'), {
      url: 'https://influx.example.com',
      host: 'influx.example.com',
      port: 443,
      protocol: 'https',
    });
    assert.throws(() => influxTarget('ftp://x'), /INFLUXDB_URL must be http/);
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
