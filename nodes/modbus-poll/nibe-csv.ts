// TEMPORARY local stand-in (untracked) until branch modbus-maps lands in main.
import { err, type Result } from '../shared/result';
import type { MapProblem, RegisterMap } from './register-map';
export function parseNibeCsv(_text: string, _model?: string): Result<RegisterMap, MapProblem[]> {
  return err([{ message: 'stub' }]);
}
