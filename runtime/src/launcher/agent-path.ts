/**
 * Where the Python agent (the `weft` package) is. dist/ and runtime/python/ are siblings both
 * in a checkout and in the packaged extension, so from the bundle (dist/cli.js,
 * dist/extension.js) it is `../runtime/python`; from the TypeScript sources (tests) it is
 * `../../python`.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** The directory to put on PYTHONPATH so that `python -m weft` finds the agent. */
export function agentPath(fromDir: string = __dirname): string {
  const candidates = [path.join(fromDir, '..', 'runtime', 'python'), path.join(fromDir, '..', '..', 'python')];
  for (const c of candidates) {
    if (existsSync(path.join(c, 'weft', '__main__.py'))) return path.resolve(c);
  }
  throw new Error(`the Weft Python agent (runtime/python/weft) was not found next to ${fromDir}; the installation is incomplete: reinstall Weft.`);
}
