#!/usr/bin/env bash
# Entry point: build w4a16SM90SimpleTest and, where an SM90 GPU is present, run it and write
# the JUnit report. All flags go to `w4a16 build` (see scripts/build.sh --help).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PYTHONPATH="$repo/scripts${PYTHONPATH:+:$PYTHONPATH}"
case " $* " in
  *" --help "*|*" -h "*) ;;
  *) python3 -m w4a16.deps build ;;
esac
exec python3 -m w4a16 build "$@"
