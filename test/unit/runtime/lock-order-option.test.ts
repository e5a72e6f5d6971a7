/** `weft run --lock-order`: parsed before the script only, and passed to the agent as
 * WEFT_LOCK_ORDER=1 (the agent's lock-order mode, weft/lockorder.py). */
import { describe, expect, it } from 'vitest';
import { HELP, parseArgs } from '../../../runtime/src/cli/args';
import { agentCommand } from '../../../runtime/src/launcher/launch';

describe('the --lock-order option', () => {
  it('is a flag of weft run, before the script only', () => {
    expect(parseArgs(['run', '--lock-order', 'a.py'])).toMatchObject({ kind: 'run', lockOrder: true, target: ['a.py'] });
    expect(parseArgs(['run', 'a.py'])).not.toHaveProperty('lockOrder');
    expect(parseArgs(['run', 'a.py', '--lock-order'])).toMatchObject({ target: ['a.py', '--lock-order'] });
    expect(parseArgs(['run', 'a.py', '--lock-order'])).not.toHaveProperty('lockOrder');
    expect(() => parseArgs(['run', '--lock-order=1', 'a.py'])).toThrow(/unknown option --lock-order=1/);
    expect(HELP.run).toContain('--lock-order');
  });

  it('reaches the agent as WEFT_LOCK_ORDER=1 only when given', () => {
    const base = { python: 'python3', outDir: 'o', cwd: '/w', target: ['a.py'], env: {} };
    expect(agentCommand({ ...base, lockOrder: true }).env.WEFT_LOCK_ORDER).toBe('1');
    expect('WEFT_LOCK_ORDER' in agentCommand(base).env).toBe(false);
    expect(agentCommand({ ...base, lockOrder: true }).args).not.toContain('--lock-order');
  });
});
