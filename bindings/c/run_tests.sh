#!/usr/bin/env bash
# Builds the C examples and ABI tests against include/keras.h with strict flags (C99 and C++11),
# links them to libkeras.so in $KERAS_LIBDIR and runs them; under valgrind when it is installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
LIBDIR=${KERAS_LIBDIR:-.build/debug}
OUT=${KERAS_C_OUT:-.build/c}
mkdir -p "$OUT"
# The test fixtures real Keras wrote (test_keras_seed reads them), wherever $OUT is.
export KERAS_FIXTURES=${KERAS_FIXTURES:-$PWD/Tests/KerasTests/Fixtures}
CFLAGS="-std=c99 -Wall -Wextra -Werror -pedantic -O1 -g -Iinclude -Ibindings/c/examples -Ibindings/c/tests"
CXXFLAGS="-x c++ -std=c++11 -Wall -Wextra -Werror -O1 -g -Iinclude -Ibindings/c/examples -Ibindings/c/tests"
LDFLAGS="-L$LIBDIR -lkeras -Wl,-rpath,$(cd "$LIBDIR" && pwd) -lpthread -lm"

programs=()
for src in bindings/c/tests/*.c bindings/c/examples/*.c; do
    name=$(basename "$src" .c)
    case "$name" in plugin_*) continue ;; esac
    gcc $CFLAGS "$src" -o "$OUT/$name" $LDFLAGS
    programs+=("$name")
done
# The iris_grid_search example again at 2 epochs a fit: its calls under valgrind (below).
gcc $CFLAGS -DIRIS_EPOCHS=2 -DIRIS_PIPELINE_EPOCHS=2 -DIRIS_MIN_ACCURACY=-1 bindings/c/examples/iris_grid_search.c \
    -o "$OUT/test_search_calls" $LDFLAGS
programs+=(test_search_calls)
# The header and one example also compile as C++.
g++ $CXXFLAGS bindings/c/tests/test_bad_input.c -o "$OUT/test_bad_input_cxx" $LDFLAGS
programs+=(test_bad_input_cxx)
# Plugins: shared libraries that do not link libkeras (they get everything through the registrar).
for src in bindings/c/examples/plugin_*.c; do
    [ -e "$src" ] || continue
    gcc $CFLAGS -fPIC -shared "$src" -o "$OUT/$(basename "$src" .c).so"
done

VALGRIND=()
if [ "${KERAS_VALGRIND:-1}" = 1 ] && command -v valgrind >/dev/null; then
    VALGRIND=(valgrind -q --error-exitcode=99 --num-callers=40 --leak-check=full --errors-for-leak-kinds=definite
              --show-leak-kinds=definite --suppressions=$PWD/bindings/c/valgrind.supp)
fi
# Programs that time their own kills or measure their own memory run natively: under valgrind
# the kills would land elsewhere and RSS is valgrind's. The iris_grid_search example (about 40
# fits of 40 epochs: a minute of CPU under valgrind, 2 s natively) runs natively too: its calls,
# in its order and with its options, run under valgrind at 2 epochs a fit in test_search_calls (the same source).
NATIVE="test_checkpoint_kill test_rss test_borrowed_inputs test_otto_rss iris_grid_search"
cd "$OUT"
# Each program writes its own log; the valgrind runs (the slow part: about three minutes of CPU in
# all) go $JOBS at a time, the native ones one by one first, so their timings and RSS are their own.
JOBS=${KERAS_C_JOBS:-$(nproc 2>/dev/null || echo 2)}
run_one() {
    local p=$1; shift
    if "$@" "./$p" > "$p.log" 2>&1; then echo "== $p"; tail -n 3 "$p.log"
    else echo "== $p"; cat "$p.log"; echo "FAILED: $p"; touch "$p.failed"; return 1; fi
}
export -f run_one
rm -f ./*.failed
checked=()
for p in "${programs[@]}"; do
    case " $NATIVE " in *" $p "*) run_one "$p" ;; *) checked+=("$p") ;; esac
done
# The longest valgrind runs start first: test_graph_layer and test_reliability, about 10 s of CPU
# each on the debug build since their sizes were cut (47 s and 16 s before), test_model as long.
slow="test_graph_layer test_reliability test_model"
ordered=($slow)
for p in "${checked[@]}"; do case " $slow " in *" $p "*) ;; *) ordered+=("$p") ;; esac; done
printf '%s\n' "${ordered[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one "$1" "${@:2}"' _ {} "${VALGRIND[@]}"
# Every program runs, failed or not, so the summary counts them all (.ci/run reads this line).
failed=$(find . -maxdepth 1 -name '*.failed' | wc -l)
echo "C tests: $(( ${#programs[@]} - failed )) programs passed, $failed failed${VALGRIND:+ under valgrind (but $NATIVE)}"
[ "$failed" = 0 ]
