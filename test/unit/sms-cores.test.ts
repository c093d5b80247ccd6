import assert from 'node:assert/strict';
import { fitSegments, isGsm7, segmentInfo, toGsm7Friendly } from '../../nodes/sms-gateway-bridge/gsm7';
import { normalisePhone, parseNumberList } from '../../nodes/sms-gateway-bridge/phone';
import { composeAlert, composeFleetStatus, composeHeldBackSummary, composePresence, composeStatus, formatTime, type ActiveAlerts, type FleetDeviceView } from '../../nodes/sms-gateway-bridge/compose';
import { fleetDevices, parseCommand, runCommand, seenDevices, type CommandContext } from '../../nodes/sms-gateway-bridge/commands';
import { FleetState } from '../../nodes/heatpump-fleet/fleet-state';
import { SmsLimiter } from '../../nodes/sms-gateway-bridge/limiter';
import { parseCmsError } from '../../nodes/sms-gateway-bridge/modem-errors';
import type { AlertEvent, Reading } from '../../nodes/shared/contract';

const T0 = Date.UTC(2024, 0, 30, 7, 33, 20);

describe('sms gsm7', function () {
  const cases: [string, string, 'GSM-7' | 'UCS-2', number, number][] = [
    ['empty', '', 'GSM-7', 0, 1],
    ['160 plain', 'a'.repeat(160), 'GSM-7', 160, 1],
    ['161 plain -> 2x153', 'a'.repeat(161), 'GSM-7', 161, 2],
    ['306 plain', 'a'.repeat(306), 'GSM-7', 306, 2],
    ['307 plain', 'a'.repeat(307), 'GSM-7', 307, 3],
    ['euro counts 2', '€'.repeat(80), 'GSM-7', 160, 1],
    ['one more ext tips over', '€'.repeat(80) + '[', 'GSM-7', 162, 2],
    ['german umlauts are GSM-7', 'Wärmepumpe Störung Ü ß', 'GSM-7', 22, 1],
    ['degree sign forces UCS-2', '95°C', 'UCS-2', 4, 1],
    ['70 UCS-2', 'ł'.repeat(70), 'UCS-2', 70, 1],
    ['71 UCS-2 -> 2x67', 'ł'.repeat(71), 'UCS-2', 71, 2],
    ['emoji is a surrogate pair', 'PoP: \ud83d\udca9', 'UCS-2', 7, 1],
    ['Twilio fixture body', 'O Slash: \u00d8, PoP: \ud83d\udca9', 'UCS-2', 19, 1],
  ];
  for (const [name, text, encoding, units, segments] of cases) {
    it(name, function () {
      const info = segmentInfo(text);
      assert.equal(info.encoding, encoding);
      assert.equal(info.units, units);
      assert.equal(info.segments, segments);
    });
  }
  it('toGsm7Friendly removes the degree sign and typographic quotes', function () {
    assert.equal(toGsm7Friendly('97°C – “hot”'), '97C - "hot"');
    assert.ok(isGsm7(toGsm7Friendly('97°C – “hot”')));
  });
  it('fitSegments cuts on characters and never splits a surrogate pair', function () {
    const cut = fitSegments('\ud83d\udca9'.repeat(50), 1);
    assert.equal(segmentInfo(cut).segments, 1);
    assert.ok(cut.endsWith('...'));
    assert.ok(!/[\ud800-\udbff]\.\.\.$/.test(cut));
    assert.equal(fitSegments('short', 1), 'short');
    assert.equal(segmentInfo(fitSegments('x'.repeat(1000), 2)).segments, 2);
  });
});

describe('sms phone', function () {
  const cases: [unknown, string | undefined, string | undefined][] = [
    ['+49 171 1234567', undefined, '+491711234567'],
    ['0049 (171) 123-4567', undefined, '+491711234567'],
    ['0171 1234567', '+49', '+491711234567'],
    ['0171 1234567', undefined, undefined],
    ['6505551212', '1', '+16505551212'],
    ['+1234567890', undefined, '+1234567890'],
    ['MTS RUS', '+49', undefined],
    ['Vodafone', '+49', undefined],
    ['+0123', undefined, undefined],
    ['+1234567890123456', undefined, undefined],
    [42, '+49', undefined],
  ];
  for (const [raw, country, expected] of cases) {
    it(`${String(raw)} (${country ?? 'no default'}) -> ${expected ?? 'rejected'}`, function () {
      assert.equal(normalisePhone(raw, country), expected);
    });
  }
  it('parseNumberList splits, normalises, de-duplicates and reports invalid entries', function () {
    assert.deepEqual(parseNumberList('+491711234567, 0171 1234567\nabc;+15551234567', '49'), {
      numbers: ['+491711234567', '+15551234567'],
      invalid: ['abc'],
    });
  });
});

const alert = (over: Partial<AlertEvent> = {}): AlertEvent => ({
  device_id: 'site1',
  alert_type: 'compressor_temp',
  level: 'critical',
  value: 97.34,
  threshold: 95,
  message: 'Compressor temperature 97.3 °C above 95 °C',
  state: 'raised',
  timestamp: T0,
  ...over,
});

const reading: Reading = {
  device_id: 'site1',
  timestamp: T0 - 3 * 60000,
  temp_inlet: 45.2,
  temp_outlet: 50.1,
  temp_ambient: 25.0,
  temp_compressor: 70.5,
  voltage: 230.5,
  current: 8.5,
  power: 1959.25,
  compressor_running: true,
};

describe('sms compose', function () {
  it('formats times in the configured zone, UTC for a bad zone', function () {
    assert.equal(formatTime(T0), '2024-01-30 07:33 UTC');
    assert.equal(formatTime(T0, 'Europe/Berlin'), '2024-01-30 08:33 CET');
    assert.equal(formatTime(T0, 'Not/AZone'), '2024-01-30 07:33 UTC');
  });
  const alertCases: [string, Partial<AlertEvent>, string][] = [
    ['raised critical', {}, 'CRITICAL site1: compressor_temp 97.3C > 95C. 2024-01-30 07:33 UTC'],
    ['low voltage uses <', { alert_type: 'voltage_low', value: 205, threshold: 210 }, 'CRITICAL site1: voltage_low 205V < 210V. 2024-01-30 07:33 UTC'],
    ['escalated', { state: 'escalated' }, 'CRITICAL (escalated) site1: compressor_temp 97.3C > 95C. 2024-01-30 07:33 UTC'],
    ['cleared', { state: 'cleared', value: 80 }, 'CLEARED site1: compressor_temp 80C, limit 95C. 2024-01-30 07:33 UTC'],
    ['sensor fault without unit', { alert_type: 'sensor_fault', level: 'warning', value: 0, threshold: 0 }, 'WARNING site1: sensor_fault 0 > 0. 2024-01-30 07:33 UTC'],
  ];
  for (const [name, over, expected] of alertCases) {
    it(`alert: ${name}`, function () {
      const text = composeAlert(alert(over));
      assert.equal(text, expected);
      assert.equal(segmentInfo(text).encoding, 'GSM-7');
    });
  }
  it('a very long device id still gives one segment', function () {
    const text = composeAlert(alert({ device_id: 'x'.repeat(200) }));
    assert.equal(segmentInfo(text).segments, 1);
  });
  it('presence offline and online', function () {
    assert.equal(
      composePresence({ event: 'device_offline', device_id: 'site2', last_seen: T0 - 600000, reason: 'timeout', timestamp: T0 }),
      'OFFLINE site2: no data since 2024-01-30 07:23 UTC. 2024-01-30 07:33 UTC',
    );
    assert.equal(composePresence({ event: 'device_online', device_id: 'site2', last_seen: T0, reason: 'data', timestamp: T0 }), 'ONLINE site2 again. 2024-01-30 07:33 UTC');
  });
  it('STATUS follows the STATUS text of docs/CONTRACTS.md and fits one GSM-7 segment', function () {
    const text = composeStatus(reading, new Map(), T0);
    assert.equal(text, 'HEAT PUMP STATUS\nDevice: site1\nTemps: 45/50/25/71C\nV: 231V I: 8.5A P: 1959W\nAlerts: OK\nData: 3 min ago');
    const withAlerts = composeStatus({ ...reading, signal: 61, overflow: 4, temp_ambient: undefined }, new Map([['compressor_temp', 'critical'], ['current', 'warning']]), T0);
    assert.match(withAlerts, /Temps: 45\/50\/-\/71C/);
    assert.match(withAlerts, /Alerts: compressor_temp!,current/);
    assert.match(withAlerts, /Data: 3 min ago Sig 61% Lost 4$/);
    assert.equal(segmentInfo(withAlerts).segments, 1);
  });
  it('held-back summary', function () {
    assert.equal(composeHeldBackSummary(12, T0), '12 more alerts held back since 2024-01-30 07:33 UTC (SMS limit).');
    assert.equal(composeHeldBackSummary(1, T0), '1 more alert held back since 2024-01-30 07:33 UTC (SMS limit).');
  });
});

describe('sms commands', function () {
  const parseCases: [string, ReturnType<typeof parseCommand>][] = [
    ['STATUS', { cmd: 'STATUS' }],
    ['  status  ', { cmd: 'STATUS' }],
    ['Status  Site1\r\n', { cmd: 'STATUS', device: 'Site1' }],
    ['reset', { cmd: 'RESET' }],
    ['RESET site2', { cmd: 'RESET', device: 'site2' }],
    ['help', { cmd: 'HELP' }],
    ['status please now', { cmd: 'UNKNOWN', text: 'status please now' }],
    ['Android is always a sweet treat!', { cmd: 'UNKNOWN', text: 'Android is always a sweet treat!' }],
    ['', { cmd: 'UNKNOWN', text: '' }],
  ];
  for (const [text, expected] of parseCases) it(`parses ${JSON.stringify(text)}`, () => assert.deepEqual(parseCommand(text), expected));

  const context = (over: { readings?: Map<string, Reading>; activeAlerts?: Map<string, ActiveAlerts>; viaDevice?: string } = {}): CommandContext => ({
    devices: seenDevices(over.readings ?? new Map([['site1', reading]]), over.activeAlerts ?? new Map()),
    viaDevice: over.viaDevice,
    now: T0,
  });
  it('STATUS with one device answers for it', function () {
    assert.match(runCommand({ cmd: 'STATUS' }, context()).reply, /^HEAT PUMP STATUS\nDevice: site1\n/);
  });
  it('STATUS with several devices asks which one, STATUS site2 answers for site2', function () {
    const readings = new Map([
      ['site1', reading],
      ['site2', { ...reading, device_id: 'site2' }],
    ]);
    assert.match(runCommand({ cmd: 'STATUS' }, context({ readings })).reply, /Several devices.*site1, site2/);
    assert.match(runCommand({ cmd: 'STATUS', device: 'SITE2' }, context({ readings })).reply, /Device: site2/);
    assert.match(runCommand({ cmd: 'STATUS', device: 'site9' }, context({ readings })).reply, /Unknown device site9/);
  });
  it('RESET gives a device command and "Restarting device..."', function () {
    assert.deepEqual(runCommand({ cmd: 'RESET' }, context()), { reply: 'Restarting device...', deviceCommand: { device: 'site1', cmd: 'RESET' }, device: 'site1' });
  });
  it('the device an SMS came in through is the default', function () {
    const outcome = runCommand({ cmd: 'STATUS' }, context({ readings: new Map(), viaDevice: 'site7' }));
    assert.equal(outcome.reply, 'HEAT PUMP STATUS\nDevice: site7\nNo reading received yet.');
  });
  it('HELP and unknown text list the commands', function () {
    assert.match(runCommand({ cmd: 'HELP' }, context()).reply, /STATUS.*RESET.*HELP/);
    assert.match(runCommand({ cmd: 'UNKNOWN', text: 'hi' }, context()).reply, /^Commands:/);
  });
  it('without a fleet, STATUS shows the alerts the bridge saw', function () {
    const activeAlerts = new Map([['site1', new Map([['compressor_temp', 'critical' as const]])]]);
    assert.match(runCommand({ cmd: 'STATUS', device: 'site1' }, context({ activeAlerts })).reply, /\nAlerts: compressor_temp!\n/);
  });
});

describe('sms STATUS from the fleet node', function () {
  const record = (over: Partial<FleetDeviceView> = {}): FleetDeviceView => ({ device_id: 'site1', online: true, last_seen: reading.timestamp, reading, alerts: {}, ...over });
  const critical = { level: 'critical' as const };
  const warning = { level: 'warning' as const };

  const cases: [string, FleetDeviceView, string][] = [
    ['online, no alerts', record(), 'HEAT PUMP STATUS\nDevice: site1 (online)\nTemps: 45/50/25/71C\nV: 231V I: 8.5A P: 1959W\nAlerts: OK\nData: 3 min ago'],
    [
      'offline with a critical alert; last seen = the reading, so no extra line',
      record({ online: false, alerts: { compressor_temp: critical } }),
      'HEAT PUMP STATUS\nDevice: site1 (OFFLINE)\nTemps: 45/50/25/71C\nV: 231V I: 8.5A P: 1959W\nAlerts: compressor_temp!\nData: 3 min ago',
    ],
    [
      'after a restart: the active alert, no reading kept, heard 2 h ago',
      record({ online: false, reading: null, last_seen: T0 - 2 * 3600000, alerts: { pressure_high: critical } }),
      'HEAT PUMP STATUS\nDevice: site1 (OFFLINE)\nNo reading received yet.\nAlerts: pressure_high!\nSeen: 2 h ago',
    ],
    [
      'a status message after the reading shows when it was heard',
      record({ last_seen: T0 - 60000 }),
      'HEAT PUMP STATUS\nDevice: site1 (online)\nTemps: 45/50/25/71C\nV: 231V I: 8.5A P: 1959W\nAlerts: OK\nData: 3 min ago\nSeen: 1 min ago',
    ],
    [
      'presence not reported yet, reading days old, critical alerts first',
      record({ online: null, reading: { ...reading, timestamp: T0 - 3 * 86400000, signal: 61 }, last_seen: T0 - 3 * 86400000, alerts: { current: warning, voltage_low: critical } }),
      'HEAT PUMP STATUS\nDevice: site1\nTemps: 45/50/25/71C\nV: 231V I: 8.5A P: 1959W\nAlerts: voltage_low!,current\nData: 3 d ago Sig 61%',
    ],
  ];
  for (const [name, device, expected] of cases) {
    it(name, function () {
      const text = composeFleetStatus(device, T0);
      assert.equal(text, expected);
      assert.equal(segmentInfo(text).segments, 1);
    });
  }

  it('stays one GSM-7 segment (160 characters) with the longest id and every alert at once', function () {
    const alerts = Object.fromEntries(['voltage_high', 'voltage_low', 'compressor_temp', 'pressure_high', 'pressure_low', 'current'].map((type) => [type, critical]));
    const text = composeFleetStatus(record({ device_id: 'x'.repeat(64), online: false, alerts, last_seen: T0 - 60000 }), T0);
    assert.ok(text.length <= 160, `${text.length} characters`);
    assert.deepEqual([segmentInfo(text).segments, segmentInfo(text).encoding], [1, 'GSM-7']);
    assert.match(text, /^HEAT PUMP STATUS\nDevice: x{64} \(OFFLINE\)\n/);
  });

  it('a long real-world id with three alerts keeps every alert', function () {
    const alerts = { current: warning, compressor_temp: critical, pressure_high: critical };
    const text = composeFleetStatus(record({ device_id: 'hp-berlin-mitte-0042', online: false, alerts, reading: { ...reading, signal: 61, overflow: 4 } }), T0);
    assert.ok(text.length <= 160, `${text.length} characters`);
    assert.match(text, /\nAlerts: compressor_temp!,pressure_high!,current\n/);
  });

  /** A fleet as the heatpump-fleet node restores it after a restart: reading, alert, presence. */
  function restoredFleet(): FleetState {
    const before = new FleetState(T0 - 3600000, false);
    before.reading(reading, [], reading.timestamp);
    before.presence({ event: 'device_online', device_id: 'site1', last_seen: reading.timestamp, reason: 'data', timestamp: reading.timestamp });
    before.alert({ device_id: 'site1', alert_type: 'compressor_temp', level: 'critical', value: 97.3, threshold: 95, message: 'hot', state: 'raised', timestamp: reading.timestamp });
    before.reading({ ...reading, device_id: 'Site2' }, [], reading.timestamp);
    const after = new FleetState(T0, false);
    assert.deepEqual(after.restore(JSON.parse(JSON.stringify(before.toJSON()))), { skipped: 0 });
    return after;
  }

  it('after a restart STATUS includes the active critical alert without a new reading', function () {
    const outcome = runCommand({ cmd: 'STATUS', device: 'site1' }, { devices: fleetDevices(restoredFleet()), now: T0 });
    assert.equal(outcome.device, 'site1');
    assert.equal(outcome.reply, 'HEAT PUMP STATUS\nDevice: site1 (online)\nTemps: 45/50/25/71C\nV: 231V I: 8.5A P: 1959W\nAlerts: compressor_temp!\nData: 3 min ago');
  });

  it('picks devices from the fleet: exact, another case, unknown, several, the via device', function () {
    const devices = fleetDevices(restoredFleet());
    assert.equal(runCommand({ cmd: 'STATUS', device: 'site2' }, { devices, now: T0 }).device, 'Site2');
    assert.match(runCommand({ cmd: 'STATUS', device: 'site9' }, { devices, now: T0 }).reply, /^Unknown device site9\. Devices: Site2, site1$/);
    assert.match(runCommand({ cmd: 'STATUS' }, { devices, now: T0 }).reply, /^Several devices/);
    assert.equal(runCommand({ cmd: 'STATUS' }, { devices, viaDevice: 'site7', now: T0 }).reply, 'HEAT PUMP STATUS\nDevice: site7\nNo reading received yet.');
    assert.deepEqual(runCommand({ cmd: 'RESET', device: 'SITE1' }, { devices, now: T0 }).deviceCommand, { device: 'site1', cmd: 'RESET' });
  });

  it('a large fleet: replies list at most 30 ids and stay one SMS', function () {
    const big = new FleetState(T0, false);
    for (let i = 0; i < 5000; i++) big.seen(`site${i}`, T0);
    const devices = fleetDevices(big);
    const help = runCommand({ cmd: 'HELP' }, { devices, now: T0 }).reply;
    assert.match(help, /^Commands: STATUS <device>/);
    assert.ok(help.length <= 160);
    const unknown = runCommand({ cmd: 'STATUS', device: 'nope' }, { devices, now: T0 }).reply;
    assert.ok(unknown.startsWith('Unknown device nope. Devices: ') && unknown.length <= 160);
    assert.equal(runCommand({ cmd: 'STATUS', device: 'site4999' }, { devices, now: T0 }).device, 'site4999');
  });
});

describe('sms limiter', function () {
  const config = { ratePerRecipient: 2, rateWindowMs: 3600000, dailyCap: 5, dedupWindowMs: 600000 };
  it('drops an identical text within the window, sends it again after', function () {
    const limiter = new SmsLimiter(config);
    assert.deepEqual(limiter.admit('+1', 'a', 0), { verdict: 'send' });
    assert.deepEqual(limiter.admit('+1', 'a', 1000), { verdict: 'duplicate' });
    assert.deepEqual(limiter.admit('+2', 'a', 1000), { verdict: 'send' });
    assert.deepEqual(limiter.admit('+1', 'a', 600000), { verdict: 'send' });
    assert.deepEqual(limiter.counts(), { sent: 3, held: 0, duplicates: 1 });
  });
  it('holds back over the rate and gives one summary when there is room again', function () {
    const limiter = new SmsLimiter(config);
    limiter.admit('+1', 'a', 0);
    limiter.admit('+1', 'b', 10);
    assert.deepEqual(limiter.admit('+1', 'c', 20), { verdict: 'held', reason: 'rate' });
    assert.deepEqual(limiter.admit('+1', 'd', 30), { verdict: 'held', reason: 'rate' });
    assert.equal(limiter.pendingHeld(), 2);
    assert.deepEqual(limiter.dueSummaries(1000), []);
    assert.deepEqual(limiter.dueSummaries(3600000), [{ to: '+1', count: 2, since: 20 }]);
    assert.deepEqual(limiter.dueSummaries(3600001), []);
    assert.equal(limiter.pendingHeld(), 0);
  });
  it('caps the total per 24 h; replies skip dedup and rate but not the cap', function () {
    const limiter = new SmsLimiter({ ...config, ratePerRecipient: 0 });
    for (let i = 0; i < 5; i++) assert.equal(limiter.admit(`+${i}`, 'x', i).verdict, 'send');
    assert.deepEqual(limiter.admit('+9', 'x', 10), { verdict: 'held', reason: 'daily' });
    assert.deepEqual(limiter.admit('+9', 'STATUS', 10, 'reply'), { verdict: 'held', reason: 'daily' });
    assert.equal(limiter.admit('+9', 'y', 86400000 + 5).verdict, 'send');
    const replies = new SmsLimiter(config);
    for (let i = 0; i < 4; i++) assert.equal(replies.admit('+1', 'same reply', i, 'reply').verdict, 'send');
  });
  it('0 switches each limit off', function () {
    const limiter = new SmsLimiter({ ratePerRecipient: 0, rateWindowMs: 1, dailyCap: 0, dedupWindowMs: 0 });
    for (let i = 0; i < 100; i++) assert.equal(limiter.admit('+1', 'same', i).verdict, 'send');
  });
});

describe('sms limiter persistence', function () {
  const config = { ratePerRecipient: 2, rateWindowMs: 3600000, dailyCap: 5, dedupWindowMs: 600000 };
  const HOUR = 3600000;
  /** toJSON -> JSON text -> fromJSON, the way a file context store carries it over a restart. */
  const reload = (limiter: SmsLimiter, now: number, options = config) => {
    const restored = SmsLimiter.fromJSON(JSON.parse(JSON.stringify(limiter)), options, now);
    assert.ok(restored.ok, restored.ok ? '' : restored.error);
    return restored.value;
  };

  it('keeps rate counts, held-back alerts and recent texts over a round trip', function () {
    const before = new SmsLimiter(config);
    before.admit('+1', 'a', 0);
    before.admit('+1', 'b', 10);
    before.admit('+1', 'c', 20);
    before.admit('+2', 'x', 30);
    const after = reload(before, 40);
    assert.deepEqual(after.admit('+1', 'd', 50), { verdict: 'held', reason: 'rate' }, 'the rate still counts the two sends');
    assert.deepEqual(after.admit('+2', 'x', 60), { verdict: 'duplicate' });
    assert.equal(after.pendingHeld(), 2);
    assert.deepEqual(after.counts(), { sent: 0, held: 1, duplicates: 1 }, 'status totals start from zero');
    assert.deepEqual(after.dueSummaries(HOUR), [{ to: '+1', count: 2, since: 20 }]);
  });

  it('keeps the daily cap over a round trip', function () {
    const before = new SmsLimiter({ ...config, ratePerRecipient: 0 });
    for (let i = 0; i < 5; i++) before.admit(`+${i}`, 'x', i * HOUR);
    const after = reload(before, 10 * HOUR, { ...config, ratePerRecipient: 0 });
    assert.deepEqual(after.admit('+9', 'y', 10 * HOUR), { verdict: 'held', reason: 'daily' });
    assert.deepEqual(after.admit('+9', 'STATUS', 10 * HOUR, 'reply'), { verdict: 'held', reason: 'daily' });
    assert.equal(after.admit('+9', 'z', 24 * HOUR).verdict, 'send', 'the first send has left the 24 h window');
  });

  it('drops what has left its window by the time of loading', function () {
    const before = new SmsLimiter(config);
    before.admit('+1', 'a', 0);
    before.admit('+1', 'b', 10);
    assert.deepEqual(reload(before, 700000).toJSON(), { version: 1, recipients: [['+1', [0, 10]]], daily: [0, 10], texts: [], held: [] });
    assert.deepEqual(reload(before, HOUR + 10).toJSON(), { version: 1, recipients: [], daily: [0, 10], texts: [], held: [] });
    assert.deepEqual(reload(before, 24 * HOUR + 10).toJSON(), { version: 1, recipients: [], daily: [], texts: [], held: [] });
  });

  it('applies the limits it is loaded with, not the stored ones', function () {
    const before = new SmsLimiter(config);
    before.admit('+1', 'a', 0);
    const after = reload(before, 1000, { ...config, dedupWindowMs: 0, ratePerRecipient: 1 });
    assert.deepEqual(after.toJSON().texts, []);
    assert.deepEqual(after.admit('+1', 'a', 1000), { verdict: 'held', reason: 'rate' });
  });

  it('counts times ahead of the clock as now, so they expire after one window', function () {
    const stored = { version: 1, recipients: [['+1', [1e15, 1e15]]], daily: [1e15, 1e15], texts: [['+1', 'a', 1e15]], held: [{ to: '+1', count: 1, since: 1e15 }] };
    const restored = SmsLimiter.fromJSON(stored, config, 1000);
    assert.ok(restored.ok);
    assert.deepEqual(restored.value.toJSON(), { version: 1, recipients: [['+1', [1000, 1000]]], daily: [1000, 1000], texts: [['+1', 'a', 1000]], held: [{ to: '+1', count: 1, since: 1000 }] });
    assert.equal(restored.value.admit('+1', 'b', 1000 + HOUR).verdict, 'send');
  });

  const valid = { version: 1, recipients: [['+1', [0]]], daily: [0], texts: [['+1', 'a', 0]], held: [{ to: '+1', count: 1, since: 0 }] };
  const corrupt: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['null', null],
    ['a string', 'smsLimiter'],
    ['an array', [valid]],
    ['another version', { ...valid, version: 2 }],
    ['a foreign object', { presence: { version: 1, devices: [] }, timeouts: {} }],
    ['no daily list', { ...valid, daily: undefined }],
    ['a time that is not a number', { ...valid, daily: ['0'] }],
    ['a time that is not finite', { ...valid, recipients: [['+1', [NaN]]] }],
    ['a recipient that is not a string', { ...valid, recipients: [[1, [0]]] }],
    ['recipients as an object', { ...valid, recipients: { '+1': [0] } }],
    ['a short text entry', { ...valid, texts: [['+1', 0]] }],
    ['a held count of 0', { ...valid, held: [{ to: '+1', count: 0, since: 0 }] }],
    ['a fractional held count', { ...valid, held: [{ to: '+1', count: 1.5, since: 0 }] }],
    ['a held entry without time', { ...valid, held: [{ to: '+1', count: 1 }] }],
  ];
  for (const [name, value] of corrupt)
    it(`rejects ${name}`, function () {
      assert.equal(SmsLimiter.fromJSON(value, config, 1000).ok, false);
    });
  it('accepts the well-formed value the rejections are variations of', function () {
    assert.equal(SmsLimiter.fromJSON(valid, config, 1000).ok, true);
  });
});

describe('sms modem errors', function () {
  const cases: [string, number | undefined, boolean][] = [
    ['+CMS ERROR: 500', 500, true],
    ['+CMS ERROR: 304 Invalid PDU mode parameter', 304, false],
    ['+CMS ERROR: invalid input value', undefined, false],
    ['+CMS ERROR:', undefined, true],
    ['+CMS ERROR: 331', 331, true],
    ['+CME ERROR: SIM busy ', undefined, true],
    ['+CMS ERROR: 310', 310, false],
  ];
  for (const [line, code, transient] of cases) {
    it(line, function () {
      const parsed = parseCmsError(line);
      assert.equal(parsed.code, code);
      assert.equal(parsed.transient, transient);
    });
  }
});
