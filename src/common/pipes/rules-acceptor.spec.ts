import { IsInt, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { rulesAcceptorOf } from './rules-acceptor.js';

class Named {
  @MaxLength(5)
  @IsString()
  name!: unknown;

  @IsOptional()
  @IsInt()
  age?: unknown;
}

class Holder {
  @ValidateNested()
  named!: Named;
}

class NoRules {
  field?: string;
}

const named = (fields: Record<string, unknown>) => Object.assign(new Named(), fields);

describe('rulesAcceptorOf', () => {
  const accepts = rulesAcceptorOf(Named)!;

  it('says yes to what passes every rule', () => {
    expect(accepts(named({ name: 'Ann' }))).toBe(true);
    expect(accepts(named({ name: 'Ann', age: 3 }))).toBe(true);
    expect(accepts(named({ name: 'Ann', age: null }))).toBe(true);
  });

  it('is not sure of anything that breaks a rule or names an unknown property', () => {
    expect(accepts(named({}))).toBe(false);
    expect(accepts(named({ name: 'Annabel' }))).toBe(false);
    expect(accepts(named({ name: 7 }))).toBe(false);
    expect(accepts(named({ name: 'Ann', age: 1.5 }))).toBe(false);
    expect(accepts(named({ name: 'Ann', admin: true }))).toBe(false);
  });

  it('has no answer for a class with nested rules or none', () => {
    expect(rulesAcceptorOf(Holder)).toBeNull();
    expect(rulesAcceptorOf(NoRules)).toBeNull();
  });
});
