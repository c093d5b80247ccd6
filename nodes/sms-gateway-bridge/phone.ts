// Phone number normalisation to E.164, so whitelists compare like with like. Pure.

/** +, a non-zero digit, then 7..14 more digits (E.164 allows at most 15 digits). */
const E164 = /^\+[1-9]\d{6,14}$/;

export function isE164(value: string): boolean {
  return E164.test(value);
}

/** A default country code like "+49", "49" or "0049"; undefined when not usable. */
export function countryCodeDigits(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const digits = value.trim().replace(/^(\+|00)/, '');
  return /^[1-9]\d{0,2}$/.test(digits) ? digits : undefined;
}

/**
 * Normalise a number as typed by a person or reported by a gateway to E.164.
 * "+49 171 1234567", "0049 (171) 123-4567" -> "+491711234567"; "0171 1234567" with default
 * country "+49" -> "+491711234567"; "6505551212" (no prefix, SMS Gateway for Android sender) with
 * default country "1" -> "+16505551212". Returns undefined for alphanumeric senders and nonsense.
 */
export function normalisePhone(raw: unknown, defaultCountry?: string): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const trimmed = raw.trim();
  if (!/^[+\d\s().\-/]+$/.test(trimmed)) return undefined;
  const compact = trimmed.replace(/[\s().\-/]/g, '');
  let candidate: string | undefined;
  if (compact.startsWith('+')) candidate = compact;
  else if (compact.startsWith('00')) candidate = `+${compact.slice(2)}`;
  else {
    const country = countryCodeDigits(defaultCountry);
    if (!country) return undefined;
    // National trunk prefix 0 (most of Europe); numbers without it are taken as subscriber numbers.
    candidate = `+${country}${compact.replace(/^0/, '')}`;
  }
  return isE164(candidate) ? candidate : undefined;
}

/** Split a configured list ("+4917..., +4915...\n0171...") into normalised numbers and rejects. */
export function parseNumberList(list: string | undefined, defaultCountry?: string): { numbers: string[]; invalid: string[] } {
  const numbers: string[] = [];
  const invalid: string[] = [];
  for (const entry of (list ?? '').split(/[,;\n]+/)) {
    const trimmed = entry.trim();
    if (!trimmed) continue;
    const number = normalisePhone(trimmed, defaultCountry);
    if (number) {
      if (!numbers.includes(number)) numbers.push(number);
    } else invalid.push(trimmed);
  }
  return { numbers, invalid };
}
