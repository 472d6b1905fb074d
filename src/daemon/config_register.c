/* sipreplyd: the `registrations:` schema — AORs (one, or a numbered range), registrar,
 * credentials, expiry, contact, and how fast they start (docs/sipreplyd.md "registrations"). */
#include "config_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REG_KEYS  "aor, registrar, transport, user, password, realm, expires, contact"
#define RUN_KEYS  "accounts, rate, in-flight, retry-min, retry-max, dns"
#define MAX_GROUP 256

/* "{A..B}" at @p p: true with the numbers and the length of the whole token. */
static bool range_at(const char *p, uint32_t *a, uint32_t *b, unsigned *width, size_t *len)
{
    if (p[0] != '{')
        return false;
    char *end;
    const char *q = p + 1;
    if (*q < '0' || *q > '9')
        return false;
    unsigned long x = strtoul(q, &end, 10);
    if (strncmp(end, "..", 2) != 0)
        return false;
    const char *r = end + 2;
    if (*r < '0' || *r > '9')
        return false;
    unsigned long y = strtoul(r, &end, 10);
    if (*end != '}' || x > 0xffffffffUL || y > 0xffffffffUL)
        return false;
    *a = (uint32_t)x;
    *b = (uint32_t)y;
    *width = (unsigned)(r - 2 - q);
    *len = (size_t)(end + 1 - p);
    return true;
}

int sd_registration_expand(const sd_registration *r, const char *tmpl, uint32_t i, char *out,
                           size_t cap)
{
    char num[16];
    snprintf(num, sizeof(num), "%0*lu", (int)r->width, (unsigned long)r->first + i);
    size_t n = 0;
    for (const char *p = tmpl; *p;) {
        uint32_t a, b;
        unsigned w;
        size_t len = 0;
        const char *ins = NULL;
        if (range_at(p, &a, &b, &w, &len) || strncmp(p, "{n}", 3) == 0) {
            ins = num;
            if (!len)
                len = 3;
        }
        if (ins) {
            size_t l = strlen(ins);
            if (n + l >= cap)
                return -1;
            memcpy(out + n, ins, l);
            n += l;
            p += len;
        } else {
            if (n + 1 >= cap)
                return -1;
            out[n++] = *p++;
        }
    }
    if (n >= cap)
        return -1;
    out[n] = '\0';
    return 0;
}

/* A registrar as written: a sip: URI, or HOST[:PORT] (then "sip:" is put before it). */
static char *registrar_uri(sd__yctx *c, const yaml_node_t *n, const char *transport)
{
    const char *s = sd__y_scalar(n);
    if (!s || !*s) {
        sd__y_fail(c, n, "expected a sip: URI or HOST[:PORT]");
        return NULL;
    }
    bool scheme = strncmp(s, "sip:", 4) == 0 || strncmp(s, "sips:", 5) == 0;
    size_t cap = strlen(s) + 32;
    char *u = malloc(cap);
    if (!u) {
        sd__y_fail(c, n, "out of memory");
        return NULL;
    }
    snprintf(u, cap, "%s%s%s%s", scheme ? "" : "sip:", s, transport ? ";transport=" : "",
             transport ? transport : "");
    sr_uri pu;
    sr_str tp;
    if (sr_uri_parse(&pu, u, strlen(u), NULL) != 0 || pu.kind != SR_URI_SIP || pu.has_user) {
        sd__y_fail(c, n, "a registrar is a sip: URI without a user, or HOST[:PORT], got '%s'", s);
    } else if (sr_uri_param_find(&pu, "transport", &tp) && !sr_str_caseeq_cstr(tp, "udp") &&
               !sr_str_caseeq_cstr(tp, "tcp")) {
        sd__y_fail(c, n, "registrations go over udp or tcp, got '%s'", u);
    } else {
        return u;
    }
    free(u);
    return NULL;
}

static int check_aor(sd__yctx *c, const yaml_node_t *at, sd_registration *r)
{
    char tmp[512];
    const char *p = r->aor;
    int ranges = 0;
    for (; *p; p++) {
        uint32_t a, b;
        unsigned w;
        size_t len;
        if (!range_at(p, &a, &b, &w, &len))
            continue;
        if (ranges++)
            return sd__y_fail(c, at, "one {A..B} range per AOR");
        if (b < a)
            return sd__y_fail(c, at, "a range {A..B} has A <= B");
        if (b - a >= SD_REG_MAX_AORS)
            return sd__y_fail(c, at, "a range holds at most %u AORs", SD_REG_MAX_AORS);
        r->first = a;
        r->count = b - a + 1;
        r->width = w;
    }
    if (!ranges) {
        r->first = 0;
        r->count = 1;
        r->width = 0;
        if (strstr(r->aor, "{n}"))
            return sd__y_fail(c, at, "{n} stands for the number of a {A..B} range: none here");
    }
    /* the first and the last AOR of the range must be URIs a REGISTER can carry */
    for (uint32_t i = 0; i<r->count; i += r->count> 1 ? r->count - 1 : 1) {
        if (sd_registration_expand(r, r->aor, i, tmp, sizeof(tmp)) != 0)
            return sd__y_fail(c, at, "AOR too long");
        sr_uri u;
        if (sr_uri_parse(&u, tmp, strlen(tmp), NULL) != 0 || u.kind != SR_URI_SIP ||
            u.host.len == 0)
            return sd__y_fail(c, at, "an AOR is a sip: URI, got '%s'", tmp);
        if (!u.has_user && !r->user)
            return sd__y_fail(c, at, "'%s' has no user part: give `user`", tmp);
        if (r->count == 1)
            break;
    }
    return 0;
}

static int parse_one(sd__yctx *c, yaml_node_t *n, sd_registration *r)
{
    sd__ykv p[12];
    int np = sd__y_pairs(c, n, p, 12);
    if (np < 0)
        return -1;
    r->expires = 3600;
    const yaml_node_t *reg_node = NULL, *aor_node = NULL;
    const char *transport = NULL;
    int rc = 0;
    for (int i = 0; i < np && !rc; i++) {
        const char *k = p[i].key;
        yaml_node_t *v = p[i].v;
        size_t o = sd__y_push_key(c, k);
        if (!strcmp(k, "aor")) {
            aor_node = v;
            rc = (r->aor = sd__y_dup_scalar(c, v)) ? 0 : -1;
        } else if (!strcmp(k, "registrar")) {
            reg_node = v;
        } else if (!strcmp(k, "transport")) {
            transport = sd__y_scalar(v);
            if (!transport || (strcmp(transport, "udp") && strcmp(transport, "tcp")))
                rc = sd__y_fail(c, v, "transport is udp or tcp");
        } else if (!strcmp(k, "user")) {
            rc = (r->user = sd__y_dup_scalar(c, v)) ? 0 : -1;
        } else if (!strcmp(k, "password")) {
            rc = (r->password = sd__y_dup_scalar(c, v)) ? 0 : -1;
        } else if (!strcmp(k, "realm")) {
            rc = (r->realm = sd__y_dup_scalar(c, v)) ? 0 : -1;
        } else if (!strcmp(k, "contact")) {
            rc = (r->contact = sd__y_dup_scalar(c, v)) ? 0 : -1;
        } else if (!strcmp(k, "expires")) {
            rc = sd__y_get_u32(c, v, &r->expires);
            if (!rc && r->expires == 0)
                rc = sd__y_fail(c, v, "expires is at least 1 (0 is a de-registration)");
        } else {
            rc = sd__y_unknown(c, &p[i], REG_KEYS);
        }
        sd__y_pop(c, o);
    }
    if (rc)
        return -1;
    if (!r->aor)
        return sd__y_fail(c, n, "a registration needs an `aor`");
    if (check_aor(c, aor_node, r))
        return -1;
    if (reg_node) {
        size_t o = sd__y_push_key(c, "registrar");
        r->registrar = registrar_uri(c, reg_node, transport);
        sd__y_pop(c, o);
        if (!r->registrar)
            return -1;
    } else if (transport) {
        /* the AOR's domain, over the transport asked */
        char tmp[512];
        sr_uri u;
        if (sd_registration_expand(r, r->aor, 0, tmp, sizeof(tmp)) != 0 ||
            sr_uri_parse(&u, tmp, strlen(tmp), NULL) != 0)
            return sd__y_fail(c, n, "bad AOR");
        size_t cap = u.host.len + 48;
        if (!(r->registrar = malloc(cap)))
            return sd__y_fail(c, n, "out of memory");
        if (u.has_port)
            snprintf(r->registrar, cap, "sip:%.*s:%u;transport=%s", (int)u.host.len, u.host.p,
                     (unsigned)u.port, transport);
        else
            snprintf(r->registrar, cap, "sip:%.*s;transport=%s", (int)u.host.len, u.host.p,
                     transport);
    }
    if (r->contact) {
        char tmp[512];
        sr_uri u;
        if (sd_registration_expand(r, r->contact, 0, tmp, sizeof(tmp)) != 0 ||
            sr_uri_parse(&u, tmp, strlen(tmp), NULL) != 0 || u.kind != SR_URI_SIP)
            return sd__y_fail(c, n, "contact is a sip: URI, got '%s'", r->contact);
    }
    return 0;
}

static int parse_list(sd__yctx *c, yaml_node_t *v, sd_config *cf)
{
    if (v->type != YAML_SEQUENCE_NODE)
        return sd__y_fail(c, v, "expected a list of registrations");
    size_t cnt = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (cnt > MAX_GROUP)
        return sd__y_fail(c, v, "at most %d registrations (each may be a range of AORs)",
                          MAX_GROUP);
    if (cnt == 0)
        return 0;
    cf->regs = calloc(cnt, sizeof(*cf->regs));
    if (!cf->regs)
        return sd__y_fail(c, v, "out of memory");
    for (size_t j = 0; j < cnt; j++) {
        size_t o = sd__y_push_idx(c, j);
        cf->n_regs = j + 1;
        yaml_node_t *rn = sd__y_node(c, v->data.sequence.items.start[j]);
        int rc = parse_one(c, rn, &cf->regs[j]);
        if (!rc) {
            cf->n_reg_aors += cf->regs[j].count;
            if (cf->n_reg_aors > SD_REG_MAX_AORS)
                rc = sd__y_fail(c, rn, "at most %u AORs in all", SD_REG_MAX_AORS);
        }
        sd__y_pop(c, o);
        if (rc)
            return -1;
    }
    return 0;
}

int sd__parse_registrations(sd__yctx *c, yaml_node_t *n, sd_config *cf)
{
    if (n->type != YAML_MAPPING_NODE)
        return parse_list(c, n, cf);
    sd__ykv p[8];
    int np = sd__y_pairs(c, n, p, 8);
    if (np < 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < np && !rc; i++) {
        const char *k = p[i].key;
        yaml_node_t *v = p[i].v;
        size_t o = sd__y_push_key(c, k);
        if (!strcmp(k, "accounts"))
            rc = parse_list(c, v, cf);
        else if (!strcmp(k, "rate"))
            rc = sd__y_get_u32(c, v, &cf->reg.rate);
        else if (!strcmp(k, "in-flight"))
            rc = sd__y_get_u32(c, v, &cf->reg.in_flight);
        else if (!strcmp(k, "retry-min"))
            rc = sd__y_get_u32(c, v, &cf->reg.retry_min_s);
        else if (!strcmp(k, "retry-max"))
            rc = sd__y_get_u32(c, v, &cf->reg.retry_max_s);
        else if (!strcmp(k, "dns"))
            rc = (cf->reg.dns = sd__y_dup_scalar(c, v)) ? 0 : -1;
        else
            rc = sd__y_unknown(c, &p[i], RUN_KEYS);
        sd__y_pop(c, o);
    }
    if (rc)
        return -1;
    if (cf->reg.rate == 0 || cf->reg.rate > 10000)
        return sd__y_fail(c, n, "rate: 1 to 10000 REGISTERs per second");
    if (cf->reg.in_flight == 0 || cf->reg.in_flight > 4096)
        return sd__y_fail(c, n, "in-flight: 1 to 4096");
    if (cf->reg.retry_min_s == 0 || cf->reg.retry_max_s < cf->reg.retry_min_s)
        return sd__y_fail(c, n, "retry-min is at least 1 s and retry-max at least retry-min");
    return 0;
}

void sd__free_registrations(sd_config *cf)
{
    for (size_t i = 0; i < cf->n_regs; i++) {
        sd_registration *r = &cf->regs[i];
        free(r->aor);
        free(r->registrar);
        free(r->user);
        free(r->password);
        free(r->realm);
        free(r->contact);
    }
    free(cf->regs);
    free(cf->reg.dns);
}
