// SMS commands (docs/CONTRACTS.md "STATUS text"): parse the text, pick the device, build the answer. Pure.
import type { Reading } from '../shared/contract';
import { composeFleetStatus, composeHelp, composeNoReading, composeStatus, type ActiveAlerts, type FleetDeviceView } from './compose';

export type Command = { cmd: 'STATUS' | 'RESET'; device?: string } | { cmd: 'HELP' } | { cmd: 'UNKNOWN'; text: string };

/** "status", "  Status  site1 ", "RESET\r\n" -> commands; case and spacing do not matter. */
export function parseCommand(text: string): Command {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const verb = (words[0] ?? '').toUpperCase();
  const device = words[1];
  if ((verb === 'STATUS' || verb === 'RESET') && words.length <= 2) return device ? { cmd: verb, device } : { cmd: verb };
  if (verb === 'HELP' && words.length === 1) return { cmd: 'HELP' };
  return { cmd: 'UNKNOWN', text };
}

/** The devices a command may name, and their STATUS answers. */
export interface DeviceDirectory {
  /** how many devices are known */
  readonly size: number;
  /** the known id `requested` means: exact, else ignoring case; undefined when none */
  match(requested: string): string | undefined;
  /** at most `limit` known ids, sorted, for replies that list devices */
  sample(limit: number): string[];
  /** the STATUS answer for a device, known or not */
  status(device: string, now: number): string;
}

/** One SMS cannot list more device ids than this anyway. */
const LISTED_DEVICES = 30;

const sameIgnoringCase = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function findIgnoringCase(ids: Iterable<string>, requested: string): string | undefined {
  for (const id of ids) if (sameIgnoringCase(id, requested)) return id;
  return undefined;
}

/** Without a fleet node: the latest reading and the active alerts this bridge saw since its start. */
export function seenDevices(readings: ReadonlyMap<string, Reading>, activeAlerts: ReadonlyMap<string, ActiveAlerts>): DeviceDirectory {
  return {
    get size() {
      return readings.size;
    },
    match: (requested) => (readings.has(requested) ? requested : findIgnoringCase(readings.keys(), requested)),
    sample: (limit) => [...readings.keys()].sort().slice(0, limit),
    status: (device, now) => {
      const reading = readings.get(device);
      return reading ? composeStatus(reading, activeAlerts.get(device), now) : composeNoReading(device);
    },
  };
}

/** The part of the heatpump-fleet state (FleetState) that STATUS reads. */
export interface FleetStateView {
  get(deviceId: string): FleetDeviceView | undefined;
  all(): Iterable<FleetDeviceView>;
  readonly size: number;
}

function* idsOf(devices: Iterable<FleetDeviceView>): Generator<string> {
  for (const device of devices) yield device.device_id;
}

/**
 * With a fleet node: everything it knows, restored over restarts (latest reading, presence, last
 * seen, active alerts). An exact id is one lookup; only a miss scans the fleet for the id in
 * another case, and a list takes the first ids it meets, so a command never sorts the fleet.
 */
export function fleetDevices(state: FleetStateView): DeviceDirectory {
  return {
    get size() {
      return state.size;
    },
    match: (requested) => (state.get(requested) ? requested : findIgnoringCase(idsOf(state.all()), requested)),
    sample: (limit) => {
      const ids: string[] = [];
      for (const id of idsOf(state.all())) {
        if (ids.length >= limit) break;
        ids.push(id);
      }
      return ids.sort();
    },
    status: (device, now) => {
      const record = state.get(device);
      return record ? composeFleetStatus(record, now) : composeNoReading(device);
    },
  };
}

export interface CommandContext {
  devices: DeviceDirectory;
  /**
   * the device whose own modem reported the SMS (heatpump/{id}/sms/received). Such a report is
   * only as trustworthy as that device, so the command may name that device alone: STATUS and
   * RESET without an id mean it, with another id they are refused ('other-device'). Unset for
   * the gateways (Twilio, SMS Gateway for Android, serial modem): they may name any device.
   */
  viaDevice?: string;
  now: number;
}

export interface CommandOutcome {
  reply: string;
  /** a device command to publish on heatpump/{device}/cmd */
  deviceCommand?: { device: string; cmd: 'RESET' };
  device?: string;
  /** why the command was not run: a device modem report named another device */
  refused?: 'other-device';
  /** the device the refused command named */
  requested?: string;
}

/** Device ids for replies that list them: known ones plus the one the SMS came through; only that one for a device report. */
function listed(context: CommandContext): string[] {
  if (context.viaDevice) return [context.viaDevice];
  return context.devices.sample(LISTED_DEVICES).sort();
}

/** The device a command means, or the reply explaining why none could be chosen. */
function pickDevice(requested: string | undefined, context: CommandContext): { device: string } | { reply: string } {
  const { devices, viaDevice } = context;
  // runCommand refused a device report naming another device: here it names its own or none.
  if (viaDevice) return { device: viaDevice };
  if (requested) {
    const match = devices.match(requested);
    return match ? { device: match } : { reply: `Unknown device ${requested}. Devices: ${listed(context).join(', ') || 'none yet'}` };
  }
  const only = devices.size === 1 ? devices.sample(1)[0] : undefined;
  if (only !== undefined) return { device: only };
  if (devices.size === 0) return { reply: 'No device has reported yet.' };
  return { reply: `Several devices: send STATUS <device> or RESET <device>. Devices: ${listed(context).join(', ')}` };
}

export function runCommand(command: Command, context: CommandContext): CommandOutcome {
  if (command.cmd === 'HELP' || command.cmd === 'UNKNOWN') return { reply: composeHelp(listed(context)) };
  const { viaDevice } = context;
  if (viaDevice && command.device && !sameIgnoringCase(viaDevice, command.device))
    return {
      reply: `${command.cmd} ${command.device} refused: an SMS to ${viaDevice} may only command ${viaDevice}. Send ${command.cmd} alone.`.slice(0, 160),
      refused: 'other-device',
      requested: command.device,
      device: viaDevice,
    };
  const picked = pickDevice(command.device, context);
  if ('reply' in picked) return { reply: picked.reply.slice(0, 160) };
  const { device } = picked;
  if (command.cmd === 'RESET') return { reply: 'Restarting device...', deviceCommand: { device, cmd: 'RESET' }, device };
  return { reply: context.devices.status(device, context.now), device };
}
