// From ESPAltherma's MQTT messages to MetricsReadings: the ATTR JSON (label → value, one whole
// reading) and, with ESPAltherma's ONEVAL_ONETOPIC option, one topic per label (OneATTR/<label>),
// collected into one reading per cycle. Pure: the node's glue owns the quiet timer.
import type { MetricsReading } from '../shared/contract';
import { deviceIdFromBase, deviceIdProblem } from '../shared/device-id';
import { ReadingAssembler, type CollectedReading, type CollectedValue } from '../shared/reading-assembly';
import { err, ok, type Result } from '../shared/result';
import type { GatewayOutcome } from '../shared/gateway-glue';
import { labelValue } from './labels';

export const DEFAULT_BASE = 'espaltherma';
export const DEFAULT_DEVICE_ID = 'espaltherma';

export interface EspalthermaOptions {
  /** ESPAltherma's topic prefix (MQTT_attr "espaltherma/ATTR") */
  base: string;
  /** blank: the base topic's last level */
  deviceId: string;
  /** the model family of the gateway's definition file, for info.model; blank: not named */
  family: string;
}

export class EspalthermaDecoder {
  private readonly assembler = new ReadingAssembler();
  /** per device, label → the latest value that is no number and no ON / OFF (a mode, "Normal") */
  private readonly texts = new Map<string, Record<string, string>>();

  constructor(private readonly options: EspalthermaOptions) {}

  static check(options: EspalthermaOptions): string | undefined {
    if (options.base === '') return 'the base topic is empty';
    return options.deviceId === '' ? undefined : deviceIdProblem(options.deviceId);
  }

  input(topic: unknown, payload: unknown, now: number): Result<GatewayOutcome, string> | undefined {
    if (typeof topic !== 'string') return err('msg.topic must be the MQTT topic the message came from');
    const base = this.options.base.replace(/\/+$/, '');
    if (!topic.startsWith(`${base}/`)) return undefined;
    const rest = topic.slice(base.length + 1);
    const deviceId = this.options.deviceId !== '' ? this.options.deviceId : deviceIdFromBase(base, DEFAULT_DEVICE_ID);
    const collecting = (): boolean => this.assembler.isCollecting(deviceId);
    if (rest === 'LWT') {
      const text = textOf(payload).trim().toLowerCase();
      if (text !== 'online' && text !== 'offline') return err(`${topic}: expected Online or Offline, got "${textOf(payload).slice(0, 40)}"`);
      return ok({ deviceId, readings: [], presence: text, collecting: collecting() });
    }
    if (rest === 'ATTR') {
      const attributes = attributesOf(payload);
      if (attributes === undefined) return err(`${topic}: expected a JSON object of label → value`);
      const values = this.valuesOf(deviceId, attributes);
      // the JSON is one whole cycle: whatever was collected before it is a reading of its own
      const readings = [this.flush(deviceId)];
      if (values.length > 0) {
        this.assembler.add(deviceId, values, now);
        readings.push(this.flush(deviceId));
      }
      return ok({ deviceId, readings: readings.filter((r) => r !== undefined), collecting: false });
    }
    if (rest.startsWith('OneATTR/') && rest.length > 'OneATTR/'.length) {
      const values = this.valuesOf(deviceId, { [rest.slice('OneATTR/'.length)]: textOf(payload) });
      const finished = values.length === 0 ? undefined : this.assembler.add(deviceId, values, now);
      return ok({ deviceId, readings: finished === undefined ? [] : [this.reading(finished)], collecting: collecting() });
    }
    return undefined;
  }

  flush(deviceId: string): MetricsReading | undefined {
    const collected = this.assembler.flush(deviceId);
    return collected === undefined ? undefined : this.reading(collected);
  }

  /** The latest text values of the device's labels (empty when none). */
  textsOf(deviceId: string): Record<string, string> {
    return { ...this.texts.get(deviceId) };
  }

  private valuesOf(deviceId: string, attributes: Record<string, unknown>): CollectedValue[] {
    const values: CollectedValue[] = [];
    for (const [label, value] of Object.entries(attributes)) {
      const converted = labelValue(label, value);
      if ('values' in converted) {
        values.push(...converted.values);
        continue;
      }
      const texts = this.texts.get(deviceId) ?? {};
      texts[label] = converted.text;
      this.texts.set(deviceId, texts);
    }
    return values;
  }

  private reading(collected: CollectedReading): MetricsReading {
    return {
      device_id: collected.deviceId,
      timestamp: collected.startedAt,
      metrics: { ...collected.metrics },
      units: { ...collected.units },
      info: this.options.family === '' ? { source: 'espaltherma' } : { source: 'espaltherma', model: this.options.family },
    };
  }
}

function textOf(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  if (payload instanceof Uint8Array) return Buffer.from(payload).toString('utf8');
  if (typeof payload === 'number' || typeof payload === 'boolean') return String(payload);
  return '';
}

/** ATTR as an mqtt in node delivers it: parsed (auto-detect / JSON) or as text. */
function attributesOf(payload: unknown): Record<string, unknown> | undefined {
  let value = payload;
  if (typeof payload === 'string' || payload instanceof Uint8Array) {
    try {
      value = JSON.parse(textOf(payload));
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
