// Numbers a dashboard browser's requests so that heatpump-response can tell an answer to an older
// choice of the browser from one to its newest. The requests one choice makes (the Performance
// page asks for five figures at once) come from one message and share its number. Pure: no
// Node-RED import.
import { setRecent } from '../shared/recent';

/** How many browsers are remembered; the least recently asking one is forgotten beyond this. */
export const MAX_BROWSERS = 1000;

export class RequestNumbers {
  private readonly last = new Map<string, { msgid: string; number: number }>();

  /** @param next a count shared by every query node of the process, so a redeployed node's numbers still grow */
  constructor(
    private readonly next: () => number,
    private readonly maxBrowsers = MAX_BROWSERS,
  ) {}

  /** The number of a request from a browser's message: the message's own when it asked before, else a new one. */
  number(socketId: string, msgid: string): number {
    const last = this.last.get(socketId);
    const number = last?.msgid === msgid ? last.number : this.next();
    setRecent(this.last, socketId, { msgid, number }, this.maxBrowsers);
    return number;
  }
}
