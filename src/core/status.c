/* sipreply core: status-code registry look-ups over the generated tables.
 * Classes and fallback (RFC 3261 §7.2, §8.1.3.2, §21), phrase matching, class semantics. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sipreply/error.h"
#include "sipreply/status.h"

#include "core_int.h"
#include "status_int.h"

static const sr_status_class_info class_table[] = {
    {SR_STATUS_PROVISIONAL, "1xx", "provisional", "Provisional", false, 183,
     "The request was received and is being processed; a final response will follow. "
     "Provisional responses are never acknowledged (except reliably, with PRACK, RFC 3262), "
     "and those with a To tag to an INVITE create an early dialog.",
     "Keep waiting for the final response. An unknown 1xx other than 100 is treated as 183 "
     "Session Progress (RFC 3261 §8.1.3.2)."},
    {SR_STATUS_SUCCESS, "2xx", "success", "Success", true, 200,
     "The request was received, understood and accepted.",
     "For INVITE, acknowledge every 2xx with an ACK from the UAC core; the session is up. "
     "An unknown 2xx is treated as 200 OK."},
    {SR_STATUS_REDIRECTION, "3xx", "redirection", "Redirection", true, 300,
     "The request should be tried elsewhere: the Contact header field (or the body) gives "
     "the new location(s).",
     "Retry at the Contact addresses, highest q first, with a loop guard, or report them. "
     "An unknown 3xx is treated as 300 Multiple Choices."},
    {SR_STATUS_REQUEST_FAILURE, "4xx", "request-failure", "Request Failure", true, 400,
     "The request failed at this server: it has a problem the client may be able to fix "
     "(syntax, credentials, extensions) or the target is not available here. Other "
     "locations may still succeed.",
     "Fix the request as the specific code says and retry, or try other locations. An "
     "unknown 4xx is treated as 400 Bad Request."},
    {SR_STATUS_SERVER_FAILURE, "5xx", "server-failure", "Server Failure", true, 500,
     "The server failed to fulfil an apparently valid request.",
     "Retry later or at an alternate server, honouring Retry-After. An unknown 5xx is "
     "treated as 500 Server Internal Error."},
    {SR_STATUS_GLOBAL_FAILURE, "6xx", "global-failure", "Global Failure", true, 600,
     "The request cannot succeed anywhere: the server has definitive information about "
     "the user, not just about this location.",
     "Stop: do not try other locations, and a proxy cancels the other branches. An unknown "
     "6xx is treated as 600 Busy Everywhere."},
};

static const sr_status_info *bsearch_code(const sr_status_info *t, size_t n, int code)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid].code == code)
            return &t[mid];
        if (t[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const sr_status_info *sr_status_lookup(int code)
{
    return bsearch_code(sr__status_table, sr__status_table_len, code);
}

const sr_status_info *sr_status_legacy_lookup(int code)
{
    return bsearch_code(sr__status_legacy, sr__status_legacy_len, code);
}

bool sr_status_is_registered(int code)
{
    return sr_status_lookup(code) != NULL;
}

sr_status_class sr_status_class_of(int code)
{
    if (code < 100 || code > 699)
        return SR_STATUS_CLASS_INVALID;
    return (sr_status_class)(code / 100);
}

bool sr_status_is_provisional(int code)
{
    return sr_status_class_of(code) == SR_STATUS_PROVISIONAL;
}

bool sr_status_is_final(int code)
{
    return code >= 200 && code <= 699;
}

int sr_status_effective(int code)
{
    sr_status_class cls = sr_status_class_of(code);
    if (cls == SR_STATUS_CLASS_INVALID)
        return SR_EINVAL;
    if (sr_status_is_registered(code))
        return code;
    /* RFC 3261 §8.1.3.2: an unrecognised final code acts as the x00 of its class, an
     * unrecognised provisional code other than 100 as 183 (§21.1 asks the same of 1xx). */
    return class_table[cls - 1].fallback;
}

const char *sr_status_phrase(int code)
{
    int eff = sr_status_effective(code);
    if (eff < 0)
        return NULL;
    const sr_status_info *info = sr_status_lookup(eff);
    return info ? info->phrase : NULL;
}

/*
 * Phrase comparison: ASCII punctuation, blanks and controls are skipped, letters are
 * case folded. Field phrases differ
 * in case, blanks, hyphens and slashes ("Gateway Time-out", "Request-URL too large"), never
 * in their letters (other spellings are listed as other_phrases instead).
 */
static bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static size_t next_alnum(sr_str s, size_t i)
{
    /* Bytes of UTF-8 text (>= 0x80) are significant: no table phrase contains them. */
    while (i < s.len && (unsigned char)s.p[i] < 0x80 && !is_alnum((unsigned char)s.p[i]))
        i++;
    return i;
}

static bool phrase_eq(sr_str a, const char *b)
{
    sr_str bs = sr_str_from_cstr(b);
    size_t i = next_alnum(a, 0), j = next_alnum(bs, 0);
    while (i < a.len && j < bs.len) {
        if (sr__tolower((unsigned char)a.p[i]) != sr__tolower((unsigned char)bs.p[j]))
            return false;
        i = next_alnum(a, i + 1);
        j = next_alnum(bs, j + 1);
    }
    return i >= a.len && j >= bs.len;
}

bool sr_status_phrase_matches(const sr_status_info *info, sr_str phrase)
{
    if (!info || !phrase.p || next_alnum(phrase, 0) >= phrase.len)
        return false;
    if (phrase_eq(phrase, info->phrase))
        return true;
    for (const char *const *o = info->other_phrases; o && *o; o++) {
        if (phrase_eq(phrase, *o))
            return true;
    }
    return false;
}

/* Fold the letters and digits of @p s (at most SR__WORDS_MAX) into @p f, marking where a
 * word starts and ends (a word: a run of letters and digits). Returns the count, or
 * SIZE_MAX when @p s has more. */
#define SR__WORDS_MAX 128
static size_t fold_words(sr_str s, char *f, bool *start, bool *end)
{
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c < 0x80 && !is_alnum(c))
            continue;
        if (n == SR__WORDS_MAX)
            return SIZE_MAX;
        f[n] = (char)sr__tolower(c);
        start[n] =
            i == 0 || ((unsigned char)s.p[i - 1] < 0x80 && !is_alnum((unsigned char)s.p[i - 1]));
        end[n] = i + 1 == s.len ||
                 ((unsigned char)s.p[i + 1] < 0x80 && !is_alnum((unsigned char)s.p[i + 1]));
        n++;
    }
    return n;
}

static bool has_words(const char *phrase, const char *q, size_t m)
{
    char f[SR__WORDS_MAX];
    bool start[SR__WORDS_MAX], end[SR__WORDS_MAX];
    size_t n = fold_words(sr_str_from_cstr(phrase), f, start, end);
    if (n == SIZE_MAX || m > n)
        return false;
    for (size_t s = 0; s + m <= n; s++) {
        if (start[s] && end[s + m - 1] && memcmp(f + s, q, m) == 0)
            return true;
    }
    return false;
}

bool sr_status_phrase_has_words(const sr_status_info *info, sr_str words)
{
    char q[SR__WORDS_MAX];
    bool qs[SR__WORDS_MAX], qe[SR__WORDS_MAX];
    size_t m = info && words.p ? fold_words(words, q, qs, qe) : 0;
    if (m == 0 || m == SIZE_MAX)
        return false;
    if (has_words(info->phrase, q, m))
        return true;
    for (const char *const *o = info->other_phrases; o && *o; o++) {
        if (has_words(*o, q, m))
            return true;
    }
    return false;
}

size_t sr_status_find_phrase(sr_str phrase, const sr_status_info **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < sr__status_table_len; i++) {
        if (!sr_status_phrase_matches(&sr__status_table[i], phrase))
            continue;
        if (out && n < cap)
            out[n] = &sr__status_table[i];
        n++;
    }
    return n;
}

size_t sr_status_count(void)
{
    return sr__status_table_len;
}

const sr_status_info *sr_status_at(size_t i)
{
    return i < sr__status_table_len ? &sr__status_table[i] : NULL;
}

size_t sr_status_legacy_count(void)
{
    return sr__status_legacy_len;
}

const sr_status_info *sr_status_legacy_at(size_t i)
{
    return i < sr__status_legacy_len ? &sr__status_legacy[i] : NULL;
}

const sr_status_class_info *sr_status_class_get(sr_status_class cls)
{
    if (cls < SR_STATUS_PROVISIONAL || cls > SR_STATUS_GLOBAL_FAILURE)
        return NULL;
    return &class_table[cls - 1];
}

const char *sr_status_sender_name(unsigned bit)
{
    switch (bit) {
    case SR_STATUS_BY_UAS: return "UAS";
    case SR_STATUS_BY_PROXY: return "proxy";
    case SR_STATUS_BY_REGISTRAR: return "registrar";
    case SR_STATUS_BY_REDIRECT: return "redirect server";
    default: return NULL;
    }
}
