/* sipreplyd: rule matching — the first rule whose match block fits a request (method,
 * transport, source, Request-URI user and host, header regexes). */
#include "engine_int.h"

#include <string.h>

static bool copy_cstr(char *dst, size_t cap, sr_str s)
{
    if (s.len >= cap)
        return false;
    if (s.len)
        memcpy(dst, s.p, s.len);
    dst[s.len] = '\0';
    return true;
}

/* @p s is the C string @p c, byte for byte (sr_str_eq without its strlen) */
static inline bool eq_cstr(sr_str s, const char *c)
{
    for (size_t i = 0; i < s.len; i++)
        if (c[i] == '\0' || c[i] != s.p[i])
            return false;
    return c[s.len] == '\0';
}

/* The user part of @p ru, a sip: or sips: Request-URI that sr_uri_parse() accepts, without
 * parsing the rest: in such a URI the first '@' ends the userinfo (no '@' in host, params or
 * headers), and the user is the userinfo up to its ':' (password), as sr_uri_parse() says
 * (RFC 3261 §19.1.1, §25.1). false for another scheme (the caller parses it). */
bool sd__valid_sip_user(sr_str ru, sr_str *user)
{
    size_t i;
    /* "sip:" or "sips:" in any case (| 0x20 folds exactly the letters' cases here) */
    bool sip =
        ru.len > 4 && (ru.p[0] | 0x20) == 's' && (ru.p[1] | 0x20) == 'i' && (ru.p[2] | 0x20) == 'p';
    if (sip && ru.p[3] == ':')
        i = 4;
    else if (sip && ru.len > 5 && (ru.p[3] | 0x20) == 's' && ru.p[4] == ':')
        i = 5;
    else
        return false;
    const char *at = memchr(ru.p + i, '@', ru.len - i);
    *user = SR_STR_NULL;
    if (at) {
        const char *colon = memchr(ru.p + i, ':', (size_t)(at - ru.p) - i);
        *user = (sr_str){ru.p + i, (size_t)((colon ? colon : at) - (ru.p + i))};
    }
    return true;
}

/* As sd_rule_matches(), with the method taken as @p method (NULL: the request's). @p valid:
 * the Request-URI is one sr_uri_parse() accepts — the request checks (sr_uas_check) passed,
 * or must pass before the rule is used — so a rule on the user alone reads it without a
 * parse of the whole URI. */
static bool rule_matches_as(const sd_rule *r, const sr_msg *req, const sr_addr *src,
                            unsigned codes[SD_MAX_CAPTURES], const char *method, bool valid)
{
    const sd_match *m = &r->match;
    if (m->methods) {
        sr_str meth = method ? sr_str_from_cstr(method) : sr_msg_method_str(req);
        bool ok = false;
        for (char **x = m->methods; *x && !ok; x++)
            ok = eq_cstr(meth, *x);
        if (!ok)
            return false;
    }
    if (m->transports && !(m->transports & (1u << src->transport)))
        return false;
    if (m->n_sources) {
        bool ok = false;
        for (size_t i = 0; i < m->n_sources && !ok; i++)
            ok = sd_cidr_contains(&m->sources[i], src->host);
        if (!ok)
            return false;
    }
    if (m->user || m->has_user_re || m->host || m->has_host_re) {
        sr_str ru = sr_msg_request_uri(req);
        sr_uri u;
        if (!(valid && !m->host && !m->has_host_re && sd__valid_sip_user(ru, &u.user)) &&
            sr_uri_parse(&u, ru.p, ru.len, NULL) != 0)
            return false;
        char buf[256];
        if (m->user && !eq_cstr(u.user, m->user))
            return false;
        if (m->has_user_re) {
            regmatch_t pm[SD_MAX_CAPTURES];
            if (!copy_cstr(buf, sizeof(buf), u.user) ||
                regexec(&m->user_re, buf, SD_MAX_CAPTURES, pm, 0) != 0)
                return false;
            for (int i = 1; i < SD_MAX_CAPTURES && codes; i++) {
                unsigned v = 0;
                bool num =
                    pm[i].rm_so >= 0 && pm[i].rm_eo > pm[i].rm_so && pm[i].rm_eo - pm[i].rm_so <= 3;
                for (regoff_t k = pm[i].rm_so; num && k < pm[i].rm_eo; k++) {
                    if (buf[k] < '0' || buf[k] > '9')
                        num = false;
                    else
                        v = v * 10 + (unsigned)(buf[k] - '0');
                }
                codes[i] = num ? v : 0;
            }
        }
        if (m->host && !sr_str_caseeq_cstr(u.host, m->host))
            return false;
        if (m->has_host_re &&
            (!copy_cstr(buf, sizeof(buf), u.host) || regexec(&m->host_re, buf, 0, NULL, 0) != 0))
            return false;
    }
    for (size_t i = 0; i < m->n_headers; i++) {
        bool ok = false;
        sr_str name = sr_str_from_cstr(m->headers[i].name);
        for (const sr_header *h = sr_msg_header_find_name(req, name, NULL); h && !ok;
             h = sr_msg_header_find_name(req, name, h)) {
            char buf[1024];
            ok = copy_cstr(buf, sizeof(buf), h->value) &&
                 regexec(&m->headers[i].re, buf, 0, NULL, 0) == 0;
        }
        if (!ok)
            return false;
    }
    return true;
}

bool sd_rule_matches(const sd_rule *r, const sr_msg *req, const sr_addr *src,
                     unsigned codes[SD_MAX_CAPTURES])
{
    return rule_matches_as(r, req, src, codes, NULL, false);
}

const sd_rule *sd__rule_find_as(const sd_config *cf, const sr_msg *req, const sr_addr *src,
                                unsigned codes[SD_MAX_CAPTURES], const char *method)
{
    for (size_t i = 0; i < cf->n_rules; i++)
        if (rule_matches_as(&cf->rules[i], req, src, codes, method, false))
            return &cf->rules[i];
    return &cf->fallback;
}

const sd_rule *sd__rule_find_checked(const sd_config *cf, const sr_msg *req, const sr_addr *src,
                                     unsigned codes[SD_MAX_CAPTURES])
{
    for (size_t i = 0; i < cf->n_rules; i++)
        if (rule_matches_as(&cf->rules[i], req, src, codes, NULL, true))
            return &cf->rules[i];
    return &cf->fallback;
}

const sd_rule *sd_rule_find(const sd_config *cf, const sr_msg *req, const sr_addr *src,
                            unsigned codes[SD_MAX_CAPTURES])
{
    return sd__rule_find_as(cf, req, src, codes, NULL);
}
