# Generated sources: the status-code tables are built from data/*.tsv at build time by a
# small host program (no python needed). A malformed TSV fails the build with a line number.
add_executable(sr_gen_status ${PROJECT_SOURCE_DIR}/tools/gen_status.c)
sr_target_warnings(sr_gen_status APP)

set(SR_STATUS_TSV ${PROJECT_SOURCE_DIR}/data/status-codes.tsv)
set(SR_LEGACY_TSV ${PROJECT_SOURCE_DIR}/data/legacy-codes.tsv)
set(SR_STATUS_TABLE_C ${PROJECT_BINARY_DIR}/gen/status_table.c)
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/gen)
add_custom_command(
  OUTPUT ${SR_STATUS_TABLE_C}
  COMMAND sr_gen_status ${SR_STATUS_TSV} ${SR_LEGACY_TSV} ${SR_STATUS_TABLE_C}
  DEPENDS sr_gen_status ${SR_STATUS_TSV} ${SR_LEGACY_TSV}
  COMMENT "Generating status_table.c from data/status-codes.tsv and data/legacy-codes.tsv"
  VERBATIM)
list(APPEND SR_GENERATED_SOURCES ${SR_STATUS_TABLE_C})
