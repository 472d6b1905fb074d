# sipreplyd tests: cmocka unit tests of the engine (tests/daemon/test_*.c, linked with the
# engine library) and the daemon's integration scripts (tests/daemon/test_*.sh, given the
# daemon's path, the source dir and the build dir).
if(TARGET sipreplyd_engine)
  file(GLOB SD_UNIT_TESTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/daemon/test_*.c)
  foreach(src ${SD_UNIT_TESTS})
    get_filename_component(name ${src} NAME_WE)
    add_executable(sd_${name} ${src})
    target_link_libraries(sd_${name} PRIVATE sipreplyd_engine PkgConfig::CMOCKA)
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

# sipreply probe against the dial-a-code daemon (tests/daemon/probe_test.sh)
if(TARGET sipreplyd AND TARGET sipreply_cli)
  add_test(NAME daemon.probe
           COMMAND bash ${PROJECT_SOURCE_DIR}/tests/daemon/probe_test.sh
                   $<TARGET_FILE:sipreplyd> ${PROJECT_SOURCE_DIR} $<TARGET_FILE:sipreply_cli>)
  set_tests_properties(daemon.probe PROPERTIES TIMEOUT 600)
endif()

# sipreply probe resolving names with RFC 3263, against dnsmasq in a private network namespace
if(TARGET sipreplyd AND TARGET sipreply_cli)
  add_test(NAME daemon.probe_dns
           COMMAND ${PROJECT_SOURCE_DIR}/tests/net/dns_test.sh
                   ${PROJECT_SOURCE_DIR}/tests/daemon/probe_dns.sh
                   $<TARGET_FILE:sipreplyd> ${PROJECT_SOURCE_DIR} $<TARGET_FILE:sipreply_cli>)
  set_tests_properties(daemon.probe_dns PROPERTIES TIMEOUT 120)
endif()

# sipreply probe: DNS SRV failover (RFC 3263 §4.3) between two sipreplyd, dnsmasq serving
# their ports as SRV records, all in a private network namespace (tests/daemon/probe_srv.sh)
if(TARGET sipreplyd AND TARGET sipreply_cli)
  add_test(NAME daemon.probe_srv
           COMMAND bash ${PROJECT_SOURCE_DIR}/tests/daemon/probe_srv.sh
                   $<TARGET_FILE:sipreplyd> ${PROJECT_SOURCE_DIR} $<TARGET_FILE:sipreply_cli>)
  set_tests_properties(daemon.probe_srv PROPERTIES TIMEOUT 600)
endif()

# sipreply probe: NXDOMAIN, TCP refused, UDP port unreachable and a timeout each end with one
# line naming what failed and the documented exit status (tests/daemon/probe_errors.sh)
if(TARGET sipreplyd AND TARGET sipreply_cli)
  add_test(NAME daemon.probe_errors
           COMMAND bash ${PROJECT_SOURCE_DIR}/tests/daemon/probe_errors.sh
                   $<TARGET_FILE:sipreplyd> ${PROJECT_SOURCE_DIR} $<TARGET_FILE:sipreply_cli>)
  set_tests_properties(daemon.probe_errors PROPERTIES TIMEOUT 600)
endif()
