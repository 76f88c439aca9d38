export interface FakeLimits {
  messages: number;
  loginCodes: number;
  records: number;
  tokens: number;
}

/**
 * How much the fake remembers in sandbox mode, inside the app, where any client may log in and
 * send as much as it likes: everything it keeps is capped, oldest forgotten first, so its memory
 * stays bounded however long it runs.
 */
export const SANDBOX_LIMITS: FakeLimits = {
  /** Accepted sends kept for inspection (`messages`): 1,000 of the largest (~30 KB) is ~30 MB. */
  messages: 1000,
  loginCodes: 5000,
  /** Users, session keys, subscription credits and form_ids. */
  records: 20_000,
  tokens: 1000,
};

/** As a test instrument (its own process's tests inspect what it received, e.g. a 10,000-recipient batch): roomier, still bounded. */
export const TEST_LIMITS: FakeLimits = { messages: 50_000, loginCodes: 50_000, records: 200_000, tokens: 10_000 };

/** Map.set that forgets the oldest entries beyond `limit` (a Map iterates in insertion order). */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  map.set(key, value);
  while (map.size > limit) map.delete(map.keys().next().value as K);
}

export function addBounded<T>(set: Set<T>, value: T, limit: number): void {
  set.add(value);
  while (set.size > limit) set.delete(set.values().next().value as T);
}

export function pushBounded<T>(list: T[], value: T, limit: number): void {
  list.push(value);
  if (list.length > limit) list.splice(0, list.length - limit);
}
