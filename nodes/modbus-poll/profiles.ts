// The register maps the package ships (profiles/*.yml, copied next to this module by the build)
// and their default alert rules. A profile's YAML is a registers.yml with one model named like it.
import fs from 'node:fs';
import path from 'node:path';
import { parseRegistersYaml, type ProfileAlertRule, type RegisterMap } from './register-map';

export interface ProfileInfo {
  /** the profile's name, also its model name in the YAML */
  name: string;
  /** what it covers, for the editor's list */
  label: string;
}

export const PROFILES: readonly ProfileInfo[] = Object.freeze([
  { name: 'stiebel-eltron-isg-wpm', label: 'Stiebel Eltron ISG: WPMsystem / WPM 3 / WPM 3i' },
  { name: 'stiebel-eltron-isg-lwz', label: 'Stiebel Eltron ISG: LWZ / LWA' },
  { name: 'nibe-s-series', label: 'NIBE S-series (S1155/S1255/S1156/S1256), common registers' },
  { name: 'nibe-f-series', label: 'NIBE F-series (F1145/F1245/F1155/F1255/F1345/F1355), common registers' },
  { name: 'generic-example', label: 'Generic example (every field, commented)' },
]);

export const PROFILES_DIR = path.join(__dirname, 'profiles');

const loaded = new Map<string, RegisterMap>();

/** The YAML text of a shipped profile. */
export function profileYaml(name: string): string {
  if (!PROFILES.some((p) => p.name === name)) throw new Error(`unknown profile "${name}" (${PROFILES.map((p) => p.name).join(', ')})`);
  return fs.readFileSync(path.join(PROFILES_DIR, `${name}.yml`), 'utf8');
}

/** A shipped profile's register map; throws for an unknown name or a profile that does not validate. */
export function loadProfile(name: string): RegisterMap {
  const cached = loaded.get(name);
  if (cached) return cached;
  const parsed = parseRegistersYaml(profileYaml(name));
  if (!parsed.ok) throw new Error(`profile "${name}": ${parsed.error.map((p) => p.message).join('; ')}`);
  const map = parsed.value.get(name);
  if (!map || parsed.value.size !== 1) throw new Error(`profile "${name}": the YAML must hold exactly the model "${name}"`);
  loaded.set(name, map);
  return map;
}

/** The default alert rules of a profile (its `alerts:`), in threshold-alert's rule shape; [] when it has none. */
export function defaultRules(profile: string | RegisterMap): ProfileAlertRule[] {
  const map = typeof profile === 'string' ? loadProfile(profile) : profile;
  return (map.alerts ?? []).map((rule) => ({ ...rule }));
}
