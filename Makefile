# sipreply: the two commands of the README, and the developer targets around them.
#   make run    build sipreplyd, then start it (dial a code) on 127.0.0.1:5060, UDP and TCP
#   make test   build with -Werror and pass every test (unit, CLI, daemon, interop,
#               repository checks); build a gcc Release (-O3) with -Werror, for the warnings
#               only optimisation finds; then all the tests again under AddressSanitizer +
#               UndefinedBehaviorSanitizer with clang. Each half runs even when another
#               failed; the exit status is non-zero if any did.
#   make bench  parse benchmark against libosip2 and Sofia-SIP (docs/performance.md)
#   make bench-load  sipreplyd against Kamailio under UDP load (docs/performance.md)
#   make bench-rtp   sipreplyd's and SIPp's RTP echo, 500 to 2,500 G.711 streams (docs/performance.md)
BUILD      ?= build
ASAN_BUILD ?= build-asan
RELEASE_BUILD ?= build-release
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
# Tests run two per CPU: most daemon and interop tests spend their time waiting on SIP timers
# and peers (test_dialogs: 61 s of wall time, 2 s of CPU), so one per CPU leaves the CPUs
# idle (README, "Building by hand", gives the figures). TEST_JOBS=N sets it.
TEST_JOBS  ?= $(shell echo $$(( $(JOBS) * 2 )))
CMAKE_ARGS ?=

.PHONY: all build configure run test test-main test-release test-asan bench bench-load bench-instr bench-rtp fuzz fuzz-build format clean deps-build deps-test \
        deps-fuzz

all: build

deps-build:
	@bash scripts/deps.sh build

deps-test:
	@bash scripts/deps.sh test

deps-fuzz:
	@bash scripts/deps.sh fuzz

configure: deps-build
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

# make run: sipreplyd on the embedded default ("dial a code"), UDP and TCP 127.0.0.1:5060;
# builds that program only (not the tests, fuzzers or benchmarks).
run: configure
	@cmake --build $(BUILD) -j$(JOBS) --target sipreplyd
	@bash scripts/run.sh $(BUILD)

# Every half runs, whatever the one before it gave; the status is that of the worst.
test: deps-test
	@st=0; \
	$(MAKE) --no-print-directory test-main || st=1; \
	$(MAKE) --no-print-directory test-release || st=1; \
	$(MAKE) --no-print-directory test-asan || st=1; \
	if [ $$st -ne 0 ]; then echo "make test: FAILED (see above)"; else echo "make test: all passed"; fi; \
	exit $$st

# the test builds treat warnings as errors (SR_WERROR defaults to OFF for those who build)
test-main: deps-test
	@$(MAKE) --no-print-directory build CMAKE_ARGS="-DSR_WERROR=ON $(CMAKE_ARGS)"
	ctest --test-dir $(BUILD) --output-on-failure -j$(TEST_JOBS)

# gcc at -O3 warns about what it sees only when inlining (maybe-uninitialized and the like)
test-release: deps-build
	@cmake -S . -B $(RELEASE_BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=gcc \
	  -DSR_WERROR=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(RELEASE_BUILD) -j$(JOBS)

test-asan: deps-test
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
	  -DSR_WERROR=ON -DSR_SANITIZE="address;undefined" $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(TEST_JOBS)

# make fuzz: build libFuzzer targets (clang, ASan+UBSan) in $(FUZZ_BUILD) and run each
# fuzz/fuzz_<name>.c for FUZZ_SECONDS. New inputs go to $(FUZZ_BUILD)/corpus/<name> (the
# checked-in fuzz/corpus/<name> is read as seeds, never written); crashes to
# $(FUZZ_BUILD)/artifacts/. See docs/fuzzing.md for minimising and adding to the corpus.
fuzz-build: deps-fuzz
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
	  -DSR_FUZZ=ON -DSR_SANITIZE="address;undefined" -DSR_BUILD_TESTS=OFF $(CMAKE_ARGS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS)

fuzz: fuzz-build
	@set -e; mkdir -p $(FUZZ_BUILD)/artifacts; \
	for src in fuzz/fuzz_*.c; do \
	  name=$${src#fuzz/fuzz_}; name=$${name%.c}; \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$name; \
	  echo "fuzz: $$name for $(FUZZ_SECONDS)s"; \
	  dict=; [ -f fuzz/$$name.dict ] && dict=-dict=fuzz/$$name.dict; \
	  ./$(FUZZ_BUILD)/fuzz_$$name -max_total_time=$(FUZZ_SECONDS) -max_len=4096 $$dict \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$name- \
	    $(FUZZ_BUILD)/corpus/$$name fuzz/corpus/$$name; \
	done

# The parse benchmark with peer comparison (docs/performance.md); builds build-bench/.
bench:
	@bash scripts/deps.sh bench
	@bash bench/run.sh

# The load benchmark: sipreplyd and Kamailio at the same offered rates, pinned to one CPU each
# side (docs/performance.md "sipreplyd under load"); builds build-bench/.
bench-load:
	@bash scripts/deps.sh bench
	@bash bench/load.sh

# Instructions per call inside sipreplyd under callgrind, stateless and stateful
# (docs/performance.md "Instructions per call"); builds build-bench/.
bench-instr:
	@bash scripts/deps.sh bench
	@bash bench/instr.sh

# The RTP echo benchmark: concurrent G.711 echo calls, sipreplyd and SIPp -rtp_echo at the
# same load, the echo pinned to CPU 1 and the generator to CPU 0, both under chrt -f 20
# (docs/performance.md "RTP echo"); BENCH_LOCK=FILE holds flock FILE around each echo's run.
RTP_STREAMS ?= 500 1000 2000 2500
RTP_SECONDS ?= 20
bench-rtp: build
	@bash scripts/deps.sh bench
	@for n in $(RTP_STREAMS); do \
	  LOCK=$(BENCH_LOCK) bash bench/rtp_echo.sh $(BUILD)/sipreplyd $(BUILD)/rtp_load $$n $(RTP_SECONDS); \
	done

format:
	git ls-files --cached --others --exclude-standard '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(RELEASE_BUILD) build-fuzz build-bench
