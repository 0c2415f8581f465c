import * as core from '@actions/core';
import { describe, expect, it, vi } from 'vitest';
import { logInfo } from '../src/log.js';
import { escapeHtml, isUsableSegment, plainText, safeLogLine } from '../src/untrusted-text.js';
import { isOutputSafeHint, isValidHint } from '../src/qlik/model.js';

vi.mock('@actions/core', async (importOriginal) => ({ ...(await importOriginal<typeof import('@actions/core')>()), info: vi.fn() }));

describe('plainText: server text as one printable line', () => {
  it.each([
    ['a new line and a command', 'a\n::stop-commands::x', 'a ::stop-commands::x'],
    ['a carriage return', 'a\rb', 'a b'],
    ['C1 controls (NEL)', 'a\u0085b\u009bc', 'a b c'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a b c'],
    ['bidirectional overrides and isolates', 'a\u202eb\u2066c\u2069', 'a b c '],
    ['DEL and NUL, in a run', 'a\u007f\u0000\u0001b', 'a b'],
  ])('replaces %s', (_label, input, expected) => {
    expect(plainText(input)).toBe(expected);
  });

  it('cuts long text', () => {
    expect(plainText('x'.repeat(300), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('safeLogLine: never a workflow command', () => {
  it.each(['::stop-commands::x', '  ::add-mask::e', '\t::set-output name=a::b', '##[set-output name=a;]b', '\n::error::x'])(
    'defuses %j',
    (line) => {
      const safe = safeLogLine(line);
      expect(safe.trimStart().startsWith('::')).toBe(false);
      expect(safe.trimStart().startsWith('##[')).toBe(false);
      expect(safe).not.toMatch(/[\r\n]/);
    },
  );

  it('defuses the old ##[command] form anywhere in a line', () => {
    const safe = safeLogLine('Done: created secret x ##[add-mask]e and ##[stop-commands]t');
    expect(safe).not.toContain('##[');
  });

  it('leaves ordinary lines alone', () => {
    expect(safeLogLine('Done: retired secret a+b/c')).toBe('Done: retired secret a+b/c');
  });

  it('logInfo writes exactly one safe line', () => {
    logInfo('- change the scopes from "x\n::stop-commands::t"');
    expect(vi.mocked(core.info)).toHaveBeenCalledWith('- change the scopes from "x ::stop-commands::t"');
  });
});

describe('escapeHtml', () => {
  it('escapes tags, quotes and ampersands', () => {
    expect(escapeHtml(`<img src="x" onerror='y'>&`)).toBe('&lt;img src=&quot;x&quot; onerror=&#39;y&#39;&gt;&amp;');
  });
});

describe('hints and IDs from answers', () => {
  it.each(['e6815', 'a+b/c', '<b>', '$(id)', 'x y'])('accepts the printable hint %j', (hint) => {
    expect(isValidHint(hint)).toBe(true);
  });

  it.each(['', '.', '..', ' a', 'a ', 'a\nb', 'a\u2028', 'x'.repeat(17)])('refuses the hint %j', (hint) => {
    expect(isValidHint(hint)).toBe(false);
  });

  it('lets only shell-inert hints reach an output', () => {
    expect(isOutputSafeHint('e6815')).toBe(true);
    expect(isOutputSafeHint('a+b/c')).toBe(true);
    expect(isOutputSafeHint('$(id)')).toBe(false);
    expect(isOutputSafeHint('`id`')).toBe(false);
    expect(isOutputSafeHint('a b')).toBe(false);
  });

  it('refuses . and .. and line breaks as a path segment', () => {
    expect(isUsableSegment('abc', 256)).toBe(true);
    expect(isUsableSegment('..', 256)).toBe(false);
    expect(isUsableSegment('.', 256)).toBe(false);
    expect(isUsableSegment('a\n', 256)).toBe(false);
    expect(isUsableSegment('abcd', 3)).toBe(false);
  });
});
