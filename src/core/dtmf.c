/* DTMF keys gathered into sequences and matched against key patterns (an IVR's menu), with an
 * inter-digit timeout, in simulated time; and the key of a SIP INFO body (application/
 * dtmf-relay, application/dtmf). */
#include "sipreply/dtmf.h"

#include <string.h>

char sr_dtmf_key_norm(char c)
{
    if ((c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D'))
        return c;
    if (c >= 'a' && c <= 'd')
        return (char)(c - 'a' + 'A');
    return 0;
}

bool sr_dtmf_pattern_valid(const char *pattern)
{
    if (!pattern)
        return false;
    size_t n = strlen(pattern);
    if (n == 0 || n > SR_DTMF_MAX_KEYS)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!sr_dtmf_key_norm(pattern[i]) && pattern[i] != 'x' && pattern[i] != 'X')
            return false;
    return true;
}

static bool key_fits(char p, char k)
{
    if (p == 'x' || p == 'X')
        return k >= '0' && k <= '9';
    return sr_dtmf_key_norm(p) == k;
}

sr_dtmf_fit sr_dtmf_pattern_fit(const char *pattern, const char *keys, size_t n)
{
    size_t pl = pattern ? strlen(pattern) : 0;
    if (n > pl || pl == 0)
        return SR_DTMF_FIT_NONE;
    for (size_t i = 0; i < n; i++)
        if (!key_fits(pattern[i], keys[i]))
            return SR_DTMF_FIT_NONE;
    return n == pl ? SR_DTMF_FIT_FULL : SR_DTMF_FIT_PREFIX;
}

void sr_dtmf_init(sr_dtmf *d, size_t max_keys, uint32_t timeout_ms)
{
    memset(d, 0, sizeof(*d));
    d->max_keys = max_keys < 1 ? 1 : max_keys > SR_DTMF_MAX_KEYS ? SR_DTMF_MAX_KEYS : max_keys;
    d->timeout_ms = timeout_ms ? timeout_ms : 1;
    d->deadline = UINT64_MAX;
}

/* the first pattern keys[0..n) fit whole, -1: none; *longer: one they begin */
static int first_full(const char *const *patterns, size_t np, const char *keys, size_t n,
                      bool *longer)
{
    int full = -1;
    if (longer)
        *longer = false;
    for (size_t i = 0; i < np; i++) {
        sr_dtmf_fit f = sr_dtmf_pattern_fit(patterns[i], keys, n);
        if (f == SR_DTMF_FIT_FULL && full < 0)
            full = (int)i;
        else if (f == SR_DTMF_FIT_PREFIX && longer)
            *longer = true;
    }
    return full;
}

/* the sequence ends with pattern @p match (-1: none): reported, the keys cleared */
static void finish(sr_dtmf *d, int match, sr_dtmf_result *r)
{
    r->done = true;
    r->match = match;
    memcpy(r->keys, d->keys, d->len + 1);
    d->len = 0;
    d->keys[0] = '\0';
    d->deadline = UINT64_MAX;
}

void sr_dtmf_key(sr_dtmf *d, char key, const char *const *patterns, size_t n, uint64_t now_ms,
                 sr_dtmf_result *r)
{
    memset(r, 0, sizeof(*r));
    r->match = -1;
    char k = sr_dtmf_key_norm(key);
    if (!k)
        return;
    if (d->len >= d->max_keys) /* not reached: a full sequence ends at once */
        d->len = 0;
    d->keys[d->len++] = k;
    d->keys[d->len] = '\0';
    bool longer = false;
    int full = first_full(patterns, n, d->keys, d->len, &longer);
    if (k == '#') {
        /* '#' ends the entry: with it, or as its terminator */
        if (full < 0)
            full = first_full(patterns, n, d->keys, d->len - 1, NULL);
        finish(d, full, r);
    } else if ((full >= 0 && !longer) || (full < 0 && !longer) || d->len >= d->max_keys) {
        finish(d, full, r);
    } else {
        d->deadline = now_ms + d->timeout_ms;
    }
}

void sr_dtmf_timer(sr_dtmf *d, const char *const *patterns, size_t n, uint64_t now_ms,
                   sr_dtmf_result *r)
{
    memset(r, 0, sizeof(*r));
    r->match = -1;
    if (d->len == 0 || now_ms < d->deadline)
        return;
    finish(d, first_full(patterns, n, d->keys, d->len, NULL), r);
}

/* ------------------------------------------------------------------ SIP INFO bodies */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static bool ieq(const char *a, size_t n, const char *b)
{
    if (strlen(b) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

/* a Signal value: one key, or an event number 0-15 (RFC 4733 §3.2) */
static char signal_key(const char *v, size_t n)
{
    while (n && is_ws(v[0]))
        v++, n--;
    while (n && (is_ws(v[n - 1]) || v[n - 1] == '\r' || v[n - 1] == '\n'))
        n--;
    if (n == 1)
        return sr_dtmf_key_norm(v[0]);
    if (n == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5')
        return "*#ABCD"[v[1] - '0'];
    return 0;
}

static uint32_t duration_of(const char *v, size_t n)
{
    uint32_t d = 0;
    size_t i = 0;
    while (i < n && is_ws(v[i]))
        i++;
    for (; i < n && v[i] >= '0' && v[i] <= '9'; i++)
        d = d > 100000000u ? d : d * 10u + (uint32_t)(v[i] - '0');
    return d;
}

int sr_dtmf_info_parse(const char *type, size_t type_len, const char *body, size_t len, char *key,
                       uint32_t *duration_ms)
{
    if (!type || !key || (!body && len))
        return SR_EINVAL;
    size_t tl = 0;
    while (tl < type_len && type[tl] != ';' && !is_ws(type[tl]))
        tl++;
    bool relay = ieq(type, tl, "application/dtmf-relay");
    if (!relay && !ieq(type, tl, "application/dtmf"))
        return SR_ENOTFOUND;
    uint32_t dur = 0;
    char k = 0;
    if (!relay) {
        k = signal_key(body, len);
    } else {
        size_t i = 0;
        while (i < len) {
            size_t e = i;
            while (e < len && body[e] != '\n')
                e++;
            const char *ln = body + i;
            size_t n = e - i, eq = 0;
            while (eq < n && ln[eq] != '=')
                eq++;
            size_t nl = eq;
            while (nl && is_ws(ln[nl - 1]))
                nl--;
            size_t s = 0;
            while (s < nl && is_ws(ln[s]))
                s++;
            if (eq < n && ieq(ln + s, nl - s, "signal"))
                k = signal_key(ln + eq + 1, n - eq - 1);
            else if (eq < n && ieq(ln + s, nl - s, "duration"))
                dur = duration_of(ln + eq + 1, n - eq - 1);
            i = e + 1;
        }
    }
    if (!k)
        return SR_EBADMSG;
    *key = k;
    if (duration_ms)
        *duration_ms = dur;
    return 0;
}
