# sipreply: the two commands of the README, and the developer targets around them.
#   make run    build, then run the main program
#   make test   build and pass every test (unit, CLI, repository checks, then all unit
#               tests again under AddressSanitizer + UndefinedBehaviorSanitizer with clang)
#   make bench  parse benchmark against libosip2 and Sofia-SIP (docs/performance.md)
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all build run test test-main test-asan bench fuzz format clean deps-build deps-test

all: build

deps-build:
	@bash scripts/deps.sh build

deps-test:
	@bash scripts/deps.sh test

build: deps-build
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

run: build
	./$(BUILD)/sipreply tour

test: deps-test
	@$(MAKE) --no-print-directory test-main
	@$(MAKE) --no-print-directory test-asan

test-main: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

test-asan: deps-test
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
	  -DSR_SANITIZE="address;undefined" $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS)

# The parse benchmark with peer comparison (docs/performance.md); builds build-bench/.
bench:
	@bash scripts/deps.sh bench
	@bash bench/run.sh

format:
	git ls-files --cached --others --exclude-standard '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz build-bench
