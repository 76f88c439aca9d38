import { addBounded, pushBounded, setBounded } from './fake-wechat.bounds.js';

describe('the fake WeChat forgets its oldest records beyond a limit', () => {
  it('keeps the newest entries of a map, a set and a list', () => {
    const map = new Map<string, number>();
    const set = new Set<number>();
    const list: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      setBounded(map, `k${i}`, i, 3);
      addBounded(set, i, 3);
      pushBounded(list, i, 3);
    }
    expect([...map.keys()]).toEqual(['k7', 'k8', 'k9']);
    expect([...set]).toEqual([7, 8, 9]);
    expect(list).toEqual([7, 8, 9]);
  });
});
