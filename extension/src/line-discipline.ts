/**
 * The program's terminal is a `vscode.Pseudoterminal` wired to the child's pipes, not a real
 * tty, so the work a tty driver does in "cooked" mode happens here: echo what the user types,
 * edit the line with Backspace and Ctrl+U, send it to the program's stdin on Enter, turn Ctrl+C
 * into an interrupt and Ctrl+D on an empty line into end-of-file. Pure, unit-tested.
 */

export type InputAction =
  | { kind: 'echo'; text: string }
  | { kind: 'send'; text: string }
  | { kind: 'interrupt' }
  | { kind: 'eof' };

const ERASE_ONE = '\b \b';

export class LineDiscipline {
  private line: string[] = [];
  /** The previous chunk ended with CR: a LF that starts this one belongs to the same Enter. */
  private lastWasCr = false;

  /** Handles one chunk of keyboard (or pasted) input and says what to do, in order. */
  feed(data: string): InputAction[] {
    const out: InputAction[] = [];
    let echo = '';
    const flushEcho = (): void => {
      if (echo) out.push({ kind: 'echo', text: echo });
      echo = '';
    };
    const chars = Array.from(data);
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i] as string;
      const wasCr = this.lastWasCr;
      this.lastWasCr = c === '\r';
      if (c === '\n' && wasCr) continue;
      if (c === '\r' || c === '\n') {
        echo += '\r\n';
        flushEcho();
        out.push({ kind: 'send', text: `${this.line.join('')}\n` });
        this.line = [];
      } else if (c === '\x7f' || c === '\b') {
        if (this.line.length > 0) {
          this.line.pop();
          echo += ERASE_ONE;
        }
      } else if (c === '\x15') {
        echo += ERASE_ONE.repeat(this.line.length);
        this.line = [];
      } else if (c === '\x03') {
        echo += '^C\r\n';
        flushEcho();
        this.line = [];
        out.push({ kind: 'interrupt' });
      } else if (c === '\x04') {
        // As in a tty: Ctrl+D on an empty line is end of input; after text it sends the text
        // without a newline.
        if (this.line.length === 0) {
          flushEcho();
          out.push({ kind: 'eof' });
        } else {
          flushEcho();
          out.push({ kind: 'send', text: this.line.join('') });
          this.line = [];
        }
      } else if (c === '\x1b') {
        // Arrow keys and other escape sequences: line editing beyond Backspace is not
        // supported, and the raw bytes must not reach the program as input.
        i = skipEscape(chars, i);
      } else if (c === '\t' || c >= ' ') {
        this.line.push(c);
        echo += c;
      }
      // Other control characters are dropped, as a cooked tty does.
    }
    flushEcho();
    return out;
  }
}

/** Index of the last character of the escape sequence starting at `i` (CSI, SS3 or ESC x). */
function skipEscape(chars: readonly string[], i: number): number {
  const next = chars[i + 1];
  if (next === '[') {
    let j = i + 2;
    // CSI: parameter and intermediate bytes, then one final byte in @..~.
    while (j < chars.length && !/[@-~]/.test(chars[j] as string)) j++;
    return Math.min(j, chars.length - 1);
  }
  if (next === 'O') return Math.min(i + 2, chars.length - 1);
  return Math.min(i + 1, chars.length - 1);
}

/** Program output as terminal text: xterm needs CR LF to return to the first column. */
export function toTerminalText(chunk: string): string {
  return chunk.replace(/\r?\n/g, '\r\n');
}
