"""Lock orders (test_lock_order). `inversion`: thread one takes A then B, later thread two takes
B then A; they run one after the other, so the program never hangs, but it could. `ordered`:
eight threads take A, B and C always in that order, with an RLock and a Condition too.
`same_thread`: one thread takes A then B and later B then A."""
import sys
import threading

which = sys.argv[1]
A = threading.Lock()  # A_LINE
B = threading.Lock()  # B_LINE


def one():
    with A:  # ONE_FIRST
        with B:  # ONE_SECOND
            pass


def two():
    with B:  # TWO_FIRST
        with A:  # TWO_SECOND
            pass


if which == "inversion":
    t1 = threading.Thread(target=one, name="one")
    t1.start()
    t1.join()
    t2 = threading.Thread(target=two, name="two")
    t2.start()
    t2.join()
elif which == "same_thread":
    one()
    two()
elif which == "ordered":
    with B:
        # Making a Condition reads A.acquire (to cache it) while B is held: not an acquisition,
        # so no B -> A order against the workers' A -> B.
        made_under_b = threading.Condition(A)
    C = threading.RLock()
    cond = threading.Condition()
    done = []

    def worker(n):
        for i in range(300):
            with A:
                with B:
                    with C:
                        with C:
                            done.append(n)
            with cond:
                cond.notify_all()
            A.acquire()
            if B.acquire(timeout=1):
                B.release()
            A.release()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(done) == 8 * 300
print("ok")
