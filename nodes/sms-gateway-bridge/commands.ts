// SMS commands (seed section 4.5): parse the text, pick the device, build the answer. Pure.
import type { Reading } from '../shared/contract';
import { composeHelp, composeStatus, type ActiveAlerts } from './compose';

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

export interface CommandContext {
  /** latest reading per device id */
  readings: ReadonlyMap<string, Reading>;
  activeAlerts: ReadonlyMap<string, ActiveAlerts>;
  /** device the SMS came in through (device-modem transport); picked when no id is given */
  viaDevice?: string;
  now: number;
}

export interface CommandOutcome {
  reply: string;
  /** a device command to publish on heatpump/{device}/cmd */
  deviceCommand?: { device: string; cmd: 'RESET' };
  device?: string;
}

function knownDevices(context: CommandContext): string[] {
  const ids = new Set(context.readings.keys());
  if (context.viaDevice) ids.add(context.viaDevice);
  return [...ids].sort();
}

/** The device a command means, or the reply explaining why none could be chosen. */
function pickDevice(requested: string | undefined, context: CommandContext): { device: string } | { reply: string } {
  const known = knownDevices(context);
  if (requested) {
    const match = known.find((id) => id.toLowerCase() === requested.toLowerCase());
    return match ? { device: match } : { reply: `Unknown device ${requested}. Devices: ${known.join(', ') || 'none yet'}` };
  }
  if (context.viaDevice) return { device: context.viaDevice };
  const only = known.length === 1 ? known[0] : undefined;
  if (only !== undefined) return { device: only };
  if (known.length === 0) return { reply: 'No device has reported yet.' };
  return { reply: `Several devices: send STATUS <device> or RESET <device>. Devices: ${known.join(', ')}` };
}

export function runCommand(command: Command, context: CommandContext): CommandOutcome {
  if (command.cmd === 'HELP' || command.cmd === 'UNKNOWN') return { reply: composeHelp(knownDevices(context)) };
  const picked = pickDevice(command.device, context);
  if ('reply' in picked) return { reply: picked.reply.slice(0, 160) };
  const { device } = picked;
  if (command.cmd === 'RESET') return { reply: 'Restarting device...', deviceCommand: { device, cmd: 'RESET' }, device };
  const reading = context.readings.get(device);
  if (!reading) return { reply: `HEAT PUMP STATUS\nDevice: ${device}\nNo reading received yet.`, device };
  return { reply: composeStatus(reading, context.activeAlerts.get(device), context.now), device };
}
