# sipreply: the transaction-matching micro-benchmark (bench/txn_bench.c). It needs nothing but
# the library, so it is always built (and so compiled warning-free by gcc and clang); it is
# never run by the tests. Run it from an optimised build: build/txn_bench (docs/performance.md).
add_executable(txn_bench ${PROJECT_SOURCE_DIR}/bench/txn_bench.c)
target_link_libraries(txn_bench PRIVATE sipreply_static)
sr_target_warnings(txn_bench APP)
sr_target_sanitizers(txn_bench)
