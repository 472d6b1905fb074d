# sipreplyd tests: cmocka unit tests of the engine (tests/daemon/test_*.c, linked with the
# engine library and the harness they share) and the daemon's integration scripts
# (tests/daemon/test_*.sh, given the daemon's path, the source dir and the build dir).
if(TARGET sipreplyd_engine)
  # The harness the engine tests share (engine_harness.h), and the counting, failing allocator
  # of the unit tests (testutil.h).
  add_library(sd_engine_harness STATIC ${PROJECT_SOURCE_DIR}/tests/daemon/engine_harness.c)
  target_include_directories(sd_engine_harness PUBLIC ${PROJECT_SOURCE_DIR}/tests/daemon)
  target_link_libraries(sd_engine_harness PUBLIC sipreplyd_engine sr_testutil PkgConfig::CMOCKA)
  target_compile_definitions(sd_engine_harness PRIVATE _GNU_SOURCE)
  sr_target_warnings(sd_engine_harness APP)
  sr_target_sanitizers(sd_engine_harness)
  file(GLOB SD_UNIT_TESTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/daemon/test_*.c)
  foreach(src ${SD_UNIT_TESTS})
    get_filename_component(name ${src} NAME_WE)
    add_executable(sd_${name} ${src})
    target_link_libraries(sd_${name} PRIVATE sd_engine_harness sipreplyd_engine PkgConfig::CMOCKA)
    target_compile_definitions(sd_${name} PRIVATE _GNU_SOURCE
      SD_EXAMPLES_DIR="${PROJECT_SOURCE_DIR}/examples")
    sr_target_warnings(sd_${name} APP)
    sr_target_sanitizers(sd_${name})
    add_test(NAME daemon.${name} COMMAND sd_${name})
    set_tests_properties(daemon.${name} PROPERTIES TIMEOUT 120)
  endforeach()
  file(GLOB SD_SH_TESTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/daemon/test_*.sh)
  foreach(script ${SD_SH_TESTS})
    get_filename_component(name ${script} NAME_WE)
    add_test(NAME daemon.${name}
             COMMAND bash ${script} $<TARGET_FILE:sipreplyd> ${PROJECT_SOURCE_DIR})
    set_tests_properties(daemon.${name} PROPERTIES TIMEOUT 600)
  endforeach()
endif()

# sipreply probe against sipreplyd: each script is given the daemon, the source dir and the CLI
# (a wrapper first when the script runs in dnsmasq's private network namespace).
#   probe_test.sh   the dial-a-code daemon: every registry code, exit statuses, --json
#   probe_dns.sh    names resolved by RFC 3263 against dnsmasq (through tests/net/dns_test.sh)
#   probe_srv.sh    DNS SRV failover (RFC 3263 §4.3) between two sipreplyd, dnsmasq serving
#                   their ports as SRV records, all in a private network namespace
#   probe_errors.sh NXDOMAIN, TCP refused, UDP port unreachable and a timeout: one line naming
#                   what failed and the documented exit status each
if(TARGET sipreplyd AND TARGET sipreply_cli)
  function(sd_probe_test name script timeout)
    add_test(NAME daemon.${name}
             COMMAND ${ARGN} ${PROJECT_SOURCE_DIR}/tests/daemon/${script}
                     $<TARGET_FILE:sipreplyd> ${PROJECT_SOURCE_DIR} $<TARGET_FILE:sipreply_cli>)
    set_tests_properties(daemon.${name} PROPERTIES TIMEOUT ${timeout})
  endfunction()
  sd_probe_test(probe probe_test.sh 600 bash)
  sd_probe_test(probe_dns probe_dns.sh 120 ${PROJECT_SOURCE_DIR}/tests/net/dns_test.sh)
  sd_probe_test(probe_srv probe_srv.sh 600 bash)
  sd_probe_test(probe_errors probe_errors.sh 600 bash)
  # registrations: the registrar located by DNS SRV (dnsmasq), failover on its 503
  sd_probe_test(register_srv register_srv.sh 600 bash)
endif()
