// GSM 03.38 text analysis: which encoding an SMS needs and how many segments it costs.
// Pure: no Node-RED import.

/** Characters of the GSM 7-bit default alphabet (one septet each). */
const GSM7_BASIC = new Set(
  Array.from(
    '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
      '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
  ),
);
/** Characters of the extension table: sent as ESC + char, so they cost two septets. */
const GSM7_EXTENSION = new Set(Array.from('^{}\\[~]|€\f'));

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentInfo {
  encoding: SmsEncoding;
  /** septets (GSM-7) or UTF-16 code units (UCS-2) */
  units: number;
  segments: number;
  /** units that fit in one segment of this message (160/153 or 70/67) */
  perSegment: number;
}

export function isGsm7(text: string): boolean {
  for (const ch of text) if (!GSM7_BASIC.has(ch) && !GSM7_EXTENSION.has(ch)) return false;
  return true;
}

function gsm7Units(text: string): number {
  let units = 0;
  for (const ch of text) units += GSM7_EXTENSION.has(ch) ? 2 : 1;
  return units;
}

export function segmentInfo(text: string): SegmentInfo {
  if (isGsm7(text)) {
    const units = gsm7Units(text);
    const single = units <= 160;
    return { encoding: 'GSM-7', units, segments: units === 0 ? 1 : single ? 1 : Math.ceil(units / 153), perSegment: single ? 160 : 153 };
  }
  // UCS-2 counts UTF-16 code units: an emoji (surrogate pair) costs two.
  const units = text.length;
  const single = units <= 70;
  return { encoding: 'UCS-2', units, segments: single ? 1 : Math.ceil(units / 67), perSegment: single ? 70 : 67 };
}

/** Replacements that keep alert texts in GSM-7 (one 160-char segment instead of 70 UCS-2). */
const TO_GSM7: Record<string, string> = { '°': '', '’': "'", '‘': "'", '“': '"', '”': '"', '–': '-', '—': '-', '…': '...', 'µ': 'u' };

/** Swap the few typographic characters our own texts use for GSM-7 ones. User text is left alone. */
export function toGsm7Friendly(text: string): string {
  return Array.from(text, (ch) => TO_GSM7[ch] ?? ch).join('');
}

/**
 * Cut text so it fits `segments` segments, ending with '…' style "..." marker. Cuts by characters
 * (never in the middle of a surrogate pair or an escape sequence).
 */
export function fitSegments(text: string, maxSegments: number): string {
  if (segmentInfo(text).segments <= maxSegments) return text;
  const chars = Array.from(text);
  const marker = '...';
  let low = 0;
  let high = chars.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (segmentInfo(chars.slice(0, mid).join('') + marker).segments <= maxSegments) low = mid;
    else high = mid - 1;
  }
  return chars.slice(0, low).join('').trimEnd() + marker;
}
