// The AT line parser against the real transcripts in test/fixtures/sms_modem.
import assert from 'node:assert/strict';
import { LineSplitter, PartJoiner, classifyLine, decodeUcs2Hex, encodeUcs2Hex, parseCmgs, parseCmti, parseCsq, parseModemTime, parseSmsList } from '../../nodes/sms-gateway-bridge/at-parser';
import { parseCmsError } from '../../nodes/sms-gateway-bridge/modem-errors';
import { readFixture } from '../support/fixtures';

/** A transcript's modem lines: comments and the logging tools' prefixes removed. */
function transcript(name: string): string[] {
  return readFixture('sms_modem', name)
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/^\[AT (TX|RX)\]:\s*/, '').replace(/^\[[\d:]+\]\[D\]\[sim800l:\d+\]: Unhandled: /, '').replace(/ - 0$/, ''));
}

describe('sms AT parser on real transcripts', function () {
  it('01 (CMEE=2): verbose CME/CMS errors are final errors, ">  Test" is the prompt plus the echoed text', function () {
    const lines = new LineSplitter().push(transcript('01_sim800l_cmee2_verbose_errors__jakhax_raspberry-pi-sim800l-gsm-module_issue4.txt').join('\r\n'));
    const errors = lines.filter((l) => classifyLine(l) === 'error');
    assert.deepEqual(errors, ['+CME ERROR: SIM busy', '+CME ERROR: operation not allowed', '+CMS ERROR: invalid input value']);
    assert.equal(parseCmsError('+CMS ERROR: invalid input value').transient, false);
    assert.ok(lines.includes('>') && lines.includes('Test'));
  });

  it('02/09: boot noise and URCs are told apart from answers', function () {
    const kinds = (lines: string[]) => lines.map((l) => [l, classifyLine(l)]);
    const boot = kinds(transcript('09_sim808_boot_cpin_not_ready_rdy_cfun__TinyGSM_issue318.txt').filter(Boolean));
    for (const urc of ['RDY', '+CFUN: 1', '+CPIN: SIM PIN', '+CPIN: NOT READY']) assert.ok(boot.some(([l, k]) => l === urc && k === 'urc'), urc);
    const urcs = kinds(transcript('02_sim800l_boot_creg_search_then_registered__TinyGSM_issue471.txt').filter(Boolean));
    assert.ok(urcs.some(([l, k]) => String(l).startsWith('*PSUTTZ:') && k === 'urc'));
    assert.ok(urcs.some(([l, k]) => String(l).startsWith('+CIEV:') && k === 'urc'));
    assert.ok(urcs.some(([l, k]) => l === 'SIM800 R14.18' && k === 'info'));
  });

  it('03: +CSQ: 25,5 is -63 dBm', function () {
    const line = transcript('03_sim800c_creg_roaming_csq__TinyGSM_issue654.txt').find((l) => l.startsWith('+CSQ'));
    assert.deepEqual(parseCsq(line ?? ''), { rssi: 25, dbm: -63, percent: 81 });
    assert.deepEqual(parseCsq('+CSQ: 99,99'), { rssi: 99, dbm: null, percent: null });
  });

  it('05: +CMGL with a 13-digit sender and a +32 quarter-hour zone', function () {
    const [sms] = parseSmsList(transcript('05_sim800l_cmgl_numeric_shortcode_sender__esphome_issues1015.txt').filter(Boolean));
    assert.deepEqual(sms, { index: 41, status: 'REC READ', sender: '1064899010367', timestamp: Date.UTC(2018, 2, 26, 13, 37, 27), text: '962DC79D162803011' });
  });

  it('08: Call Ready / SMS Ready are URCs; AT+CMGF=1 before them answers ERROR', function () {
    const lines = transcript('08_sim800l_boot_urcs_cmgf_error_before_sms_ready__Seeed_GPRS_SIM900_issue39.txt').filter(Boolean);
    assert.deepEqual(lines.slice(0, 3).map(classifyLine), ['urc', 'urc', 'urc']);
    assert.equal(classifyLine(lines.at(-1) ?? ''), 'error');
  });

  it('10: "ATE0\\r" echo and +CME ERROR: 100', function () {
    assert.deepEqual(new LineSplitter().push('ATE0\r\r\nOK\r\n'), ['ATE0', 'OK']);
    assert.equal(classifyLine('+CME ERROR: 100'), 'error');
  });

  it('12: numeric+text CMS error, +CMTI without storage, prompt without space, +CMGS: 73', function () {
    assert.deepEqual(parseCmsError('+CMS ERROR: 304 Invalid PDU mode parameter'), { code: 304, text: '+CMS ERROR: 304 Invalid PDU mode parameter', transient: false });
    assert.deepEqual(parseCmti('+CMTI: ,-1'), { storage: '', index: -1 });
    assert.deepEqual(new LineSplitter().push('>Text here lol \r\n'), ['>', 'Text here lol']);
    assert.deepEqual(new LineSplitter().push('\r\n+CMGS: 73\r\n\r\nOK\r\n'), ['+CMGS: 73', 'OK']);
    assert.equal(parseCmgs('+CMGS: 73'), 73);
  });

  it('quirks: glued lines, a bare +CMS ERROR:, the "> " prompt without line end, negative zones', function () {
    assert.deepEqual(new LineSplitter().push('OK+CMTI: "SM",3\r\n'), ['OK', '+CMTI: "SM",3']);
    const splitter = new LineSplitter();
    assert.deepEqual(splitter.push('\r\n> '), ['>']);
    assert.deepEqual(splitter.push('\r\n+CMS ERROR:\r\n'), ['+CMS ERROR:']);
    assert.equal(classifyLine('+CMS ERROR:'), 'error');
    assert.equal(parseModemTime('24/01/30,08:33:20-20'), Date.UTC(2024, 0, 30, 13, 33, 20));
    assert.equal(parseModemTime('24/01/30,08:33:20+04'), Date.UTC(2024, 0, 30, 7, 33, 20));
    assert.equal(parseModemTime('garbage'), undefined);
  });

  it('+CMGR with an alphanumeric sender and a two-line body', function () {
    assert.deepEqual(parseSmsList(['+CMGR: "REC UNREAD","Vodafone","","24/01/30,08:33:20+04"', 'Ihr Guthaben,', 'danke']), [
      { status: 'REC UNREAD', sender: 'Vodafone', timestamp: Date.UTC(2024, 0, 30, 7, 33, 20), text: 'Ihr Guthaben,\ndanke' },
    ]);
  });

  it('joins a long SMS split into parts and lets a lone full part go after the window', function () {
    const joiner = new PartJoiner(1000);
    const part = (text: string) => ({ status: 'REC UNREAD', sender: '+491711234567', text });
    assert.deepEqual(joiner.add(part('a'.repeat(153)), 0), []);
    assert.deepEqual(joiner.add(part('end'), 10), [part('a'.repeat(153) + 'end')]);
    assert.deepEqual(joiner.add(part('b'.repeat(153)), 20), []);
    assert.deepEqual(joiner.flush(500), []);
    assert.deepEqual(joiner.flush(1020), [part('b'.repeat(153))]);
  });

  it('UCS-2 hex both ways', function () {
    assert.equal(encodeUcs2Hex('Wärme 95°'), '005700E40072006D006500200039003500B0');
    assert.equal(decodeUcs2Hex(encodeUcs2Hex('Temp 😀')), 'Temp 😀');
    assert.equal(decodeUcs2Hex('STATUS'), 'STATUS');
  });
});
