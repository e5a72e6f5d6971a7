/** Ends every `switch` over a union: adding a member is then a compile error where it is not handled. */
export function assertUnreachable(x: never): never {
  throw new Error(`unexpected value ${JSON.stringify(x)}`);
}
