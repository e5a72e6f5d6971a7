/**
 * Program arguments typed by the user ("Weft: Profile with Arguments...") and the agent command
 * line. Weft never runs a shell: the typed text is split here with POSIX-shell quoting rules
 * (quotes and backslashes, no expansion of $VAR, globs or ~), so what the user sees is exactly
 * the argv the program receives. Pure, unit-tested.
 */

export class ArgumentSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgumentSyntaxError';
  }
}

/**
 * Splits a command-line string into arguments: whitespace separates, '...' is literal, "..."
 * allows \" \\ \$ \` escapes, a backslash outside quotes escapes the next character.
 */
export function splitArguments(text: string): string[] {
  const args: string[] = [];
  let current = '';
  // True once the current word exists, even if empty: `''` is one empty argument.
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) args.push(current);
      current = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw new ArgumentSyntaxError(`unclosed ' quote starting at character ${i + 1}: add the closing '.`);
      current += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < text.length) {
        const d = text[i] as string;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string)) {
          current += text[i + 1];
          i += 2;
        } else {
          current += d;
          i++;
        }
      }
      if (!closed) throw new ArgumentSyntaxError('unclosed " quote: add the closing ".');
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new ArgumentSyntaxError('a trailing \\ escapes nothing: remove it or quote it.');
      current += text[i + 1];
      inWord = true;
      i += 2;
    } else {
      current += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) args.push(current);
  return args;
}

/** The inverse of splitArguments for display and for pre-filling the input box. */
export function joinArguments(args: readonly string[]): string {
  return args.map(quoteArgument).join(' ');
}

export function quoteArgument(arg: string): string {
  if (arg === '') return "''";
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The target the agent runs: the script, then its arguments, exactly as given. */
export function programTarget(script: string, args: readonly string[]): string[] {
  return [script, ...args];
}
