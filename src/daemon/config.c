/* sipreplyd: the configuration's schema — rules, matches, actions and response steps —
 * walked from the YAML document into sd_config (config_yaml.c reads the values). */
#include "config_forward.h"
#include "config_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ steps */

static int add_header(sd__yctx *c, sd_step *s, const yaml_node_t *at, const char *name,
                      const char *value)
{
    sd_header *h = realloc(s->headers, (s->n_headers + 1) * sizeof(*h));
    if (!h)
        return sd__y_fail(c, at, "out of memory");
    s->headers = h;
    h[s->n_headers].name = strdup(name);
    h[s->n_headers].value = strdup(value);
    s->n_headers++;
    if (!h[s->n_headers - 1].name || !h[s->n_headers - 1].value)
        return sd__y_fail(c, at, "out of memory");
    if (!*name || strpbrk(name, ": \t\r\n") || strpbrk(value, "\r\n"))
        return sd__y_fail(c, at, "bad header '%s: %s'", name, value);
    return 0;
}

static int parse_code(sd__yctx *c, yaml_node_t *n, sd_step *s)
{
    const char *v = sd__y_scalar(n);
    if (v && v[0] == '$' && v[1] >= '1' && v[1] <= '9' && v[2] == '\0') {
        s->capture = v[1] - '0';
        return 0;
    }
    unsigned long code;
    if (!v || sd__y_get_uint(c, n, 699, &code) != 0 || code < 100) {
        c->failed = 0;
        return sd__y_fail(c, n, "expected a status code 100-699 or $1..$9, got '%s'",
                          v ? v : "(not a scalar)");
    }
    s->code = (unsigned)code;
    return 0;
}

static int parse_contacts(sd__yctx *c, yaml_node_t *n, sd_step *s)
{
    /* "contact" and "contacts" are one key: given both (or twice), the last one wins, as
     * for the other step keys, and the list of the earlier one is freed (not leaked on
     * every load, every SIGHUP) */
    for (size_t i = 0; i < s->n_contacts; i++)
        free(s->contacts[i].uri);
    free(s->contacts);
    s->contacts = NULL;
    s->n_contacts = 0;
    if (n->type == YAML_SCALAR_NODE) {
        s->contacts = calloc(1, sizeof(*s->contacts));
        if (!s->contacts)
            return sd__y_fail(c, n, "out of memory");
        s->n_contacts = 1;
        s->contacts[0].q = -1;
        s->contacts[0].uri = sd__y_dup_scalar(c, n);
        return s->contacts[0].uri ? 0 : -1;
    }
    if (n->type != YAML_SEQUENCE_NODE)
        return sd__y_fail(c, n, "expected a URI or a list of contacts");
    size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    s->contacts = calloc(cnt ? cnt : 1, sizeof(*s->contacts));
    if (!s->contacts)
        return sd__y_fail(c, n, "out of memory");
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *e = sd__y_node(c, n->data.sequence.items.start[i]);
        size_t o = sd__y_push_idx(c, i);
        sd_contact *ct = &s->contacts[i];
        ct->q = -1;
        s->n_contacts = i + 1;
        if (e->type == YAML_SCALAR_NODE) {
            if (!(ct->uri = sd__y_dup_scalar(c, e)))
                return -1;
        } else {
            sd__ykv p[4];
            int np = sd__y_pairs(c, e, p, 4);
            if (np < 0)
                return -1;
            for (int j = 0; j < np; j++) {
                if (!strcmp(p[j].key, "uri")) {
                    if (!(ct->uri = sd__y_dup_scalar(c, p[j].v)))
                        return -1;
                } else if (!strcmp(p[j].key, "q")) {
                    const char *qs = sd__y_scalar(p[j].v);
                    char *end;
                    double q = qs ? strtod(qs, &end) : -1;
                    if (!qs || *end || q < 0 || q > 1)
                        return sd__y_fail(c, p[j].v, "q must be a number from 0 to 1");
                    ct->q = (int)(q * 1000 + 0.5);
                } else {
                    return sd__y_unknown(c, &p[j], "uri, q");
                }
            }
            if (!ct->uri)
                return sd__y_fail(c, e, "a contact needs a uri");
        }
        sr_uri u;
        if (sr_uri_parse(&u, ct->uri, strlen(ct->uri), NULL) != 0)
            return sd__y_fail(c, e, "not a valid URI: '%s'", ct->uri);
        sd__y_pop(c, o);
    }
    return 0;
}

#define STEP_KEYS                                                                              \
    "code, reason, delay, repeat, interval, reliable, unregistered, wait, headers, contacts, " \
    "retry-after, warning, body, content-type, sdp"

static int parse_step(sd__yctx *c, yaml_node_t *n, sd_step *s)
{
    memset(s, 0, sizeof(*s));
    s->repeat = 1;
    if (n->type == YAML_SCALAR_NODE) {
        if (sd__y_is_null(n) && c->default_code) {
            s->code = c->default_code;
            return 0;
        }
        if (parse_code(c, n, s))
            return -1;
        char why[200];
        return sd__check_registered(s, why, sizeof(why)) ? sd__y_fail(c, n, "%s", why) : 0;
    }
    sd__ykv p[20];
    int np = sd__y_pairs(c, n, p, 20);
    if (np < 0)
        return -1;
    bool have_code = false, sdp = false;
    for (int i = 0; i < np; i++) {
        const char *k = p[i].key;
        yaml_node_t *v = p[i].v;
        size_t o = sd__y_push_key(c, k);
        int rc = 0;
        if (!strcmp(k, "code")) {
            rc = parse_code(c, v, s);
            have_code = true;
        } else if (!strcmp(k, "reason")) {
            s->reason = sd__y_dup_scalar(c, v);
            rc = s->reason ? 0 : -1;
            if (!rc && strpbrk(s->reason, "\r\n"))
                rc = sd__y_fail(c, v, "a reason phrase is one line");
        } else if (!strcmp(k, "delay")) {
            rc = sd__y_get_duration(c, v, &s->delay_ms);
        } else if (!strcmp(k, "repeat")) {
            rc = sd__y_get_u32(c, v, &s->repeat);
            if (!rc && (s->repeat == 0 || s->repeat > 1000))
                rc = sd__y_fail(c, v, "repeat must be from 1 to 1000");
        } else if (!strcmp(k, "interval")) {
            rc = sd__y_get_duration(c, v, &s->interval_ms);
        } else if (!strcmp(k, "reliable")) {
            const char *r = sd__y_scalar(v);
            bool b;
            if (r && !strcmp(r, "auto"))
                s->reliable = SD_REL_AUTO;
            else if (r && !strcmp(r, "required"))
                s->reliable = SD_REL_REQUIRED;
            else if ((rc = sd__y_get_bool(c, v, &b)) == 0)
                s->reliable = b ? SD_REL_AUTO : SD_REL_NEVER;
            else {
                c->failed = 0;
                rc = sd__y_fail(c, v, "expected true, false, auto or required");
            }
        } else if (!strcmp(k, "unregistered")) {
            rc = sd__y_get_bool(c, v, &s->unregistered);
        } else if (!strcmp(k, "wait")) {
            const char *w = sd__y_scalar(v);
            s->wait_cancel = true;
            if (!w || strcmp(w, "cancel") != 0)
                rc = sd__y_get_duration(c, v, &s->delay_ms);
            have_code = true;
        } else if (!strcmp(k, "headers")) {
            sd__ykv h[32];
            int nh = sd__y_pairs(c, v, h, 32);
            if (nh < 0)
                rc = -1;
            for (int j = 0; j < nh && !rc; j++) {
                if (h[j].v->type == YAML_SEQUENCE_NODE) {
                    for (yaml_node_item_t *it = h[j].v->data.sequence.items.start;
                         it < h[j].v->data.sequence.items.top && !rc; it++) {
                        const char *hv = sd__y_scalar(sd__y_node(c, *it));
                        rc = hv ? add_header(c, s, h[j].v, h[j].key, hv)
                                : sd__y_fail(c, h[j].v, "header values are strings");
                    }
                } else {
                    const char *hv = sd__y_scalar(h[j].v);
                    rc = hv ? add_header(c, s, h[j].v, h[j].key, hv)
                            : sd__y_fail(c, h[j].v, "header values are strings");
                }
            }
        } else if (!strcmp(k, "contacts") || !strcmp(k, "contact")) {
            rc = parse_contacts(c, v, s);
        } else if (!strcmp(k, "retry-after")) {
            rc = sd__y_get_u32(c, v, &s->retry_after);
        } else if (!strcmp(k, "warning")) {
            /* "370 Insufficient bandwidth" or a full value: code, agent, quoted text */
            const char *w = sd__y_scalar(v);
            char buf[400];
            if (!w || strlen(w) < 5 || w[0] < '3' || w[0] > '3' || w[3] != ' ')
                rc = sd__y_fail(c, v, "expected '3xx text', e.g. '305 Incompatible media format'");
            else if (strchr(w, '"'))
                rc = add_header(c, s, v, "Warning", w);
            else {
                snprintf(buf, sizeof(buf), "%.3s sipreplyd \"%s\"", w, w + 4);
                rc = add_header(c, s, v, "Warning", buf);
            }
        } else if (!strcmp(k, "body")) {
            s->body = sd__y_dup_scalar(c, v);
            rc = s->body ? 0 : -1;
        } else if (!strcmp(k, "content-type")) {
            s->body_type = sd__y_dup_scalar(c, v);
            rc = s->body_type ? 0 : -1;
        } else if (!strcmp(k, "sdp")) {
            const char *sv = sd__y_scalar(v);
            if (sv && !strcmp(sv, "auto")) {
                s->no_sdp = false;
            } else {
                rc = sd__y_get_bool(c, v, &sdp);
                s->no_sdp = !sdp;
            }
        } else {
            rc = sd__y_unknown(c, &p[i], STEP_KEYS);
        }
        sd__y_pop(c, o);
        if (rc)
            return -1;
    }
    if (!have_code && c->default_code)
        s->code = c->default_code;
    else if (!have_code)
        return sd__y_fail(c, n, "a response needs a code (or 'wait')");
    if (sdp) {
        if (s->body)
            return sd__y_fail(c, n, "give either sdp or body");
        s->sdp_auto = true; /* the template stays for -t and the checks */
        s->body = strdup(sd_sdp_template);
        free(s->body_type);
        s->body_type = strdup("application/sdp");
        if (!s->body || !s->body_type)
            return sd__y_fail(c, n, "out of memory");
    }
    char why[200];
    if (sd__check_step(s, why, sizeof(why)))
        return sd__y_fail(c, n, "%s", why);
    return 0;
}

static int parse_steps(sd__yctx *c, yaml_node_t *n, sd_choice *ch)
{
    if (n->type == YAML_SEQUENCE_NODE) {
        size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (cnt == 0)
            return sd__y_fail(c, n, "an empty list of responses");
        ch->steps = calloc(cnt, sizeof(*ch->steps));
        if (!ch->steps)
            return sd__y_fail(c, n, "out of memory");
        for (size_t i = 0; i < cnt; i++) {
            size_t o = sd__y_push_idx(c, i);
            ch->n_steps = i + 1;
            int rc = parse_step(c, sd__y_node(c, n->data.sequence.items.start[i]), &ch->steps[i]);
            sd__y_pop(c, o);
            if (rc)
                return -1;
        }
        return 0;
    }
    ch->steps = calloc(1, sizeof(*ch->steps));
    if (!ch->steps)
        return sd__y_fail(c, n, "out of memory");
    ch->n_steps = 1;
    return parse_step(c, n, &ch->steps[0]);
}

/* respond: CODE | {step} | [steps] | {choose: [{weight: N, respond: ...}]} */
static int parse_respond(sd__yctx *c, yaml_node_t *n, sd_action *a)
{
    a->kind = SD_ACT_RESPOND;
    if (n->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            const char *ks = sd__y_scalar(sd__y_node(c, p->key));
            if (!ks || strcmp(ks, "choose") != 0)
                continue;
            if (n->data.mapping.pairs.top - n->data.mapping.pairs.start != 1)
                return sd__y_fail(c, n, "'choose' stands alone");
            yaml_node_t *l = sd__y_node(c, p->value);
            size_t o = sd__y_push_key(c, "choose");
            if (l->type != YAML_SEQUENCE_NODE ||
                l->data.sequence.items.top == l->data.sequence.items.start)
                return sd__y_fail(c, l, "expected a list of {weight, respond}");
            size_t cnt = (size_t)(l->data.sequence.items.top - l->data.sequence.items.start);
            a->choices = calloc(cnt, sizeof(*a->choices));
            if (!a->choices)
                return sd__y_fail(c, l, "out of memory");
            for (size_t i = 0; i < cnt; i++) {
                size_t o2 = sd__y_push_idx(c, i);
                sd__ykv q[2];
                int nq = sd__y_pairs(c, sd__y_node(c, l->data.sequence.items.start[i]), q, 2);
                if (nq < 0)
                    return -1;
                sd_choice *ch = &a->choices[i];
                a->n_choices = i + 1;
                ch->weight = 1;
                bool got = false;
                for (int j = 0; j < nq; j++) {
                    size_t o3 = sd__y_push_key(c, q[j].key);
                    int rc;
                    if (!strcmp(q[j].key, "weight")) {
                        unsigned long w;
                        rc = sd__y_get_uint(c, q[j].v, 1000000, &w);
                        ch->weight = (unsigned)w;
                    } else if (!strcmp(q[j].key, "respond")) {
                        rc = parse_steps(c, q[j].v, ch);
                        got = true;
                    } else {
                        rc = sd__y_unknown(c, &q[j], "weight, respond");
                    }
                    sd__y_pop(c, o3);
                    if (rc)
                        return -1;
                }
                if (!got)
                    return sd__y_fail(c, sd__y_node(c, l->data.sequence.items.start[i]),
                                      "a choice needs 'respond'");
                a->total_weight += ch->weight;
                sd__y_pop(c, o2);
            }
            sd__y_pop(c, o);
            if (a->total_weight == 0)
                return sd__y_fail(c, l, "the weights add up to 0");
            return 0;
        }
    }
    a->choices = calloc(1, sizeof(*a->choices));
    if (!a->choices)
        return sd__y_fail(c, n, "out of memory");
    a->n_choices = 1;
    a->choices[0].weight = 1;
    a->total_weight = 1;
    return parse_steps(c, n, &a->choices[0]);
}

/* redirect: {code: 302, contacts: [...], ...step keys} */
static int parse_redirect(sd__yctx *c, yaml_node_t *n, sd_action *a)
{
    c->default_code = 302;
    int rc = parse_respond(c, n, a);
    c->default_code = 0;
    if (rc != 0)
        return -1;
    for (size_t i = 0; i < a->n_choices; i++)
        for (size_t j = 0; j < a->choices[i].n_steps; j++) {
            sd_step *s = &a->choices[i].steps[j];
            if (s->code && (s->code < 300 || s->code > 399))
                return sd__y_fail(c, n, "a redirect answers 3xx, not %u", s->code);
            if (s->n_contacts == 0 && s->code != 380)
                return sd__y_fail(c, n, "a redirect needs contacts");
        }
    return 0;
}

static int parse_stateless(sd__yctx *c, yaml_node_t *n, sd_action *a)
{
    if (parse_respond(c, n, a) != 0)
        return -1;
    a->kind = SD_ACT_STATELESS;
    if (a->n_choices != 1 || a->choices[0].n_steps != 1)
        return sd__y_fail(c, n, "a stateless reply is one response");
    sd_step *s = &a->choices[0].steps[0];
    if (s->wait_cancel || s->delay_ms || (s->code && s->code < 200))
        return sd__y_fail(c, n, "a stateless reply is one final response, without delay");
    return 0;
}

static int parse_challenge(sd__yctx *c, yaml_node_t *n, sd_action *a)
{
    a->kind = SD_ACT_CHALLENGE;
    a->md5 = true;
    a->sha256 = true;
    a->nonce_ttl_s = 300;
    if (sd__y_is_null(n))
        return 0;
    sd__ykv p[8];
    int np = sd__y_pairs(c, n, p, 8);
    if (np < 0)
        return -1;
    for (int i = 0; i < np; i++) {
        size_t o = sd__y_push_key(c, p[i].key);
        int rc = 0;
        if (!strcmp(p[i].key, "realm")) {
            rc = (a->realm = sd__y_dup_scalar(c, p[i].v)) ? 0 : -1;
        } else if (!strcmp(p[i].key, "proxy")) {
            rc = sd__y_get_bool(c, p[i].v, &a->proxy);
        } else if (!strcmp(p[i].key, "nonce-ttl")) {
            uint32_t ms;
            rc = sd__y_get_duration(c, p[i].v, &ms);
            a->nonce_ttl_s = ms / 1000 ? ms / 1000 : 1;
        } else if (!strcmp(p[i].key, "algorithms")) {
            char **l = NULL;
            rc = sd__y_str_list(c, p[i].v, &l);
            a->md5 = a->sha256 = false;
            for (char **x = l; !rc && x && *x; x++) {
                if (!strcmp(*x, "MD5")) {
                    /* the list's order is the order offered (RFC 8760 §2.4) */
                    a->md5_first = a->md5_first || !a->sha256;
                    a->md5 = true;
                } else if (!strcmp(*x, "SHA-256"))
                    a->sha256 = true;
                else
                    rc = sd__y_fail(c, p[i].v, "unknown algorithm '%s' (MD5, SHA-256)", *x);
            }
            sd__free_list(l);
            if (!rc && !a->md5 && !a->sha256)
                rc = sd__y_fail(c, p[i].v, "no algorithm");
        } else if (!strcmp(p[i].key, "users")) {
            sd__ykv u[64];
            int nu = sd__y_pairs(c, p[i].v, u, 64);
            if (nu < 0)
                rc = -1;
            if (!rc && nu > 0 && !(a->users = calloc((size_t)nu, sizeof(*a->users))))
                rc = sd__y_fail(c, p[i].v, "out of memory");
            for (int j = 0; j < nu && !rc; j++) {
                a->n_users = (size_t)j + 1;
                a->users[j].name = strdup(u[j].key);
                a->users[j].password = sd__y_dup_scalar(c, u[j].v);
                if (!a->users[j].name || !a->users[j].password)
                    rc = -1;
            }
        } else if (!strcmp(p[i].key, "any-user")) {
            rc = (a->any_user_password = sd__y_dup_scalar(c, p[i].v)) ? 0 : -1;
        } else {
            rc = sd__y_unknown(c, &p[i], "realm, users, any-user, algorithms, proxy, nonce-ttl");
        }
        sd__y_pop(c, o);
        if (rc)
            return -1;
    }
    return 0;
}

static int parse_register(sd__yctx *c, yaml_node_t *n, sd_action *a)
{
    a->kind = SD_ACT_REGISTER;
    a->min_expires = 60;
    a->max_expires = 3600;
    a->default_expires = 3600;
    if (sd__y_is_null(n))
        return 0;
    sd__ykv p[8];
    int np = sd__y_pairs(c, n, p, 8);
    if (np < 0)
        return -1;
    for (int i = 0; i < np; i++) {
        size_t o = sd__y_push_key(c, p[i].key);
        int rc;
        if (!strcmp(p[i].key, "min-expires"))
            rc = sd__y_get_u32(c, p[i].v, &a->min_expires);
        else if (!strcmp(p[i].key, "max-expires"))
            rc = sd__y_get_u32(c, p[i].v, &a->max_expires);
        else if (!strcmp(p[i].key, "default-expires"))
            rc = sd__y_get_u32(c, p[i].v, &a->default_expires);
        else if (!strcmp(p[i].key, "domains"))
            rc = sd__y_str_list(c, p[i].v, &a->domains);
        else
            rc = sd__y_unknown(c, &p[i], "min-expires, max-expires, default-expires, domains");
        sd__y_pop(c, o);
        if (rc)
            return -1;
    }
    if (a->min_expires > a->max_expires)
        return sd__y_fail(c, n, "min-expires is larger than max-expires");
    return 0;
}

static bool is_action_key(const char *k)
{
    return !strcmp(k, "respond") || !strcmp(k, "redirect") || !strcmp(k, "stateless") ||
           !strcmp(k, "challenge") || !strcmp(k, "register") || !strcmp(k, "forward");
}

static int add_action(sd__yctx *c, sd_rule *r, const char *k, yaml_node_t *v)
{
    sd_action *a = realloc(r->actions, (r->n_actions + 1) * sizeof(*a));
    if (!a)
        return sd__y_fail(c, v, "out of memory");
    r->actions = a;
    a = &r->actions[r->n_actions++];
    memset(a, 0, sizeof(*a));
    size_t o = sd__y_push_key(c, k);
    int rc;
    if (!strcmp(k, "respond"))
        rc = parse_respond(c, v, a);
    else if (!strcmp(k, "redirect"))
        rc = parse_redirect(c, v, a);
    else if (!strcmp(k, "stateless"))
        rc = parse_stateless(c, v, a);
    else if (!strcmp(k, "challenge"))
        rc = parse_challenge(c, v, a);
    else if (!strcmp(k, "forward"))
        rc = sd__parse_forward(c, v, a);
    else
        rc = parse_register(c, v, a);
    sd__y_pop(c, o);
    return rc;
}

static int compile_re(sd__yctx *c, yaml_node_t *n, regex_t *re, bool *has)
{
    const char *s = sd__y_scalar(n);
    if (!s)
        return sd__y_fail(c, n, "expected a regular expression");
    int rc = regcomp(re, s, REG_EXTENDED);
    if (rc != 0) {
        char msg[120];
        regerror(rc, re, msg, sizeof(msg));
        return sd__y_fail(c, n, "bad regular expression '%s': %s", s, msg);
    }
    if (has)
        *has = true;
    return 0;
}

#define MATCH_KEYS "method, user, user-regex, host, host-regex, headers, source, transport"

static int parse_match(sd__yctx *c, yaml_node_t *n, sd_match *m)
{
    if (sd__y_is_null(n))
        return 0;
    sd__ykv p[12];
    int np = sd__y_pairs(c, n, p, 12);
    if (np < 0)
        return -1;
    for (int i = 0; i < np; i++) {
        const char *k = p[i].key;
        yaml_node_t *v = p[i].v;
        size_t o = sd__y_push_key(c, k);
        int rc = 0;
        if (!strcmp(k, "method")) {
            rc = sd__y_str_list(c, v, &m->methods);
            for (char **x = m->methods; !rc && *x; x++)
                for (const char *ch = *x; *ch && !rc; ch++)
                    if (*ch < 'A' || *ch > 'Z')
                        rc = sd__y_fail(c, v, "a method is an upper-case token: '%s'", *x);
        } else if (!strcmp(k, "user")) {
            rc = (m->user = sd__y_dup_scalar(c, v)) ? 0 : -1;
        } else if (!strcmp(k, "user-regex")) {
            rc = compile_re(c, v, &m->user_re, &m->has_user_re);
        } else if (!strcmp(k, "host")) {
            rc = (m->host = sd__y_dup_scalar(c, v)) ? 0 : -1;
        } else if (!strcmp(k, "host-regex")) {
            rc = compile_re(c, v, &m->host_re, &m->has_host_re);
        } else if (!strcmp(k, "headers")) {
            sd__ykv h[16];
            int nh = sd__y_pairs(c, v, h, 16);
            if (nh < 0)
                rc = -1;
            if (!rc && nh && !(m->headers = calloc((size_t)nh, sizeof(*m->headers))))
                rc = sd__y_fail(c, v, "out of memory");
            for (int j = 0; j < nh && !rc; j++) {
                size_t o2 = sd__y_push_key(c, h[j].key);
                m->headers[j].name = strdup(h[j].key);
                bool has = false;
                rc = m->headers[j].name ? compile_re(c, h[j].v, &m->headers[j].re, &has) : -1;
                if (has)
                    m->n_headers = (size_t)j + 1;
                else
                    free(m->headers[j].name);
                sd__y_pop(c, o2);
            }
        } else if (!strcmp(k, "source")) {
            char **l = NULL;
            rc = sd__y_str_list(c, v, &l);
            size_t cnt = 0;
            while (!rc && l[cnt])
                cnt++;
            if (!rc && !(m->sources = calloc(cnt ? cnt : 1, sizeof(*m->sources))))
                rc = sd__y_fail(c, v, "out of memory");
            for (size_t j = 0; j < cnt && !rc; j++) {
                if (sd_cidr_parse(l[j], &m->sources[j]) != 0)
                    rc = sd__y_fail(c, v, "not an address or prefix: '%s'", l[j]);
                m->n_sources = j + 1;
            }
            sd__free_list(l);
        } else if (!strcmp(k, "transport")) {
            char **l = NULL;
            rc = sd__y_str_list(c, v, &l);
            for (char **x = l; !rc && x && *x; x++) {
                if (!strcasecmp(*x, "udp"))
                    m->transports |= 1u << SR_TP_UDP;
                else if (!strcasecmp(*x, "tcp"))
                    m->transports |= 1u << SR_TP_TCP;
                else if (!strcasecmp(*x, "tls"))
                    m->transports |= 1u << SR_TP_TLS;
                else
                    rc = sd__y_fail(c, v, "unknown transport '%s' (udp, tcp, tls)", *x);
            }
            sd__free_list(l);
        } else {
            rc = sd__y_unknown(c, &p[i], MATCH_KEYS);
        }
        sd__y_pop(c, o);
        if (rc)
            return -1;
    }
    return 0;
}

static int parse_rule(sd__yctx *c, yaml_node_t *n, sd_rule *r, size_t idx)
{
    sd__ykv p[12];
    int np = sd__y_pairs(c, n, p, 12);
    if (np < 0)
        return -1;
    for (int i = 0; i < np; i++) {
        const char *k = p[i].key;
        int rc;
        if (!strcmp(k, "name")) {
            size_t o = sd__y_push_key(c, k);
            rc = (r->name = sd__y_dup_scalar(c, p[i].v)) ? 0 : -1;
            sd__y_pop(c, o);
        } else if (!strcmp(k, "match")) {
            size_t o = sd__y_push_key(c, k);
            rc = parse_match(c, p[i].v, &r->match);
            sd__y_pop(c, o);
        } else if (!strcmp(k, "media")) {
            rc = sd__parse_rule_media(c, p[i].v, &r->media);
        } else if (!strcmp(k, "dtmf")) {
            rc = sd__parse_rule_dtmf(c, p[i].v, &r->dtmf);
        } else if (is_action_key(k)) {
            rc = add_action(c, r, k, p[i].v);
        } else if (!strcmp(k, "actions")) {
            size_t o = sd__y_push_key(c, k);
            yaml_node_t *l = p[i].v;
            rc = l->type == YAML_SEQUENCE_NODE ? 0 : sd__y_fail(c, l, "expected a list of actions");
            size_t j = 0;
            for (yaml_node_item_t *it = l->data.sequence.items.start;
                 !rc && it < l->data.sequence.items.top; it++, j++) {
                size_t o2 = sd__y_push_idx(c, j);
                sd__ykv a[2];
                int na = sd__y_pairs(c, sd__y_node(c, *it), a, 2);
                if (na != 1 || !is_action_key(a[0].key))
                    rc = sd__y_fail(c, sd__y_node(c, *it),
                                    "an action is one of respond, redirect, stateless, challenge, "
                                    "register, forward");
                else
                    rc = add_action(c, r, a[0].key, a[0].v);
                sd__y_pop(c, o2);
            }
            sd__y_pop(c, o);
        } else {
            rc = sd__y_unknown(
                c, &p[i],
                "name, match, media, dtmf, respond, redirect, stateless, challenge, register, "
                "forward, actions");
        }
        if (rc)
            return -1;
    }
    if (!r->name) {
        char nm[32];
        snprintf(nm, sizeof(nm), "rule%zu", idx + 1);
        if (!(r->name = strdup(nm)))
            return sd__y_fail(c, n, "out of memory");
    }
    if (r->dtmf.set && !r->media.set)
        return sd__y_fail(c, n, "dtmf needs media (the keys come on the call's RTP stream)");
    if (r->n_actions == 0)
        return sd__y_fail(c, n,
                          "a rule needs an action (respond, redirect, stateless, challenge, "
                          "register, forward)");
    char why[200];
    if (sd__check_actions(r, why, sizeof(why)))
        return sd__y_fail(c, n, "%s", why);
    return 0;
}

#define TOP_KEYS                                                                                  \
    "rules, default, listen, advertise, server, seed, timers, retry-after, min-expires, min-se, " \
    "registrations, media"

int sd__config_from_yaml(sd__yctx *c, yaml_node_t *root, sd_config *cf)
{
    if (sd__y_is_null(root))
        return sd__y_fail(c, root, "the configuration is empty");
    sd__ykv p[16];
    int np = sd__y_pairs(c, root, p, 16);
    if (np < 0)
        return -1;
    bool have_default = false;
    for (int i = 0; i < np; i++) {
        const char *k = p[i].key;
        yaml_node_t *v = p[i].v;
        size_t o = sd__y_push_key(c, k);
        int rc = 0;
        if (!strcmp(k, "rules")) {
            if (v->type != YAML_SEQUENCE_NODE) {
                rc = sd__y_fail(c, v, "expected a list of rules");
            } else {
                size_t cnt = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
                cf->rules = calloc(cnt ? cnt : 1, sizeof(*cf->rules));
                if (!cf->rules)
                    rc = sd__y_fail(c, v, "out of memory");
                for (size_t j = 0; j < cnt && !rc; j++) {
                    size_t o2 = sd__y_push_idx(c, j);
                    cf->n_rules = j + 1;
                    yaml_node_t *rn = sd__y_node(c, v->data.sequence.items.start[j]);
                    rc = parse_rule(c, rn, &cf->rules[j], j);
                    char why[200];
                    if (!rc && sd__check_captures(&cf->rules[j], why, sizeof(why)))
                        rc = sd__y_fail(c, rn, "%s", why);
                    sd__y_pop(c, o2);
                }
            }
        } else if (!strcmp(k, "default")) {
            have_default = true;
            rc = add_action(c, &cf->fallback, "respond", v);
        } else if (!strcmp(k, "listen")) {
            rc = sd__y_str_list(c, v, &cf->listen);
        } else if (!strcmp(k, "registrations")) {
            rc = sd__parse_registrations(c, v, cf);
        } else if (!strcmp(k, "media")) {
            rc = sd__parse_media_conf(c, v, &cf->media);
        } else if (!strcmp(k, "advertise")) {
            rc = (cf->advertise = sd__y_dup_scalar(c, v)) ? 0 : -1;
        } else if (!strcmp(k, "server")) {
            rc = (cf->server = sd__y_dup_scalar(c, v)) ? 0 : -1;
        } else if (!strcmp(k, "seed")) {
            unsigned long s;
            rc = sd__y_get_uint(c, v, 0xffffffffUL, &s);
            cf->seed = s;
        } else if (!strcmp(k, "retry-after")) {
            rc = sd__y_get_u32(c, v, &cf->retry_after);
        } else if (!strcmp(k, "min-expires")) {
            rc = sd__y_get_u32(c, v, &cf->min_expires);
        } else if (!strcmp(k, "min-se")) {
            rc = sd__y_get_u32(c, v, &cf->min_se);
            if (!rc && cf->min_se < 90)
                rc = sd__y_fail(c, v, "Min-SE is at least 90 (RFC 4028)");
        } else if (!strcmp(k, "timers")) {
            rc = sd__parse_timers(c, v, cf);
        } else {
            rc = sd__y_unknown(c, &p[i], TOP_KEYS);
        }
        sd__y_pop(c, o);
        if (rc)
            return -1;
    }
    if (!have_default) {
        sd_action *a = calloc(1, sizeof(*a));
        sd_choice *ch = calloc(1, sizeof(*ch));
        sd_step *s = calloc(1, sizeof(*s));
        if (!a || !ch || !s) {
            free(a);
            free(ch);
            free(s);
            return sd__y_fail(c, root, "out of memory");
        }
        s->code = 404;
        s->repeat = 1;
        ch->steps = s;
        ch->n_steps = 1;
        ch->weight = 1;
        a->kind = SD_ACT_RESPOND;
        a->choices = ch;
        a->n_choices = 1;
        a->total_weight = 1;
        cf->fallback.actions = a;
        cf->fallback.n_actions = 1;
    }
    for (size_t i = 0; i < cf->fallback.n_actions; i++)
        for (size_t j = 0; j < cf->fallback.actions[i].n_choices; j++)
            for (size_t k = 0; k < cf->fallback.actions[i].choices[j].n_steps; k++)
                if (cf->fallback.actions[i].choices[j].steps[k].capture)
                    return sd__y_fail(c, root, "default: no $N capture outside a rule");
    if (!(cf->fallback.name = strdup("default")))
        return sd__y_fail(c, root, "out of memory");
    char why[200];
    if (sd__forward_check(cf, why, sizeof(why)))
        return sd__y_fail(c, root, "%s", why);
    for (size_t i = 0; i < cf->n_rules; i++)
        if (cf->rules[i].actions[0].kind == SD_ACT_STATELESS)
            cf->has_stateless = true;
    return 0;
}
