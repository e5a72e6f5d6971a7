"""20,000 small messages from one process to another through a multiprocessing.Queue, then a
Pool.map of 2,000 trivial items in chunks of 10: the per-message and per-work-item cost."""
import multiprocessing as mp

N = 20_000


def produce(q):
    for i in range(N):
        q.put(i)
    q.put(None)


def ident(x):
    return x


if __name__ == "__main__":
    mp.set_start_method("fork")
    q = mp.Queue()
    p = mp.Process(target=produce, args=(q,))
    p.start()
    total = 0
    while (v := q.get()) is not None:
        total += v
    p.join()
    with mp.Pool(2) as pool:
        total += sum(pool.map(ident, range(2_000), chunksize=10))
    print(total)
