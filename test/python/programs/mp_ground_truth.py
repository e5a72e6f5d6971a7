"""Ground truth for processes: a pipeline of Processes joined by queues, a Pipe, a lock held
across processes, a Pool and a ProcessPoolExecutor, under the start method given as argv[1].

Known by construction (test_multiprocessing.py checks each):
- 7 child processes: producer, consumer, holder, pipe child, 2 Pool workers, 1 executor worker;
- the producer sleeps 200 ms after the consumer is ready before its first put, so the consumer's first get waits ~200 ms;
- 5 messages producer -> consumer on `jobs`, 5 consumer -> main on `results`, and an end marker each;
- the holder keeps `shared_lock` for 300 ms after telling main it has it, so main's acquire
  waits ~300 ms, held by the holder process;
- main sleeps 150 ms after the pipe child is ready before sending, so the child's recv waits ~150 ms;
- Pool.map over 10 items in chunks of 3 is 4 work items, plus 1 apply_async: 5 work items;
  the executor runs 3 submitted calls: 3 work items.
"""
import concurrent.futures
import multiprocessing as mp
import sys
import time

N = 5


def producer(jobs, consumer_ready):
    consumer_ready.wait()
    time.sleep(0.2)
    for i in range(N):
        jobs.put(("job", i))
    jobs.put(None)


def consumer(jobs, results, ready):
    ready.set()
    while True:
        item = jobs.get()  # CONSUMER_GET
        if item is None:
            break
        results.put(item[1] * 10)
    results.put(None)


def holder(lock, has_it):
    with lock:  # HOLDER_LINE
        has_it.set()
        time.sleep(0.3)


def pipe_child(conn, ready):
    ready.set()
    msg = conn.recv()  # RECV_LINE
    conn.send(("echo", msg))


def square(x):
    time.sleep(0.01)
    return x * x


def main():
    mp.set_start_method(sys.argv[1])
    jobs = mp.Queue()
    results = mp.Queue()
    consumer_ready = mp.Event()
    procs = [mp.Process(target=producer, args=(jobs, consumer_ready), name="producer"),
             mp.Process(target=consumer, args=(jobs, results, consumer_ready), name="consumer")]
    for p in procs:
        p.start()
    got = []
    while True:
        v = results.get()
        if v is None:
            break
        got.append(v)
    for p in procs:
        p.join()
    print("pipeline", got)

    shared_lock = mp.Lock()
    has_it = mp.Event()
    h = mp.Process(target=holder, args=(shared_lock, has_it), name="holder")
    h.start()
    has_it.wait()
    with shared_lock:  # MAIN_ACQUIRE
        pass
    h.join()
    print("lock ok")

    here, there = mp.Pipe()
    ready = mp.Event()
    c = mp.Process(target=pipe_child, args=(there, ready), name="pipe-child")
    c.start()
    ready.wait()
    time.sleep(0.15)
    here.send({"n": 42})
    print("pipe", here.recv())
    c.join()

    with mp.Pool(2) as pool:
        squares = pool.map(square, range(10), chunksize=3)
        seven = pool.apply_async(square, (7,)).get()
    print("pool", squares, seven)

    with concurrent.futures.ProcessPoolExecutor(max_workers=1) as ex:
        futs = [ex.submit(square, i) for i in (2, 3, 4)]
        print("executor", [f.result() for f in futs])


if __name__ == "__main__":
    main()
