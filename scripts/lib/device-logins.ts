// Opt-in device logins for the embedded broker of `npm start` (pure: text in, decisions out).
// HEATPUMP_DEVICE_PASSWORDS names a file of `<device id>:<hash>` lines (`#` comments), the hash a
// bcrypt one (`npx node-red admin hash-pw`) or `sha256:<hex>` of the password. A device logs in
// with its id as user name and client id (mosquitto's use_username_as_clientid) and may then
// publish and subscribe only what docker/mosquitto/acl grants it: its own device -> server topics,
// and its two server -> device topics.
import crypto from 'node:crypto';
import { deviceIdProblem } from '../../nodes/shared/device-id';

/** What a device may publish under heatpump/<its id>/ (docker/mosquitto/acl "pattern write"). */
export const DEVICE_PUBLISH_TOPICS = ['data', 'metrics', 'alerts', 'status/online', 'sms/sent', 'sms/received'] as const;
/** What a device may subscribe to under heatpump/<its id>/ (docker/mosquitto/acl "pattern read"). */
export const DEVICE_SUBSCRIBE_TOPICS = ['cmd', 'sms/send'] as const;

const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;
const SHA256 = /^sha256:([0-9a-fA-F]{64})$/;

export interface DevicePasswords {
  /** device id -> its password hash */
  hashes: Map<string, string>;
  /** lines that were not taken, with their line number */
  problems: string[];
}

export function parseDevicePasswords(text: string): DevicePasswords {
  const hashes = new Map<string, string>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const id = colon < 0 ? line : line.slice(0, colon);
    const hash = colon < 0 ? '' : line.slice(colon + 1);
    const problem = deviceIdProblem(id) ?? (BCRYPT.test(hash) || SHA256.test(hash) ? undefined : 'the hash is neither bcrypt ($2b$...) nor sha256:<64 hex digits>');
    if (problem === undefined && hashes.has(id)) problems.push(`line ${index + 1}: device ${id} is listed twice`);
    else if (problem !== undefined) problems.push(`line ${index + 1}: ${problem}`);
    else hashes.set(id, hash);
  });
  return { hashes, problems };
}

/** `sha256:<hex>` of a password, for the file (and for logins made at start, like the simulator's). */
export function sha256Hash(password: string): string {
  return `sha256:${crypto.createHash('sha256').update(password, 'utf8').digest('hex')}`;
}

export type BcryptCompare = (password: string, hash: string) => Promise<boolean>;

function bcryptCompare(password: string, hash: string): Promise<boolean> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bcrypt = require('bcryptjs') as { compare(password: string, hash: string): Promise<boolean> };
  return bcrypt.compare(password, hash);
}

/** Whether `password` is the one `hash` was made from (constant time for sha256, bcrypt's own otherwise). */
export async function passwordMatches(password: string, hash: string, compare: BcryptCompare = bcryptCompare): Promise<boolean> {
  const sha = SHA256.exec(hash);
  if (!sha) return compare(password, hash);
  const given = crypto.createHash('sha256').update(password, 'utf8').digest();
  return crypto.timingSafeEqual(given, Buffer.from(sha[1] as string, 'hex'));
}

/** A device's login: its id as user name and as client id, with a password whose hash is listed. */
export async function deviceLoginValid(
  request: { clientId: string; username?: string; password?: string },
  hashes: ReadonlyMap<string, string>,
  compare?: BcryptCompare,
): Promise<boolean> {
  const hash = request.username === undefined ? undefined : hashes.get(request.username);
  if (hash === undefined || request.clientId !== request.username || request.password === undefined) return false;
  return passwordMatches(request.password, hash, compare);
}

const under = (deviceId: string, allowed: readonly string[], topic: string): boolean => allowed.some((rest) => topic === `heatpump/${deviceId}/${rest}`);

export function devicePublishAllowed(deviceId: string, topic: string): boolean {
  return under(deviceId, DEVICE_PUBLISH_TOPICS, topic);
}

/** Exact topics only: a wildcard filter could reach other devices' topics. */
export function deviceSubscribeAllowed(deviceId: string, topicFilter: string): boolean {
  return under(deviceId, DEVICE_SUBSCRIBE_TOPICS, topicFilter);
}
