#!/usr/bin/env bash
# The Python tests whose subject changes most between CPython versions (asyncio's internals,
# the stack the agent reads, tracebacks through the I/O wrappers, line tables), run again with the oldest and newest interpreter Weft supports.
# They come from pyenv on these machines (../shared/recipes/real-components.md); a missing one
# fails with what to install, it is never skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
TESTS=(test.python.test_asyncio test.python.test_transparency test.python.test_waits test.python.test_io_waits test.python.test_lock_order)
for version in 3.9 3.13; do
  prefix=$(pyenv prefix "$(pyenv versions --bare 2>/dev/null | grep -E "^${version//./\\.}\.[0-9]+$" | tail -1)" 2>/dev/null || true)
  if [[ -z "$prefix" || ! -x "$prefix/bin/python3" ]]; then
    echo "test-other-pythons: no Python $version found; install it with: pyenv install $version" >&2
    exit 1
  fi
  echo "== Python $("$prefix/bin/python3" -c 'import platform; print(platform.python_version())')"
  "$prefix/bin/python3" -m unittest "${TESTS[@]}"
done
