// TEMPORARY local stand-in (untracked) until branch modbus-maps lands in main.
import type { RegisterMap } from './register-map';
export const PROFILES: { name: string; description: string }[] = [{ name: 'generic-example', description: 'stub' }];
export function loadProfile(name: string): RegisterMap {
  if (name !== 'generic-example') throw new Error(`unknown profile "${name}"`);
  return { model: 'generic-example', registers: [{ name: 'flow_temperature', address: 0, register_type: 'input', data_type: 'int16', scale: 0.1, offset: 0, word_order: 'big', byte_order: 'big', unit: '°C' }] };
}
