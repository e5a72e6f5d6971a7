/**
 * The profiled program's terminal: a `vscode.Pseudoterminal` in front of the child's piped
 * stdio. Pipes rather than a pty because the launcher must own the process (stop, exit status,
 * process group) and VS Code offers no pty to extensions; the tty's line editing is done by
 * LineDiscipline. Output is decoded per stream so a UTF-8 character split across two reads
 * stays whole.
 */
import { StringDecoder } from 'node:string_decoder';
import * as vscode from 'vscode';
import { assertUnreachable } from './assert';
import { LineDiscipline, toTerminalText } from './line-discipline';

export interface ProgramInput {
  /** A line (or Ctrl+D-terminated text) for the program's stdin. */
  send(text: string): void;
  /** Ctrl+D on an empty line: close the program's stdin. */
  eof(): void;
  /** Ctrl+C. */
  interrupt(): void;
  /** The user closed the terminal while the program was running. */
  closed(): void;
}

const DIM = '\x1b[2m';
const BOLD = '\x1b[1m';
const RED = '\x1b[31m';
const RESET = '\x1b[0m';

export class ProgramTerminal implements vscode.Pseudoterminal, vscode.Disposable {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;

  private readonly discipline = new LineDiscipline();
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  /** Output produced before VS Code opened the terminal; VS Code drops writes made before open(). */
  private pending: string[] = [];
  private opened = false;
  /** The program has ended: the next key closes the terminal, as VS Code's tasks do. */
  private ended = false;
  private closedByUs = false;
  private input: ProgramInput | null = null;

  /** Connects keyboard input to a running program (until `programEnded`). */
  attach(input: ProgramInput): void {
    this.input = input;
  }

  open(): void {
    this.opened = true;
    const text = this.pending.join('');
    this.pending = [];
    if (text) this.writeEmitter.fire(text);
  }

  close(): void {
    // Called when the user closes the terminal (or the window closes it).
    if (!this.closedByUs && !this.ended) this.input?.closed();
    this.input = null;
  }

  handleInput(data: string): void {
    if (this.ended) {
      this.closedByUs = true;
      this.closeEmitter.fire();
      return;
    }
    const input = this.input;
    if (!input) return;
    for (const action of this.discipline.feed(data)) {
      switch (action.kind) {
        case 'echo':
          this.emit(action.text);
          break;
        case 'send':
          input.send(action.text);
          break;
        case 'eof':
          input.eof();
          break;
        case 'interrupt':
          input.interrupt();
          break;
        default:
          assertUnreachable(action);
      }
    }
  }

  /** Program output, as it arrives. */
  output(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const text = this.decoders[stream].write(chunk);
    if (text) this.emit(toTerminalText(text));
  }

  /** One of Weft's own lines, dimmed so it is not mistaken for the program's output. */
  info(line: string): void {
    this.emit(`${DIM}${toTerminalText(line)}${RESET}\r\n`);
  }

  error(line: string): void {
    this.emit(`${RED}${toTerminalText(line)}${RESET}\r\n`);
  }

  /** The program has ended: flush what is decoded, print the outcome, wait for a key. */
  programEnded(summary: string, failed: boolean): void {
    const tail = this.decoders.stdout.end() + this.decoders.stderr.end();
    if (tail) this.emit(toTerminalText(tail));
    this.input = null;
    this.ended = true;
    this.emit(`\r\n${failed ? RED : BOLD}${toTerminalText(summary)}${RESET}\r\n${DIM}Press any key to close this terminal.${RESET}\r\n`);
  }

  private emit(text: string): void {
    if (this.opened) this.writeEmitter.fire(text);
    else this.pending.push(text);
  }

  dispose(): void {
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }
}
