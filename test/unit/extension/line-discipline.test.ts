/** The program terminal behaves like a cooked tty: echo, line editing, Enter, Ctrl+C, Ctrl+D. */
import { describe, expect, it } from 'vitest';
import { LineDiscipline, toTerminalText } from '../../../extension/src/line-discipline';

describe('LineDiscipline', () => {
  it('echoes typed characters and sends the line with a newline on Enter', () => {
    const ld = new LineDiscipline();
    expect(ld.feed('ab')).toEqual([{ kind: 'echo', text: 'ab' }]);
    expect(ld.feed('c\r')).toEqual([{ kind: 'echo', text: 'c\r\n' }, { kind: 'send', text: 'abc\n' }]);
  });

  it('Backspace edits the line before it is sent; nothing is erased past its start', () => {
    const ld = new LineDiscipline();
    expect(ld.feed('\x7fxy\x7fz\r')).toEqual([
      { kind: 'echo', text: 'xy\b \bz\r\n' },
      { kind: 'send', text: 'xz\n' },
    ]);
  });

  it('a pasted block with CRLF line ends sends each line once', () => {
    const ld = new LineDiscipline();
    const sends = ld.feed('one\r\ntwo\r\n').filter((a) => a.kind === 'send');
    expect(sends).toEqual([{ kind: 'send', text: 'one\n' }, { kind: 'send', text: 'two\n' }]);
    // CR at the end of one chunk and LF at the start of the next are one Enter.
    const ld2 = new LineDiscipline();
    ld2.feed('a\r');
    expect(ld2.feed('\nb\r').filter((a) => a.kind === 'send')).toEqual([{ kind: 'send', text: 'b\n' }]);
  });

  it('Ctrl+C drops the pending line and interrupts', () => {
    const ld = new LineDiscipline();
    expect(ld.feed('half\x03')).toEqual([{ kind: 'echo', text: 'half^C\r\n' }, { kind: 'interrupt' }]);
    expect(ld.feed('\r')).toEqual([{ kind: 'echo', text: '\r\n' }, { kind: 'send', text: '\n' }]);
  });

  it('Ctrl+D ends input on an empty line, and sends pending text without a newline otherwise', () => {
    const ld = new LineDiscipline();
    expect(ld.feed('\x04')).toEqual([{ kind: 'eof' }]);
    expect(ld.feed('abc\x04')).toEqual([{ kind: 'echo', text: 'abc' }, { kind: 'send', text: 'abc' }]);
  });

  it('arrow keys and other escape sequences never reach the program', () => {
    const ld = new LineDiscipline();
    expect(ld.feed('a\x1b[A\x1b[1;5Cb\x1bOPc\r')).toEqual([{ kind: 'echo', text: 'abc\r\n' }, { kind: 'send', text: 'abc\n' }]);
  });

  it('Ctrl+U erases the whole line; multi-byte characters are one character', () => {
    const ld = new LineDiscipline();
    expect(ld.feed('é😀\x7f\r')).toEqual([{ kind: 'echo', text: 'é😀\b \b\r\n' }, { kind: 'send', text: 'é\n' }]);
    expect(ld.feed('xyz\x15q\r').at(-1)).toEqual({ kind: 'send', text: 'q\n' });
  });
});

describe('toTerminalText', () => {
  it('turns LF and CRLF into CRLF so each line starts at column 0', () => {
    expect(toTerminalText('a\nb\r\nc')).toBe('a\r\nb\r\nc');
  });
});
