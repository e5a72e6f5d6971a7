import multiprocessing as mp


def work(q):
    q.put(21 * 2)


if __name__ == "__main__":
    mp.set_start_method("spawn")
    q = mp.Queue()
    p = mp.Process(target=work, args=(q,))
    p.start()
    print("child said", q.get())
    p.join()
    print("exitcode", p.exitcode)
