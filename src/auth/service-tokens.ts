import { createHash, timingSafeEqual } from 'node:crypto';

/** SERVICE_TOKENS, compared in constant time (equal-length digests, no early exit). */
export class ServiceTokens {
  private readonly digests: Array<{ name: string; digest: Buffer }>;

  constructor(tokens: ReadonlyMap<string, string>) {
    this.digests = [...tokens].map(([name, token]) => ({ name, digest: digest(token) }));
  }

  match(token: string): string | null {
    if (this.digests.length === 0) return null;
    const presented = digest(token);
    let found: string | null = null;
    for (const { name, digest: expected } of this.digests) {
      if (timingSafeEqual(presented, expected) && found === null) found = name;
    }
    return found;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
