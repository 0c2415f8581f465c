// The SCIM (RFC 7644) filter subset Qlik's OAuth-client list accepts: `attr op "value"` joined
// by `and`. Values are JSON strings (so `\"` and `\\` escape); matching is exact and
// case-sensitive. Anything else is a 400.

export type FilterAttribute = 'clientId' | 'clientName' | 'appType' | 'tenantId' | 'createdByType';
type Operator = 'eq' | 'ne' | 'co' | 'sw' | 'ew';

export interface Comparison {
  attribute: FilterAttribute;
  op: Operator;
  value: string;
}

export type ClientFilter = (attrs: Record<FilterAttribute, string>) => boolean;

const ATTRIBUTES: FilterAttribute[] = ['clientId', 'clientName', 'appType', 'tenantId', 'createdByType'];
const OPERATORS: Operator[] = ['eq', 'ne', 'co', 'sw', 'ew'];

export class FilterError extends Error {}

type Token = { kind: 'word'; text: string } | { kind: 'string'; value: string };

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const ch = filter[i] as string;
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      while (j < filter.length && filter[j] !== '"') j += filter[j] === '\\' ? 2 : 1;
      if (j >= filter.length) throw new FilterError('unterminated string in filter');
      let value: unknown;
      try {
        value = JSON.parse(filter.slice(i, j + 1));
      } catch {
        throw new FilterError('invalid escape in filter string');
      }
      tokens.push({ kind: 'string', value: value as string });
      i = j + 1;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_.:-]*/.exec(filter.slice(i));
    if (!m) throw new FilterError(`unexpected character '${ch}' in filter`);
    tokens.push({ kind: 'word', text: m[0] });
    i += m[0].length;
  }
  return tokens;
}

export function parseFilter(filter: string): Comparison[] {
  const tokens = tokenize(filter);
  const comparisons: Comparison[] = [];
  let i = 0;
  for (;;) {
    const attr = tokens[i];
    const op = tokens[i + 1];
    const value = tokens[i + 2];
    if (attr?.kind !== 'word' || op?.kind !== 'word' || value === undefined) throw new FilterError('expected: attribute operator "value"');
    const attribute = ATTRIBUTES.find((a) => a.toLowerCase() === attr.text.toLowerCase());
    if (!attribute) throw new FilterError(`unsupported filter attribute '${attr.text}'`);
    const operator = OPERATORS.find((o) => o === op.text.toLowerCase());
    if (!operator) throw new FilterError(`unsupported filter operator '${op.text}'`);
    if (value.kind !== 'string') throw new FilterError('filter values must be double-quoted strings');
    comparisons.push({ attribute, op: operator, value: value.value });
    i += 3;
    const next = tokens[i];
    if (next === undefined) return comparisons;
    if (next.kind !== 'word' || next.text.toLowerCase() !== 'and') throw new FilterError("only 'and' may combine filter expressions");
    i += 1;
  }
}

export function compileFilter(filter: string): ClientFilter {
  const comparisons = parseFilter(filter);
  return (attrs) =>
    comparisons.every(({ attribute, op, value }) => {
      const actual = attrs[attribute];
      switch (op) {
        case 'eq':
          return actual === value;
        case 'ne':
          return actual !== value;
        case 'co':
          return actual.includes(value);
        case 'sw':
          return actual.startsWith(value);
        case 'ew':
          return actual.endsWith(value);
      }
    });
}
