# sipreply fuzzing: for each fuzz/fuzz_<name>.c, a replay_<name> executable (any compiler;
# sanitizers when SR_SANITIZE is set) and, with SR_FUZZ=ON (clang), a libFuzzer fuzz_<name>.
file(GLOB SR_FUZZ_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/fuzz/fuzz_*.c)

set(SR_FUZZ_FLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
                  -fno-omit-frame-pointer)
if(SR_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SR_FUZZ=ON needs clang (-DCMAKE_C_COMPILER=clang)")
  endif()
  # Coverage instrumentation for the library itself, so libFuzzer sees inside the parsers.
  target_compile_options(sipreply_obj PRIVATE -fsanitize=fuzzer-no-link)
endif()

foreach(src ${SR_FUZZ_SOURCES})
  get_filename_component(base ${src} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" name ${base})

  add_executable(replay_${name} ${src} ${PROJECT_SOURCE_DIR}/fuzz/replay_main.c)
  target_link_libraries(replay_${name} PRIVATE sipreply_static)
  # targets of the daemon's parsers name their library in SR_FUZZ_LIBS_<name> (cmake/Daemon.cmake)
  if(DEFINED SR_FUZZ_LIBS_${name})
    target_link_libraries(replay_${name} PRIVATE ${SR_FUZZ_LIBS_${name}})
  endif()
  sr_target_warnings(replay_${name} APP)
  sr_target_sanitizers(replay_${name})

  if(SR_FUZZ)
    add_executable(fuzz_${name} ${src})
    target_link_libraries(fuzz_${name} PRIVATE sipreply_static ${SR_FUZZ_LIBS_${name}})
    target_compile_options(fuzz_${name} PRIVATE ${SR_FUZZ_FLAGS})
    target_link_options(fuzz_${name} PRIVATE ${SR_FUZZ_FLAGS})
    sr_target_warnings(fuzz_${name} APP)
  endif()
endforeach()
