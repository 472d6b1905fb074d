/* sipreply CLI: printing status-code registry entries for `explain`, `codes` and `tour`.
 * Terminal layout (wrapped text) and the JSON objects of --json. */
#ifndef SIPREPLY_CLI_STATUS_OUT_H
#define SIPREPLY_CLI_STATUS_OUT_H

#include <stdio.h>

#include "sipreply/status.h"

#include "json.h"

/* Width of wrapped text in the terminal layout. */
#define SO_WIDTH 78

/* Print @p text wrapped at SO_WIDTH, every line indented by @p indent spaces. */
void so_wrap(FILE *out, const char *text, int indent);

/* A registered or legacy entry, laid out for a terminal. */
void so_print_info(FILE *out, const sr_status_info *info);

/* An unregistered code in 100-699, explained through its class. */
void so_print_unregistered(FILE *out, int code);

/* A class (4xx): what it means, its fallback and its registered codes. */
void so_print_class(FILE *out, const sr_status_class_info *ci);

/* The JSON object of an entry (registered or legacy). */
void so_json_info(jw *w, const sr_status_info *info);

/* The JSON object of an unregistered code in 100-699. */
void so_json_unregistered(jw *w, int code);

/* The JSON object of a class. */
void so_json_class(jw *w, const sr_status_class_info *ci);

#endif /* SIPREPLY_CLI_STATUS_OUT_H */
