# The network shell (src/net) driven by a fake handler: linked with the shell and the core
# only, never the daemon's engine (tests/net/test_*.c).
if(TARGET sipreply_net)
  find_package(Threads REQUIRED)
  file(GLOB SN_UNIT_TESTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/net/test_*.c)
  foreach(src ${SN_UNIT_TESTS})
    get_filename_component(name ${src} NAME_WE)
    add_executable(sn_${name} ${src})
    target_link_libraries(sn_${name} PRIVATE sipreply_net PkgConfig::CMOCKA Threads::Threads)
    sr_target_warnings(sn_${name} APP)
    sr_target_sanitizers(sn_${name})
    add_test(NAME net.${name} COMMAND sn_${name})
    set_tests_properties(net.${name} PROPERTIES TIMEOUT 120)
  endforeach()
endif()

# The RFC 3263 resolver against a real DNS server: dns_test.sh runs dnsmasq in a private
# network namespace and the program against it (docs/dns.md).
if(TARGET sipreply_net)
  add_executable(sn_dns_resolve ${PROJECT_SOURCE_DIR}/tests/net/dns_resolve.c)
  target_link_libraries(sn_dns_resolve PRIVATE sipreply_net PkgConfig::CMOCKA)
  sr_target_warnings(sn_dns_resolve APP)
  sr_target_sanitizers(sn_dns_resolve)
  add_test(NAME net.dns COMMAND ${PROJECT_SOURCE_DIR}/tests/net/dns_test.sh
                                $<TARGET_FILE:sn_dns_resolve>)
  set_tests_properties(net.dns PROPERTIES TIMEOUT 120)
endif()
