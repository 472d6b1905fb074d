# sipreplyd: the rule engine (src/daemon, sans-I/O, unit-tested) and the executable with the
# network shell (src/net). YAML configuration through libyaml (docs/dependencies.md).
find_package(PkgConfig REQUIRED)
pkg_check_modules(SR_YAML REQUIRED IMPORTED_TARGET yaml-0.1)

add_library(sipreplyd_engine STATIC
  ${PROJECT_SOURCE_DIR}/src/daemon/config.c
  ${PROJECT_SOURCE_DIR}/src/daemon/config_check.c
  ${PROJECT_SOURCE_DIR}/src/daemon/config_yaml.c
  ${PROJECT_SOURCE_DIR}/src/daemon/default_config.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_badreq.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_metrics.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_respond.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_retx.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_rules.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_sched.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_seq.c
  ${PROJECT_SOURCE_DIR}/src/daemon/engine_stateless.c
  ${PROJECT_SOURCE_DIR}/src/daemon/auth_glue.c
  ${PROJECT_SOURCE_DIR}/src/daemon/pool.c)
target_include_directories(sipreplyd_engine PUBLIC ${PROJECT_SOURCE_DIR}/src/daemon)
target_link_libraries(sipreplyd_engine PUBLIC sipreply_static PkgConfig::SR_YAML)
target_compile_definitions(sipreplyd_engine PRIVATE _GNU_SOURCE)
sr_target_warnings(sipreplyd_engine APP)
sr_target_sanitizers(sipreplyd_engine)

add_executable(sipreplyd ${PROJECT_SOURCE_DIR}/src/daemon/main.c
                         ${PROJECT_SOURCE_DIR}/src/net/loop.c)
target_link_libraries(sipreplyd PRIVATE sipreplyd_engine)
sr_target_warnings(sipreplyd APP)
sr_target_sanitizers(sipreplyd)
install(TARGETS sipreplyd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})

# fuzz/fuzz_config.c and fuzz/fuzz_engine.c link the engine (cmake/Fuzz.cmake reads these).
set(SR_FUZZ_LIBS_config sipreplyd_engine)
set(SR_FUZZ_LIBS_engine sipreplyd_engine)
