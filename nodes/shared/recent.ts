// A Map as a bounded memory of the most recently used keys. Pure: no Node-RED import.

/** Sets `key` as the map's most recent entry; beyond `max` entries the least recent one goes. */
export function setRecent<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  // re-inserted: a map keeps its insertion order, so the first entry is the least recently set
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as K);
}
