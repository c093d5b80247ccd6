// A device's modem report (heatpump/{id}/sms/received) may command that device alone; the
// gateways (no viaDevice) may name any device.
import assert from 'node:assert/strict';
import { parseCommand, runCommand, seenDevices, type CommandOutcome } from '../../nodes/sms-gateway-bridge/commands';
import type { Reading } from '../../nodes/shared/contract';

const T0 = Date.UTC(2024, 0, 30, 7, 33, 20);
const reading = (device_id: string): Reading => ({ device_id, timestamp: T0, voltage: 230 }) as Reading;
const devices = seenDevices(new Map([['sim-001', reading('sim-001')], ['sim-002', reading('sim-002')]]), new Map());

/** what a test compares: refused, the device command, the device, the start of the reply */
const summary = (outcome: CommandOutcome) => ({
  refused: outcome.refused,
  reset: outcome.deviceCommand?.device,
  device: outcome.device,
  requested: outcome.requested,
  reply: outcome.reply.split('\n')[0]?.slice(0, 30),
});

describe('sms commands: a device report commands its own device only', function () {
  // [text, via device (undefined = a gateway), expected]
  const cases: [string, string | undefined, ReturnType<typeof summary>][] = [
    ['RESET sim-001', 'sim-002', { refused: 'other-device', reset: undefined, device: 'sim-002', requested: 'sim-001', reply: 'RESET sim-001 refused: an SMS ' }],
    ['RESET', 'sim-002', { refused: undefined, reset: 'sim-002', device: 'sim-002', requested: undefined, reply: 'Restarting device...' }],
    ['reset SIM-002', 'sim-002', { refused: undefined, reset: 'sim-002', device: 'sim-002', requested: undefined, reply: 'Restarting device...' }],
    ['STATUS sim-001', 'sim-002', { refused: 'other-device', reset: undefined, device: 'sim-002', requested: 'sim-001', reply: 'STATUS sim-001 refused: an SMS' }],
    ['STATUS', 'sim-002', { refused: undefined, reset: undefined, device: 'sim-002', requested: undefined, reply: 'HEAT PUMP STATUS' }],
    ['STATUS nowhere', 'sim-002', { refused: 'other-device', reset: undefined, device: 'sim-002', requested: 'nowhere', reply: 'STATUS nowhere refused: an SMS' }],
    ['RESET sim-001', undefined, { refused: undefined, reset: 'sim-001', device: 'sim-001', requested: undefined, reply: 'Restarting device...' }],
    ['STATUS sim-002', undefined, { refused: undefined, reset: undefined, device: 'sim-002', requested: undefined, reply: 'HEAT PUMP STATUS' }],
  ];
  for (const [text, viaDevice, expected] of cases)
    it(`${JSON.stringify(text)} ${viaDevice ? `reported by ${viaDevice}` : 'through a gateway'}`, function () {
      assert.deepEqual(summary(runCommand(parseCommand(text), { devices, viaDevice, now: T0 })), expected);
    });

  it('the refusal names the reporting device and fits one SMS', function () {
    const outcome = runCommand(parseCommand(`RESET ${'x'.repeat(200)}`), { devices, viaDevice: 'sim-002', now: T0 });
    assert.equal(outcome.refused, 'other-device');
    assert.ok(outcome.reply.length <= 160);
    assert.equal(runCommand(parseCommand('RESET sim-001'), { devices, viaDevice: 'sim-002', now: T0 }).reply, 'RESET sim-001 refused: an SMS to sim-002 may only command sim-002. Send RESET alone.');
  });

  it('HELP reported by a device lists only that device; through a gateway all', function () {
    // one device: no <device> argument and no list
    assert.equal(runCommand({ cmd: 'HELP' }, { devices, viaDevice: 'sim-002', now: T0 }).reply, 'Commands: STATUS - readings; RESET - restart device; HELP - this list.');
    assert.match(runCommand({ cmd: 'HELP' }, { devices, now: T0 }).reply, /sim-001, sim-002/);
  });
});
