// Device ids end up in MQTT topics, ACL patterns (`heatpump/%u/#`) and InfluxDB line protocol
// tags, so one rule decides which are safe everywhere.

export const MAX_DEVICE_ID_LENGTH = 64;

/** Returns why `id` is not a safe device id, or undefined when it is. */
export function deviceIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') return 'device id must be a string';
  if (id.length === 0) return 'device id is empty';
  if (id.length > MAX_DEVICE_ID_LENGTH) return `device id is longer than ${MAX_DEVICE_ID_LENGTH} characters`;
  if (id.startsWith('_')) return 'device id must not start with "_"';
  // MQTT wildcards and level separator, line-protocol separators and quoting, whitespace.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is rejected
  const unsafe = /[+#/,="\\\s\u0000-\u001f\u007f]/.exec(id);
  if (unsafe) return `device id contains the unsafe character ${JSON.stringify(unsafe[0])}`;
  return undefined;
}

export function isValidDeviceId(id: unknown): id is string {
  return deviceIdProblem(id) === undefined;
}

/**
 * A device id from a gateway's MQTT base topic (`home/heishamon-garage` → `heishamon-garage`): its
 * last level, with the characters ids may not hold replaced; `fallback` when nothing is left.
 */
export function deviceIdFromBase(base: string, fallback: string): string {
  const last = base.split('/').filter((level) => level !== '').pop() ?? '';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  const id = last.replace(/[+#/,="\\\s\u0000-\u001f\u007f]/g, '-').replace(/^_+/, '').slice(0, MAX_DEVICE_ID_LENGTH);
  return id === '' ? fallback : id;
}
