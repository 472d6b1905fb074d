/* sipreplyd fuzz target: the YAML configuration loader (sd_config_parse) on arbitrary text.
 * A parse either fails with an error message and a position, or yields a configuration whose
 * rules all have actions; everything is freed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sd_config *cf = NULL;
    sd_config_error err;
    if (sd_config_parse(&cf, (const char *)data, size, &err) != 0) {
        if (err.msg[0] == '\0' || strlen(err.msg) >= sizeof(err.msg))
            abort();
        return 0;
    }
    for (size_t i = 0; i < cf->n_rules; i++)
        if (cf->rules[i].n_actions == 0 || cf->rules[i].name == NULL)
            abort();
    if (cf->fallback.n_actions == 0)
        abort();
    sd_config_free(cf);
    return 0;
}
