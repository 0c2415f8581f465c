import { describe, expect, it } from 'vitest';
import { sameSecret } from '../../src/core/secret-ref.js';

describe('sameSecret', () => {
  it('compares creation times as instants: the forms Qlik may write for one time are the same secret', () => {
    const forms = ['2026-11-27T12:00:00.621000000Z', '2026-11-27T12:00:00.621Z', '2026-11-27T12:00:00.621+00:00', '2026-11-27T13:00:00.621+01:00'];
    for (const a of forms) for (const b of forms) expect(sameSecret({ hint: 'aaaaa', createdAt: a }, { hint: 'aaaaa', createdAt: b })).toBe(true);
  });

  it('another instant, another hint, or text that is no time and differs: another secret', () => {
    expect(sameSecret({ hint: 'aaaaa', createdAt: '2026-11-27T12:00:00.621Z' }, { hint: 'aaaaa', createdAt: '2026-11-27T12:00:00.622Z' })).toBe(false);
    expect(sameSecret({ hint: 'aaaaa', createdAt: '2026-11-27T12:00:00Z' }, { hint: 'bbbbb', createdAt: '2026-11-27T12:00:00Z' })).toBe(false);
    expect(sameSecret({ hint: 'aaaaa', createdAt: 'yesterday' }, { hint: 'aaaaa', createdAt: 'today' })).toBe(false);
    expect(sameSecret({ hint: 'aaaaa', createdAt: 'yesterday' }, { hint: 'aaaaa', createdAt: 'yesterday' })).toBe(true);
  });

  it('a side without a creation time matches by hint alone', () => {
    expect(sameSecret({ hint: 'aaaaa' }, { hint: 'aaaaa', createdAt: '2026-11-27T12:00:00Z' })).toBe(true);
  });
});
