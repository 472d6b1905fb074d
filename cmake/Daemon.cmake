# sipreplyd: the rule engine (src/daemon, sans-I/O, unit-tested) and the executable with the
# network shell (src/net). YAML configuration through libyaml (docs/dependencies.md).
find_package(PkgConfig REQUIRED)
pkg_check_modules(SR_YAML REQUIRED IMPORTED_TARGET yaml-0.1)
# DNS for the network shell (RFC 3263 server location, src/net/resolve.c): c-ares
pkg_check_modules(SR_CARES REQUIRED IMPORTED_TARGET libcares)

add_library(sipreplyd_engine STATIC
  ${PROJECT_SOURCE_DIR}/src/daemon/config.c
  ${PROJECT_SOURCE_DIR}/src/daemon/config_check.c
  ${PROJECT_SOURCE_DIR}/src/daemon/config_forward.c
  ${PROJECT_SOURCE_DIR}/src/daemon/config_media.c
  ${PROJECT_SOURCE_DIR}/src/daemon/config_dtmf.c
  ${PROJECT_SOURCE_DIR}/src/daemon/config_register.c
  ${PROJECT_SOURCE_DIR}/src/daemon/config_yaml.c
  ${PROJECT_SOURCE_DIR}/src/daemon/default_config.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_badreq.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_forward.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_forward_rw.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_media.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_dtmf.c
  ${PROJECT_SOURCE_DIR}/src/daemon/media_file.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_forward_set.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_metrics.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_register.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_respond.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_sdp.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_dialog.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_rules.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_sched.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_seq.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_stateless.c
  ${PROJECT_SOURCE_DIR}/src/daemon/auth_glue.c
  ${PROJECT_SOURCE_DIR}/src/daemon/pool.c
  ${PROJECT_SOURCE_DIR}/src/daemon/regsched.c)
target_include_directories(sipreplyd_engine PUBLIC ${PROJECT_SOURCE_DIR}/src/daemon)
# WAV files of the media `file` mode (src/daemon/media_file.c): libsndfile
pkg_check_modules(SR_SNDFILE REQUIRED IMPORTED_TARGET sndfile)
target_link_libraries(sipreplyd_engine PUBLIC sipreply_static PkgConfig::SR_YAML PRIVATE
                      PkgConfig::SR_SNDFILE m)
target_compile_definitions(sipreplyd_engine PRIVATE _GNU_SOURCE)
sr_target_warnings(sipreplyd_engine APP)
sr_target_sanitizers(sipreplyd_engine)

# The network shell: a library any program drives through its handler table (net.h); it
# links the core only. src/daemon/main.c is the one file that knows the shell and the engine.
add_library(sipreply_net STATIC
  ${PROJECT_SOURCE_DIR}/src/net/loop.c
  ${PROJECT_SOURCE_DIR}/src/net/addr.c
  ${PROJECT_SOURCE_DIR}/src/net/udp.c
  ${PROJECT_SOURCE_DIR}/src/net/hold.c
  ${PROJECT_SOURCE_DIR}/src/net/reflect.c
  ${PROJECT_SOURCE_DIR}/src/net/tcp.c
  ${PROJECT_SOURCE_DIR}/src/net/http.c
  ${PROJECT_SOURCE_DIR}/src/net/resolve.c
  ${PROJECT_SOURCE_DIR}/src/net/resolve_order.c
  ${PROJECT_SOURCE_DIR}/src/net/send_dns.c
  ${PROJECT_SOURCE_DIR}/src/net/media.c
  ${PROJECT_SOURCE_DIR}/src/net/media_tx.c)
target_include_directories(sipreply_net PUBLIC ${PROJECT_SOURCE_DIR}/src/net)
target_link_libraries(sipreply_net PUBLIC sipreply_static PRIVATE PkgConfig::SR_CARES)
# The media sends of a loop turn in one system call (src/net/media_tx.c): liburing; without
# it every send is a sendto of its own
pkg_check_modules(SR_URING IMPORTED_TARGET liburing)
if(SR_URING_FOUND)
  target_link_libraries(sipreply_net PRIVATE PkgConfig::SR_URING)
  target_compile_definitions(sipreply_net PRIVATE SN_HAVE_URING)
else()
  message(STATUS "liburing not found: media sends are one sendto each (scripts/deps.sh build)")
endif()
sr_target_warnings(sipreply_net APP)
sr_target_sanitizers(sipreply_net)

# sipreply resolve (src/cli/resolve.c) runs the shell's loop and resolver
target_link_libraries(sipreply_cli PRIVATE sipreply_net m)

add_executable(sipreplyd ${PROJECT_SOURCE_DIR}/src/daemon/main.c
  ${PROJECT_SOURCE_DIR}/src/daemon/usage.c)
target_link_libraries(sipreplyd PRIVATE sipreplyd_engine sipreply_net)
sr_target_warnings(sipreplyd APP)
sr_target_sanitizers(sipreplyd)
install(TARGETS sipreplyd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})

# fuzz/fuzz_config.c and fuzz/fuzz_engine.c link the engine (cmake/Fuzz.cmake reads these).
set(SR_FUZZ_LIBS_config sipreplyd_engine)
set(SR_FUZZ_LIBS_engine sipreplyd_engine)
# fuzz/fuzz_dns_answer.c: c-ares's parse of a hostile answer, then the shell's ordering
set(SR_FUZZ_LIBS_dns_answer sipreply_net PkgConfig::SR_CARES)
if(SR_FUZZ)
  target_compile_options(sipreply_net PRIVATE -fsanitize=fuzzer-no-link) # coverage for libFuzzer
endif()
