import multiprocessing as mp, os, subprocess, sys, time

def work(q, n):
    time.sleep(0.05)
    q.put(n * n)

def sq(x):
    return x * x

if __name__ == "__main__":
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        q = ctx.Queue()
        ps = [ctx.Process(target=work, args=(q, i)) for i in range(2)]
        for p in ps: p.start()
        print(method, sorted(q.get() for _ in ps))
        for p in ps: p.join()
    # close() and join(), not the `with` block's terminate(): a worker that terminate() kills
    # while its interpreter is still starting leaves no file, which made the count flaky.
    pool = mp.get_context("spawn").Pool(2)
    print(pool.map(sq, range(6)))
    pool.close()
    pool.join()
    print(subprocess.run([sys.executable, "-c", "print('child ok')"], capture_output=True, text=True).stdout.strip())
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    os.waitpid(pid, 0)
