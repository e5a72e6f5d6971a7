"""eventlet: 20 green threads that sleep 50 ms each under monkey_patch()."""
import eventlet

eventlet.monkey_patch()


def nap(i):
    eventlet.sleep(0.05)  # NAP LINE
    return i


pool = eventlet.GreenPool()
print(sum(pool.imap(nap, range(20))))
