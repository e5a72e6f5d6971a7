"""Bank transfers between accounts guarded by one global lock.

A classic contention bug: every transfer takes `bank_lock`, and the audit thread holds it while it
sums all balances slowly. Run it under Weft and the lock table shows `bank_lock` with the audit
thread as the main holder and the tellers as waiters.

    npx weft run examples/bank_transfer.py
"""
import random
import threading
import time

ACCOUNTS = 20
TELLERS = 4
TRANSFERS_PER_TELLER = 200

balances = [1_000] * ACCOUNTS
bank_lock = threading.Lock()
done = threading.Event()


def transfer(rng: random.Random) -> None:
    src, dst = rng.sample(range(ACCOUNTS), 2)
    amount = rng.randint(1, 50)
    with bank_lock:
        if balances[src] >= amount:
            balances[src] -= amount
            time.sleep(0.0005)  # a slow "database write" inside the critical section
            balances[dst] += amount


def teller(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(TRANSFERS_PER_TELLER):
        transfer(rng)


def auditor() -> None:
    while not done.is_set():
        with bank_lock:
            total = 0
            for b in balances:
                total += b
                time.sleep(0.001)  # the audit reads each account slowly, holding the lock
            assert total == ACCOUNTS * 1_000, total
        done.wait(0.05)


def main() -> None:
    audit = threading.Thread(target=auditor, name="auditor")
    audit.start()
    tellers = [threading.Thread(target=teller, args=(i,), name=f"teller-{i}") for i in range(TELLERS)]
    for t in tellers:
        t.start()
    for t in tellers:
        t.join()
    done.set()
    audit.join()
    print(f"total balance: {sum(balances)}")


if __name__ == "__main__":
    main()
