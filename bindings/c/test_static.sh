#!/usr/bin/env bash
# Checks the shippable libkeras.so (built with the Swift runtime linked in, see
# reference/toolchain.md §4): it exports exactly the functions of include/keras.h, has no
# absolute RUNPATH, needs no libswift*, and runs a C program with the toolchain's library
# folder hidden.
set -euo pipefail
cd "$(dirname "$0")/../.."
LIB=${1:-.build-static/release/libkeras.so}
OUT=${KERAS_C_OUT:-.build/c}
mkdir -p "$OUT"
fail() { echo "test_static: $*" >&2; exit 1; }
[ -f "$LIB" ] || fail "$LIB not found"

# 1. Exports: the defined dynamic symbols are exactly the header's functions.
readelf --dyn-syms -W "$LIB" | awk '$7 != "UND" && ($5 == "GLOBAL" || $5 == "WEAK") && $8 != "" {print $8}' \
    | sed 's/@.*//' | sort -u > "$OUT/exports.txt"
grep -oE '\bkeras_[a-z0-9_]+\(' include/keras.h | tr -d '(' | sort -u > "$OUT/header_functions.txt"
if ! diff -u "$OUT/header_functions.txt" "$OUT/exports.txt"; then
    fail "exported symbols differ from the functions declared in include/keras.h (- header, + exports)"
fi
echo "exports: $(wc -l < "$OUT/exports.txt") keras_* functions, nothing else"

# 2. No absolute RUNPATH, no Swift runtime libraries needed.
runpath=$(readelf -d "$LIB" | awk '/RUNPATH|RPATH/ {print $NF}')
case "$runpath" in ""|"[\$ORIGIN]") ;; *) fail "RUNPATH is $runpath" ;; esac
if ldd "$LIB" | grep -i 'swift\|Foundation'; then fail "needs Swift runtime libraries"; fi
echo "RUNPATH ${runpath:-none}; ldd lists no libswift*"

# 3. A C program runs against it with the toolchain's libraries hidden.
mkdir -p "$OUT/static"
cp "$LIB" "$OUT/static/libkeras.so"
gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude bindings/c/examples/xor.c -o "$OUT/static/xor" \
    -L"$OUT/static" -lkeras -Wl,-rpath,'$ORIGIN'
SWIFT_LIBS=$(dirname "$(dirname "$(command -v swift)")")/lib/swift/linux
empty=$(mktemp -d)
if [ -d "$SWIFT_LIBS" ] && unshare -m true 2>/dev/null; then
    unshare -m sh -c "mount --bind '$empty' '$SWIFT_LIBS' && ! ls '$SWIFT_LIBS'/libswiftCore.so 2>/dev/null && '$OUT/static/xor'" \
        > "$OUT/static/xor.log" 2>&1 || { cat "$OUT/static/xor.log"; fail "xor failed with $SWIFT_LIBS hidden"; }
    echo "xor ran with $SWIFT_LIBS hidden"
else
    "$OUT/static/xor" > "$OUT/static/xor.log" 2>&1 || { cat "$OUT/static/xor.log"; fail "xor failed"; }
    echo "xor ran (could not hide $SWIFT_LIBS here: no mount namespace; ldd check above stands)"
fi
rmdir "$empty"
echo "test_static: passed"
