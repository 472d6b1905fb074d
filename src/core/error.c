/* sipreply core: error names and descriptions.
 * Generated from SR_ERRNO_MAP so the enum and the strings cannot drift apart. */
#include <stddef.h>

#include "sipreply/error.h"

const char *sr_strerror(int code)
{
    switch (code) {
    case SR_OK: return "success";
#define SR_ERR_TEXT_(name, value, text) \
    case SR_##name: return text;
        SR_ERRNO_MAP(SR_ERR_TEXT_)
#undef SR_ERR_TEXT_
    default: return "unknown error";
    }
}

const char *sr_errname(int code)
{
    switch (code) {
    case SR_OK: return "OK";
#define SR_ERR_NAME_(name, value, text) \
    case SR_##name: return #name;
        SR_ERRNO_MAP(SR_ERR_NAME_)
#undef SR_ERR_NAME_
    default: return NULL;
    }
}

bool sr_error_is_known(int code)
{
    return sr_errname(code) != NULL;
}
