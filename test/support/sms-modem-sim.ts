// A simulated SIM800 on the far end of a socat pseudo-terminal pair, replaying the behaviour of
// the transcripts in test/fixtures/sms_modem: boot noise (RDY, +CFUN, +CPIN, Call Ready,
// SMS Ready), echo until ATE0 ("ATE0\r" echoed), AT+CMGF=1 failing before SMS Ready, the "> "
// prompt (ESC cancels the text), +CMGS / +CMS ERROR (also bare), +CMTI glued to an OK, +CMGR
// with a negative zone.
import type { SerialPort } from 'serialport';

export interface StoredMessage {
  sender: string;
  time: string;
  text: string;
}

export class SimulatedModem {
  /** texts the bridge sent: [number, text] */
  readonly sent: [string, string][] = [];
  readonly commands: string[] = [];
  silent = false;
  private echo = true;
  private smsReady = false;
  private buffer = '';
  private composingTo: string | undefined;
  private readonly storage = new Map<number, StoredMessage>();
  private nextRef = 73;
  /** set by close(): the modem answers nothing more */
  private closed = false;

  private constructor(private readonly port: SerialPort) {
    port.on('data', (chunk: Buffer) => this.onData(chunk.toString('latin1')));
    port.on('error', (error: Error) => {
      // an answer cut off by close() at a test's end (EBADF) is not the test's failure; any other error is
      if (!this.closed) throw error;
    });
  }

  static async open(path: string): Promise<SimulatedModem> {
    // serialport is an optional dependency: loaded here, so that a suite can skip without it
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SerialPort: Port } = require('serialport') as typeof import('serialport');
    const port = new Port({ path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    const modem = new SimulatedModem(port);
    modem.write('\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n');
    return modem;
  }

  close(): Promise<void> {
    this.closed = true;
    // the answers already queued go out first (closing under a queued write fails it with EBADF)
    return new Promise((resolve) => (this.port.isOpen ? this.port.drain(() => this.port.close(() => resolve())) : resolve()));
  }

  /** A new SMS arrives: stored, announced with +CMTI glued to the previous output. */
  receive(index: number, message: StoredMessage): void {
    this.storage.set(index, message);
    this.write(`OK+CMTI: "SM",${index}\r\n`.slice(2));
  }

  private write(text: string): void {
    // commands still arriving at a test's end (the bridge asks for the signal after a send) get no answer
    if (this.closed) return;
    this.port.write(Buffer.from(text, 'latin1'));
  }

  private onData(chunk: string): void {
    if (this.silent) return;
    this.buffer += chunk;
    if (this.composingTo !== undefined) {
      const cancel = this.buffer.indexOf('\x1b');
      const end = this.buffer.indexOf('\x1a');
      if (cancel >= 0 && (end < 0 || cancel < end)) {
        // ESC drops the text being composed; what follows is commands again
        this.buffer = this.buffer.slice(cancel + 1);
        this.composingTo = undefined;
        return this.onData('');
      }
      if (end < 0) return;
      const text = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 1);
      const to = this.composingTo;
      this.composingTo = undefined;
      if (to === '+15005550001') return this.write('\r\n+CMS ERROR: 304 Invalid PDU mode parameter\r\n');
      if (to === '+15005550009') return this.write('\r\n+CMS ERROR:\r\n');
      this.sent.push([to, text]);
      return this.write(`\r\n+CMGS: ${this.nextRef++}\r\n\r\nOK\r\n`);
    }
    for (;;) {
      const end = this.buffer.indexOf('\r');
      if (end < 0) return;
      // characters before a command (an ESC outside a text) are ignored, as V.250 says
      const line = this.buffer.slice(0, end).replaceAll('\x1b', '').trim();
      this.buffer = this.buffer.slice(end + 1);
      if (line) this.onCommand(line);
      if (this.composingTo !== undefined) return this.onData('');
    }
  }

  private onCommand(line: string): void {
    this.commands.push(line);
    if (this.echo) this.write(`${line}\r`);
    const ok = (body = '') => this.write(`${body}\r\nOK\r\n`);
    const cmgs = /^AT\+CMGS="([^"]+)"$/.exec(line);
    if (cmgs) {
      this.composingTo = cmgs[1];
      return this.write('\r\n> ');
    }
    const cmgr = /^AT\+CMGR=(\d+)$/.exec(line);
    if (cmgr) {
      const stored = this.storage.get(Number(cmgr[1]));
      return stored ? ok(`\r\n+CMGR: "REC UNREAD","${stored.sender}","","${stored.time}"\r\n${stored.text}\r\n`) : ok();
    }
    if (/^AT\+CMGD=(\d+)$/.test(line)) {
      this.storage.delete(Number(line.slice(8)));
      return ok();
    }
    switch (line) {
      case 'ATE0':
        this.echo = false;
        return ok();
      case 'AT+CMGF=1':
        if (!this.smsReady) {
          this.smsReady = true;
          // as in fixture 08: the first CMGF fails, then the module says it is ready
          return this.write('\r\nERROR\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n');
        }
        return ok();
      case 'AT+CSQ':
        return ok('\r\n+CSQ: 25,5\r\n');
      default:
        return /^AT/.test(line) ? ok() : this.write('\r\nERROR\r\n');
    }
  }
}
