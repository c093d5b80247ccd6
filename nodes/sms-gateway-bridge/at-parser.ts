// AT text-mode line handling for SIM800/SIM900 modems: split the byte stream into lines,
// classify each line, and parse the responses the bridge needs. Pure: no serialport import.

/** Unsolicited result codes and boot noise the modem sends on its own. */
const URC_PREFIXES = ['+CMTI:', '+CPIN:', '+CFUN:', '+CREG:', '+CIEV:', '*PSUTTZ:', 'DST:', '+CTZV:', 'RDY', 'Call Ready', 'SMS Ready', '+CUSD:', 'RING', 'NORMAL POWER DOWN', 'UNDER-VOLTAGE'];
const FINAL_OK = 'OK';
const FINAL_ERROR = /^(ERROR|\+CMS ERROR:.*|\+CME ERROR:.*)$/;

/**
 * Splits the modem's output into lines. Handles CR, LF and CRLF endings, the "> " send prompt
 * that comes without a line ending, and lines glued together without a separator
 * ("OK+CMTI: ..." / "OK\r+CMTI: ..." from busy modems).
 */
export class LineSplitter {
  private buffer = '';

  push(chunk: string): string[] {
    this.buffer += chunk;
    const lines: string[] = [];
    for (;;) {
      const end = this.buffer.search(/[\r\n]/);
      if (end < 0) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 1);
      lines.push(...unglue(line));
    }
    // The prompt never gets a line ending: hand it out as soon as it is complete.
    if (/^>\s?$/.test(this.buffer)) {
      lines.push('>');
      this.buffer = '';
    }
    return lines.filter((l) => l.trim() !== '');
  }
}

/** "OK+CMTI: \"SM\",3" -> ["OK", "+CMTI: \"SM\",3"]; ">Text" (prompt glued to echoed text) -> [">", "Text"]. */
export function unglue(line: string): string[] {
  const trimmed = line.replace(/\s+$/, '');
  if (/^>\s*\S/.test(trimmed)) return ['>', trimmed.replace(/^>\s*/, '')];
  for (const prefix of URC_PREFIXES) {
    const at = trimmed.indexOf(prefix, 1);
    if (at > 0 && /(OK|ERROR|\d|")$/.test(trimmed.slice(0, at))) return [...unglue(trimmed.slice(0, at)), ...unglue(trimmed.slice(at))];
  }
  return [trimmed];
}

export type LineKind = 'ok' | 'error' | 'prompt' | 'urc' | 'info';

export function classifyLine(line: string): LineKind {
  const trimmed = line.trim();
  if (trimmed === FINAL_OK) return 'ok';
  if (FINAL_ERROR.test(trimmed)) return 'error';
  if (trimmed === '>') return 'prompt';
  if (URC_PREFIXES.some((p) => trimmed.startsWith(p))) return 'urc';
  return 'info';
}

/** +CMTI: "SM",3 -> {storage, index}; "+CMTI: ,-1" (SIM7000) -> index -1 (read all unread instead). */
export function parseCmti(line: string): { storage: string; index: number } | undefined {
  const match = /^\+CMTI:\s*"?([A-Z]*)"?\s*,\s*(-?\d+)/.exec(line.trim());
  if (!match || match[2] === undefined) return undefined;
  return { storage: match[1] ?? '', index: Number(match[2]) };
}

export interface Signal {
  rssi: number;
  /** null when the modem does not know (99) */
  dbm: number | null;
  percent: number | null;
}

/** +CSQ: 25,5 -> rssi 25, -63 dBm, 81 %. 99 means unknown. */
export function parseCsq(line: string): Signal | undefined {
  const match = /^\+CSQ:\s*(\d+)\s*,\s*(\d+)/.exec(line.trim());
  if (!match) return undefined;
  const rssi = Number(match[1]);
  if (rssi === 99 || rssi > 31) return { rssi, dbm: null, percent: null };
  return { rssi, dbm: -113 + 2 * rssi, percent: Math.round((rssi / 31) * 100) };
}

/** "24/01/30,08:33:20+04" (zone in quarter hours, may be negative) -> ms since the epoch. */
export function parseModemTime(value: string): number | undefined {
  const match = /^(\d{2})\/(\d{2})\/(\d{2}),(\d{2}):(\d{2}):(\d{2})([+-]\d{1,3})?$/.exec(value.trim());
  if (!match) return undefined;
  const [, yy, mo, dd, hh, mi, ss, tz] = match.map(Number);
  if (yy === undefined || mo === undefined || dd === undefined || hh === undefined || mi === undefined || ss === undefined) return undefined;
  const quarters = match[7] === undefined ? 0 : (tz ?? 0);
  return Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss) - quarters * 15 * 60000;
}

/** Split a response header on commas outside quotes: +CMGR: "REC UNREAD","+4917..","","24/01/30,08:33:20+04". */
function fields(rest: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of rest) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(current.trim());
      current = '';
    } else current += ch;
  }
  out.push(current.trim());
  return out;
}

export interface StoredSms {
  index?: number;
  status: string;
  sender: string;
  timestamp?: number;
  text: string;
}

/** +CMGR header (no index) or +CMGL header (index first). */
export function parseSmsHeader(line: string): Omit<StoredSms, 'text'> | undefined {
  const match = /^\+(CMGR|CMGL):\s*(.*)$/.exec(line.trim());
  if (!match || match[2] === undefined) return undefined;
  const parts = fields(match[2]);
  const offset = match[1] === 'CMGL' ? 1 : 0;
  const status = parts[offset];
  const sender = parts[offset + 1];
  if (status === undefined || sender === undefined) return undefined;
  const time = parts[offset + 3];
  return {
    ...(offset ? { index: Number(parts[0]) } : {}),
    status,
    sender,
    ...(time ? { timestamp: parseModemTime(time) } : {}),
  };
}

/** The lines of an AT+CMGR / AT+CMGL answer (without OK) -> messages; body lines join with \n. */
export function parseSmsList(lines: readonly string[]): StoredSms[] {
  const messages: StoredSms[] = [];
  let current: StoredSms | undefined;
  for (const line of lines) {
    const header = parseSmsHeader(line);
    if (header) {
      if (current) messages.push(current);
      current = { ...header, text: '' };
    } else if (current) current.text = current.text ? `${current.text}\n${line}` : line;
  }
  if (current) messages.push(current);
  return messages;
}

/** Text mode shows UCS-2 messages as hex when the character set is GSM: decode those. */
export function decodeUcs2Hex(text: string): string {
  if (text.length < 4 || text.length % 4 !== 0 || !/^[0-9A-F]+$/.test(text)) return text;
  const units: number[] = [];
  for (let i = 0; i < text.length; i += 4) units.push(parseInt(text.slice(i, i + 4), 16));
  return String.fromCharCode(...units);
}

export function encodeUcs2Hex(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += text.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0');
  return out;
}

/** +CMGS: 73 -> 73 */
export function parseCmgs(line: string): number | undefined {
  const match = /^\+CMGS:\s*(\d+)/.exec(line.trim());
  return match ? Number(match[1]) : undefined;
}

/**
 * A long SMS arrives in text mode as separate messages (the concatenation header is not shown).
 * Parts from one sender within `windowMs` whose earlier parts are full (153 GSM-7 / 67 UCS-2
 * characters) are joined into one text.
 */
export class PartJoiner {
  private readonly open = new Map<string, { sms: StoredSms; at: number }>();

  constructor(private readonly windowMs: number) {}

  /** Returns the messages that are complete now. */
  add(sms: StoredSms, now: number): StoredSms[] {
    const done = this.flush(now);
    const pending = this.open.get(sms.sender);
    const merged = pending ? { ...pending.sms, text: pending.sms.text + sms.text } : sms;
    if (sms.text.length === 153 || sms.text.length === 67) this.open.set(sms.sender, { sms: merged, at: now });
    else {
      this.open.delete(sms.sender);
      done.push(merged);
    }
    return done;
  }

  /** Parts that waited longer than the window go out as they are. */
  flush(now: number): StoredSms[] {
    const out: StoredSms[] = [];
    for (const [sender, entry] of this.open)
      if (now - entry.at >= this.windowMs) {
        this.open.delete(sender);
        out.push(entry.sms);
      }
    return out;
  }

  get waiting(): number {
    return this.open.size;
  }
}
