import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** A push body as fields: XML elements or JSON keys, every leaf a string (int64 ids keep every digit). */
export type PushFields = { [field: string]: PushValue };
export type PushValue = string | PushFields | PushValue[];

export type PushFormat = 'json' | 'xml';

export class PushParseError extends Error {
  override name = 'PushParseError';
}

// Nesting a push never needs; deeper input is refused before it can cost anything.
const MAX_DEPTH = 16;

const xml = new XMLParser({
  ignoreAttributes: true,
  // Leaves stay text: MsgID and CreateTime must not become (rounded) numbers.
  parseTagValue: false,
  trimValues: true,
  // WeChat's XML has no entities beyond the five predefined ones; no DOCTYPE is accepted at all.
  processEntities: true,
  htmlEntities: false,
  // Items repeat as <List>; one item must still come out as a list.
  isArray: (name) => name === 'List',
});

/** The body's format from its first character: WeChat's content types are not reliable enough to go by. */
export function detectFormat(text: string): PushFormat | null {
  const first = text.trimStart()[0];
  return first === '<' ? 'xml' : first === '{' ? 'json' : null;
}

export function parsePushBody(text: string, format: PushFormat): PushFields {
  const fields = format === 'xml' ? parseXml(text) : parseJson(text);
  return normalise(fields, 0) as PushFields;
}

function parseXml(text: string): unknown {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new PushParseError('XML with a DOCTYPE is not a WeChat push');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new PushParseError(`XML is malformed: ${valid.err.msg}`);
  let document: Record<string, unknown>;
  try {
    document = xml.parse(text) as Record<string, unknown>;
  } catch {
    throw new PushParseError('XML is malformed');
  }
  const root = document['xml'];
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw new PushParseError('XML root is not <xml>');
  return root;
}

function parseJson(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(quoteLongIntegers(text));
  } catch {
    throw new PushParseError('JSON is malformed');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new PushParseError('JSON body is not an object');
  return parsed;
}

/**
 * Quotes integer literals of 16 digits or more outside strings: WeChat writes MsgID as a bare int64
 * that JSON.parse would round (3248682510344192008 → 3248682510344192000).
 */
export function quoteLongIntegers(json: string): string {
  let out = '';
  let start = 0;
  let i = 0;
  while (i < json.length) {
    const c = json[i];
    if (c === '"') {
      for (i += 1; i < json.length && json[i] !== '"'; i += json[i] === '\\' ? 2 : 1);
      i += 1;
      continue;
    }
    if ((c >= '0' && c <= '9') || c === '-') {
      let j = i + 1;
      while (j < json.length && json[j] >= '0' && json[j] <= '9') j += 1;
      const next = json[j];
      const digits = json.slice(i, j).replace('-', '');
      if (digits.length >= 16 && next !== '.' && next !== 'e' && next !== 'E') {
        out += `${json.slice(start, i)}"${json.slice(i, j)}"`;
        start = j;
      }
      i = j;
      continue;
    }
    i += 1;
  }
  return out + json.slice(start);
}

/** Leaves become strings (JSON numbers and booleans included), so both formats read alike. */
function normalise(value: unknown, depth: number): PushValue {
  if (depth > MAX_DEPTH) throw new PushParseError('push nested too deeply');
  if (Array.isArray(value)) return value.map((item) => normalise(item, depth + 1));
  if (typeof value === 'object' && value !== null) {
    const fields: PushFields = {};
    for (const [key, item] of Object.entries(value)) {
      if (key !== '__proto__') fields[key] = normalise(item, depth + 1);
    }
    return fields;
  }
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}
