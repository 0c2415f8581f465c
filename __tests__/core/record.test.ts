import { describe, expect, it } from 'vitest';
import { DESCRIPTION_MAX, EMPTY_RECORD, parseDescription, recordsEqual, renderDescription } from '../../src/core/record.js';

const rec = {
  ...EMPTY_RECORD,
  targets: [
    { key: 'connection:0123456789abcdef01234567', delivered: { hint: 'ab12c', createdAt: '2026-11-01T00:00:00.000Z' }, pending: [] },
    { key: 'qlik-auth:https://api.eu.cloud.talend.example/tmc/qlik', delivered: { hint: 'ab12c', createdAt: '2026-11-01T00:00:00.000Z' }, pending: [{ hint: 'zz999' }] },
  ],
  check: { result: 'passed' as const, at: '2026-11-02T00:00:00.000Z' },
  changedAt: '2026-11-02T00:00:00.000Z',
  changedBy: 'https://github.example/o/r/actions/runs/1',
};

describe('record in the description', () => {
  it('round-trips and keeps the user text', () => {
    const text = renderDescription('Used by TMC.\nOwner: data team', rec);
    const parsed = parseDescription(text);
    expect(parsed.state).toBe('ok');
    expect(parsed.userText).toBe('Used by TMC.\nOwner: data team');
    expect(parsed.record).toEqual(rec);
    expect(renderDescription(parsed.userText, parsed.record!)).toBe(text);
  });

  it('keeps user text written after the block', () => {
    const text = `${renderDescription('before', rec)}\n\nafter`;
    expect(parseDescription(text).userText).toBe('before\n\nafter');
  });

  it('has no record in a plain description', () => {
    expect(parseDescription('hand-made client')).toEqual({ userText: 'hand-made client', record: null, state: 'absent' });
    expect(parseDescription(undefined).state).toBe('absent');
  });

  it('treats a damaged block as unreadable, never as a record', () => {
    const text = renderDescription('', rec);
    expect(parseDescription(text.replace('"delivered"', '"delivered:')).state).toBe('unreadable');
    expect(parseDescription(text.slice(0, text.length - 10)).state).toBe('unreadable');
    expect(parseDescription(text.replace('"v":2', '"v":3')).state).toBe('unreadable');
  });

  it('keeps every character of user text when the block lost its end marker', () => {
    const text = `${renderDescription('before', rec).replace(/\n--- end of qlik-talend-oauth record ---$/, '')}\nNotes typed later by an admin`;
    const parsed = parseDescription(text);
    expect(parsed.state).toBe('unreadable');
    expect(parsed.userText).toMatch(/^before\n\n/);
    expect(parsed.userText).toContain('Notes typed later by an admin');
  });

  it('is small enough to fit with a long user text', () => {
    expect(renderDescription('', rec).length).toBeLessThan(DESCRIPTION_MAX / 4);
  });

  it('compares records regardless of how they were built', () => {
    const { changedBy, ...rest } = rec;
    const reordered = { changedBy, ...rest };
    expect(recordsEqual(rec, reordered)).toBe(true);
    expect(recordsEqual(rec, { ...rec, targets: rec.targets.slice(1) })).toBe(false);
    expect(recordsEqual(rec, { ...rec, targets: [rec.targets[0]!, { ...rec.targets[1]!, pending: [] }] })).toBe(false);
  });

  it('takes markers only as whole lines: the words inside a line are the user\'s text', () => {
    const begin = '--- qlik-talend-oauth record (kept by the GitHub Action; do not edit) ---';
    const text = `See "${begin}" below.`;
    expect(parseDescription(text)).toEqual({ userText: text, record: null, state: 'absent' });
    const withBlock = renderDescription(text, rec);
    expect(parseDescription(withBlock).userText).toBe(text);
  });

  it('keeps an unreadable block verbatim as user text, and a fresh block after it reads as the record', () => {
    const broken = renderDescription('Mine.', rec).replace('"delivered"', '"delivered:');
    const parsed = parseDescription(broken);
    expect(parsed.state).toBe('unreadable');
    expect(parsed.userText).toBe(broken);
    const rewritten = renderDescription(parsed.userText, rec);
    const again = parseDescription(rewritten);
    expect(again.state).toBe('ok');
    expect(again.record).toEqual(rec);
    expect(again.userText).toBe(broken);
  });

  it('a block without its end, followed by a fresh block: the orphan stays text, the fresh block is the record', () => {
    const orphan = renderDescription('', rec).split('\n').slice(0, 3).join('\n');
    const text = renderDescription(`Mine.\n${orphan}`, rec);
    const parsed = parseDescription(text);
    expect(parsed.state).toBe('ok');
    expect(parsed.userText).toBe(`Mine.\n${orphan}`);
  });

  it('two readable blocks are a state of their own, never one chosen silently', () => {
    const text = `${renderDescription('a', rec)}\n\n${renderDescription('', { ...rec, targets: [] })}`;
    expect(parseDescription(text)).toEqual({ userText: text, record: null, state: 'duplicate' });
  });

  it('keeps CRLF line ends of the user text around the block', () => {
    const text = `one\r\ntwo\r\n${renderDescription('', rec)}`;
    expect(parseDescription(text).userText).toBe('one\r\ntwo');
  });

  it('checks the record field by field: missing fields are empty, unknown ones dropped, a wrong type makes it unreadable', () => {
    const block = (json: string) => `--- qlik-talend-oauth record (kept by the GitHub Action; do not edit) ---\n${json}\n--- end of qlik-talend-oauth record ---`;
    const minimal = parseDescription(block('{"v":2,"extra":"x"}'));
    expect(minimal.state).toBe('ok');
    expect(minimal.record).toEqual(EMPTY_RECORD);
    const target = (json: string) => `{"v":2,"targets":[${json}]}`;
    for (const bad of [
      '{"v":3}',
      target('{"key":"connection:a","delivered":{"hint":""}}'),
      target('{"key":"connection:a","delivered":{"hint":"a","createdAt":5}}'),
      target('{"key":"connection:a","pending":{}}'),
      target(`{"key":"connection:a","pending":[${Array(21).fill('{"hint":"a"}').join(',')}]}`),
      target('{"key":"no-kind","delivered":null}'),
      target('{"key":7}'),
      target('{"key":"task:a"},{"key":"task:a"}'),
      '{"v":2,"targets":{}}',
      '{"v":2,"check":{"result":"maybe","at":"x"}}',
      '{"v":2,"lease":{"holder":1,"expiresAt":"x"}}',
      '{"v":2,"scopes":{"requested":["a"],"kept":[1]}}',
      '{"v":2,"unknownHolder":"yes"}',
      '[1]',
    ]) {
      expect(parseDescription(block(bad)).state, bad).toBe('unreadable');
    }
    const full = parseDescription(block('{"v":2,"targets":[{"key":"task:t1","delivered":{"hint":"a","createdAt":"t","x":1},"pending":[{"hint":"b"}]}],"unknownHolder":true}'));
    expect(full.record?.targets).toEqual([{ key: 'task:t1', delivered: { hint: 'a', createdAt: 't' }, pending: [{ hint: 'b' }] }]);
    expect(full.record?.unknownHolder).toBe(true);
  });

  it('reads a record of the first, single-target form as one TMC-setting target; one that does not say which target it served is unreadable', () => {
    const block = (json: string) => `--- qlik-talend-oauth record (kept by the GitHub Action; do not edit) ---\n${json}\n--- end of qlik-talend-oauth record ---`;
    const v1 = parseDescription(block('{"v":1,"delivered":{"hint":"a"},"pending":[{"hint":"b"}],"talendTarget":"https://tmc.example/qlik"}'));
    expect(v1.record?.targets).toEqual([{ key: 'qlik-auth:https://tmc.example/qlik', delivered: { hint: 'a' }, pending: [{ hint: 'b' }] }]);
    expect(parseDescription(block('{"v":1,"talendTarget":"https://tmc.example/qlik"}')).record?.targets).toEqual([]);
    // Which target held secret "a" is unknown: Talend may hold any secret.
    expect(parseDescription(block('{"v":1,"delivered":{"hint":"a"}}')).state).toBe('unreadable');
    expect(parseDescription(block('{"v":1,"delivered":{"hint":"a"},"talendTarget":7}')).state).toBe('unreadable');
  });

  it('renders one line per target and stays within the description with the most targets a run names', () => {
    const many = {
      ...rec,
      lease: { holder: '12345678901.1.abcdef01', expiresAt: '2026-11-02T00:00:00.000Z' },
      targets: Array.from({ length: 10 }, (_, i) => ({
        key: `task:${'f'.repeat(23)}${i}`,
        delivered: { hint: 'ab12c', createdAt: '2026-11-01T00:00:00.000Z' },
        pending: [{ hint: 'zz999', createdAt: '2026-11-02T00:00:00.000Z' }],
      })),
    };
    const text = renderDescription('', many);
    expect(text.split('\n').filter((l) => l.startsWith('{"key":'))).toHaveLength(10);
    // What is left for the user's own text.
    expect(DESCRIPTION_MAX - text.length).toBeGreaterThan(1500);
  });
});
