"""The e2e scripts' runner: each @check runs at once, a failure is recorded and the rest go on;
finish() prints one line per check and a total, and exits 1 if any failed."""
import sys

results = []


def check(name):
    def wrap(fn):
        try:
            fn()
            results.append((name, None))
        except Exception as error:  # report every failure, then go on
            results.append((name, f"{type(error).__name__}: {error}"))
        return fn
    return wrap


def finish(suite):
    failed = [(n, e) for n, e in results if e]
    for name, error in results:
        print(("FAIL " if error else "ok   ") + name + (f": {error}" if error else ""))
    print(f"{suite}: {len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)
