// Contract between the firmware and the server: payloads built by the firmware's C++ core (host
// build) go through the real heatpump-decode node and must decode to exactly these readings and
// alerts. A change on either side that breaks the other fails here.
import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import type { AlertEvent, Reading } from '../../nodes/shared/contract';
import { SEED_TIMESTAMP, seedReading } from '../fixtures/payloads';
import { helper, type NodeInit } from '../support/flow-helper';
import { nodeModule, nodeRedPath } from '../support/node-red';
import { requireBinary } from '../support/system';
import { firmwareSamples, type FirmwareSample } from './firmware-samples';

type ReadingMsg = NodeMessage & { payload: Reading; invalid: string[] };
type AlertMsg = NodeMessage & { payload: AlertEvent };

const T0 = SEED_TIMESTAMP;

/** The example reading of the device contract (docs/CONTRACTS.md "Reading") as the firmware samples send it, decoded. */
const firmwareReading = (change: Partial<Reading> = {}): Reading => seedReading({ overflow: 0, signal: 65, ...change });

describe('firmware payloads decoded by heatpump-decode (contract)', function () {
  let samples: FirmwareSample[] = [];

  before(function () {
    this.timeout(120000); // first build of the C++ core
    requireBinary(this, 'g++', 'g++');
    requireBinary(this, 'make', 'make');
    helper.init(nodeRedPath);
    samples = firmwareSamples();
  });
  beforeEach(function (done) {
    helper.startServer(done);
  });
  afterEach(async function () {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(resolve));
  });

  const sample = (name: string): FirmwareSample => {
    const found = samples.find((s) => s.name === name);
    if (found === undefined) throw new Error(`no firmware sample ${name}; have ${samples.map((s) => s.name).join(', ')}`);
    return found;
  };

  /** Sends the samples through a heatpump-decode node; resolves with everything on both outputs. */
  async function decode(inputs: FirmwareSample[], readingCount: number, alertCount: number): Promise<{ readings: ReadingMsg[]; alerts: AlertMsg[] }> {
    await helper.load(nodeModule('heatpump-decode') as NodeInit, [
      { id: 'n1', type: 'heatpump-decode', wires: [['readings'], ['alerts']] },
      { id: 'readings', type: 'helper' },
      { id: 'alerts', type: 'helper' },
    ]);
    const readings: ReadingMsg[] = [];
    const alerts: AlertMsg[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${readings.length}/${readingCount} readings, ${alerts.length}/${alertCount} alerts`)), 5000);
      const check = (): void => {
        if (readings.length === readingCount && alerts.length === alertCount) {
          clearTimeout(timer);
          // a little longer: anything beyond the expected count must fail the test
          setTimeout(resolve, 50);
        }
      };
      helper.getNode('readings')?.on('input', (msg: ReadingMsg) => (readings.push(msg), check()));
      helper.getNode('alerts')?.on('input', (msg: AlertMsg) => (alerts.push(msg), check()));
    });
    for (const input of inputs) helper.getNode('n1')?.receive({ topic: input.topic, payload: input.payload });
    await done;
    assert.equal(readings.length, readingCount);
    assert.equal(alerts.length, alertCount);
    return { readings, alerts };
  }

  it('a single reading decodes to the example reading, overflow and signal included', async function () {
    const { readings } = await decode([sample('single')], 1, 0);
    assert.deepEqual(readings[0]?.payload, firmwareReading());
    assert.deepEqual(readings[0]?.invalid, []);
  });

  it('a batch of 30 readings arrives as bounded arrays and decodes to 30 readings in order', async function () {
    const parts = samples.filter((s) => s.name.startsWith('batch30-'));
    assert.equal(parts.length, 3, 'a flush of 30 is split into arrays of at most 10 readings');
    for (const part of parts) assert.ok(Buffer.byteLength(part.payload) <= 6144, `${part.name} stays under the 6 KB batch limit`);
    const { readings } = await decode(parts, 30, 0);
    readings.forEach((msg, i) => {
      assert.deepEqual(msg.payload, firmwareReading({ timestamp: T0 + i * 10000, temp_inlet: Math.round((45 + i * 0.1) * 100) / 100 }));
      assert.deepEqual(msg.invalid, []);
    });
  });

  it('invalid sensors are left out and listed in msg.invalid (power follows current)', async function () {
    const { readings } = await decode([sample('invalid')], 1, 0);
    const { temp_outlet: _o, current: _c, power: _p, pressure_high: _h, pressure_low: _l, ...valid } = firmwareReading({ compressor_running: false });
    assert.deepEqual(readings[0]?.payload, valid);
    assert.deepEqual(readings[0]?.invalid, ['temp_outlet', 'current', 'power', 'pressure_high', 'pressure_low']);
  });

  it('an overflow is reported once, on the oldest reading kept', async function () {
    const { readings } = await decode([sample('overflow')], 10, 0);
    assert.deepEqual(
      readings.map((m) => m.payload.overflow),
      [3, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    );
    assert.equal(readings[0]?.payload.timestamp, T0 + 3 * 10000, 'the three oldest readings were the ones dropped');
  });

  it('a device-raised alert decodes to an AlertEvent on output 2', async function () {
    const { alerts } = await decode([sample('alert')], 0, 1);
    assert.deepEqual(alerts[0]?.payload, {
      device_id: 'site1',
      alert_type: 'voltage_high',
      level: 'critical',
      value: 251.2,
      threshold: 250,
      message: 'High voltage',
      state: 'raised',
      source: 'device',
      timestamp: T0,
      field: 'voltage',
    });
  });
});
