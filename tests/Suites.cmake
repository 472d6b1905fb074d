# Further test suites, included by tests/CMakeLists.txt.

# The status-table generator rejects malformed TSV files with a line number.
add_test(NAME gen.status_tsv
         COMMAND bash ${PROJECT_SOURCE_DIR}/tests/gen/check_gen.sh
                 $<TARGET_FILE:sr_gen_status> ${PROJECT_SOURCE_DIR})
