// ATTR payloads as an ESPAltherma gateway publishes them, built from the rows of its label list
// (test/fixtures/espaltherma/list_labels.csv) with values rendered as its converters render them.
import assert from 'node:assert/strict';
import { readFixture } from './fixtures';

export interface LabelRow {
  family: string;
  convId: number;
  label: string;
}

/** The rows of the label list: model family, …, convId, …, label (quoted, sometimes after a space). */
export function labelRows(): LabelRow[] {
  return readFixture('espaltherma', 'list_labels.csv')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const match = /^([^,]+),\s*0x[0-9a-fA-F]+,\s*-?\d+,\s*(\d+),\s*-?\d+,\s*-?\d+,\s*"(.*)"\s*$/.exec(line);
      assert.ok(match, `unreadable row: ${line}`);
      return { family: match[1]!, convId: Number(match[2]), label: match[3]! };
    });
}

/** A value as ESPAltherma's converters render it for a convId: text for tables, a number otherwise. */
export function espalthermaValue(convId: number, index: number): string | number {
  if ((convId >= 300 && convId <= 307) || convId === 211) return index % 2 === 0 ? 'ON' : 'OFF';
  if (convId === 204) return index % 2 === 0 ? ' 0' : 'A1';
  if (convId === 203) return 'Normal';
  if (convId === 201 || convId === 217) return 'Heating';
  return Math.round((20 + index * 0.5) * 10) / 10;
}

/** The ATTR JSON object ESPAltherma would publish for a family's definition (all its labels). */
export function attrOf(family: string): Record<string, string | number> {
  const attributes: Record<string, string | number> = {};
  labelRows()
    .filter((row) => row.family === family && row.convId !== 996)
    .forEach((row, index) => (attributes[row.label] = espalthermaValue(row.convId, index)));
  return attributes;
}
