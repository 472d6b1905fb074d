/* sipreplyd: the `forward` action's schema — targets, mode, timers, Record-Route, and the
 * rewriting of responses on their way back (docs/sipreplyd.md "forward"). */
#include "config_forward.h"
#include "config_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A target URI: sip: with an IP literal host ("{{user}}" stands for the Request-URI's user). */
static int check_target(sd__yctx *c, const yaml_node_t *at, const char *uri)
{
    char tmp[512];
    const char *u = strstr(uri, "{{user}}");
    if (strlen(uri) >= sizeof(tmp))
        return sd__y_fail(c, at, "target URI too long");
    if (u)
        snprintf(tmp, sizeof(tmp), "%.*su%s", (int)(u - uri), uri, u + 8);
    else
        snprintf(tmp, sizeof(tmp), "%s", uri);
    sr_uri pu;
    if (sr_uri_parse(&pu, tmp, strlen(tmp), NULL) != 0 || pu.kind != SR_URI_SIP)
        return sd__y_fail(c, at, "a target is a sip: URI, got '%s'", uri);
    char host[64];
    unsigned char buf[16];
    sr_str h = pu.host;
    bool v6 = h.len > 2 && h.p[0] == '[';
    if (v6)
        h = (sr_str){h.p + 1, h.len - 2};
    if (h.len >= sizeof(host))
        return sd__y_fail(c, at, "a target's host is an IPv4 or [IPv6] address, got '%s'", uri);
    memcpy(host, h.p, h.len);
    host[h.len] = '\0';
    if (inet_pton(v6 ? AF_INET6 : AF_INET, host, buf) != 1)
        return sd__y_fail(c, at, "a target's host is an IPv4 or [IPv6] address (no DNS), got '%s'",
                          uri);
    sr_str tp;
    if (sr_uri_param_find(&pu, "transport", &tp) && !sr_str_caseeq_cstr(tp, "udp"))
        return sd__y_fail(c, at, "targets are reached over UDP only, got '%s'", uri);
    return 0;
}

static int parse_q(sd__yctx *c, const yaml_node_t *n, unsigned *q)
{
    const char *s = sd__y_scalar(n);
    char *end = NULL;
    double v = s ? strtod(s, &end) : -1;
    if (!s || !*s || *end || v < 0 || v > 1)
        return sd__y_fail(c, n, "a q-value is from 0 to 1, got '%s'", s ? s : "(not a scalar)");
    *q = (unsigned)(v * 1000 + 0.5);
    return 0;
}

static int parse_target(sd__yctx *c, yaml_node_t *n, sd_fwd_target *t)
{
    t->q = 1000;
    if (n->type == YAML_SCALAR_NODE) {
        if (!(t->uri = sd__y_dup_scalar(c, n)))
            return -1;
        return check_target(c, n, t->uri);
    }
    sd__ykv p[4];
    int np = sd__y_pairs(c, n, p, 4);
    if (np < 0)
        return -1;
    for (int i = 0; i < np; i++) {
        size_t o = sd__y_push_key(c, p[i].key);
        int rc;
        if (!strcmp(p[i].key, "uri"))
            rc = (t->uri = sd__y_dup_scalar(c, p[i].v)) ? check_target(c, p[i].v, t->uri) : -1;
        else if (!strcmp(p[i].key, "q"))
            rc = parse_q(c, p[i].v, &t->q);
        else
            rc = sd__y_unknown(c, &p[i], "uri, q");
        sd__y_pop(c, o);
        if (rc)
            return -1;
    }
    return t->uri ? 0 : sd__y_fail(c, n, "a target needs a uri");
}

/* "503", "5xx": the codes a rewrite applies to. */
static int parse_codes(sd__yctx *c, const yaml_node_t *n, unsigned *lo, unsigned *hi)
{
    const char *s = sd__y_scalar(n);
    if (s && strlen(s) == 3 && s[0] >= '1' && s[0] <= '6' && (s[1] == 'x' || s[1] == 'X') &&
        (s[2] == 'x' || s[2] == 'X')) {
        *lo = (unsigned)(s[0] - '0') * 100;
        *hi = *lo + 99;
        return 0;
    }
    char *end = NULL;
    unsigned long v = s ? strtoul(s, &end, 10) : 0;
    if (!s || !*s || *end || v < 100 || v > 699)
        return sd__y_fail(c, n, "expected a code 100-699 or a class 1xx-6xx, got '%s'",
                          s ? s : "(not a scalar)");
    *lo = *hi = (unsigned)v;
    return 0;
}

static int add_hdr(sd__yctx *c, sd_rewrite *w, const yaml_node_t *at, const char *name,
                   const char *value)
{
    sd_header *h = realloc(w->add, (w->n_add + 1) * sizeof(*h));
    if (!h)
        return sd__y_fail(c, at, "out of memory");
    w->add = h;
    h[w->n_add].name = strdup(name);
    h[w->n_add].value = strdup(value);
    w->n_add++;
    if (!h[w->n_add - 1].name || !h[w->n_add - 1].value)
        return sd__y_fail(c, at, "out of memory");
    if (!*name || strpbrk(name, ": \t\r\n") || strpbrk(value, "\r\n"))
        return sd__y_fail(c, at, "bad header '%s: %s'", name, value);
    return 0;
}

static int parse_rewrite(sd__yctx *c, yaml_node_t *n, sd_rewrite *w)
{
    sd__ykv p[8];
    int np = sd__y_pairs(c, n, p, 8);
    if (np < 0)
        return -1;
    bool have_code = false;
    for (int i = 0; i < np; i++) {
        size_t o = sd__y_push_key(c, p[i].key);
        const char *k = p[i].key;
        int rc = 0;
        if (!strcmp(k, "code")) {
            rc = parse_codes(c, p[i].v, &w->lo, &w->hi);
            have_code = true;
        } else if (!strcmp(k, "to")) {
            unsigned lo, hi;
            rc = parse_codes(c, p[i].v, &lo, &hi);
            if (!rc && lo != hi)
                rc = sd__y_fail(c, p[i].v, "'to' is one code");
            w->to = lo;
        } else if (!strcmp(k, "reason")) {
            rc = (w->reason = sd__y_dup_scalar(c, p[i].v)) ? 0 : -1;
            if (!rc && strpbrk(w->reason, "\r\n"))
                rc = sd__y_fail(c, p[i].v, "a reason phrase is one line");
        } else if (!strcmp(k, "headers")) {
            sd__ykv h[32];
            int nh = sd__y_pairs(c, p[i].v, h, 32);
            rc = nh < 0 ? -1 : 0;
            for (int j = 0; j < nh && !rc; j++) {
                const char *v = sd__y_scalar(h[j].v);
                rc = v ? add_hdr(c, w, h[j].v, h[j].key, v)
                       : sd__y_fail(c, h[j].v, "a header value is a scalar");
            }
        } else if (!strcmp(k, "remove")) {
            rc = sd__y_str_list(c, p[i].v, &w->remove);
        } else if (!strcmp(k, "delay")) {
            rc = sd__y_get_duration(c, p[i].v, &w->delay_ms);
        } else if (!strcmp(k, "drop")) {
            rc = sd__y_get_bool(c, p[i].v, &w->drop);
        } else {
            rc = sd__y_unknown(c, &p[i], "code, to, reason, headers, remove, delay, drop");
        }
        sd__y_pop(c, o);
        if (rc)
            return -1;
    }
    if (!have_code)
        return sd__y_fail(c, n, "a rewrite needs the code it applies to");
    /* What a proxy may not turn into something else: a 2xx is the callee's answer (§16.7
     * step 5: forwarded at once), a provisional stays one and a final stays final. */
    if (w->to && w->lo < 300 && w->hi >= 200)
        return sd__y_fail(c, n, "a 2xx is forwarded as it is (RFC 3261 §16.7 step 5): no 'to'");
    if (w->to && ((w->lo < 200) != (w->to < 200) || (w->to >= 200 && w->to < 300)))
        return sd__y_fail(c, n,
                          "'to' maps a provisional to a provisional and a final to a "
                          "final 3xx-6xx");
    if (w->drop && w->hi >= 200)
        return sd__y_fail(c, n, "only a provisional (1xx) may be dropped");
    if (w->to == 100 || (w->lo <= 100 && w->hi >= 100 && w->lo == w->hi))
        return sd__y_fail(c, n, "a proxy never forwards a 100 (RFC 3261 §16.7 step 5)");
    return 0;
}

static int parse_replace(sd__yctx *c, yaml_node_t *n, sd_replace *r, size_t n_targets)
{
    sd__ykv p[4];
    int np = sd__y_pairs(c, n, p, 4);
    if (np < 0)
        return -1;
    r->target = -1;
    r->percent = 100;
    for (int i = 0; i < np; i++) {
        size_t o = sd__y_push_key(c, p[i].key);
        const char *k = p[i].key;
        unsigned long v = 0;
        int rc = 0;
        if (!strcmp(k, "target") && n_targets == 0) {
            rc = sd__y_fail(c, p[i].v,
                            "with location the targets are the bindings: a replace applies to "
                            "each (no 'target')");
        } else if (!strcmp(k, "target")) {
            rc = sd__y_get_uint(c, p[i].v, n_targets - 1, &v);
            r->target = (int)v;
        } else if (!strcmp(k, "code")) {
            rc = sd__y_get_uint(c, p[i].v, 699, &v);
            if (!rc && v < 300)
                rc = sd__y_fail(c, p[i].v, "a replaced answer is a final 300-699");
            r->code = (unsigned)v;
        } else if (!strcmp(k, "percent")) {
            rc = sd__y_get_uint(c, p[i].v, 100, &v);
            r->percent = (unsigned)v;
        } else {
            rc = sd__y_unknown(c, &p[i], "target, code, percent");
        }
        sd__y_pop(c, o);
        if (rc)
            return -1;
    }
    return r->code ? 0 : sd__y_fail(c, n, "a replace needs a code");
}

/* A list (sequence) of mappings or scalars, each parsed by @p one into the array *@p out. */
#define PARSE_LIST(c, node, out, n_out, one)                                                 \
    do {                                                                                     \
        yaml_node_t *l_ = (node);                                                            \
        if (l_->type != YAML_SEQUENCE_NODE) {                                                \
            rc = sd__y_fail(c, l_, "expected a list");                                       \
            break;                                                                           \
        }                                                                                    \
        size_t cnt_ = (size_t)(l_->data.sequence.items.top - l_->data.sequence.items.start); \
        if (cnt_ == 0 || !((out) = calloc(cnt_, sizeof(*(out))))) {                          \
            rc = sd__y_fail(c, l_, cnt_ ? "out of memory" : "the list is empty");            \
            break;                                                                           \
        }                                                                                    \
        for (size_t j_ = 0; j_ < cnt_ && !rc; j_++) {                                        \
            size_t o2_ = sd__y_push_idx(c, j_);                                              \
            (n_out) = j_ + 1;                                                                \
            rc = one;                                                                        \
            sd__y_pop(c, o2_);                                                               \
        }                                                                                    \
    } while (0)

int sd__parse_forward(sd__yctx *c, yaml_node_t *n, sd_action *a)
{
    a->kind = SD_ACT_FORWARD;
    sd_forward *f = calloc(1, sizeof(*f));
    if (!f)
        return sd__y_fail(c, n, "out of memory");
    a->forward = f;
    f->timer_c_ms = 181000;
    f->record_route = false;
    if (n->type == YAML_SCALAR_NODE || n->type == YAML_SEQUENCE_NODE) {
        /* forward: URI, or forward: [URI, ...]: the targets, in parallel */
        int rc = 0;
        if (n->type == YAML_SCALAR_NODE) {
            if (!(f->targets = calloc(1, sizeof(*f->targets))))
                return sd__y_fail(c, n, "out of memory");
            f->n_targets = 1;
            return parse_target(c, n, &f->targets[0]);
        }
        PARSE_LIST(
            c, n, f->targets, f->n_targets,
            parse_target(c, sd__y_node(c, l_->data.sequence.items.start[j_]), &f->targets[j_]));
        return rc;
    }
    sd__ykv p[12];
    int np = sd__y_pairs(c, n, p, 12);
    if (np < 0)
        return -1;
    yaml_node_t *repl = NULL;
    for (int i = 0; i < np; i++) {
        size_t o = sd__y_push_key(c, p[i].key);
        const char *k = p[i].key;
        yaml_node_t *v = p[i].v;
        int rc = 0;
        if (!strcmp(k, "targets")) {
            if (v->type == YAML_SCALAR_NODE) {
                if (!(f->targets = calloc(1, sizeof(*f->targets))))
                    rc = sd__y_fail(c, v, "out of memory");
                f->n_targets = rc ? 0 : 1;
                if (!rc)
                    rc = parse_target(c, v, &f->targets[0]);
            } else {
                PARSE_LIST(c, v, f->targets, f->n_targets,
                           parse_target(c, sd__y_node(c, l_->data.sequence.items.start[j_]),
                                        &f->targets[j_]));
            }
        } else if (!strcmp(k, "location")) {
            rc = sd__y_get_bool(c, v, &f->location);
        } else if (!strcmp(k, "recurse")) {
            unsigned long d = 0;
            rc = sd__y_get_uint(c, v, SD_FWD_RECURSE_MAX, &d);
            f->recurse = (unsigned)d;
        } else if (!strcmp(k, "mode")) {
            const char *s = sd__y_scalar(v);
            if (s && !strcmp(s, "parallel"))
                f->sequential = false;
            else if (s && !strcmp(s, "sequential"))
                f->sequential = true;
            else
                rc = sd__y_fail(c, v, "mode is parallel or sequential");
        } else if (!strcmp(k, "timer-c")) {
            rc = sd__y_get_duration(c, v, &f->timer_c_ms);
            if (!rc && f->timer_c_ms <= 180000)
                rc = sd__y_fail(c, v, "Timer C is greater than 3 minutes (RFC 3261 §16.6 step 11)");
        } else if (!strcmp(k, "branch-timeout")) {
            rc = sd__y_get_duration(c, v, &f->branch_ms);
        } else if (!strcmp(k, "record-route")) {
            rc = sd__y_get_bool(c, v, &f->record_route);
        } else if (!strcmp(k, "keep-503")) {
            rc = sd__y_get_bool(c, v, &f->keep_503);
        } else if (!strcmp(k, "rewrite")) {
            PARSE_LIST(c, v, f->rewrites, f->n_rewrites,
                       parse_rewrite(c, sd__y_node(c, l_->data.sequence.items.start[j_]),
                                     &f->rewrites[j_]));
        } else if (!strcmp(k, "replace")) {
            repl = v; /* after the targets, whatever the order of the keys */
        } else {
            rc = sd__y_unknown(c, &p[i],
                               "targets, location, mode, recurse, timer-c, branch-timeout, "
                               "record-route, keep-503, rewrite, replace");
        }
        sd__y_pop(c, o);
        if (rc)
            return -1;
    }
    if (f->location && f->n_targets)
        return sd__y_fail(c, n, "targets or location: the one excludes the other");
    if (f->n_targets == 0 && !f->location)
        return sd__y_fail(c, n, "forward needs targets (or location: true)");
    if (repl) {
        int rc = 0;
        size_t o = sd__y_push_key(c, "replace");
        PARSE_LIST(c, repl, f->replaces, f->n_replaces,
                   parse_replace(c, sd__y_node(c, l_->data.sequence.items.start[j_]),
                                 &f->replaces[j_], f->n_targets));
        sd__y_pop(c, o);
        if (rc)
            return -1;
    }
    return 0;
}

void sd__forward_free(sd_forward *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_targets; i++)
        free(f->targets[i].uri);
    free(f->targets);
    for (size_t i = 0; i < f->n_rewrites; i++) {
        sd_rewrite *w = &f->rewrites[i];
        free(w->reason);
        for (size_t j = 0; j < w->n_add; j++) {
            free(w->add[j].name);
            free(w->add[j].value);
        }
        free(w->add);
        sd__free_list(w->remove);
    }
    free(f->rewrites);
    free(f->replaces);
    free(f);
}

/* Whether @p host (@p len bytes) is among the register action's domains (any: NULL). */
static bool serves(const sd_action *a, const char *host, size_t len)
{
    if (!a->domains)
        return true;
    for (char **d = a->domains; *d; d++)
        if (sr_str_caseeq_cstr((sr_str){host, len}, *d))
            return true;
    return false;
}

const sd_action *sd__forward_registrar(const sd_config *cf, const char *host, size_t host_len)
{
    for (size_t i = 0; i < cf->n_rules; i++)
        for (size_t k = 0; k < cf->rules[i].n_actions; k++) {
            const sd_action *a = &cf->rules[i].actions[k];
            if (a->kind == SD_ACT_REGISTER && serves(a, host, host_len))
                return a;
        }
    return NULL;
}

int sd__forward_check(const sd_config *cf, char *why, size_t cap)
{
    bool have_registrar = false;
    for (size_t i = 0; i < cf->n_rules; i++)
        for (size_t k = 0; k < cf->rules[i].n_actions; k++)
            have_registrar |= cf->rules[i].actions[k].kind == SD_ACT_REGISTER;
    for (size_t i = 0; i < cf->n_rules && !have_registrar; i++)
        for (size_t k = 0; k < cf->rules[i].n_actions; k++) {
            const sd_action *a = &cf->rules[i].actions[k];
            if (a->kind == SD_ACT_FORWARD && a->forward->location) {
                snprintf(why, cap,
                         "rules[%zu].forward: location reads the bindings of a register "
                         "action, and no rule has one",
                         i);
                return -1;
            }
        }
    return 0;
}

size_t sd__forward_peers(const sd_config *cf, sr_addr *out, size_t max)
{
    size_t n = 0;
    for (size_t r = 0; r < cf->n_rules; r++) {
        const sd_rule *rule = &cf->rules[r];
        for (size_t a = 0; a < rule->n_actions; a++) {
            const sd_forward *f = rule->actions[a].forward;
            if (rule->actions[a].kind != SD_ACT_FORWARD || !f)
                continue;
            for (size_t t = 0; t < f->n_targets && n < max; t++) {
                sr_uri u;
                const char *uri = f->targets[t].uri;
                char host[64];
                if (sr_uri_parse(&u, uri, strlen(uri), NULL) != 0 || u.host.len < 1)
                    continue;
                sr_str h = u.host;
                if (h.len > 2 && h.p[0] == '[')
                    h = (sr_str){h.p + 1, h.len - 2};
                if (h.len >= sizeof(host))
                    continue;
                memcpy(host, h.p, h.len);
                host[h.len] = '\0';
                if (sr_addr_set(&out[n], host, 5060, SR_TP_UDP) == 0)
                    n++;
            }
        }
    }
    return n;
}
