/* sipreplyd --help (usage.c) */
#ifndef SIPREPLYD_USAGE_H
#define SIPREPLYD_USAGE_H

#include <stdio.h>

/** Print sipreplyd's usage: its options and the signals it takes. */
void sd_usage(FILE *out);

#endif
