// The fleet table and the active alerts table, kept up to date from the fleet's deliveries: a
// row is rebuilt only for a device that changed, and moves in a sorted list, so a delivery costs
// what changed (log n per device), and only taking the first maxRows rows looks at more.
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

export class DeviceTable {
  private readonly entries = new Map<string, { rank: number; row: DeviceRow }>();
  private readonly order = new SortedList<Ranked>(compareRanked);
  private readonly ids = new SortedList<string>(compareIds);

  constructor(
    private readonly labels: Labels,
    private readonly maxRows: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  apply(changed: Iterable<Changed>): DeviceTableChange {
    const result = { shown: false, members: false };
    const visible = (index: number) => index >= 0 && index < this.maxRows;
    for (const { id, record } of changed) {
      const entry = this.entries.get(id);
      if (!record) {
        if (!entry) continue;
        result.shown = visible(this.order.remove({ id, rank: entry.rank })) || result.shown;
        this.ids.remove(id);
        this.entries.delete(id);
        result.members = true;
        continue;
      }
      const row = deviceRow(record, this.labels);
      const rank = rankOf(record);
      if (!entry) {
        this.entries.set(id, { rank, row });
        result.shown = visible(this.order.insert({ id, rank })) || result.shown;
        this.ids.insert(id);
        result.members = true;
        continue;
      }
      if (entry.rank !== rank) {
        const from = this.order.remove({ id, rank: entry.rank });
        const to = this.order.insert({ id, rank });
        result.shown = visible(from) || visible(to) || result.shown;
      } else if (!sameRow(entry.row, row)) {
        result.shown = visible(this.order.indexOf({ id, rank })) || result.shown;
      }
      // replaced, never changed in place: rows already sent keep what they said
      entry.rank = rank;
      entry.row = row;
    }
    return result;
  }

  view(): TableView<DeviceRow> {
    const rows = this.order.head(this.maxRows).map(({ id }) => ({ ...(this.entries.get(id) as { row: DeviceRow }).row }));
    return { rows, total: this.entries.size };
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
