// A dashboard browser that changes its choice quickly has several queries in flight; InfluxDB may
// answer them in any order. Answering a browser with the older of two would replace its charts with
// the device or range it left. Pure: no Node-RED import.
import { setRecent } from '../shared/recent';

/** How many browser-and-query pairs are remembered; the oldest is forgotten beyond this. */
export const MAX_REMEMBERED = 1000;

/** The newest choice answered, per browser and query node; an answer to an older one is overtaken. */
export class NewestAnswers {
  private readonly newest = new Map<string, number>();

  constructor(private readonly maxRemembered = MAX_REMEMBERED) {}

  /** True (and remembered) unless a newer choice of the same browser through the same query node was answered. */
  admit(query: string, socketId: string, sequence: number): boolean {
    const key = `${query}\n${socketId}`;
    const newest = this.newest.get(key);
    if (newest !== undefined && sequence < newest) return false;
    setRecent(this.newest, key, sequence, this.maxRemembered);
    return true;
  }
}
