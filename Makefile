# SwiftKeras: `make demo` shows the library, `make test` runs every test suite, `make bench`
# measures speed against real Keras. Each first makes sure the system libraries are there.

SWIFT ?= swift
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
RELEASE_FLAGS := -c release
# The shared library built so that it loads without the Swift toolchain (reference/toolchain.md §4).
STATIC_SCRATCH := .build-static

.PHONY: sanitize fuzz test-fuzz all deps build demo test test-swift test-python test-c lib-static bench venv clean

all: build

## System packages: OpenBLAS and HDF5 (installed with apt when missing and running as root).
deps:
	@./scripts/ensure-deps.sh

build: deps
	$(SWIFT) build $(RELEASE_FLAGS)

demo: build
	.build/release/swiftkeras demo

## The binding's tests run in this many pytest-xdist workers (a file's tests stay in one worker,
## so its module fixtures run once): about five minutes of CPU, most of it single-threaded. The
## files start in the order collected (--no-loadscope-reorder), the longest first
## (LONGEST_FILES_FIRST in bindings/python/tests/conftest.py), so both workers end together.
PYTEST_WORKERS ?= 2

## Python environment for the interop and binding tests (numpy, h5py, keras + jax, scikit-learn).
venv: $(VENV)/.ready
$(VENV)/.ready: scripts/requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -r scripts/requirements-test.txt
	touch $@

## `make test` runs the suites below as two streams on the 2 cores CI has (the targets'
## outputs kept whole, each printed when it ends): the long single-threaded phases (the static
## release build's whole-module compile, XCTest, the interop tests, the fuzz runs) no longer
## leave a core idle while the other waits. The shippable library's build starts first: the
## Python suite, the longest phase, needs it. Each suite target below still runs on its own.
## A failing suite stops only the suites after it in its stream (-k): one run reports the rest.
CI_JOBS ?= 2
test: deps
	$(MAKE) --no-print-directory -k -j$(CI_JOBS) -Otarget ci-suites

.PHONY: ci-suites ci-static ci-debug ci-swift ci-c ci-interop ci-python ci-fuzz
## Listed in the order make starts them when a job slot frees.
ci-suites: ci-static ci-debug venv ci-swift ci-python ci-c ci-interop ci-fuzz
ci-static:
	$(SWIFT) build $(STATIC_LIB_FLAGS)
	./bindings/c/test_static.sh $(STATIC_SCRATCH)/release/libkeras.so
ci-debug:
	$(SWIFT) build --build-tests
	$(SWIFT) build --product keras
ci-swift: ci-debug
	$(SWIFT) test --skip-build --disable-swift-testing
ci-c: ci-swift
	./bindings/c/run_tests.sh
ci-interop: ci-c venv
	$(MAKE) --no-print-directory test-interop
ci-python: ci-static venv
	$(MAKE) --no-print-directory test-bindings
ci-fuzz: ci-interop
	$(MAKE) --no-print-directory test-fuzz

test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing

## The C ABI: libkeras.so, the examples and ABI tests in bindings/c (under valgrind when installed).
## Then the shippable libkeras.so (Swift runtime linked in, only keras_* exported) and its checks:
## one extra release build in its own scratch path (measured: 2m46s CPU from clean).
STATIC_LIB_FLAGS := -c release -Xswiftc -static-stdlib --scratch-path $(STATIC_SCRATCH) --product keras \
	-Xlinker --version-script=$(CURDIR)/bindings/c/keras.map
test-c:
	$(SWIFT) build --product keras
	./bindings/c/run_tests.sh
	$(SWIFT) build $(STATIC_LIB_FLAGS)
	./bindings/c/test_static.sh $(STATIC_SCRATCH)/release/libkeras.so

## Sanitizers (docs/RELIABILITY.md): libkeras.so built with AddressSanitizer (Swift on Linux has
## no -sanitize=undefined; the C programs add UndefinedBehaviorSanitizer), then with
## ThreadSanitizer, each in its own scratch path; the C ABI tests and the 8-thread stress test
## (bindings/c/stress) built with the toolchain's clang (the sanitizer runtime Swift uses) and
## run against each in the scratch path's c/ folder, beside the plugin examples they load.
## Not in `make test` (two extra full builds); run it before every release.
SANITIZE_PASSES ?= address:address,undefined thread:thread
## clang's ThreadSanitizer runtime intercepts libdispatch, so its programs link the toolchain's
## libdispatch and BlocksRuntime (the Swift runtime's, which libkeras.so loads anyway).
SWIFT_RUNTIME_DIR := $(abspath $(dir $(shell command -v $(SWIFT)))/../lib/swift/linux)
sanitize:
	set -e; for pass in $(SANITIZE_PASSES); do \
		swiftkind=$${pass%%:*}; ckind=$${pass#*:}; scratch=.build-sanitize-$$swiftkind; \
		$(SWIFT) build -c debug --scratch-path $$scratch -Xswiftc -sanitize=$$swiftkind --product keras; \
		out=$$scratch/c; mkdir -p $$out; \
		for src in bindings/c/examples/plugin_*.c; do \
			clang -std=c99 -O1 -g -fPIC -shared -fsanitize=$$ckind -Iinclude $$src -o $$out/$$(basename $$src .c).so; \
		done; \
		for src in bindings/c/tests/*.c bindings/c/stress/stress.c; do \
			name=$$(basename $$src .c); \
			clang -std=c99 -O1 -g -fsanitize=$$ckind -Iinclude -Ibindings/c/examples -Ibindings/c/tests $$src \
				-o $$out/$$name -L$$scratch/debug -lkeras -Wl,-rpath,$(CURDIR)/$$scratch/debug \
				-L$(SWIFT_RUNTIME_DIR) -ldispatch -lBlocksRuntime -Wl,-rpath,$(SWIFT_RUNTIME_DIR) -lpthread -lm; \
			echo "== $$ckind $$name"; \
			(cd $$out && ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 TSAN_OPTIONS=halt_on_error=1 \
				UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ./$$name > $$name.log 2>&1) \
				|| { cat $$out/$$name.log; exit 1; }; \
		done; \
	done

## libkeras.so to ship: loads without the Swift toolchain (reference/toolchain.md §4).
lib-static: deps
	$(SWIFT) build $(STATIC_LIB_FLAGS)

## Interop (files written here load in real Keras 3, Tests/interop), then the Python binding:
## the package installed into .venv with the shippable libkeras.so inside (the static release
## build of test-c, so `make test` builds release once: the seed examples train real-sized
## models, and the tests check the library users get), and its pytest suite (its 30 slowest
## tests listed at the end, so every CI log shows where the suite's time goes).
INTEROP_OUT := $(CURDIR)/.build/interop
test-python: deps venv
	$(SWIFT) build --build-tests
	$(MAKE) --no-print-directory test-interop
	$(SWIFT) build $(STATIC_LIB_FLAGS)
	$(MAKE) --no-print-directory test-bindings
## The two halves of test-python, each assuming its build is there (`make test` orders them).
.PHONY: test-interop test-bindings
test-interop:
	rm -rf $(INTEROP_OUT)
	SWIFTKERAS_INTEROP_OUT=$(INTEROP_OUT) $(SWIFT) test --skip-build --disable-swift-testing --filter InteropExportTests
	KERAS_BACKEND=jax SWIFTKERAS_INTEROP_OUT=$(INTEROP_OUT) SWIFTKERAS_BIN=$(CURDIR)/.build/debug/swiftkeras \
		$(VPY) -m pytest -q -p no:cacheprovider Tests/interop
test-bindings:
	SWIFTKERAS_BUILD=static $(VPY) -m pip install -q --no-deps --force-reinstall ./bindings/python
	SWIFTKERAS_TEST_INSTALLED=1 $(VPY) -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=30 bindings/python/tests

## Speed, side by side with real Keras when .venv has it (WITH_KERAS=1 creates it).
bench: build
	./scripts/bench.sh

clean:
	rm -rf .build $(STATIC_SCRATCH) $(VENV)

## Fuzzing the model-file readers (README "Fuzzing"): libFuzzer + AddressSanitizer, own scratch path.
FUZZ_SCRATCH := .build-fuzz
FUZZ_BIN := $(FUZZ_SCRATCH)/debug/KerasFuzz
FUZZ_CORPUS ?= $(FUZZ_SCRATCH)/corpus
FUZZ_SEEDS ?= Tests/KerasTests/Fixtures/saving/*.h5 Tests/KerasTests/Fixtures/saving/*.keras Tests/KerasTests/Fixtures/saving/*.json \
	Tests/KerasTests/Fixtures/hostile/*.h5
FUZZ_SECONDS ?= 20
$(FUZZ_BIN): $(wildcard Sources/Keras/*/*.swift Sources/Keras/*/*/*.swift Sources/KerasSections/*.c Sources/KerasFuzz/*.swift \
		Sources/CHDF5Shim/*.c Sources/CHDF5Shim/*.h Sources/CHDF5Shim/include/*.h \
		Sources/KerasC/*.swift Sources/KerasSklearn/*.swift Sources/KerasSklearn/*/*.swift)
	$(SWIFT) build -c debug --scratch-path $(FUZZ_SCRATCH) -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING --product KerasFuzz
fuzz: $(FUZZ_BIN)
	mkdir -p $(FUZZ_CORPUS) && cp $(FUZZ_SEEDS) $(FUZZ_CORPUS)/
	ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 KERAS_FUZZ_READERS=$(or $(FUZZ_READERS),json,keras,h5,compile,fit,estimator) \
		$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -detect_leaks=0 -artifact_prefix=$(FUZZ_SCRATCH)/ $(FUZZ_CORPUS)
## allocator_may_return_null: libhdf5 (inside .keras archives too) asks malloc for absurd sizes on
## corrupt headers and handles the NULL as an error; ASan would abort instead of returning NULL.
## The brief run in `make test` covers the JSON, .keras and HDF5 readers (libhdf5 1.10.8's
## H5HG_read and H5MM_strdup overflows are no longer reached: README "Fuzzing"; the inputs that
## reached them are seeds, in Fixtures/hostile).
## The training JSON (compile specs, fit options, estimator params, search grids) through the
## C ABI: its own corpus, seeded from Tests/FuzzSeeds.
test-fuzz:
	$(MAKE) fuzz FUZZ_READERS=json,keras,h5 FUZZ_SECONDS=20
	$(MAKE) fuzz FUZZ_READERS=compile,fit,estimator FUZZ_SECONDS=20 FUZZ_CORPUS=$(FUZZ_SCRATCH)/corpus-options "FUZZ_SEEDS=Tests/FuzzSeeds/*.json"
