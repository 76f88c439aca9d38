import { Keyv } from 'keyv';
import { ExpiringMap } from './expiring-map.js';

describe('ExpiringMap as the store of Keyv', () => {
  it('forgets an entry whose TTL has passed even though nobody reads it again', async () => {
    const map = new ExpiringMap<unknown>();
    const keyv = new Keyv({ store: map, namespace: 'cache' });
    await keyv.set('short', 'a', 1000);
    await keyv.set('long', 'b', 60_000);
    await keyv.set('forever', 'c');
    expect(map.size).toBe(3);

    map.sweep(Date.now() + 5000);

    expect(map.size).toBe(2);
    await expect(keyv.get('long')).resolves.toBe('b');
    await expect(keyv.get('forever')).resolves.toBe('c');
    map.close();
  });
});
