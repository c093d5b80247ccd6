// threshold-alert's device states in Redis, for several Node-RED instances that each get part of
// a device's readings (MQTT shared subscriptions): every reading is evaluated on the device's
// state as all instances left it, and stored by compare-and-set (shared/redis-versioned.ts), so a
// transition is announced by exactly one instance, once, and cooldowns hold across instances.
// The rule overrides set at run time are shared too (shared/shared-hash.ts), so every instance
// evaluates with them.
import type Redis from 'ioredis';
import { updateVersioned } from '../shared/redis-versioned';
import type { AlertEngine, ProcessResult } from './engine';

export class SharedAlertStates {
  private readonly index: string;

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
  ) {
    this.index = `${prefix}devices`;
  }

  private key(deviceId: string): string {
    return `${this.prefix}device:${deviceId}`;
  }

  /**
   * Runs `step` (an engine call about `deviceId`) on the device's shared state and stores the
   * outcome; the result returned is that of the run that was stored (its events are the ones to send).
   */
  update<T extends Pick<ProcessResult, 'changed'>>(engine: AlertEngine, deviceId: string, step: () => T): Promise<T> {
    return updateVersioned(
      this.client,
      this.key(deviceId),
      (stored) => {
        engine.adoptDevice(deviceId, stored);
        const result = step();
        return { next: result.changed ? engine.deviceState(deviceId) : undefined, result };
      },
      { index: this.index, member: deviceId },
    );
  }

  /** Forgets one device's shared state, or every device's. */
  async reset(deviceId?: string): Promise<void> {
    const ids = deviceId === undefined ? await this.client.smembers(this.index) : [deviceId];
    if (ids.length === 0) return;
    await this.client
      .multi()
      .del(...ids.map((id) => this.key(id)))
      .srem(this.index, ...ids)
      .exec();
  }
}
