import { describeRecipientsProblem } from './create-batch.dto.js';

const DATA = { thing1: { value: 'Shared' } };

describe('describeRecipientsProblem', () => {
  it('accepts 1 to 10,000 distinct recipients, with or without their own data', () => {
    expect(describeRecipientsProblem([{ openid: 'o1' }, { openid: 'o2', data: { thing1: { value: 'Own' } } }], DATA)).toBeNull();
    expect(
      describeRecipientsProblem(
        Array.from({ length: 10_000 }, (_, i) => ({ openid: `o${i}` })),
        DATA,
      ),
    ).toBeNull();
  });

  it.each([
    [[], /at least one/],
    [Array.from({ length: 10_001 }, (_, i) => ({ openid: `o${i}` })), /at most 10000/],
    [[{ openid: 'o1' }, { openid: 'o1' }], /recipients\[1\]\.openid o1 appears twice/],
    [[{ openid: 'has space' }], /recipients\[0\]\.openid/],
    [[{ openid: 'o1', data: [] }], /recipients\[0\]\.data must be an object/],
    [[{ openid: 'o1', data: { thing1: { value: 'x'.repeat(21) } } }], /recipients\[0\]\.data\.thing1\.value/],
    [[{ openid: 'o1', data: { 'bad key': { value: 'x' } } }], /recipients\[0\]\.data key "bad key"/],
    [[{ openid: 'o1', name: 'x' }], /recipients\[0\] has unknown field "name"/],
    ['nope', /must be an array/],
  ])('refuses %#', (recipients, message) => {
    expect(describeRecipientsProblem(recipients, DATA)).toMatch(message);
  });
});
