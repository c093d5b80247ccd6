// Pure core of heatpump-http-ingest, part 1: which device a request is, from its bearer token.
//
// The node keeps SHA-256 digests of the device tokens, never the tokens. A device token is a
// random secret of at least 128 bits (e.g. `openssl rand -hex 32`), so a fast digest is as safe
// as bcrypt against guessing from a leaked list, and a look-up costs microseconds per request
// where bcrypt costs ~100 ms (a fleet posting every 10 s would keep a CPU busy). Comparing
// digests of the presented token leaks nothing about the stored ones.
import crypto from 'node:crypto';
import { deviceIdProblem } from '../shared/device-id';

const DIGEST = /^[0-9a-f]{64}$/;
/** `${NAME}` left as it is by Node-RED when the environment variable is unset. */
const UNSET_ENV_REFERENCE = /^\$\{\w+\}$/;

/** SHA-256 of the token text, lower-case hex: what the token list holds. */
export function tokenDigest(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface TokenTable {
  /** token digest -> device id */
  devices: ReadonlyMap<string, string>;
  /** one text per entry that was left out */
  problems: string[];
}

/**
 * `device_id:sha256hex` entries separated by commas, spaces or new lines (device ids contain none
 * of them; the digest is split off at the last colon, as a device id may contain one). A device may
 * have several tokens (to change them without a gap); one digest may not name two devices.
 */
export function parseTokenList(text: unknown): TokenTable {
  const devices = new Map<string, string>();
  const problems: string[] = [];
  const raw = typeof text === 'string' ? text.trim() : '';
  if (raw === '' || UNSET_ENV_REFERENCE.test(raw)) return { devices, problems };
  for (const entry of raw.split(/[\s,]+/).filter(Boolean)) {
    const colon = entry.lastIndexOf(':');
    const device = colon < 0 ? '' : entry.slice(0, colon);
    const digest = colon < 0 ? entry : entry.slice(colon + 1).toLowerCase();
    if (colon < 0) {
      problems.push(`"${entry.slice(0, 12)}…" is not device_id:sha256`);
      continue;
    }
    const idProblem = deviceIdProblem(device);
    if (idProblem !== undefined) {
      problems.push(`device id "${device}": ${idProblem}`);
      continue;
    }
    if (!DIGEST.test(digest)) {
      problems.push(`${device}: the token digest must be 64 hex digits (SHA-256 of the token), not the token itself`);
      continue;
    }
    const earlier = devices.get(digest);
    if (earlier !== undefined && earlier !== device) {
      problems.push(`${device}: the same token is listed for ${earlier}; neither may use it`);
      devices.delete(digest);
      continue;
    }
    devices.set(digest, device);
  }
  return { devices, problems };
}

export type Identity = { ok: true; device: string } | { ok: false; reason: 'missing' | 'malformed' | 'wrong' };

/** The device of an `Authorization: Bearer <token>` header. */
export function identify(authorization: unknown, table: TokenTable): Identity {
  if (authorization === undefined || authorization === '') return { ok: false, reason: 'missing' };
  const match = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  if (!match) return { ok: false, reason: 'malformed' };
  const device = table.devices.get(tokenDigest(match[1] ?? ''));
  return device === undefined ? { ok: false, reason: 'wrong' } : { ok: true, device };
}
