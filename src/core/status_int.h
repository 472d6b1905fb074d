/* sipreply core: the generated status-code tables (tools/gen_status builds them from data/).
 * Declarations shared between status.c and the generated status_table.c only. */
#ifndef SIPREPLY_STATUS_INT_H
#define SIPREPLY_STATUS_INT_H

#include <stddef.h>

#include "sipreply/status.h"

/* Registered codes (data/status-codes.tsv), ascending by code. */
extern const sr_status_info sr__status_table[];
extern const size_t sr__status_table_len;

/* Legacy and vendor codes (data/legacy-codes.tsv), ascending by code. */
extern const sr_status_info sr__status_legacy[];
extern const size_t sr__status_legacy_len;

#endif /* SIPREPLY_STATUS_INT_H */
