"""Thread names, renames, daemon flag, parents and pool workers."""
import concurrent.futures
import threading


def named():
    threading.current_thread().name = "renamed"
    child = threading.Thread(target=lambda: None, name="grandchild")
    child.start()  # GRANDCHILD_START_LINE
    child.join()


t = threading.Thread(target=named, name="original")
t.start()  # START_LINE
t.join()
d = threading.Thread(target=lambda: None, name="bg", daemon=True)
d.start()
d.join()
with concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="pool") as ex:
    print(sum(ex.map(abs, range(-5, 5))))
