// Pure core of heatpump-ws-clients: who is connected to /api/ws, which devices each connection
// asked for, and what a client's request means. No Node-RED import and no clock.
//
// A connection that subscribed to nothing gets every message (as before subscriptions existed);
// one that subscribed to devices gets only theirs. Unsubscribing the last device returns it to
// everything. Memory is bounded: the connections are the listener's (each forgotten when it
// closes), at most `maxSessions` of them hold subscriptions and each at most `maxDevices`.
import { deviceIdProblem } from '../shared/device-id';

export interface SubscriptionLimits {
  maxSessions: number;
  maxDevices: number;
}

export const DEFAULT_LIMITS: SubscriptionLimits = Object.freeze({ maxSessions: 1000, maxDevices: 100 });

/** Where a message for a device goes: one broadcast, or one message per listed connection. */
export type Recipients = { broadcast: true } | { broadcast: false; sessions: string[] };

export type ChangeResult = { ok: true; devices: string[] } | { ok: false; error: string };

export class Subscriptions {
  private readonly connected = new Set<string>();
  private readonly wanted = new Map<string, Set<string>>();

  constructor(private readonly limits: SubscriptionLimits = DEFAULT_LIMITS) {}

  opened(session: string): void {
    this.connected.add(session);
  }

  closed(session: string): void {
    this.connected.delete(session);
    this.wanted.delete(session);
  }

  /** whether any connection is open, i.e. a pushed message reaches anyone */
  get anyConnected(): boolean {
    return this.connected.size > 0;
  }

  /** connections known, and how many of them chose devices */
  get counts(): { connected: number; subscribed: number } {
    return { connected: this.connected.size, subscribed: this.wanted.size };
  }

  devicesOf(session: string): string[] {
    return [...(this.wanted.get(session) ?? [])];
  }

  subscribe(session: string, device: string): ChangeResult {
    this.connected.add(session);
    const devices = this.wanted.get(session);
    if (devices === undefined) {
      if (this.wanted.size >= this.limits.maxSessions) return { ok: false, error: `too many connections with subscriptions (at most ${this.limits.maxSessions})` };
      this.wanted.set(session, new Set([device]));
      return { ok: true, devices: [device] };
    }
    if (!devices.has(device) && devices.size >= this.limits.maxDevices) return { ok: false, error: `too many devices on one connection (at most ${this.limits.maxDevices})` };
    devices.add(device);
    return { ok: true, devices: [...devices] };
  }

  unsubscribe(session: string, device: string): ChangeResult {
    const devices = this.wanted.get(session);
    devices?.delete(device);
    if (devices?.size === 0) this.wanted.delete(session);
    return { ok: true, devices: this.devicesOf(session) };
  }

  /** A message of `device` (undefined: of no device, e.g. a fleet-wide message) goes to ... */
  recipients(device: string | undefined): Recipients {
    if (this.wanted.size === 0) return { broadcast: true };
    const sessions: string[] = [];
    for (const session of this.connected) {
      const devices = this.wanted.get(session);
      if (devices === undefined || (device !== undefined && devices.has(device))) sessions.push(session);
    }
    return { broadcast: false, sessions };
  }
}

export type ClientRequest =
  | { type: 'subscribe_device' | 'unsubscribe_device' | 'get_current_status'; device_id: string }
  | { type: 'invalid'; error: string; request?: string };

export const REQUEST_TYPES = ['subscribe_device', 'unsubscribe_device', 'get_current_status'] as const;
/** A client request is small; a longer text is refused before it is parsed. */
export const MAX_REQUEST_BYTES = 4096;

/** A client's text (or Buffer) -> what it asks for. */
export function parseClientRequest(input: unknown): ClientRequest {
  const text = typeof input === 'string' ? input : Buffer.isBuffer(input) ? input.toString('utf8') : undefined;
  if (text === undefined) return { type: 'invalid', error: 'a request must be JSON text' };
  if (Buffer.byteLength(text, 'utf8') > MAX_REQUEST_BYTES) return { type: 'invalid', error: `a request may be at most ${MAX_REQUEST_BYTES} bytes` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { type: 'invalid', error: 'the request is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { type: 'invalid', error: 'the request must be a JSON object with a "type"' };
  const { type, device_id: device } = parsed as Record<string, unknown>;
  const known = (REQUEST_TYPES as readonly unknown[]).includes(type);
  if (!known) return { type: 'invalid', error: `unknown request type ${JSON.stringify(type ?? null)}: one of ${REQUEST_TYPES.join(', ')}` };
  const request = type as (typeof REQUEST_TYPES)[number];
  const problem = deviceIdProblem(device);
  if (problem !== undefined) return { type: 'invalid', request, error: `device_id: ${problem}` };
  return { type: request, device_id: device as string };
}

/** The device a pushed message is about (sensor_data, alert, device_online, device_offline). */
export function deviceOfMessage(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const device = (payload as Record<string, unknown>).device_id;
  return typeof device === 'string' ? device : undefined;
}
