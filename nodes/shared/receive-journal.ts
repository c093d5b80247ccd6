// Pure core of the receive journal. Node-RED's `mqtt in` confirms (PUBACK) a QoS 1 message to the
// broker as it receives it; a process killed before the message reached a node that stores it
// (heatpump-batch's journal, two hops later) lost it. The glue (mqtt-receive-journal.ts) appends
// the message here synchronously, in the MQTT client's 'message' event, before the client writes
// the PUBACK, and releases it once every message derived from it is done. A start reads what
// was not released (leftover()) and the glue sends it again from the same `mqtt in` node.
//
// Appends are written at once (writeSync: in the page cache, which a process kill does not lose;
// no fdatasync, which would have to hold the PUBACK and so the client's one-packet-at-a-time
// reading). Release records are coalesced (flush()): one that a kill cuts off sends its message
// again at the next start: a duplicate, which QoS 1 allows, never a loss.
//
// Segments are deleted oldest first, and only once every message in them is released: a release
// record always sits in the segment its message is in or in a later one, so deleting in order
// never drops a record a later segment still needs.
import path from 'node:path';

/** The file operations the journal needs (node:fs fits). */
export interface ReceiveJournalFs {
  mkdirSync(dir: string, options: { recursive: true }): unknown;
  readdirSync(dir: string): string[];
  readFileSync(file: string): Buffer;
  openSync(file: string, flags: 'a'): number;
  writeSync(fd: number, data: string | Uint8Array): number;
  closeSync(fd: number): void;
  unlinkSync(file: string): void;
}

/** A message as the `mqtt in` node sent it, and that node's id. */
export interface ReceivedMessage {
  source: string;
  msg: Record<string, unknown>;
}

/** Where an appended message is: its segment and its line among the segment's messages. */
export interface ReceiveKey {
  segment: number;
  index: number;
}

export interface Leftover {
  /** the messages not released, oldest first */
  messages: ReceivedMessage[];
  /** lines that could not be read (a power cut mid-write) */
  corrupt: number;
  /** the segment files they came from: remove them (removeLeftover) once the messages are sent again */
  files: string[];
}

export interface ReceiveJournalLimits {
  /** a segment is closed after this many messages... */
  segmentMessages: number;
  /** ...or once it is this old (so that an idle segment is deleted soon) */
  segmentMs: number;
}

const DEFAULT_LIMITS: ReceiveJournalLimits = { segmentMessages: 1000, segmentMs: 1000 };
const NAME = /^received-(\d{12})\.ndjson$/;
const fileName = (segment: number): string => `received-${String(segment).padStart(12, '0')}.ndjson`;

interface Segment {
  number: number;
  file: string;
  /** open for appends while this is defined (only the newest segment) */
  fd: number | undefined;
  /** indexes appended and not yet released */
  outstanding: Set<number>;
  appended: number;
  openedAt: number;
}

// A message's record is a JSON line. Its payload, when a Buffer (an `mqtt in` set to output one,
// as the shipped flow has it) or a string, follows that line as its raw bytes and a newline, the
// line giving their length (`b` for a Buffer, `t` for text): a firmware flush of 30 readings is
// 16 KB, which as base64 or as an escaped JSON string cost more than the rest of the append.
// Other Buffers at the top of a message (MQTT 5 correlation data) go into the line as base64
// (Buffer's own toJSON makes an array of numbers, many times slower and larger); so did payloads
// in the journals of earlier versions, which leftover() still reads. Node-RED's _msgid is left
// out: a message sent again gets a new one.
const BUFFER_KEY = '$buffer';
function encodeBuffers(msg: Record<string, unknown>, leaveOut: string | undefined = undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(msg)) {
    if (key === '_msgid' || key === leaveOut) continue;
    const value = msg[key];
    out[key] = Buffer.isBuffer(value) ? { [BUFFER_KEY]: value.toString('base64') } : value;
  }
  return out;
}
const NEWLINE = 0x0a;
const NEWLINE_BYTES = Buffer.from([NEWLINE]);

/** The bytes of a record's payload that follow its line: [length, the line's payload field]. */
function rawPayloadLength(record: { b?: unknown; t?: unknown }): [number, 'b' | 't'] | undefined {
  for (const field of ['b', 't'] as const) {
    const length = record[field];
    if (Number.isSafeInteger(length) && (length as number) >= 0) return [length as number, field];
  }
  return undefined;
}
function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1 && keys[0] === BUFFER_KEY && typeof record[BUFFER_KEY] === 'string') return Buffer.from(record[BUFFER_KEY], 'base64');
  }
  return value;
}

export class ReceiveJournal {
  /** oldest first; the last one is open */
  private readonly segments: Segment[] = [];
  private readonly leftoverFiles: string[];
  private nextSegment: number;
  private pendingReleases: Array<[number, number]> = [];

  constructor(
    private readonly fs: ReceiveJournalFs,
    private readonly dir: string,
    private readonly limits: ReceiveJournalLimits = DEFAULT_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    const numbers = fs
      .readdirSync(dir)
      .map((name) => NAME.exec(name)?.[1])
      .filter((match): match is string => match !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    this.leftoverFiles = numbers.map((segment) => path.join(dir, fileName(segment)));
    this.nextSegment = (numbers[numbers.length - 1] ?? 0) + 1;
  }

  /** Messages appended and not released by an earlier run of this journal's directory. */
  leftover(): Leftover {
    const messages = new Map<string, ReceivedMessage>();
    const released = new Set<string>();
    let corrupt = 0;
    for (const file of this.leftoverFiles) {
      const segment = Number(NAME.exec(path.basename(file))?.[1]);
      const data = this.fs.readFileSync(file);
      for (let at = 0; at < data.length; ) {
        const newline = data.indexOf(NEWLINE, at);
        const end = newline === -1 ? data.length : newline;
        const line = data.toString('utf8', at, end);
        at = end + 1;
        if (line === '') continue;
        try {
          const record = JSON.parse(line, reviver) as { i?: unknown; s?: unknown; m?: unknown; r?: unknown; b?: unknown; t?: unknown };
          const raw = rawPayloadLength(record);
          if (raw !== undefined) {
            // a power cut cuts a file's end only: the rest is this payload's first bytes, never records
            if (at + raw[0] >= data.length) {
              corrupt += 1;
              break;
            }
            // bytes lost inside the file: the record is unreadable, the next line is read as one
            if (data[at + raw[0]] !== NEWLINE) throw new Error('payload framing lost');
            const bytes = Buffer.from(data.subarray(at, at + raw[0]));
            at += raw[0] + 1;
            if (record.m !== null && typeof record.m === 'object') (record.m as Record<string, unknown>).payload = raw[1] === 'b' ? bytes : bytes.toString('utf8');
          }
          if (Array.isArray(record.r)) {
            for (const [seg, index] of record.r as Array<[number, number]>) released.add(`${seg}:${index}`);
          } else if (typeof record.i === 'number' && typeof record.s === 'string' && record.m !== null && typeof record.m === 'object') {
            messages.set(`${segment}:${record.i}`, { source: record.s, msg: record.m as Record<string, unknown> });
          } else {
            corrupt += 1;
          }
        } catch {
          corrupt += 1;
        }
      }
    }
    const unreleased = [...messages].filter(([key]) => !released.has(key)).map(([, message]) => message);
    return { messages: unreleased, corrupt, files: [...this.leftoverFiles] };
  }

  /** Deletes the files leftover() read, once their messages are sent again (or kept elsewhere). */
  removeLeftover(files: string[]): void {
    for (const file of files) this.fs.unlinkSync(file);
  }

  /** Keeps messages that cannot be sent again (their node is gone) under a name no start reads again. */
  setAside(messages: ReceivedMessage[], name: string): string {
    const file = path.join(this.dir, name);
    const fd = this.fs.openSync(file, 'a');
    try {
      this.fs.writeSync(fd, messages.map(({ source, msg }) => JSON.stringify({ source, msg: encodeBuffers(msg) })).join('\n') + '\n');
    } finally {
      this.fs.closeSync(fd);
    }
    return file;
  }

  /** Appends a message (on disk when this returns); release it with the key once it is handled. */
  append(source: string, msg: Record<string, unknown>): ReceiveKey {
    const segment = this.openSegment();
    const index = segment.appended;
    segment.appended += 1;
    segment.outstanding.add(index);
    const { payload } = msg;
    const raw = Buffer.isBuffer(payload) ? payload : typeof payload === 'string' ? Buffer.from(payload, 'utf8') : undefined;
    // the coalesced releases go out with the append, in the same write
    if (raw === undefined) {
      this.fs.writeSync(segment.fd as number, `${this.takeReleases()}${JSON.stringify({ i: index, s: source, m: encodeBuffers(msg) })}\n`);
    } else {
      const line = JSON.stringify({ i: index, s: source, m: encodeBuffers(msg, 'payload'), [Buffer.isBuffer(payload) ? 'b' : 't']: raw.length });
      this.fs.writeSync(segment.fd as number, Buffer.concat([Buffer.from(`${this.takeReleases()}${line}\n`), raw, NEWLINE_BYTES]));
    }
    if (segment.appended >= this.limits.segmentMessages) this.close(segment);
    return { segment: segment.number, index };
  }

  /** The message is handled: not sent again by a later start (once flushed or its segment deleted). */
  release(key: ReceiveKey): void {
    const segment = this.segments.find((candidate) => candidate.number === key.segment);
    if (!segment || !segment.outstanding.delete(key.index)) return;
    this.pendingReleases.push([key.segment, key.index]);
    this.deleteReleased();
  }

  /** Writes the coalesced release records; closes an open segment that is old enough. */
  flush(): void {
    const open = this.segments[this.segments.length - 1];
    if (open?.fd !== undefined && this.now() - open.openedAt >= this.limits.segmentMs) this.close(open);
    // with every segment closed the records go into a new one: later than their messages' segments
    if (this.pendingReleases.length > 0) this.fs.writeSync(this.openSegment().fd as number, this.takeReleases());
    this.deleteReleased();
  }

  /** messages appended and not released */
  get outstanding(): number {
    return this.segments.reduce((sum, segment) => sum + segment.outstanding.size, 0);
  }

  /** segment files on disk (including the open one) */
  get files(): number {
    return this.segments.length;
  }

  private takeReleases(): string {
    if (this.pendingReleases.length === 0) return '';
    const line = JSON.stringify({ r: this.pendingReleases }) + '\n';
    this.pendingReleases = [];
    return line;
  }

  private openSegment(): Segment {
    const last = this.segments[this.segments.length - 1];
    if (last?.fd !== undefined) return last;
    const number = this.nextSegment++;
    const file = path.join(this.dir, fileName(number));
    const segment: Segment = { number, file, fd: this.fs.openSync(file, 'a'), outstanding: new Set(), appended: 0, openedAt: this.now() };
    this.segments.push(segment);
    return segment;
  }

  private close(segment: Segment): void {
    if (segment.fd === undefined) return;
    // the releases so far may be for this segment's messages: they go into it before it closes
    const releases = this.takeReleases();
    if (releases !== '') this.fs.writeSync(segment.fd, releases);
    this.fs.closeSync(segment.fd);
    segment.fd = undefined;
  }

  /** Deletes closed segments from the oldest on while every message in them is released. */
  private deleteReleased(): void {
    for (;;) {
      const oldest = this.segments[0];
      if (!oldest || oldest.fd !== undefined || oldest.outstanding.size > 0) return;
      this.fs.unlinkSync(oldest.file);
      this.segments.shift();
      // its release records are moot now
      this.pendingReleases = this.pendingReleases.filter(([segment]) => segment !== oldest.number);
    }
  }
}
