// Where a poll node's register map comes from: a shipped profile by name, HPManager registers.yml
// text pasted in the editor, or a file (registers.yml, or a NIBE register export .csv). Every
// way ends in validateMap, so a bad map is refused the same way whatever its source. Pure: the
// file read and the profile loader are passed in.
import { err, ok, type Result } from '../shared/result';
import { nibeCsvText, parseNibeCsv } from './nibe-csv';
import { parseRegistersYaml, validateMap, type MapProblem, type RegisterMap } from './register-map';

export type MapSourceKind = 'profile' | 'yaml' | 'file';

export interface MapSource {
  kind: MapSourceKind;
  /** kind profile: the shipped profile's name */
  profile?: string;
  /** kind yaml: registers.yml text */
  yaml?: string;
  /** kind file: path of a registers.yml or NIBE .csv export */
  file?: string;
  /** the model of a registers.yml holding several (blank = its only model); for a NIBE export, the model name to give it */
  model?: string;
}

export interface MapSourceDeps {
  loadProfile: (name: string) => RegisterMap;
  /** the file's bytes (a NIBE export is Latin-1, a registers.yml UTF-8) */
  readFile: (path: string) => Uint8Array;
}

export function resolveMap(source: MapSource, deps: MapSourceDeps): Result<RegisterMap, MapProblem[]> {
  const found = findMap(source, deps);
  if (!found.ok) return found;
  const problems = validateMap(found.value);
  return problems.length > 0 ? err(problems) : found;
}

function findMap(source: MapSource, deps: MapSourceDeps): Result<RegisterMap, MapProblem[]> {
  switch (source.kind) {
    case 'profile': {
      const name = (source.profile ?? '').trim();
      if (name === '') return err([{ message: 'no profile chosen' }]);
      try {
        return ok(deps.loadProfile(name));
      } catch (thrown) {
        return err([{ message: `profile "${name}": ${(thrown as Error).message}` }]);
      }
    }
    case 'yaml':
      return modelOf(parseRegistersYaml(source.yaml ?? ''), source.model);
    case 'file': {
      const file = (source.file ?? '').trim();
      if (file === '') return err([{ message: 'no register map file given' }]);
      let bytes: Uint8Array;
      try {
        bytes = deps.readFile(file);
      } catch (thrown) {
        return err([{ message: `cannot read ${file}: ${(thrown as Error).message}` }]);
      }
      if (/\.csv$/i.test(file)) return parseNibeCsv(nibeCsvText(bytes), source.model?.trim() || undefined);
      return modelOf(parseRegistersYaml(new TextDecoder().decode(bytes)), source.model);
    }
    default:
      return err([{ message: `unknown register map source ${JSON.stringify(source.kind)}` }]);
  }
}

function modelOf(parsed: Result<Map<string, RegisterMap>, MapProblem[]>, model: string | undefined): Result<RegisterMap, MapProblem[]> {
  if (!parsed.ok) return parsed;
  const wanted = (model ?? '').trim();
  const models = [...parsed.value.keys()];
  if (wanted === '') {
    const only = models.length === 1 ? parsed.value.get(models[0]!) : undefined;
    return only ? ok(only) : err([{ message: `the YAML defines models ${models.join(', ')}: choose one` }]);
  }
  const map = parsed.value.get(wanted);
  return map ? ok(map) : err([{ message: `model "${wanted}" is not in the YAML (${models.join(', ')})` }]);
}
