// A SIM800/SIM900 modem on a serial port, in AT text mode. Commands go one at a time; lines
// that arrive meanwhile are URCs (+CMTI, RDY, Call Ready, SMS Ready, ...) or belong to the
// running command. A command without an answer within its time-out fails as transient.
import type { SerialPort } from 'serialport';
import { isGsm7, segmentInfo } from '../gsm7';
import { SendError, type Scheduler } from '../queue';
import { parseCmsError } from '../modem-errors';
import { LineSplitter, PartJoiner, classifyLine, decodeUcs2Hex, encodeUcs2Hex, parseCmgs, parseCmti, parseCsq, parseSmsList, type Signal, type StoredSms } from '../at-parser';
import type { InboundSms, OutgoingSms, SendReceipt, Transport } from './transport';

export interface ModemEvents {
  onInbound(sms: InboundSms): void;
  onSignal(signal: Signal): void;
  /** 'ready' | 'no-answer' | 'error: ...' */
  onModemState(state: string): void;
}

export interface SerialSettings {
  path: string;
  baudRate: number;
  commandTimeoutMs: number;
  /** AT+CMGS can take long on a weak network */
  sendTimeoutMs: number;
  pin?: string;
}

interface Running {
  lines: string[];
  expectPrompt: boolean;
  resolve(lines: string[]): void;
  reject(error: Error): void;
  timer: unknown;
}

/** serialport is an optional dependency (a native binding): loaded only when a serial transport is made. */
export type SerialPortModule = typeof import('serialport');
export type SerialPortLoader = () => SerialPortModule;

export const SERIAL_UNAVAILABLE = 'serial transport unavailable: install serialport (npm install serialport)';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const requireSerialPort: SerialPortLoader = () => require('serialport') as SerialPortModule;

const CTRL_Z = '\x1a';
const ESC = '\x1b';
const JOIN_WINDOW_MS = 20000;

export class SerialModemTransport implements Transport {
  readonly kind = 'serial';
  private port: SerialPort | undefined;
  private readonly splitter = new LineSplitter();
  private readonly joiner = new PartJoiner(JOIN_WINDOW_MS);
  private running: Running | undefined;
  /** commands run strictly one after another */
  private chain: Promise<unknown> = Promise.resolve();
  private ready: Promise<void> | undefined;
  private closed = false;
  private smsReady = false;
  /** the SerialPort class, or why it could not be loaded (then start() and send() fail with it) */
  private readonly binding: { ok: true; SerialPort: typeof SerialPort } | { ok: false; error: SendError };

  constructor(
    private readonly settings: SerialSettings,
    private readonly events: ModemEvents,
    private readonly scheduler: Scheduler,
    loadSerialPort: SerialPortLoader = requireSerialPort,
  ) {
    try {
      this.binding = { ok: true, SerialPort: loadSerialPort().SerialPort };
    } catch (error) {
      // only this transport is off; the node stays up and says why on its status and in the log
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      this.binding = { ok: false, error: new SendError(`${SERIAL_UNAVAILABLE} (${reason})`, false, 'unavailable') };
    }
  }

  /** Open the port and initialise the modem; later calls return the same promise until it fails. */
  start(): Promise<void> {
    this.ready ??= this.initialise().catch((error: unknown) => {
      this.ready = undefined;
      this.events.onModemState(error instanceof SendError && error.code === 'timeout' ? 'no-answer' : `error: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    });
    return this.ready;
  }

  async send(sms: OutgoingSms): Promise<SendReceipt> {
    await this.start();
    const ucs2 = !isGsm7(sms.text);
    // Text mode sends one segment per AT+CMGS: longer texts go as several SMS.
    const partLength = ucs2 ? 70 : 160;
    const parts: string[] = [];
    const chars = Array.from(sms.text);
    for (let i = 0; i < chars.length; ) {
      let part = '';
      while (i < chars.length && part.length + (chars[i]?.length ?? 0) <= partLength && (ucs2 || segmentInfo(part + chars[i]).units <= partLength)) part += chars[i++];
      parts.push(part);
    }
    const refs: string[] = [];
    if (ucs2) await this.command('AT+CSCS="UCS2"');
    if (ucs2) await this.command('AT+CSMP=17,167,0,8');
    try {
      for (const part of parts) refs.push(String(await this.sendOne(ucs2 ? encodeUcs2Hex(sms.to) : sms.to, ucs2 ? encodeUcs2Hex(part) : part)));
    } finally {
      if (ucs2) {
        await this.command('AT+CSCS="GSM"').catch(() => undefined);
        await this.command('AT+CSMP=17,167,0,0').catch(() => undefined);
      }
    }
    void this.pollSignal();
    return { ref: refs.join(','), state: 'sent' };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.running?.reject(new SendError('modem closed', false));
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  /** Ask for +CSQ and report it; failures only show on the status. */
  async pollSignal(): Promise<void> {
    try {
      const lines = await this.command('AT+CSQ');
      const signal = lines.map(parseCsq).find((s) => s !== undefined);
      if (signal) this.events.onSignal(signal);
    } catch {
      // the next send reports the modem's trouble with context
    }
  }

  private async initialise(): Promise<void> {
    if (!this.port) await this.open();
    // A modem left at the text prompt of AT+CMGS (a restart mid-send) takes every AT as SMS text
    // until Ctrl-Z, which would send it: ESC cancels that text; in command mode it is ignored.
    this.write(ESC);
    // A modem still booting (RDY, Call Ready ...) may miss the first ATs.
    await this.retry(() => this.command('AT', 2000), 5);
    await this.command('ATE0');
    await this.command('AT+CMEE=2');
    if (this.settings.pin) {
      const state = await this.command('AT+CPIN?');
      if (state.some((l) => l.includes('SIM PIN'))) await this.command(`AT+CPIN="${this.settings.pin}"`);
    }
    // AT+CMGF=1 answers ERROR until "SMS Ready" on a cold SIM800: try again a few times.
    await this.retry(() => this.command('AT+CMGF=1'), 6, 2000);
    await this.command('AT+CSCS="GSM"');
    await this.command('AT+CNMI=2,1,0,0,0');
    this.events.onModemState('ready');
    await this.pollSignal();
  }

  private async retry<T>(action: () => Promise<T>, attempts: number, pauseMs = 500): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await action();
      } catch (error) {
        if (attempt >= attempts || this.closed) throw error;
        if (!this.smsReady) await new Promise<void>((resolve) => this.scheduler.setTimeout(resolve, pauseMs));
      }
    }
  }

  private open(): Promise<void> {
    const binding = this.binding;
    if (!binding.ok) return Promise.reject(binding.error);
    return new Promise((resolve, reject) => {
      const port = new binding.SerialPort({ path: this.settings.path, baudRate: this.settings.baudRate, autoOpen: false });
      port.on('data', (chunk: Buffer) => this.onData(chunk.toString('latin1')));
      port.on('error', (error: Error) => this.events.onModemState(`error: ${error.message}`));
      port.on('close', () => {
        if (!this.closed) {
          this.port = undefined;
          this.ready = undefined;
          this.events.onModemState('error: port closed');
        }
      });
      port.open((error) => {
        if (error) return reject(new SendError(`cannot open ${this.settings.path}: ${error.message}`, true, 'port'));
        this.port = port;
        resolve();
      });
    });
  }

  private sendOne(to: string, text: string): Promise<number> {
    return this.enqueue(async () => {
      await this.exchange(`AT+CMGS="${to}"\r`, true, this.settings.commandTimeoutMs);
      const lines = await this.exchange(text + CTRL_Z, false, this.settings.sendTimeoutMs, () => this.write(ESC));
      const ref = lines.map(parseCmgs).find((r) => r !== undefined);
      if (ref === undefined) throw new SendError('no +CMGS reference in the answer', true);
      // the modem answers again after an earlier time-out
      this.events.onModemState('ready');
      return ref;
    });
  }

  /** One AT command, queued behind the others; resolves with its information lines. */
  command(at: string, timeoutMs = this.settings.commandTimeoutMs): Promise<string[]> {
    return this.enqueue(() => this.exchange(`${at}\r`, false, timeoutMs));
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.chain.then(job, job);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private exchange(data: string, expectPrompt: boolean, timeoutMs: number, onTimeout?: () => void): Promise<string[]> {
    if (this.closed || !this.port) return Promise.reject(new SendError('modem port is not open', true, 'port'));
    return new Promise((resolve, reject) => {
      const running: Running = {
        lines: [],
        expectPrompt,
        resolve: (lines) => {
          this.scheduler.clearTimeout(running.timer);
          this.running = undefined;
          resolve(lines);
        },
        reject: (error) => {
          this.scheduler.clearTimeout(running.timer);
          this.running = undefined;
          reject(error);
        },
        timer: this.scheduler.setTimeout(() => {
          onTimeout?.();
          this.events.onModemState('no-answer');
          running.reject(new SendError(`modem did not answer ${data.trim().slice(0, 20)} within ${timeoutMs} ms`, true, 'timeout'));
        }, timeoutMs),
      };
      this.running = running;
      this.write(data);
    });
  }

  private write(data: string): void {
    this.port?.write(Buffer.from(data, 'latin1'));
  }

  private onData(chunk: string): void {
    for (const line of this.splitter.push(chunk)) this.onLine(line);
  }

  private onLine(line: string): void {
    const kind = classifyLine(line);
    const running = this.running;
    if (kind === 'urc') return this.onUrc(line);
    if (!running) return; // stray output (late answers, boot garbage)
    if (kind === 'prompt') {
      if (running.expectPrompt) running.resolve(running.lines);
      return;
    }
    if (kind === 'ok') return running.resolve(running.lines);
    if (kind === 'error') {
      const cms = parseCmsError(line);
      return running.reject(new SendError(line.trim(), cms.transient, cms.code ?? 'ERROR'));
    }
    if (/^AT/i.test(line.trim())) return; // echo before ATE0 took effect
    running.lines.push(line);
  }

  private onUrc(line: string): void {
    const trimmed = line.trim();
    if (trimmed === 'SMS Ready') this.smsReady = true;
    if (trimmed === 'RDY') this.smsReady = false;
    const cmti = parseCmti(trimmed);
    if (cmti) void this.fetchStored(cmti.index);
  }

  /** +CMTI -> AT+CMGR=i -> AT+CMGD=i; an index below 0 (SIM7000 quirk) reads all unread. */
  private async fetchStored(index: number): Promise<void> {
    try {
      let messages: StoredSms[];
      if (index >= 0) {
        messages = parseSmsList(await this.command(`AT+CMGR=${index}`));
        await this.command(`AT+CMGD=${index}`);
      } else {
        messages = parseSmsList(await this.command('AT+CMGL="REC UNREAD"'));
        for (const m of messages) if (m.index !== undefined) await this.command(`AT+CMGD=${m.index}`);
      }
      const now = Date.now();
      for (const sms of [...this.joiner.flush(now), ...messages.flatMap((m) => this.joiner.add(m, now))]) this.deliver(sms, now);
      if (this.joiner.waiting) this.scheduler.setTimeout(() => this.joiner.flush(Date.now()).forEach((sms) => this.deliver(sms, Date.now())), JOIN_WINDOW_MS);
    } catch (error) {
      this.events.onModemState(`error: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private deliver(sms: StoredSms, now: number): void {
    this.events.onInbound({ from: sms.sender, text: decodeUcs2Hex(sms.text), timestamp: sms.timestamp ?? now });
  }
}
