// The fleet table and the active alerts table, kept up to date from the fleet's deliveries: a
// device moves in a sorted list by its rank, so a delivery costs what changed (log n per device);
// the fleet table makes rows only for its first maxRows devices, from the fleet's records, so a
// device beyond them costs the table its rank and its places in two lists.
// Pure: no Node-RED import.
import type { DeviceRecord } from '../heatpump-fleet/fleet-state';
import type { Labels } from './format';
import { alertRow, compareAlertRows, compareIds, deviceRow, rankOf, sameRow, type AlertRow, type DeviceRow } from './rows';
import { SortedList } from './sorted-list';

/** A changed device; `record` undefined: the fleet forgot it. */
export interface Changed {
  id: string;
  record: DeviceRecord | undefined;
}

export interface TableView<Row> {
  rows: Row[];
  /** how many rows there are in all (rows holds at most maxRows of them) */
  total: number;
}

export interface DeviceOption {
  label: string;
  value: string;
}

interface Ranked {
  id: string;
  rank: number;
}

const compareRanked = (a: Ranked, b: Ranked) => a.rank - b.rank || compareIds(a.id, b.id);

export interface DeviceTableChange {
  /** a row within the first maxRows changed, or rows moved in or out of them */
  shown: boolean;
  /** devices came or went (the total and the device list changed) */
  members: boolean;
}

/** Reads a device's current record from the fleet. */
export type RecordOf = (id: string) => DeviceRecord | undefined;

export class DeviceTable {
  /** each device's rank: all the table keeps of a device beyond the first maxRows */
  private readonly ranks = new Map<string, number>();
  private readonly order = new SortedList<Ranked>(compareRanked);
  private readonly ids = new SortedList<string>(compareIds);
  /** the rows the last view showed, by device: a change that leaves its row as shown changes nothing */
  private shown = new Map<string, DeviceRow>();

  constructor(
    private readonly recordOf: RecordOf,
    private readonly labels: Labels,
    private readonly maxRows: number,
  ) {}

  get size(): number {
    return this.ranks.size;
  }

  apply(changed: Iterable<Changed>): DeviceTableChange {
    const result = { shown: false, members: false };
    const visible = (index: number) => index >= 0 && index < this.maxRows;
    for (const { id, record } of changed) {
      const before = this.ranks.get(id);
      if (!record) {
        if (before === undefined) continue;
        result.shown = visible(this.order.remove({ id, rank: before })) || result.shown;
        this.ids.remove(id);
        this.ranks.delete(id);
        result.members = true;
        continue;
      }
      const rank = rankOf(record);
      this.ranks.set(id, rank);
      if (before === undefined) {
        result.shown = visible(this.order.insert({ id, rank })) || result.shown;
        this.ids.insert(id);
        result.members = true;
      } else if (before !== rank) {
        const from = this.order.remove({ id, rank: before });
        const to = this.order.insert({ id, rank });
        result.shown = visible(from) || visible(to) || result.shown;
      } else if (!result.shown && visible(this.order.indexOf({ id, rank }))) {
        // only a shown device's row is made, to compare with what was shown
        const row = this.shown.get(id);
        result.shown = row === undefined || !sameRow(row, deviceRow(record, this.labels));
      }
    }
    return result;
  }

  /** The first maxRows rows, made from the fleet's records now; each call returns new row objects. */
  view(): TableView<DeviceRow> {
    const shown = new Map<string, DeviceRow>();
    for (const { id } of this.order.head(this.maxRows)) {
      const record = this.recordOf(id);
      // the fleet forgot it and its delivery is still to come
      if (record) shown.set(id, deviceRow(record, this.labels));
    }
    this.shown = shown;
    return { rows: Array.from(shown.values(), (row) => ({ ...row })), total: this.ranks.size };
  }

  /** Dropdown options: the first maxRows device ids in id order. */
  options(): DeviceOption[] {
    return this.ids.head(this.maxRows).map((id) => ({ label: id, value: id }));
  }
}

export class AlertTable {
  /** device -> alert type -> row */
  private readonly byDevice = new Map<string, Map<string, AlertRow>>();
  private readonly order = new SortedList<AlertRow>(compareAlertRows);

  constructor(
    private readonly labels: Labels,
    private readonly maxRows: number,
  ) {}

  get size(): number {
    return this.order.size;
  }

  /** Returns true when an active alert came, went or changed. */
  apply(changed: Iterable<Changed>): boolean {
    let any = false;
    for (const { id, record } of changed) {
      const before = this.byDevice.get(id);
      const alerts = record?.alerts ?? {};
      // most devices have no alerts before or after: nothing to do
      if (!before && Object.keys(alerts).length === 0) continue;
      const after = new Map<string, AlertRow>();
      for (const [type, alert] of Object.entries(alerts)) {
        const row = alertRow(id, alert, this.labels);
        const old = before?.get(type);
        if (old && sameRow(old, row)) {
          after.set(type, old);
          continue;
        }
        if (old) this.order.remove(old);
        this.order.insert(row);
        after.set(type, row);
        any = true;
      }
      for (const [type, old] of before ?? []) {
        if (after.has(type)) continue;
        this.order.remove(old);
        any = true;
      }
      if (after.size > 0) this.byDevice.set(id, after);
      else this.byDevice.delete(id);
    }
    return any;
  }

  view(): TableView<AlertRow> {
    return { rows: this.order.head(this.maxRows).map((row) => ({ ...row })), total: this.order.size };
  }
}
