import { describe, expect, it } from 'vitest';
import { commandLabel, processLabel } from '../../../runtime/src/model/process-label';

// Command lines as real traces carry them (header argv, `P` records) on Python 3.11, Linux.
const SPAWN_MAIN = ['/usr/bin/python3', '-c', 'from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7)', '--multiprocessing-fork'];
const FORK_SERVER = ['/usr/bin/python3', '-c', 'from multiprocessing.forkserver import main; main(8, 9, [\'__main__\'], **{\'sys_path\': []})'];
const TRACKER = ['/usr/bin/python3', '-c', 'from multiprocessing.resource_tracker import main;main(4)'];

describe('process labels say what a process is, not its bootstrap command line', () => {
  it('a multiprocessing child is named by what its starter knew it as, with the start method', () => {
    expect(processLabel(SPAWN_MAIN, 'spawn', 'Pool worker 2')).toBe('Pool worker 2 (spawn)');
    expect(processLabel(['/w/app.py'], 'fork', 'ProcessPoolExecutor worker 1')).toBe('ProcessPoolExecutor worker 1 (fork)');
    expect(processLabel(FORK_SERVER, 'forkserver', 'Process-3: crunch')).toBe('Process-3: crunch (forkserver)');
  });

  it("Python's helper processes are named by their role", () => {
    expect(processLabel(FORK_SERVER, 'helper', null)).toBe('fork server');
    expect(processLabel(TRACKER, 'helper', null)).toBe('resource tracker');
    expect(processLabel(SPAWN_MAIN, 'spawn', null)).toBe('multiprocessing child (spawn)');
    expect(processLabel(FORK_SERVER, 'forkserver', null)).toBe('multiprocessing child (forkserver)');
  });

  it('a program is named by its script and arguments, a module by -m, a forked copy says fork', () => {
    expect(processLabel(['/home/u/orders.py', '--fast'], 'main', null)).toBe('orders.py --fast');
    expect(processLabel(['/home/u/orders.py'], 'fork', null)).toBe('orders.py (fork)');
    expect(processLabel(['python3.11', '-X', 'dev', '-u', '-m', 'http.server', '8000'], 'subprocess', null)).toBe('-m http.server 8000');
    expect(processLabel(['/usr/bin/python3', '-c', 'import time;  time.sleep(5)'], 'subprocess', null)).toBe('python -c import time; time.sleep(5)');
    expect(processLabel(['-c'], 'main', null)).toBe('python -c');
  });

  it('other commands keep their name and arguments, cut when long', () => {
    expect(commandLabel(['/bin/sleep', '0.2'])).toBe('sleep 0.2');
    expect(commandLabel(['ls -l | wc -l'])).toBe('ls -l | wc -l');
    const long = commandLabel(['/bin/echo', 'x'.repeat(200)]);
    expect(long).toHaveLength(80);
    expect(long.endsWith('…')).toBe(true);
    expect(commandLabel([])).toBe('');
  });
});
