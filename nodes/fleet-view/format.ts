// The words and number formats the views show. The glue fills Labels from the node's i18n
// catalog once at start, so building a row never calls the translator. Pure: no Node-RED import.
import { UNITS, type SensorField } from '../shared/contract';
import { ALERT_THRESHOLDS } from '../shared/thresholds';

export type Translate = (key: string, params?: Record<string, string | number>) => string;

/** Every fixed word a view shows, already translated. */
export interface Labels {
  online: string;
  offline: string;
  unknown: string;
  never: string;
  none: string;
  warning: string;
  critical: string;
  sourceDevice: string;
  sourceThreshold: string;
  running: string;
  stopped: string;
  active: string;
  on: string;
  off: string;
  noReading: string;
  noDevice: string;
}

/** Labels from the translator (keys under `fleet-view.text.`). */
export function labelsFrom(t: Translate): Labels {
  const text = (key: string) => t(`text.${key}`);
  return {
    online: text('online'),
    offline: text('offline'),
    unknown: text('unknown'),
    never: text('never'),
    none: text('none'),
    warning: text('warning'),
    critical: text('critical'),
    sourceDevice: text('source-device'),
    sourceThreshold: text('source-threshold'),
    running: text('running'),
    stopped: text('stopped'),
    active: text('active'),
    on: text('on'),
    off: text('off'),
    noReading: text('no-reading'),
    noDevice: text('no-device'),
  };
}

/** `45.2 °C`, or an en dash for a value the device did not send. */
export function valueText(value: number | undefined, digits: number, unit: string): string {
  return typeof value === 'number' && Number.isFinite(value) ? `${value.toFixed(digits)} ${unit}` : '\u2013';
}

const thresholdUnits = new Map(ALERT_THRESHOLDS.map((spec) => [spec.name, UNITS[spec.metric]]));
const isSensorField = (name: string): name is SensorField => Object.prototype.hasOwnProperty.call(UNITS, name);

/** The unit of an alert's value: from the alert contract, else from a sensor named like the alert. */
export function alertUnit(alertType: string): string {
  const known = thresholdUnits.get(alertType);
  if (known !== undefined) return known;
  if (isSensorField(alertType)) return UNITS[alertType];
  const stem = /^(.+)_(high|low)$/.exec(alertType)?.[1];
  return stem !== undefined && isSensorField(stem) ? UNITS[stem] : '';
}

/** `252.5 V`; a value without a known unit stays a bare number. */
export function alertValueText(alertType: string, value: number): string {
  const unit = alertUnit(alertType);
  return unit === '' ? String(value) : `${value} ${unit}`;
}

const two = (n: number) => String(n).padStart(2, '0');

/** `2024-05-01 12:00:03` in UTC (widget labels say UTC): the same text in every browser. */
export function utcText(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}
