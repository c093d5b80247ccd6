// Which of HeishaMon's values are settings (the topics marked so in topics.ts), and which of them a
// reading changed. Pure: the node's glue keeps the known values (in a context store) between calls.
import { snakeCaseName } from '../shared/reading-assembly';
import { changedSettings, type SettingChange } from '../shared/setting-changes';
import { MAIN_TOPICS } from './topics';

/** A device's settings as last seen: metric name → value. */
export type SettingValues = Record<string, number>;

/** metric name of each setting topic → its unit ('' for a mode or state) */
export const SETTING_UNITS: ReadonlyMap<string, string> = new Map([...MAIN_TOPICS.values()].filter((def) => def.setting).map((def) => [snakeCaseName(def.name), def.unit]));

/**
 * The settings among a reading's metrics that differ from `previous`, and the known values after
 * the reading. A setting not in `previous` (its first value after a start without a stored one) is
 * no change; metrics that are no settings, and values that are no finite number, are passed over.
 */
export function settingChanges(previous: Readonly<SettingValues>, values: Readonly<Record<string, unknown>>): { changes: Array<SettingChange<number>>; known: SettingValues } {
  const current: SettingValues = {};
  const units: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    const unit = SETTING_UNITS.get(name);
    if (unit === undefined || typeof value !== 'number') continue;
    current[name] = value;
    if (unit !== '') units[name] = unit;
  }
  return changedSettings(previous, current, units);
}
