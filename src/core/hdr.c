/* sipreply core: header names, compact forms and method names.
 * RFC 3261 §7.3.3 (compact forms), §20 (header fields), §7.1 and §27.4 (methods). */
#include <stdint.h>
#include <string.h>

#include "sipreply/msg.h"

#include "core_int.h"
#define SR__HDR_HASH_TABLES /* the generated tables are defined here, once */
#include "hdr_int.h"

const sr__hdr_info sr__hdr_table[SR_HDR__COUNT] = {[SR_HDR_NONE] = {NULL, 0, 0, 0},
                                                   [SR_HDR_OTHER] = {NULL, 0, 0, 0},
#define SR_HDR_INFO_(id, nm, c, fl) [SR_HDR_##id] = {nm, sizeof(nm) - 1, c, fl},
                                                   SR_HDR_MAP(SR_HDR_INFO_)
#undef SR_HDR_INFO_
};

const char *sr_hdr_name(enum sr_hdr_id id)
{
    if ((unsigned)id >= SR_HDR__COUNT)
        return NULL;
    return sr__hdr_table[id].name;
}

char sr_hdr_compact(enum sr_hdr_id id)
{
    if ((unsigned)id >= SR_HDR__COUNT)
        return 0;
    return sr__hdr_table[id].compact;
}

unsigned sr_hdr_flags(enum sr_hdr_id id)
{
    if ((unsigned)id >= SR_HDR__COUNT)
        return 0;
    return sr__hdr_table[id].flags;
}

enum sr_hdr_id sr_hdr_lookup(sr_str name)
{
    return name.p ? sr__hdr_lookup_inline(name.p, name.len, false) : SR_HDR_OTHER;
}

static const char *const method_names[SR_METHOD__COUNT] = {
    [SR_METHOD_OTHER] = NULL,
    [SR_METHOD_INVITE] = "INVITE",
    [SR_METHOD_ACK] = "ACK",
    [SR_METHOD_BYE] = "BYE",
    [SR_METHOD_CANCEL] = "CANCEL",
    [SR_METHOD_OPTIONS] = "OPTIONS",
    [SR_METHOD_REGISTER] = "REGISTER",
    [SR_METHOD_PRACK] = "PRACK",
    [SR_METHOD_SUBSCRIBE] = "SUBSCRIBE",
    [SR_METHOD_NOTIFY] = "NOTIFY",
    [SR_METHOD_PUBLISH] = "PUBLISH",
    [SR_METHOD_INFO] = "INFO",
    [SR_METHOD_REFER] = "REFER",
    [SR_METHOD_MESSAGE] = "MESSAGE",
    [SR_METHOD_UPDATE] = "UPDATE",
};

const char *sr_method_name(sr_method m)
{
    if ((unsigned)m >= SR_METHOD__COUNT)
        return NULL;
    return method_names[m];
}

static sr_method method_if(sr_str tok, sr_method m)
{
    const char *n = method_names[m];
    return memcmp(tok.p, n, tok.len) == 0 ? m : SR_METHOD_OTHER;
}

sr_method sr_method_from_str(sr_str tok)
{
    /* RFC 3261 §7.1: method names are case-sensitive. Switch on length then first byte. */
    if (tok.len < 3 || tok.len > 9 || !tok.p)
        return SR_METHOD_OTHER;
    switch (tok.len) {
    case 3:
        if (tok.p[0] == 'A')
            return method_if(tok, SR_METHOD_ACK);
        return method_if(tok, SR_METHOD_BYE);
    case 4: return method_if(tok, SR_METHOD_INFO);
    case 5:
        if (tok.p[0] == 'P')
            return method_if(tok, SR_METHOD_PRACK);
        return method_if(tok, SR_METHOD_REFER);
    case 6:
        switch (tok.p[0]) {
        case 'I': return method_if(tok, SR_METHOD_INVITE);
        case 'C': return method_if(tok, SR_METHOD_CANCEL);
        case 'N': return method_if(tok, SR_METHOD_NOTIFY);
        case 'U': return method_if(tok, SR_METHOD_UPDATE);
        default: return SR_METHOD_OTHER;
        }
    case 7:
        switch (tok.p[0]) {
        case 'O': return method_if(tok, SR_METHOD_OPTIONS);
        case 'P': return method_if(tok, SR_METHOD_PUBLISH);
        case 'M': return method_if(tok, SR_METHOD_MESSAGE);
        default: return SR_METHOD_OTHER;
        }
    case 8: return method_if(tok, SR_METHOD_REGISTER);
    case 9: return method_if(tok, SR_METHOD_SUBSCRIBE);
    default: return SR_METHOD_OTHER;
    }
}
