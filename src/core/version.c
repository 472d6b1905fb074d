/* sipreply core: the linked library's version.
 * Lets a program compare SR_VERSION_STRING (compile time) with the library it runs on. */
#include "sipreply/version.h"

const char *sr_version(void)
{
    return SR_VERSION_STRING;
}
