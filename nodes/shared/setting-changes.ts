// Which settings of a device changed since they were last seen: the comparison every source of
// setting changes shares (viessmann-device, modbus-poll, heishamon-decode). Pure.

/** A setting's value: a number (a target temperature, a mode), a flag, a text, or a schedule object. */
export type SettingValue = number | boolean | string | { [key: string]: unknown };

export interface SettingChange<V extends SettingValue = SettingValue> {
  setting: string;
  old_value: V;
  new_value: V;
  unit?: string;
}

const recordOf = (value: unknown): Record<string, unknown> | undefined => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);

/** A value's text with object keys sorted: two schedules are the same whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const record = recordOf(value);
  if (record) return `{${Object.keys(record).sort().map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`).join(',')}}`;
  return JSON.stringify(value);
}

/** NaN and infinities are no setting value (JSON would store them as null): left out. */
const isSettingValue = (value: unknown): boolean =>
  (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean' || typeof value === 'string' || recordOf(value) !== undefined;

/**
 * The settings in `current` that differ from the `known` ones, and the known values after them. A
 * setting seen for the first time is the baseline, not a change; one missing from `current` keeps
 * its last value; an invalid value (NaN, null, …) is left out and changes nothing.
 */
export function changedSettings<V extends SettingValue>(
  known: Readonly<Record<string, V>>,
  current: Readonly<Record<string, V>>,
  units: Readonly<Record<string, string>> = {},
): { changes: Array<SettingChange<V>>; known: Record<string, V> } {
  const changes: Array<SettingChange<V>> = [];
  const next: Record<string, V> = { ...known };
  for (const [setting, value] of Object.entries(current)) {
    if (!isSettingValue(value)) continue;
    next[setting] = value;
    const previous = known[setting];
    if (previous === undefined || canonical(previous) === canonical(value)) continue;
    const unit = units[setting];
    changes.push({ setting, old_value: previous, new_value: value, ...(unit !== undefined && unit !== '' ? { unit } : {}) });
  }
  return { changes, known: next };
}
