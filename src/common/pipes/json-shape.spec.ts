import { jsonShapeOf } from './json-shape.js';

const nested = (levels: number): unknown => {
  let value: unknown = { leaf: 1 };
  for (let i = 0; i < levels; i++) value = { child: value };
  return value;
};

describe('jsonShapeOf', () => {
  it('calls what JSON.parse makes json', () => {
    expect(jsonShapeOf(JSON.parse('{"a":"x","b":1.5,"c":true,"d":null,"e":[1,"2",{"f":[]}],"g":{}}'), 64)).toBe('json');
    expect(jsonShapeOf({}, 64)).toBe('json');
  });

  it('leaves anything else to the general path', () => {
    const sparse: unknown[] = [];
    sparse[3] = 'x';
    for (const value of [
      'text',
      7,
      null,
      undefined,
      [{ a: 1 }],
      Object.create(null) as object,
      Buffer.from('x'),
      { when: new Date() },
      { list: sparse },
      { n: Number.NaN },
      { n: undefined },
      { f: () => 1 },
      { big: 1n },
      JSON.parse('{"__proto__":{"admin":true}}') as object,
      { nested: { constructor: 'x' } },
      { prototype: {} },
    ]) {
      expect(jsonShapeOf(value, 64)).toBe('other');
    }
  });

  it('counts depth as the old check did: an object maxDepth levels below the root is too deep', () => {
    // nested(n) has objects at depths 0..n.
    expect(jsonShapeOf(nested(63), 64)).toBe('json');
    expect(jsonShapeOf(nested(64), 64)).toBe('too-deep');
    // Arrays count as levels: the innermost object here is 4 levels below the root, then 3.
    expect(jsonShapeOf({ list: [[[{}]]] }, 4)).toBe('too-deep');
    expect(jsonShapeOf({ list: [[{}]] }, 4)).toBe('json');
  });

  it('reports depth before shape, and walks a hostile nesting without recursion', () => {
    expect(jsonShapeOf({ odd: Buffer.from('x'), deep: nested(70) }, 64)).toBe('too-deep');
    expect(jsonShapeOf(nested(100_000), 64)).toBe('too-deep');
  });

  it('does not walk the length of a sparse array', () => {
    const huge: unknown[] = [];
    huge[4_294_967_294] = 'x';
    expect(jsonShapeOf({ huge }, 64)).toBe('other');
  });
});
