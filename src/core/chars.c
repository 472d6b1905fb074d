/* sipreply core: the character class table of RFC 3261 §25.1 (token, digit, LWS, CTL, host,
 * word). Generated once from the grammar; one lookup per byte in every parser loop. */
#include "core_int.h"

/* bits: 1 token, 2 digit, 4 SP/HTAB, 8 CTL, 16 host, 32 word, 64 CR/LF (see SR__C_* in core_int.h) */
const unsigned char sr__cc[256] = {
    8,  8,  8,  8,  8,  8,  8,  8,  8,  4,  72, 8,  8,  72, 8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
    8,  8,  8,  8,  8,  8,  8,  8,  4,  33, 32, 0,  0,  33, 0,  33, 32, 32, 33, 33, 0,  49, 49, 32,
    51, 51, 51, 51, 51, 51, 51, 51, 51, 51, 48, 0,  32, 0,  32, 32, 0,  49, 49, 49, 49, 49, 49, 49,
    49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 48, 32, 48, 0,  49,
    33, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49,
    49, 49, 49, 32, 0,  32, 33, 8,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
};

int sr__perr(sr_parse_error *err, int code, size_t offset, int hdr, const char *phrase)
{
    if (err) {
        err->code = code;
        err->offset = offset;
        err->hdr = hdr;
        err->phrase = phrase;
    }
    return code;
}
