// serialport is an optional dependency: without it (or with a binding that does not load) only
// the serial transport is off, with a message that says what to install.
import assert from 'node:assert/strict';
import { SendError, type Scheduler } from '../../nodes/sms-gateway-bridge/queue';
import { SERIAL_UNAVAILABLE, SerialModemTransport, type ModemEvents, type SerialPortLoader } from '../../nodes/sms-gateway-bridge/transports/serial';

const settings = { path: '/dev/does-not-exist-ttyUSB9', baudRate: 115200, commandTimeoutMs: 1000, sendTimeoutMs: 1000 };
const scheduler: Scheduler = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>) };

function recorder(): ModemEvents & { states: string[] } {
  const states: string[] = [];
  return { states, onInbound: () => undefined, onSignal: () => undefined, onModemState: (state) => states.push(state) };
}

/** What require() throws for a package that is not installed. */
const absent: SerialPortLoader = () => {
  throw Object.assign(new Error("Cannot find module 'serialport'\nRequire stack:\n- /x/serial.js"), { code: 'MODULE_NOT_FOUND' });
};

function serialportInstalled(): boolean {
  try {
    require.resolve('serialport');
    return true;
  } catch {
    return false;
  }
}

const isUnavailable = (error: unknown) => {
  assert.ok(error instanceof SendError, String(error));
  assert.equal(error.message, `${SERIAL_UNAVAILABLE} (Cannot find module 'serialport')`);
  assert.equal(error.transient, false, 'not retried: installing the package is the fix');
  assert.equal(error.code, 'unavailable');
  return true;
};

describe('sms serial transport without serialport', function () {
  it('is still created; start() fails with the clear message and reports it as the modem state', async function () {
    const events = recorder();
    const transport = new SerialModemTransport(settings, events, scheduler, absent);
    await assert.rejects(transport.start(), isUnavailable);
    assert.deepEqual(events.states, [`error: ${SERIAL_UNAVAILABLE} (Cannot find module 'serialport')`]);
    await transport.close();
  });

  it('send() fails at once with the same message', async function () {
    const transport = new SerialModemTransport(settings, recorder(), scheduler, absent);
    await assert.rejects(transport.send({ to: '+491711234567', text: 'ping' }), isUnavailable);
  });

  it('names a binding that does not load', async function () {
    const broken: SerialPortLoader = () => {
      throw new Error('No native build was found for platform=linux arch=riscv64');
    };
    const transport = new SerialModemTransport(settings, recorder(), scheduler, broken);
    await assert.rejects(transport.start(), { message: `${SERIAL_UNAVAILABLE} (No native build was found for platform=linux arch=riscv64)` });
  });

  it('loads serialport by default: the error is then about the port', async function () {
    if (!serialportInstalled()) this.skip(); // an install with --omit=optional
    const events = recorder();
    const transport = new SerialModemTransport(settings, events, scheduler);
    await assert.rejects(transport.start(), (error: unknown) => error instanceof SendError && error.message.startsWith(`cannot open ${settings.path}`));
    await transport.close();
  });
});
