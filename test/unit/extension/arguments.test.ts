/** Program arguments typed by the user become exactly the argv the program receives. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ArgumentSyntaxError, joinArguments, splitArguments } from '../../../extension/src/arguments';

describe('splitArguments', () => {
  it('splits on whitespace and keeps quoted words whole', () => {
    expect(splitArguments('  --workers 4   "input file.csv" \'a b\'\tlast ')).toEqual(['--workers', '4', 'input file.csv', 'a b', 'last']);
  });

  it('expands nothing: $VAR, globs and ~ reach the program as typed', () => {
    expect(splitArguments('$HOME *.py ~ "$X"')).toEqual(['$HOME', '*.py', '~', '$X']);
  });

  it('handles escapes and empty quoted arguments like a POSIX shell', () => {
    expect(splitArguments('a\\ b "q\\"uote" \'it\'\\\'\'s\' \'\' ""')).toEqual(['a b', 'q"uote', "it's", '', '']);
    expect(splitArguments('"back\\\\slash" "keep\\n"')).toEqual(['back\\slash', 'keep\\n']);
    expect(splitArguments('')).toEqual([]);
  });

  it('reports unclosed quotes instead of guessing', () => {
    expect(() => splitArguments('"open')).toThrow(ArgumentSyntaxError);
    expect(() => splitArguments("it's")).toThrow(/unclosed ' quote/);
    expect(() => splitArguments('trailing\\')).toThrow(/trailing/);
  });

  it('agrees with a real shell on the same text', () => {
    const text = `one "two three" 'four "five"' six\\ seven "a'b" "" x\\"y`;
    const sh = spawnSync('sh', ['-c', `for a in ${text}; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' });
    expect(sh.status).toBe(0);
    expect(splitArguments(text)).toEqual(sh.stdout.split('\0').slice(0, -1));
  });
});

describe('joinArguments', () => {
  it('round-trips through splitArguments', () => {
    const args = ['plain', 'with space', "it's", '', '$HOME', 'a"b', '--x=1'];
    expect(splitArguments(joinArguments(args))).toEqual(args);
    expect(joinArguments(['--n', '4', 'file.csv'])).toBe('--n 4 file.csv');
  });
});
