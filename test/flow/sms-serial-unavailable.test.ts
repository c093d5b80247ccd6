// The bridge on a serial gateway when serialport (an optional dependency) cannot be loaded: the
// node still starts, shows why on its status, logs it, and fails sends at once with the reason.
import assert from 'node:assert/strict';
import Module from 'node:module';
import { SERIAL_UNAVAILABLE } from '../../nodes/sms-gateway-bridge/transports/serial';
import { nodeRedPath } from '../support/node-red';
import { Collector, bridgeModule, configModule, helper, logged, type TestNode } from '../support/sms-flow';

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
const loader = Module as unknown as { _load: Load };

describe('sms-gateway-bridge on a serial gateway without serialport', function () {
  let original: Load;

  before(function () {
    helper.init(nodeRedPath, { smsGatewayBridgeRetryDelay: 10 });
    original = loader._load;
    // as if the package were not installed (npm skips optional dependencies that fail to build)
    loader._load = function (request, parent, isMain) {
      if (request === 'serialport') throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });
      return original.call(this, request, parent, isMain);
    };
  });
  after(function () {
    loader._load = original;
  });
  afterEach(async function () {
    await helper.unload();
  });

  it('starts, says what to install, and fails a send at once without retrying', async function () {
    await helper.load(
      [configModule, bridgeModule],
      [
        { id: 'cfg', type: 'sms-gateway-config', transport: 'serial', serialPort: '/dev/ttyUSB0', defaultCountry: '+49', timeout: 1 },
        { id: 'b', type: 'sms-gateway-bridge', gateway: 'cfg', recipients: '+491711234567', retries: 3, wires: [['results'], [], [], []] },
        { id: 'results', type: 'helper' },
      ],
    );
    const b: TestNode = helper.getNode('b');
    const results = new Collector(helper.getNode('results'));
    const statuses: { fill?: string; text?: string }[] = [];
    b.status = (status: { fill?: string; text?: string }) => statuses.push(status);

    b.receive({ payload: 'ping' });
    const failed = (await results.next(1, 10000)).payload as Record<string, unknown>;
    assert.deepEqual([failed.status, failed.attempts, failed.code], ['failed', 1, 'unavailable']);
    assert.equal(failed.error, `${SERIAL_UNAVAILABLE} (Cannot find module 'serialport')`);
    // the test helper's RED._ logs message keys, not the filled-in texts
    assert.ok(logged('sms-gateway-bridge.errors.modem').length >= 1, 'the modem state is logged');
    const last = statuses.at(-1);
    assert.equal(last?.fill, 'red');
    assert.match(String(last?.text), /^error: serial transport/);
  });
});
