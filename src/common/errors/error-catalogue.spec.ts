import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { defineErrors, registeredCatalogues } from './error-catalogue.js';

const SRC = join(process.cwd(), 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Rows of the table under README's "## Errors" heading: `| code | status | message | module |`. */
function readmeRows(): string[] {
  const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((part) => part.startsWith('Errors\n'));
  if (section === undefined) throw new Error('README.md has no "## Errors" section');
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/^`|`$/g, ''))
        .join(' | '),
    );
}

async function catalogueRows(): Promise<string[]> {
  const errorFiles = sourceFiles(SRC).filter((path) => path.endsWith('.errors.ts'));
  for (const path of errorFiles) await import(path);
  return registeredCatalogues().flatMap(({ module, errors }) =>
    errors.map((error) => [error.code, error.statusText, error.message, module].join(' | ')),
  );
}

describe('error catalogues', () => {
  it('the README error table lists exactly the catalogued errors', async () => {
    const catalogued = await catalogueRows();
    expect(catalogued.length).toBeGreaterThan(0);
    expect([...readmeRows()].sort()).toEqual([...catalogued].sort());
  });

  it('no error code is made outside a catalogue', () => {
    const adHoc = sourceFiles(SRC)
      .filter((path) => /new (DomainError|\w+Error)\(\s*['"`][A-Z][A-Z0-9_]+['"`]/.test(readFileSync(path, 'utf8')))
      .map((path) => relative(SRC, path));
    expect(adHoc).toEqual([]);
  });

  it('makes errors with the entry code, status, filled message, details and cause', () => {
    const cause = new Error('root');
    const errors = defineErrors('example', {
      THING_MISSING: { status: 404, message: 'No thing {id} in {place}' },
      THING_GONE: { status: 404, code: 'THING_MISSING', message: 'The thing left' },
    });
    const made = errors.THING_MISSING({ params: { id: 7, place: 'the box' }, details: { hint: 'look' }, cause });
    expect(made).toMatchObject({ code: 'THING_MISSING', status: 404, message: 'No thing 7 in the box', details: { hint: 'look' }, cause });
    expect(errors.THING_GONE()).toMatchObject({ code: 'THING_MISSING', status: 404, message: 'The thing left', details: {} });
    expect(errors.THING_GONE({ message: 'Worded for a route' }).message).toBe('Worded for a route');
  });
});
