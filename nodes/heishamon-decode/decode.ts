// From HeishaMon's MQTT messages to MetricsReadings: which topic is what (topics.ts), raw frames
// (frame.ts), and the assembly of the per-value topics of one cycle into one reading. Pure: the
// node's glue owns the quiet timer and calls flush when it fires.
import type { MetricsReading } from '../shared/contract';
import { deviceIdFromBase, deviceIdProblem } from '../shared/device-id';
import { err, ok, type Result } from '../shared/result';
import { ReadingAssembler, snakeCaseName, type CollectedReading, type CollectedValue } from '../shared/reading-assembly';
import { decodeFrame, frameBytes } from './frame';
import { settingChanges } from './settings';
import { EXTRA_TOPICS, MODEL_TOPIC, OPTIONAL_TOPICS, RENAMED_TOPICS, TOTALS, mainValues, numberOf } from './topics';

export const DEFAULT_BASE = 'panasonic_heat_pump';
export const DEFAULT_DEVICE_ID = 'heishamon';

export interface HeishamonOptions {
  /** topic base; blank: any base, found before the first level HeishaMon uses (main, extra, LWT, …) */
  base: string;
  /** blank: derived from the base topic */
  deviceId: string;
  /** decode raw frames (raw/data, main/raw); the main/ topics then repeat them and are skipped */
  raw: boolean;
}

export interface InputOutcome {
  deviceId: string;
  /** readings completed by this message (a new cycle began, or a raw frame) */
  readings: MetricsReading[];
  presence?: 'online' | 'offline';
  /** true while a cycle of this device is open: the caller (re)starts its quiet timer */
  collecting: boolean;
}

/** The levels under the base that HeishaMon publishes; anything else (commands, log, stats, …) is none of ours. */
const LEVELS = new Set(['main', 'sdc', 'extra', 'optional', 'opt', '1wire', 's0', 'LWT', 'raw']);

export class HeishamonDecoder {
  private readonly assembler = new ReadingAssembler();
  /** per device: the model text, and the latest per-mode power values the totals are summed from */
  private readonly models = new Map<string, string>();
  private readonly latest = new Map<string, Record<string, number>>();
  /** the values marked settings in topics.ts: their changes go out as setting changes */
  readonly settings = { source: 'heishamon', changes: settingChanges };

  constructor(private readonly options: HeishamonOptions) {}

  /** Checks the options; an error names what is wrong. */
  static check(options: HeishamonOptions): string | undefined {
    if (options.deviceId !== '') return deviceIdProblem(options.deviceId);
    return undefined;
  }

  /** One MQTT message; undefined when it is none of ours (commands, log, another base). */
  input(topic: unknown, payload: unknown, now: number): Result<InputOutcome, string> | undefined {
    if (typeof topic !== 'string') return err('msg.topic must be the MQTT topic the message came from');
    const split = this.split(topic);
    if (split === undefined) return undefined;
    const { base, levels } = split;
    const deviceId = this.options.deviceId !== '' ? this.options.deviceId : deviceIdFromBase(base, DEFAULT_DEVICE_ID);
    const [level, ...rest] = levels;
    const name = rest.join('/');
    if (level === 'LWT') {
      const text = textOf(payload).trim().toLowerCase();
      if (text !== 'online' && text !== 'offline') return err(`${topic}: expected Online or Offline, got "${textOf(payload).slice(0, 40)}"`);
      return ok({ deviceId, readings: [], presence: text, collecting: this.assembler.isCollecting(deviceId) });
    }
    if (level === 'raw' || (level === 'main' && name === 'raw')) {
      if (!this.options.raw || (level === 'raw' && name !== 'data' && name !== 'dataextra')) return undefined;
      return this.frame(deviceId, topic, payload, now);
    }
    if ((level === 'main' || level === 'sdc') && this.options.raw) return undefined;
    const values = this.valuesOf(deviceId, level!, name, textOf(payload), topic);
    if ('error' in values) return err(values.error);
    return ok(this.collect(deviceId, values.values, now));
  }

  /** The device's quiet timer fired: its cycle is over. */
  flush(deviceId: string): MetricsReading | undefined {
    const collected = this.assembler.flush(deviceId);
    return collected === undefined ? undefined : this.reading(collected);
  }

  private split(topic: string): { base: string; levels: string[] } | undefined {
    const levels = topic.split('/');
    if (this.options.base !== '') {
      const baseLevels = this.options.base.replace(/\/+$/, '').split('/');
      if (levels.length <= baseLevels.length || baseLevels.some((level, i) => levels[i] !== level)) return undefined;
      const rest = levels.slice(baseLevels.length);
      return LEVELS.has(rest[0]!) ? { base: this.options.base, levels: rest } : undefined;
    }
    // without a configured base, the base is what comes before the first HeishaMon level
    for (let i = 1; i < levels.length; i += 1) {
      if (LEVELS.has(levels[i]!)) return { base: levels.slice(0, i).join('/'), levels: levels.slice(i) };
    }
    return undefined;
  }

  private valuesOf(deviceId: string, level: string, name: string, text: string, topic: string): { values: CollectedValue[] } | { error: string } {
    if (level === 'main' || level === 'sdc') {
      const current = RENAMED_TOPICS[name] ?? name;
      if (current === MODEL_TOPIC) {
        this.models.set(deviceId, text.trim());
        return { values: [] };
      }
      return mainValues(current, text);
    }
    const value = numberOf(text);
    if (value === undefined) return { error: `${topic}: "${text.slice(0, 40)}" is not a number` };
    if (level === 'extra') return { values: [{ name: snakeCaseName(name), value, unit: EXTRA_TOPICS.get(name)?.unit ?? '' }] };
    if (level === 'optional' || level === 'opt') return { values: [{ name: snakeCaseName(name), value, unit: OPTIONAL_TOPICS.get(name)?.unit ?? '' }] };
    if (level === '1wire') return { values: [{ name: snakeCaseName(`onewire_${name}`), value, unit: '°C' }] };
    // s0/<Watt|Watthour|WatthourTotal>/<meter>
    const [kind, meter] = name.split('/');
    const S0: Record<string, [string, string]> = { Watt: ['power', 'W'], Watthour: ['energy', 'Wh'], WatthourTotal: ['energy_total', 'Wh'] };
    const known = S0[kind ?? ''];
    if (known !== undefined && meter !== undefined) return { values: [{ name: snakeCaseName(`s0_${meter}_${known[0]}`), value, unit: known[1] }] };
    return { values: [{ name: snakeCaseName(`s0_${name}`), value }] };
  }

  private frame(deviceId: string, topic: string, payload: unknown, now: number): Result<InputOutcome, string> {
    const bytes = frameBytes(payload);
    if (!bytes.ok) return err(`${topic}: ${bytes.error}`);
    const frame = decodeFrame(bytes.value);
    if (!frame.ok) return err(`${topic}: ${frame.error}`);
    const values: CollectedValue[] = [];
    for (const [name, text] of frame.value.values) {
      const level = frame.value.block === 'main' ? 'main' : 'extra';
      const decoded = this.valuesOf(deviceId, level, name, text, `${topic} (${name})`);
      if ('error' in decoded) return err(decoded.error);
      values.push(...decoded.values);
    }
    // the extra block follows its main block, and 1wire or s0 values may come between: one cycle
    return ok(this.collect(deviceId, values, now));
  }

  private collect(deviceId: string, values: CollectedValue[], now: number): InputOutcome {
    const finished = values.length === 0 ? undefined : this.assembler.add(deviceId, values, now);
    return { deviceId, readings: finished === undefined ? [] : [this.reading(finished)], collecting: this.assembler.isCollecting(deviceId) };
  }

  /** The reading of a finished cycle, with the power totals summed from the latest per-mode values. */
  private reading(collected: CollectedReading): MetricsReading {
    const { deviceId } = collected;
    const metrics = { ...collected.metrics };
    const units = { ...collected.units };
    const latest = this.latest.get(deviceId) ?? {};
    this.latest.set(deviceId, latest);
    for (const [total, parts] of Object.entries(TOTALS)) {
      for (const part of parts) if (typeof metrics[part] === 'number') latest[part] = metrics[part];
      // HeishaMon sends a value only when it changed: a total needs all three parts known, one of them new
      if (parts.some((part) => part in metrics) && parts.every((part) => part in latest)) {
        metrics[total] = parts.reduce((sum, part) => sum + latest[part]!, 0);
        units[total] = 'W';
      }
    }
    const model = this.models.get(deviceId);
    return {
      device_id: deviceId,
      timestamp: collected.startedAt,
      metrics,
      units,
      info: model === undefined || model === '' ? { source: 'heishamon' } : { source: 'heishamon', model },
    };
  }
}

/** The payload of an mqtt in node as text: a string, or a Buffer when it was set to binary. */
function textOf(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  if (payload instanceof Uint8Array) return Buffer.from(payload).toString('utf8');
  if (typeof payload === 'number' || typeof payload === 'boolean') return String(payload);
  return '';
}
