export type JsonShape = 'json' | 'too-deep' | 'other';

// The keys Nest's ValidationPipe strips before transforming (prototype pollution).
const PROTO_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * What a request value is made of, in one walk:
 * - `too-deep`: an object or array nested `maxDepth` levels or more below the root;
 * - `json`: a plain object holding only what JSON.parse makes (plain objects, arrays without holes,
 *   strings, finite numbers, booleans, null), none of it under a key Nest strips;
 * - `other`: anything else (a primitive or an array at the root, a Buffer, a null-prototype object, a
 *   sparse array, a `__proto__` key…), left to ValidationPipe's general path.
 *
 * Iterative, so that measuring a hostile body cannot overflow the stack itself.
 */
export function jsonShapeOf(root: unknown, maxDepth: number): JsonShape {
  let plain = isPlainObject(root);
  const stack: Array<[unknown, number]> = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= maxDepth) return 'too-deep';
    if (Array.isArray(value)) {
      // Object.values skips holes: a sparse array's length can be far beyond its items.
      const items: unknown[] = Object.values(value);
      if (items.length !== value.length) plain = false;
      for (const item of items) plain = visit(item, depth, stack) && plain;
    } else {
      if (!isPlainObject(value)) plain = false;
      for (const key of Object.keys(value)) {
        if (PROTO_KEYS.has(key)) plain = false;
        plain = visit((value as Record<string, unknown>)[key], depth, stack) && plain;
      }
    }
  }
  return plain ? 'json' : 'other';
}

/** Queues an object for the walk; says whether the value can come out of JSON.parse. */
function visit(child: unknown, depth: number, stack: Array<[unknown, number]>): boolean {
  if (typeof child === 'string' || typeof child === 'boolean' || child === null) return true;
  if (typeof child === 'number') return Number.isFinite(child);
  if (typeof child !== 'object') return false;
  stack.push([child, depth + 1]);
  return true;
}

function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}
