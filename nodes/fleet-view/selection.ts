// Which device (and history range) each dashboard browser shows, by its socket id. Bounded:
// browsers that leave without a word must not grow it forever, so the least recently heard
// browser goes first. Pure: no Node-RED import.

export interface Browser {
  readonly socketId: string;
  /** undefined: nothing chosen yet (the browser adopts the first device that is known) */
  device: string | undefined;
  range: string;
  /** timestamp of the last reading sent to this browser's charts, so each is sent once */
  shownReading: number | null;
}

export const DEFAULT_MAX_BROWSERS = 200;

export class Selections {
  /** in least-recently-used order: the first entry is dropped when the map is full */
  private readonly browsers = new Map<string, Browser>();
  private readonly byDevice = new Map<string, Set<Browser>>();
  private readonly undecided = new Set<Browser>();

  constructor(
    private readonly defaultRange: string,
    private readonly max = DEFAULT_MAX_BROWSERS,
  ) {}

  get size(): number {
    return this.browsers.size;
  }

  get(socketId: string): Browser | undefined {
    return this.browsers.get(socketId);
  }

  /** The browser, heard from now: `device` / `range` undefined keep what it had. */
  choose(socketId: string, device?: string, range?: string): Browser {
    let browser = this.browsers.get(socketId);
    if (browser) this.browsers.delete(socketId);
    else {
      browser = { socketId, device: undefined, range: this.defaultRange, shownReading: null };
      this.undecided.add(browser);
    }
    this.browsers.set(socketId, browser);
    if (range !== undefined) browser.range = range;
    if (device !== undefined && device !== browser.device) this.move(browser, device);
    while (this.browsers.size > this.max) this.forget(this.browsers.keys().next().value as string);
    return browser;
  }

  forget(socketId: string): void {
    const browser = this.browsers.get(socketId);
    if (!browser) return;
    this.browsers.delete(socketId);
    this.undecided.delete(browser);
    if (browser.device !== undefined) this.unwatch(browser, browser.device);
  }

  /** The browsers showing `deviceId`. */
  watching(deviceId: string): ReadonlySet<Browser> {
    return this.byDevice.get(deviceId) ?? new Set();
  }

  /** Browsers that have not chosen a device yet. */
  waiting(): ReadonlySet<Browser> {
    return this.undecided;
  }

  private move(browser: Browser, device: string): void {
    if (browser.device !== undefined) this.unwatch(browser, browser.device);
    else this.undecided.delete(browser);
    browser.device = device;
    browser.shownReading = null;
    let set = this.byDevice.get(device);
    if (!set) this.byDevice.set(device, (set = new Set()));
    set.add(browser);
  }

  private unwatch(browser: Browser, device: string): void {
    const set = this.byDevice.get(device);
    set?.delete(browser);
    if (set?.size === 0) this.byDevice.delete(device);
  }
}
