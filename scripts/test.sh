#!/usr/bin/env bash
# scripts/test.sh: the whole test run behind `make test` and CI.
#
#   1. $BUILD (default build/): Release, -Werror; build everything (hutchrt,
#      hutch, unit tests, the probe); run the unit, root and e2e tiers.
#   2. $ASAN_BUILD (default build-asan/): -DHUTCH_SANITIZE=ON; build; run the
#      unit and root tiers again.
#
# Tiers run one test at a time: root and e2e tests change host state (mounts,
# cgroups, crun's hugetlb workaround) and the leak check must come last.
# Prints each ctest summary, then one closing line over both runs:
#   test: N passed, N failed, N skipped
# Exits non-zero if a build failed or any test failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
ASAN_BUILD=${ASAN_BUILD:-build-asan}
JOBS=${JOBS:-$(nproc)}

passed=0 failed=0 skipped=0 status=0

step() { printf '\n=== %s\n' "$*"; }

configure_and_build() {  # DIR CMAKE_ARGS... ; then targets via BUILD_TARGETS
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S . -B "$dir" -G Ninja -DCMAKE_COMPILE_WARNING_AS_ERROR=ON "$@" || return 1
  fi
  # shellcheck disable=SC2086
  cmake --build "$dir" -j "$JOBS" --target ${BUILD_TARGETS:-all}
}

run_ctest() {  # DIR LABEL-REGEX
  local dir=$1 labels=$2 log rc total f s
  log=$(mktemp)
  ctest --test-dir "$dir" -L "$labels" --output-on-failure 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  # "67% tests passed, 1 tests failed out of 3": skipped tests count as passed
  # there, and are listed as "(Skipped)" below it.
  total=$(sed -n 's/.*tests passed, [0-9]* tests\{0,1\} failed out of \([0-9]*\).*/\1/p' "$log" | tail -1)
  f=$(sed -n 's/.*tests passed, \([0-9]*\) tests\{0,1\} failed out of.*/\1/p' "$log" | tail -1)
  s=$(grep -c '(Skipped)$' "$log" || true)
  rm -f "$log"
  if [ -z "$total" ]; then
    echo "test: ctest in $dir printed no summary (rc $rc)"
    failed=$((failed + 1))
    status=1
    return
  fi
  passed=$((passed + total - f - s))
  failed=$((failed + f))
  skipped=$((skipped + s))
  [ "$rc" = 0 ] || status=1
}

step "build $BUILD (Release, -Werror)"
if BUILD_TARGETS="all hutchrt hutch" configure_and_build "$BUILD" -DCMAKE_BUILD_TYPE=Release; then
  step "unit, root and e2e tiers ($BUILD)"
  run_ctest "$BUILD" '^(unit|root|e2e)$'
else
  echo "test: build of $BUILD failed"
  failed=$((failed + 1))
  status=1
fi

step "build $ASAN_BUILD (ASan + UBSan)"
if configure_and_build "$ASAN_BUILD" -DCMAKE_BUILD_TYPE=Debug -DHUTCH_SANITIZE=ON; then
  step "unit and root tiers ($ASAN_BUILD)"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    run_ctest "$ASAN_BUILD" '^(unit|root)$'
else
  echo "test: build of $ASAN_BUILD failed"
  failed=$((failed + 1))
  status=1
fi

echo
echo "test: $passed passed, $failed failed, $skipped skipped"
exit $status
