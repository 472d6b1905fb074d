# Further test suites, included by tests/CMakeLists.txt.

# The status-table generator rejects malformed TSV files with a line number.
add_test(NAME gen.status_tsv
         COMMAND bash ${PROJECT_SOURCE_DIR}/tests/gen/check_gen.sh
                 $<TARGET_FILE:sr_gen_status> ${PROJECT_SOURCE_DIR})

# sipreply test suites beyond unit/CLI: fuzz corpus replay (one CTest test per fuzz target).
# fuzz.<name> runs replay_<name> (built by cmake/Fuzz.cmake) over fuzz/corpus/<name>/; in
# build-asan that is every corpus under ASan + UBSan. A target without a corpus fails.
file(GLOB SR_FUZZ_TARGET_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/fuzz/fuzz_*.c)
foreach(src ${SR_FUZZ_TARGET_SOURCES})
  get_filename_component(base ${src} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" name ${base})
  add_test(NAME fuzz.${name}
           COMMAND replay_${name} ${PROJECT_SOURCE_DIR}/fuzz/corpus/${name})
  set_tests_properties(fuzz.${name} PROPERTIES TIMEOUT 300)
endforeach()

# sipreplyd: engine unit tests and daemon integration tests (tests/daemon/tests.cmake).
include(${PROJECT_SOURCE_DIR}/tests/daemon/tests.cmake OPTIONAL)

# test_hash cross-checks the core's MD5, SHA-256 and HMAC-SHA-256 against OpenSSL on random
# inputs (libssl-dev, test profile of scripts/deps.sh). OpenSSL is never linked into the library.
find_package(OpenSSL COMPONENTS Crypto)
if(OPENSSL_FOUND AND TARGET test_hash)
  target_link_libraries(test_hash PRIVATE OpenSSL::Crypto)
  target_compile_definitions(test_hash PRIVATE SR_TEST_OPENSSL)
endif()

# sipreplyd interop suite: SIPp, tshark, torture (tests/interop/Interop.cmake)
include(${PROJECT_SOURCE_DIR}/tests/interop/Interop.cmake)
include(${PROJECT_SOURCE_DIR}/tests/analyze/Analyze.cmake)

# The network shell with a fake handler, no daemon linked (tests/net/tests.cmake).
include(${PROJECT_SOURCE_DIR}/tests/net/tests.cmake OPTIONAL)
