import { newToken, parseToken } from './session.keys.js';

describe('session tokens', () => {
  it('are `<user id>.<32 base64url chars>`, all different, across refills of the random pool', () => {
    const tokens = Array.from({ length: 1000 }, () => newToken(42));
    expect(new Set(tokens).size).toBe(tokens.length);
    for (const token of tokens) {
      expect(token).toMatch(/^42\.[A-Za-z0-9_-]{32}$/);
      expect(parseToken(token)?.userId).toBe(42);
    }
    const randomParts = new Set(tokens.map((token) => token.slice(3)));
    expect(randomParts.size).toBe(tokens.length);
  });
});
