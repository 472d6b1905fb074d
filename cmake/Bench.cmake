# sipreply: the parse benchmark (bench/, issue #3), built only with -DSR_BENCH=ON in an optimised
# build and only when the peers' pkg-config modules (libosip2, sofia-sip-ua) are installed.
# The load generator (bench/loadgen.c, driven by bench/load.sh: docs/performance.md "sipreplyd
# under load") needs nothing but libsipreply. The bench build (SR_BENCH=ON) builds it; the test
# builds do too, so that it stays warning-free with gcc and clang (+ASan/UBSan) and its quick
# self-test (against its own null responder, 127.0.0.1 only, bounded) runs in `make test`.
if(SR_BENCH OR SR_BUILD_TESTS)
  add_executable(loadgen ${PROJECT_SOURCE_DIR}/bench/loadgen.c)
  # RTP streams against an echo (bench/rtp_echo.sh, docs/performance.md "RTP echo")
  add_executable(rtp_load ${PROJECT_SOURCE_DIR}/bench/rtp_load.c)
  sr_target_warnings(rtp_load APP)
  sr_target_sanitizers(rtp_load)
  target_link_libraries(loadgen PRIVATE sipreply_static)
  sr_target_warnings(loadgen APP)
  sr_target_sanitizers(loadgen)
  if(SR_BUILD_TESTS)
    add_test(NAME bench.loadgen_selftest COMMAND loadgen --selftest)
    set_tests_properties(bench.loadgen_selftest PROPERTIES TIMEOUT 120)
    # loadgen against sipreplyd: 200 calls per scenario, zero loss, ACKs absorbed (no timing).
    if(TARGET sipreplyd)
      add_test(NAME bench.load_smoke
               COMMAND bash ${PROJECT_SOURCE_DIR}/tests/load/smoke.sh
                       $<TARGET_FILE:sipreplyd> $<TARGET_FILE:loadgen>)
      set_tests_properties(bench.load_smoke PROPERTIES TIMEOUT 120)
    endif()
  endif()
endif()

option(SR_BENCH "Build bench/parse_bench (needs libosip2-dev, libsofia-sip-ua-dev)" OFF)

# bench/auth_bench (digest verify, challenge, REGISTER; no peers needed): any optimised build
# with SR_BENCH=ON.
if(SR_BENCH AND CMAKE_BUILD_TYPE MATCHES "^(Release|RelWithDebInfo)$")
  add_executable(auth_bench ${PROJECT_SOURCE_DIR}/bench/auth_bench.c)
  target_link_libraries(auth_bench PRIVATE sipreply_static)
  sr_target_warnings(auth_bench APP)
endif()

if(SR_BENCH)
  if(NOT CMAKE_BUILD_TYPE MATCHES "^(Release|RelWithDebInfo)$")
    message(WARNING "SR_BENCH: benchmarks need an optimised build "
                    "(CMAKE_BUILD_TYPE=Release or RelWithDebInfo); not building parse_bench")
    return()
  endif()
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(SR_OSIP IMPORTED_TARGET libosip2)
  pkg_check_modules(SR_SOFIA IMPORTED_TARGET sofia-sip-ua)
  if(NOT SR_OSIP_FOUND OR NOT SR_SOFIA_FOUND)
    message(WARNING "SR_BENCH: libosip2 or sofia-sip-ua not found (scripts/deps.sh bench); "
                    "not building parse_bench")
    return()
  endif()

  set(bench_sources ${PROJECT_SOURCE_DIR}/bench/parse_bench.c
                    ${PROJECT_SOURCE_DIR}/bench/engine_osip.c
                    ${PROJECT_SOURCE_DIR}/bench/engine_sofia.c)
  # The sipreply engine lights up once the parser (include/sipreply/parse.h with
  # sr_msg_parse) is in the tree; before that the bench measures the two peers only.
  set(bench_have_sipreply OFF)
  if(EXISTS ${PROJECT_SOURCE_DIR}/include/sipreply/parse.h)
    file(STRINGS ${PROJECT_SOURCE_DIR}/include/sipreply/parse.h bench_decl REGEX "sr_msg_parse\\(")
    if(bench_decl)
      set(bench_have_sipreply ON)
      list(APPEND bench_sources ${PROJECT_SOURCE_DIR}/bench/engine_sipreply.c)
    endif()
  endif()
  message(STATUS "SR_BENCH: parse_bench with osip ${SR_OSIP_VERSION}, sofia-sip "
                 "${SR_SOFIA_VERSION}, sipreply engine ${bench_have_sipreply}")

  add_executable(parse_bench ${bench_sources})
  target_link_libraries(parse_bench PRIVATE PkgConfig::SR_OSIP PkgConfig::SR_SOFIA)
  target_compile_definitions(parse_bench PRIVATE
    BENCH_OSIP_VERSION="${SR_OSIP_VERSION}" BENCH_SOFIA_VERSION="${SR_SOFIA_VERSION}")
  if(bench_have_sipreply)
    target_link_libraries(parse_bench PRIVATE sipreply_static)
    target_compile_definitions(parse_bench PRIVATE BENCH_HAVE_SIPREPLY=1)
  endif()
  sr_target_warnings(parse_bench APP)
endif()
