"""Creates and closes many small Pools (`with Pool` ends with terminate(), which sends SIGTERM to
workers that may be just about to block on the task queue). Under an agent that catches SIGTERM
in workers, a loop like this hung or crashed in some runs."""
import multiprocessing as mp
import sys


def square(x):
    return x * x


if __name__ == "__main__":
    mp.set_start_method("fork")
    for _ in range(int(sys.argv[1])):
        with mp.Pool(2) as pool:
            assert pool.map(square, range(4)) == [0, 1, 4, 9]
    print("ok")
