/* sipreplyd: the YAML configuration (libyaml document API) turned into sd_config.
 * Every error names the place in the file (line:column) and the path of keys. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct ctx {
    yaml_document_t *doc;
    sd_config_error *err;
    char path[200];
    int failed;
    unsigned default_code; /* a step without a code gets it (redirect: 302); 0: an error */
} ctx;

static int fail(ctx *c, const yaml_node_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(ctx *c, const yaml_node_t *at, const char *fmt, ...)
{
    if (c->failed)
        return -1;
    c->failed = 1;
    if (c->err) {
        c->err->line = at ? (unsigned)at->start_mark.line + 1 : 0;
        c->err->column = at ? (unsigned)at->start_mark.column + 1 : 0;
        char what[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        size_t pl = strlen(c->path), wl = strlen(what), cap = sizeof(c->err->msg);
        size_t n = 0;
        if (pl) {
            if (pl > cap / 2)
                pl = cap / 2;
            memcpy(c->err->msg, c->path, pl);
            memcpy(c->err->msg + pl, ": ", 2);
            n = pl + 2;
        }
        if (wl > cap - 1 - n)
            wl = cap - 1 - n;
        memcpy(c->err->msg + n, what, wl);
        c->err->msg[n + wl] = '\0';
    }
    return -1;
}

/* Path handling: push appends ".key" or "[i]"; pop restores the saved length. */
static size_t push_key(ctx *c, const char *key)
{
    size_t old = strlen(c->path);
    snprintf(c->path + old, sizeof(c->path) - old, "%s%s", old ? "." : "", key);
    return old;
}

static size_t push_idx(ctx *c, size_t i)
{
    size_t old = strlen(c->path);
    snprintf(c->path + old, sizeof(c->path) - old, "[%zu]", i);
    return old;
}

static void pop(ctx *c, size_t old)
{
    c->path[old] = '\0';
}

static yaml_node_t *node(ctx *c, int idx)
{
    return yaml_document_get_node(c->doc, idx);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool is_null(const yaml_node_t *n)
{
    if (!n)
        return true;
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = scalar(n);
    return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0;
}

static char *dup_scalar(ctx *c, const yaml_node_t *n)
{
    const char *s = scalar(n);
    if (!s) {
        fail(c, n, "expected a string");
        return NULL;
    }
    char *d = strdup(s);
    if (!d)
        fail(c, n, "out of memory");
    return d;
}

static int get_uint(ctx *c, const yaml_node_t *n, unsigned long max, unsigned long *out)
{
    /* every failure returns -1 itself, not fail()'s value: the caller reads *out after a 0,
     * and gcc -O3 cannot see that fail() never returns 0 (-Wmaybe-uninitialized) */
    const char *s = scalar(n);
    if (!s || !*s) {
        fail(c, n, "expected a number");
        return -1;
    }
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || errno || s[0] == '-' || v > max) {
        fail(c, n, "expected a number from 0 to %lu, got '%s'", max, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int get_u32(ctx *c, const yaml_node_t *n, uint32_t *out)
{
    unsigned long v;
    if (get_uint(c, n, 0xffffffffUL, &v) != 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int get_bool(ctx *c, const yaml_node_t *n, bool *out)
{
    const char *s = scalar(n);
    if (s && (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))) {
        *out = true;
        return 0;
    }
    if (s && (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))) {
        *out = false;
        return 0;
    }
    return fail(c, n, "expected true or false");
}

int sd_parse_duration(const char *s, uint32_t *ms)
{
    if (!s || !*s || *s == '-')
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s)
        return -1;
    double mul;
    if (!*end || !strcmp(end, "ms"))
        mul = 1;
    else if (!strcmp(end, "s"))
        mul = 1000;
    else if (!strcmp(end, "m") || !strcmp(end, "min"))
        mul = 60000;
    else
        return -1;
    double r = v * mul;
    if (r < 0 || r > 4294967295.0)
        return -1;
    *ms = (uint32_t)(r + 0.5);
    return 0;
}

static int get_duration(ctx *c, const yaml_node_t *n, uint32_t *out)
{
    const char *s = scalar(n);
    if (!s || sd_parse_duration(s, out) != 0)
        return fail(c, n, "expected a duration (milliseconds, or '250ms', '2s', '1m'), got '%s'",
                    s ? s : "(not a scalar)");
    return 0;
}

int sd_cidr_parse(const char *s, sd_cidr *out)
{
    char buf[80];
    size_t n = strlen(s);
    if (n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n + 1);
    char *slash = strchr(buf, '/');
    long bits = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        bits = strtol(slash + 1, &end, 10);
        if (*end || slash[1] == '\0' || bits < 0)
            return -1;
    }
    char *h = buf;
    size_t hl = strlen(h);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h[hl - 1] = '\0';
        h++;
    }
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, h, out->addr) == 1) {
        out->family = 4;
        if (bits > 32)
            return -1;
        out->bits = bits < 0 ? 32 : (unsigned)bits;
    } else if (inet_pton(AF_INET6, h, out->addr) == 1) {
        out->family = 6;
        if (bits > 128)
            return -1;
        out->bits = bits < 0 ? 128 : (unsigned)bits;
    } else {
        return -1;
    }
    return 0;
}

bool sd_cidr_contains(const sd_cidr *c, const char *host)
{
    sd_cidr a;
    if (sd_cidr_parse(host, &a) != 0)
        return false;
    if (a.family != c->family) {
        /* an IPv4-mapped IPv6 source matches an IPv4 prefix */
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (c->family == 4 && a.family == 6 && !memcmp(a.addr, mapped, 12))
            memmove(a.addr, a.addr + 12, 4);
        else
            return false;
    }
    unsigned full = c->bits / 8, rest = c->bits % 8;
    if (memcmp(a.addr, c->addr, full) != 0)
        return false;
    if (rest) {
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        if ((a.addr[full] & mask) != (c->addr[full] & mask))
            return false;
    }
    return true;
}

/* ------------------------------------------------------------------ mappings */

typedef struct kv {
    const char *key;
    yaml_node_t *k;
    yaml_node_t *v;
} kv;

/* Walk a mapping: returns the number of pairs, or -1 (not a mapping / duplicate key). */
static int pairs(ctx *c, yaml_node_t *n, kv *out, int cap)
{
    if (!n || n->type != YAML_MAPPING_NODE)
        return fail(c, n, "expected a mapping (key: value)");
    int cnt = 0;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
        const char *ks = scalar(k);
        if (!ks)
            return fail(c, k, "keys must be strings");
        for (int i = 0; i < cnt; i++)
            if (!strcmp(out[i].key, ks))
                return fail(c, k, "duplicate key '%s'", ks);
        if (cnt == cap)
            return fail(c, k, "too many keys");
        out[cnt].key = ks;
        out[cnt].k = k;
        out[cnt].v = v;
        cnt++;
    }
    return cnt;
}

static int unknown(ctx *c, const kv *p, const char *known)
{
    /* the path names the mapping, not the unknown key */
    size_t pl = strlen(c->path), kl = strlen(p->key);
    if (pl > kl && c->path[pl - kl - 1] == '.' && !strcmp(c->path + pl - kl, p->key))
        c->path[pl - kl - 1] = '\0';
    return fail(c, p->k, "unknown key '%s' (known: %s)", p->key, known);
}

/* A scalar or a sequence of scalars → NULL-terminated array of copies. */
static int str_list(ctx *c, yaml_node_t *n, char ***out)
{
    size_t cnt = 1;
    if (n->type == YAML_SEQUENCE_NODE)
        cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    else if (n->type != YAML_SCALAR_NODE)
        return fail(c, n, "expected a string or a list of strings");
    char **arr = calloc(cnt + 1, sizeof(*arr));
    if (!arr)
        return fail(c, n, "out of memory");
    *out = arr;
    if (n->type == YAML_SCALAR_NODE) {
        arr[0] = dup_scalar(c, n);
        return arr[0] ? 0 : -1;
    }
    size_t i = 0;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++, i++) {
        size_t o = push_idx(c, i);
        arr[i] = dup_scalar(c, node(c, *it));
        pop(c, o);
        if (!arr[i])
            return -1;
    }
    return 0;
}

static void free_list(char **l)
{
    if (!l)
        return;
    for (char **p = l; *p; p++)
        free(*p);
    free(l);
}

/* ------------------------------------------------------------------ steps */

static const char sdp_template[] = "v=0\r\n"
                                   "o=sipreplyd {{session}} {{session}} IN {{ipver}} {{ip}}\r\n"
                                   "s=sipreplyd\r\n"
                                   "c=IN {{ipver}} {{ip}}\r\n"
                                   "t=0 0\r\n"
                                   "m=audio {{mediaport}} RTP/AVP 0 8 101\r\n"
                                   "a=rtpmap:0 PCMU/8000\r\n"
                                   "a=rtpmap:8 PCMA/8000\r\n"
                                   "a=rtpmap:101 telephone-event/8000\r\n"
                                   "a=sendrecv\r\n";

static int add_header(ctx *c, sd_step *s, const yaml_node_t *at, const char *name,
                      const char *value)
{
    sd_header *h = realloc(s->headers, (s->n_headers + 1) * sizeof(*h));
    if (!h)
        return fail(c, at, "out of memory");
    s->headers = h;
    h[s->n_headers].name = strdup(name);
    h[s->n_headers].value = strdup(value);
    s->n_headers++;
    if (!h[s->n_headers - 1].name || !h[s->n_headers - 1].value)
        return fail(c, at, "out of memory");
    if (!*name || strpbrk(name, ": \t\r\n") || strpbrk(value, "\r\n"))
        return fail(c, at, "bad header '%s: %s'", name, value);
    return 0;
}

static int parse_code(ctx *c, yaml_node_t *n, sd_step *s)
{
    const char *v = scalar(n);
    if (v && v[0] == '$' && v[1] >= '1' && v[1] <= '9' && v[2] == '\0') {
        s->capture = v[1] - '0';
        return 0;
    }
    unsigned long code;
    if (!v || get_uint(c, n, 699, &code) != 0 || code < 100) {
        c->failed = 0;
        return fail(c, n, "expected a status code 100-699 or $1..$9, got '%s'",
                    v ? v : "(not a scalar)");
    }
    s->code = (unsigned)code;
    return 0;
}

static int parse_contacts(ctx *c, yaml_node_t *n, sd_step *s)
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
            return fail(c, n, "out of memory");
        s->n_contacts = 1;
        s->contacts[0].q = -1;
        s->contacts[0].uri = dup_scalar(c, n);
        return s->contacts[0].uri ? 0 : -1;
    }
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(c, n, "expected a URI or a list of contacts");
    size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    s->contacts = calloc(cnt ? cnt : 1, sizeof(*s->contacts));
    if (!s->contacts)
        return fail(c, n, "out of memory");
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *e = node(c, n->data.sequence.items.start[i]);
        size_t o = push_idx(c, i);
        sd_contact *ct = &s->contacts[i];
        ct->q = -1;
        s->n_contacts = i + 1;
        if (e->type == YAML_SCALAR_NODE) {
            if (!(ct->uri = dup_scalar(c, e)))
                return -1;
        } else {
            kv p[4];
            int np = pairs(c, e, p, 4);
            if (np < 0)
                return -1;
            for (int j = 0; j < np; j++) {
                if (!strcmp(p[j].key, "uri")) {
                    if (!(ct->uri = dup_scalar(c, p[j].v)))
                        return -1;
                } else if (!strcmp(p[j].key, "q")) {
                    const char *qs = scalar(p[j].v);
                    char *end;
                    double q = qs ? strtod(qs, &end) : -1;
                    if (!qs || *end || q < 0 || q > 1)
                        return fail(c, p[j].v, "q must be a number from 0 to 1");
                    ct->q = (int)(q * 1000 + 0.5);
                } else {
                    return unknown(c, &p[j], "uri, q");
                }
            }
            if (!ct->uri)
                return fail(c, e, "a contact needs a uri");
        }
        sr_uri u;
        if (sr_uri_parse(&u, ct->uri, strlen(ct->uri), NULL) != 0)
            return fail(c, e, "not a valid URI: '%s'", ct->uri);
        pop(c, o);
    }
    return 0;
}

/* A literal code outside the IANA registry is built only with `unregistered: true` (the
 * engine then sends it with its legacy or class phrase, build.h SR_BUILD_UNREGISTERED and
 * SR_BUILD_LEGACY); without it the step could never be built: refused here (and by -t)
 * rather than answered 500 at run time. A capture ($1) is only known at run time. */
static int check_registered(ctx *c, yaml_node_t *n, const sd_step *s)
{
    if (s->capture || s->wait_cancel || !s->code || s->unregistered ||
        sr_status_is_registered((int)s->code))
        return 0;
    return fail(c, n, "%u is not in the IANA registry%s: add 'unregistered: true' to send it",
                s->code, sr_status_legacy_lookup((int)s->code) ? " (a legacy code)" : "");
}

#define STEP_KEYS                                                                              \
    "code, reason, delay, repeat, interval, reliable, unregistered, wait, headers, contacts, " \
    "retry-after, warning, body, content-type, sdp"

static int parse_step(ctx *c, yaml_node_t *n, sd_step *s)
{
    memset(s, 0, sizeof(*s));
    s->repeat = 1;
    if (n->type == YAML_SCALAR_NODE) {
        if (is_null(n) && c->default_code) {
            s->code = c->default_code;
            return 0;
        }
        return parse_code(c, n, s) ? -1 : check_registered(c, n, s);
    }
    kv p[20];
    int np = pairs(c, n, p, 20);
    if (np < 0)
        return -1;
    bool have_code = false, sdp = false;
    for (int i = 0; i < np; i++) {
        const char *k = p[i].key;
        yaml_node_t *v = p[i].v;
        size_t o = push_key(c, k);
        int rc = 0;
        if (!strcmp(k, "code")) {
            rc = parse_code(c, v, s);
            have_code = true;
        } else if (!strcmp(k, "reason")) {
            s->reason = dup_scalar(c, v);
            rc = s->reason ? 0 : -1;
            if (!rc && strpbrk(s->reason, "\r\n"))
                rc = fail(c, v, "a reason phrase is one line");
        } else if (!strcmp(k, "delay")) {
            rc = get_duration(c, v, &s->delay_ms);
        } else if (!strcmp(k, "repeat")) {
            rc = get_u32(c, v, &s->repeat);
            if (!rc && (s->repeat == 0 || s->repeat > 1000))
                rc = fail(c, v, "repeat must be from 1 to 1000");
        } else if (!strcmp(k, "interval")) {
            rc = get_duration(c, v, &s->interval_ms);
        } else if (!strcmp(k, "reliable")) {
            const char *r = scalar(v);
            bool b;
            if (r && !strcmp(r, "auto"))
                s->reliable = SD_REL_AUTO;
            else if (r && !strcmp(r, "required"))
                s->reliable = SD_REL_REQUIRED;
            else if ((rc = get_bool(c, v, &b)) == 0)
                s->reliable = b ? SD_REL_AUTO : SD_REL_NEVER;
            else {
                c->failed = 0;
                rc = fail(c, v, "expected true, false, auto or required");
            }
        } else if (!strcmp(k, "unregistered")) {
            rc = get_bool(c, v, &s->unregistered);
        } else if (!strcmp(k, "wait")) {
            const char *w = scalar(v);
            s->wait_cancel = true;
            if (!w || strcmp(w, "cancel") != 0)
                rc = get_duration(c, v, &s->delay_ms);
            have_code = true;
        } else if (!strcmp(k, "headers")) {
            kv h[32];
            int nh = pairs(c, v, h, 32);
            if (nh < 0)
                rc = -1;
            for (int j = 0; j < nh && !rc; j++) {
                if (h[j].v->type == YAML_SEQUENCE_NODE) {
                    for (yaml_node_item_t *it = h[j].v->data.sequence.items.start;
                         it < h[j].v->data.sequence.items.top && !rc; it++) {
                        const char *hv = scalar(node(c, *it));
                        rc = hv ? add_header(c, s, h[j].v, h[j].key, hv)
                                : fail(c, h[j].v, "header values are strings");
                    }
                } else {
                    const char *hv = scalar(h[j].v);
                    rc = hv ? add_header(c, s, h[j].v, h[j].key, hv)
                            : fail(c, h[j].v, "header values are strings");
                }
            }
        } else if (!strcmp(k, "contacts") || !strcmp(k, "contact")) {
            rc = parse_contacts(c, v, s);
        } else if (!strcmp(k, "retry-after")) {
            rc = get_u32(c, v, &s->retry_after);
        } else if (!strcmp(k, "warning")) {
            /* "370 Insufficient bandwidth" or a full value: code, agent, quoted text */
            const char *w = scalar(v);
            char buf[400];
            if (!w || strlen(w) < 5 || w[0] < '3' || w[0] > '3' || w[3] != ' ')
                rc = fail(c, v, "expected '3xx text', e.g. '305 Incompatible media format'");
            else if (strchr(w, '"'))
                rc = add_header(c, s, v, "Warning", w);
            else {
                snprintf(buf, sizeof(buf), "%.3s sipreplyd \"%s\"", w, w + 4);
                rc = add_header(c, s, v, "Warning", buf);
            }
        } else if (!strcmp(k, "body")) {
            s->body = dup_scalar(c, v);
            rc = s->body ? 0 : -1;
        } else if (!strcmp(k, "content-type")) {
            s->body_type = dup_scalar(c, v);
            rc = s->body_type ? 0 : -1;
        } else if (!strcmp(k, "sdp")) {
            const char *sv = scalar(v);
            if (sv && !strcmp(sv, "auto")) {
                s->no_sdp = false;
            } else {
                rc = get_bool(c, v, &sdp);
                s->no_sdp = !sdp;
            }
        } else {
            rc = unknown(c, &p[i], STEP_KEYS);
        }
        pop(c, o);
        if (rc)
            return -1;
    }
    if (!have_code && c->default_code)
        s->code = c->default_code;
    else if (!have_code)
        return fail(c, n, "a response needs a code (or 'wait')");
    if (sdp) {
        if (s->body)
            return fail(c, n, "give either sdp or body");
        s->body = strdup(sdp_template);
        free(s->body_type);
        s->body_type = strdup("application/sdp");
        if (!s->body || !s->body_type)
            return fail(c, n, "out of memory");
    }
    if (s->body && !s->body_type)
        return fail(c, n, "a body needs a content-type");
    if (s->body_type && !s->body)
        return fail(c, n, "content-type given without a body");
    if (s->repeat > 1 && s->code >= 200)
        return fail(c, n, "only a provisional response may repeat");
    if (check_registered(c, n, s))
        return -1;
    if (s->wait_cancel && s->capture == 0 && s->code)
        return fail(c, n, "a wait step sends nothing: no code");
    return 0;
}

static int parse_steps(ctx *c, yaml_node_t *n, sd_choice *ch)
{
    if (n->type == YAML_SEQUENCE_NODE) {
        size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (cnt == 0)
            return fail(c, n, "an empty list of responses");
        ch->steps = calloc(cnt, sizeof(*ch->steps));
        if (!ch->steps)
            return fail(c, n, "out of memory");
        for (size_t i = 0; i < cnt; i++) {
            size_t o = push_idx(c, i);
            ch->n_steps = i + 1;
            int rc = parse_step(c, node(c, n->data.sequence.items.start[i]), &ch->steps[i]);
            pop(c, o);
            if (rc)
                return -1;
        }
        return 0;
    }
    ch->steps = calloc(1, sizeof(*ch->steps));
    if (!ch->steps)
        return fail(c, n, "out of memory");
    ch->n_steps = 1;
    return parse_step(c, n, &ch->steps[0]);
}

/* respond: CODE | {step} | [steps] | {choose: [{weight: N, respond: ...}]} */
static int parse_respond(ctx *c, yaml_node_t *n, sd_action *a)
{
    a->kind = SD_ACT_RESPOND;
    if (n->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            const char *ks = scalar(node(c, p->key));
            if (!ks || strcmp(ks, "choose") != 0)
                continue;
            if (n->data.mapping.pairs.top - n->data.mapping.pairs.start != 1)
                return fail(c, n, "'choose' stands alone");
            yaml_node_t *l = node(c, p->value);
            size_t o = push_key(c, "choose");
            if (l->type != YAML_SEQUENCE_NODE ||
                l->data.sequence.items.top == l->data.sequence.items.start)
                return fail(c, l, "expected a list of {weight, respond}");
            size_t cnt = (size_t)(l->data.sequence.items.top - l->data.sequence.items.start);
            a->choices = calloc(cnt, sizeof(*a->choices));
            if (!a->choices)
                return fail(c, l, "out of memory");
            for (size_t i = 0; i < cnt; i++) {
                size_t o2 = push_idx(c, i);
                kv q[2];
                int nq = pairs(c, node(c, l->data.sequence.items.start[i]), q, 2);
                if (nq < 0)
                    return -1;
                sd_choice *ch = &a->choices[i];
                a->n_choices = i + 1;
                ch->weight = 1;
                bool got = false;
                for (int j = 0; j < nq; j++) {
                    size_t o3 = push_key(c, q[j].key);
                    int rc;
                    if (!strcmp(q[j].key, "weight")) {
                        unsigned long w;
                        rc = get_uint(c, q[j].v, 1000000, &w);
                        ch->weight = (unsigned)w;
                    } else if (!strcmp(q[j].key, "respond")) {
                        rc = parse_steps(c, q[j].v, ch);
                        got = true;
                    } else {
                        rc = unknown(c, &q[j], "weight, respond");
                    }
                    pop(c, o3);
                    if (rc)
                        return -1;
                }
                if (!got)
                    return fail(c, node(c, l->data.sequence.items.start[i]),
                                "a choice needs 'respond'");
                a->total_weight += ch->weight;
                pop(c, o2);
            }
            pop(c, o);
            if (a->total_weight == 0)
                return fail(c, l, "the weights add up to 0");
            return 0;
        }
    }
    a->choices = calloc(1, sizeof(*a->choices));
    if (!a->choices)
        return fail(c, n, "out of memory");
    a->n_choices = 1;
    a->choices[0].weight = 1;
    a->total_weight = 1;
    return parse_steps(c, n, &a->choices[0]);
}

/* redirect: {code: 302, contacts: [...], ...step keys} */
static int parse_redirect(ctx *c, yaml_node_t *n, sd_action *a)
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
                return fail(c, n, "a redirect answers 3xx, not %u", s->code);
            if (s->n_contacts == 0 && s->code != 380)
                return fail(c, n, "a redirect needs contacts");
        }
    return 0;
}

static int parse_stateless(ctx *c, yaml_node_t *n, sd_action *a)
{
    if (parse_respond(c, n, a) != 0)
        return -1;
    a->kind = SD_ACT_STATELESS;
    if (a->n_choices != 1 || a->choices[0].n_steps != 1)
        return fail(c, n, "a stateless reply is one response");
    sd_step *s = &a->choices[0].steps[0];
    if (s->wait_cancel || s->delay_ms || (s->code && s->code < 200))
        return fail(c, n, "a stateless reply is one final response, without delay");
    return 0;
}

static int parse_challenge(ctx *c, yaml_node_t *n, sd_action *a)
{
    a->kind = SD_ACT_CHALLENGE;
    a->md5 = true;
    a->sha256 = true;
    a->nonce_ttl_s = 300;
    if (is_null(n))
        return 0;
    kv p[8];
    int np = pairs(c, n, p, 8);
    if (np < 0)
        return -1;
    for (int i = 0; i < np; i++) {
        size_t o = push_key(c, p[i].key);
        int rc = 0;
        if (!strcmp(p[i].key, "realm")) {
            rc = (a->realm = dup_scalar(c, p[i].v)) ? 0 : -1;
        } else if (!strcmp(p[i].key, "proxy")) {
            rc = get_bool(c, p[i].v, &a->proxy);
        } else if (!strcmp(p[i].key, "nonce-ttl")) {
            uint32_t ms;
            rc = get_duration(c, p[i].v, &ms);
            a->nonce_ttl_s = ms / 1000 ? ms / 1000 : 1;
        } else if (!strcmp(p[i].key, "algorithms")) {
            char **l = NULL;
            rc = str_list(c, p[i].v, &l);
            a->md5 = a->sha256 = false;
            for (char **x = l; !rc && x && *x; x++) {
                if (!strcmp(*x, "MD5")) {
                    /* the list's order is the order offered (RFC 8760 §2.4) */
                    a->md5_first = a->md5_first || !a->sha256;
                    a->md5 = true;
                } else if (!strcmp(*x, "SHA-256"))
                    a->sha256 = true;
                else
                    rc = fail(c, p[i].v, "unknown algorithm '%s' (MD5, SHA-256)", *x);
            }
            free_list(l);
            if (!rc && !a->md5 && !a->sha256)
                rc = fail(c, p[i].v, "no algorithm");
        } else if (!strcmp(p[i].key, "users")) {
            kv u[64];
            int nu = pairs(c, p[i].v, u, 64);
            if (nu < 0)
                rc = -1;
            if (!rc && nu > 0 && !(a->users = calloc((size_t)nu, sizeof(*a->users))))
                rc = fail(c, p[i].v, "out of memory");
            for (int j = 0; j < nu && !rc; j++) {
                a->n_users = (size_t)j + 1;
                a->users[j].name = strdup(u[j].key);
                a->users[j].password = dup_scalar(c, u[j].v);
                if (!a->users[j].name || !a->users[j].password)
                    rc = -1;
            }
        } else if (!strcmp(p[i].key, "any-user")) {
            rc = (a->any_user_password = dup_scalar(c, p[i].v)) ? 0 : -1;
        } else {
            rc = unknown(c, &p[i], "realm, users, any-user, algorithms, proxy, nonce-ttl");
        }
        pop(c, o);
        if (rc)
            return -1;
    }
    return 0;
}

static int parse_register(ctx *c, yaml_node_t *n, sd_action *a)
{
    a->kind = SD_ACT_REGISTER;
    a->min_expires = 60;
    a->max_expires = 3600;
    a->default_expires = 3600;
    if (is_null(n))
        return 0;
    kv p[8];
    int np = pairs(c, n, p, 8);
    if (np < 0)
        return -1;
    for (int i = 0; i < np; i++) {
        size_t o = push_key(c, p[i].key);
        int rc;
        if (!strcmp(p[i].key, "min-expires"))
            rc = get_u32(c, p[i].v, &a->min_expires);
        else if (!strcmp(p[i].key, "max-expires"))
            rc = get_u32(c, p[i].v, &a->max_expires);
        else if (!strcmp(p[i].key, "default-expires"))
            rc = get_u32(c, p[i].v, &a->default_expires);
        else if (!strcmp(p[i].key, "domains"))
            rc = str_list(c, p[i].v, &a->domains);
        else
            rc = unknown(c, &p[i], "min-expires, max-expires, default-expires, domains");
        pop(c, o);
        if (rc)
            return -1;
    }
    if (a->min_expires > a->max_expires)
        return fail(c, n, "min-expires is larger than max-expires");
    return 0;
}

static bool is_action_key(const char *k)
{
    return !strcmp(k, "respond") || !strcmp(k, "redirect") || !strcmp(k, "stateless") ||
           !strcmp(k, "challenge") || !strcmp(k, "register");
}

static int add_action(ctx *c, sd_rule *r, const char *k, yaml_node_t *v)
{
    sd_action *a = realloc(r->actions, (r->n_actions + 1) * sizeof(*a));
    if (!a)
        return fail(c, v, "out of memory");
    r->actions = a;
    a = &r->actions[r->n_actions++];
    memset(a, 0, sizeof(*a));
    size_t o = push_key(c, k);
    int rc;
    if (!strcmp(k, "respond"))
        rc = parse_respond(c, v, a);
    else if (!strcmp(k, "redirect"))
        rc = parse_redirect(c, v, a);
    else if (!strcmp(k, "stateless"))
        rc = parse_stateless(c, v, a);
    else if (!strcmp(k, "challenge"))
        rc = parse_challenge(c, v, a);
    else
        rc = parse_register(c, v, a);
    pop(c, o);
    return rc;
}

static int compile_re(ctx *c, yaml_node_t *n, regex_t *re, bool *has)
{
    const char *s = scalar(n);
    if (!s)
        return fail(c, n, "expected a regular expression");
    int rc = regcomp(re, s, REG_EXTENDED);
    if (rc != 0) {
        char msg[120];
        regerror(rc, re, msg, sizeof(msg));
        return fail(c, n, "bad regular expression '%s': %s", s, msg);
    }
    if (has)
        *has = true;
    return 0;
}

#define MATCH_KEYS "method, user, user-regex, host, host-regex, headers, source, transport"

static int parse_match(ctx *c, yaml_node_t *n, sd_match *m)
{
    if (is_null(n))
        return 0;
    kv p[12];
    int np = pairs(c, n, p, 12);
    if (np < 0)
        return -1;
    for (int i = 0; i < np; i++) {
        const char *k = p[i].key;
        yaml_node_t *v = p[i].v;
        size_t o = push_key(c, k);
        int rc = 0;
        if (!strcmp(k, "method")) {
            rc = str_list(c, v, &m->methods);
            for (char **x = m->methods; !rc && *x; x++)
                for (const char *ch = *x; *ch && !rc; ch++)
                    if (*ch < 'A' || *ch > 'Z')
                        rc = fail(c, v, "a method is an upper-case token: '%s'", *x);
        } else if (!strcmp(k, "user")) {
            rc = (m->user = dup_scalar(c, v)) ? 0 : -1;
        } else if (!strcmp(k, "user-regex")) {
            rc = compile_re(c, v, &m->user_re, &m->has_user_re);
        } else if (!strcmp(k, "host")) {
            rc = (m->host = dup_scalar(c, v)) ? 0 : -1;
        } else if (!strcmp(k, "host-regex")) {
            rc = compile_re(c, v, &m->host_re, &m->has_host_re);
        } else if (!strcmp(k, "headers")) {
            kv h[16];
            int nh = pairs(c, v, h, 16);
            if (nh < 0)
                rc = -1;
            if (!rc && nh && !(m->headers = calloc((size_t)nh, sizeof(*m->headers))))
                rc = fail(c, v, "out of memory");
            for (int j = 0; j < nh && !rc; j++) {
                size_t o2 = push_key(c, h[j].key);
                m->headers[j].name = strdup(h[j].key);
                bool has = false;
                rc = m->headers[j].name ? compile_re(c, h[j].v, &m->headers[j].re, &has) : -1;
                if (has)
                    m->n_headers = (size_t)j + 1;
                else
                    free(m->headers[j].name);
                pop(c, o2);
            }
        } else if (!strcmp(k, "source")) {
            char **l = NULL;
            rc = str_list(c, v, &l);
            size_t cnt = 0;
            while (!rc && l[cnt])
                cnt++;
            if (!rc && !(m->sources = calloc(cnt ? cnt : 1, sizeof(*m->sources))))
                rc = fail(c, v, "out of memory");
            for (size_t j = 0; j < cnt && !rc; j++) {
                if (sd_cidr_parse(l[j], &m->sources[j]) != 0)
                    rc = fail(c, v, "not an address or prefix: '%s'", l[j]);
                m->n_sources = j + 1;
            }
            free_list(l);
        } else if (!strcmp(k, "transport")) {
            char **l = NULL;
            rc = str_list(c, v, &l);
            for (char **x = l; !rc && x && *x; x++) {
                if (!strcasecmp(*x, "udp"))
                    m->transports |= 1u << SR_TP_UDP;
                else if (!strcasecmp(*x, "tcp"))
                    m->transports |= 1u << SR_TP_TCP;
                else if (!strcasecmp(*x, "tls"))
                    m->transports |= 1u << SR_TP_TLS;
                else
                    rc = fail(c, v, "unknown transport '%s' (udp, tcp, tls)", *x);
            }
            free_list(l);
        } else {
            rc = unknown(c, &p[i], MATCH_KEYS);
        }
        pop(c, o);
        if (rc)
            return -1;
    }
    return 0;
}

static int parse_rule(ctx *c, yaml_node_t *n, sd_rule *r, size_t idx)
{
    kv p[12];
    int np = pairs(c, n, p, 12);
    if (np < 0)
        return -1;
    for (int i = 0; i < np; i++) {
        const char *k = p[i].key;
        int rc;
        if (!strcmp(k, "name")) {
            size_t o = push_key(c, k);
            rc = (r->name = dup_scalar(c, p[i].v)) ? 0 : -1;
            pop(c, o);
        } else if (!strcmp(k, "match")) {
            size_t o = push_key(c, k);
            rc = parse_match(c, p[i].v, &r->match);
            pop(c, o);
        } else if (is_action_key(k)) {
            rc = add_action(c, r, k, p[i].v);
        } else if (!strcmp(k, "actions")) {
            size_t o = push_key(c, k);
            yaml_node_t *l = p[i].v;
            rc = l->type == YAML_SEQUENCE_NODE ? 0 : fail(c, l, "expected a list of actions");
            size_t j = 0;
            for (yaml_node_item_t *it = l->data.sequence.items.start;
                 !rc && it < l->data.sequence.items.top; it++, j++) {
                size_t o2 = push_idx(c, j);
                kv a[2];
                int na = pairs(c, node(c, *it), a, 2);
                if (na != 1 || !is_action_key(a[0].key))
                    rc = fail(c, node(c, *it),
                              "an action is one of respond, redirect, stateless, challenge, "
                              "register");
                else
                    rc = add_action(c, r, a[0].key, a[0].v);
                pop(c, o2);
            }
            pop(c, o);
        } else {
            rc = unknown(c, &p[i],
                         "name, match, respond, redirect, stateless, challenge, register, actions");
        }
        if (rc)
            return -1;
    }
    if (!r->name) {
        char nm[32];
        snprintf(nm, sizeof(nm), "rule%zu", idx + 1);
        if (!(r->name = strdup(nm)))
            return fail(c, n, "out of memory");
    }
    if (r->n_actions == 0)
        return fail(c, n,
                    "a rule needs an action (respond, redirect, stateless, challenge, "
                    "register)");
    for (size_t i = 0; i < r->n_actions; i++) {
        sd_action_kind kd = r->actions[i].kind;
        if (kd == SD_ACT_STATELESS && r->n_actions != 1)
            return fail(c, n, "a stateless reply is the rule's only action");
        if (kd == SD_ACT_CHALLENGE && i + 1 == r->n_actions)
            return fail(c, n,
                        "a challenge needs an action after it (what to do once "
                        "authenticated)");
        if (kd != SD_ACT_CHALLENGE && i + 1 < r->n_actions)
            return fail(c, n, "only a challenge may come before another action");
    }
    return 0;
}

static void free_step(sd_step *s)
{
    free(s->reason);
    for (size_t i = 0; i < s->n_headers; i++) {
        free(s->headers[i].name);
        free(s->headers[i].value);
    }
    free(s->headers);
    for (size_t i = 0; i < s->n_contacts; i++)
        free(s->contacts[i].uri);
    free(s->contacts);
    free(s->body);
    free(s->body_type);
}

static void free_rule(sd_rule *r)
{
    free(r->name);
    free_list(r->match.methods);
    free(r->match.user);
    if (r->match.has_user_re)
        regfree(&r->match.user_re);
    free(r->match.host);
    if (r->match.has_host_re)
        regfree(&r->match.host_re);
    for (size_t i = 0; i < r->match.n_headers; i++) {
        free(r->match.headers[i].name);
        regfree(&r->match.headers[i].re);
    }
    free(r->match.headers);
    free(r->match.sources);
    for (size_t i = 0; i < r->n_actions; i++) {
        sd_action *a = &r->actions[i];
        for (size_t j = 0; j < a->n_choices; j++) {
            for (size_t k = 0; k < a->choices[j].n_steps; k++)
                free_step(&a->choices[j].steps[k]);
            free(a->choices[j].steps);
        }
        free(a->choices);
        free(a->realm);
        free(a->any_user_password);
        for (size_t j = 0; j < a->n_users; j++) {
            free(a->users[j].name);
            free(a->users[j].password);
        }
        free(a->users);
        free_list(a->domains);
    }
    free(r->actions);
}

void sd_config_free(sd_config *cf)
{
    if (!cf)
        return;
    for (size_t i = 0; i < cf->n_rules; i++)
        free_rule(&cf->rules[i]);
    free(cf->rules);
    free_rule(&cf->fallback);
    free_list(cf->listen);
    free(cf->advertise);
    free(cf->server);
    free(cf);
}

/* A capture $N must exist in the rule's user-regex. */
static int check_captures(ctx *c, yaml_node_t *at, const sd_rule *r)
{
    size_t groups = r->match.has_user_re ? r->match.user_re.re_nsub : 0;
    for (size_t i = 0; i < r->n_actions; i++)
        for (size_t j = 0; j < r->actions[i].n_choices; j++)
            for (size_t k = 0; k < r->actions[i].choices[j].n_steps; k++) {
                int cap = r->actions[i].choices[j].steps[k].capture;
                if (cap > 0 && ((size_t)cap > groups || cap >= SD_MAX_CAPTURES))
                    return fail(c, at, "rule '%s': code $%d but user-regex has %zu group(s)",
                                r->name, cap, groups);
            }
    return 0;
}

#define TOP_KEYS \
    "rules, default, listen, advertise, server, seed, timers, retry-after, min-expires, min-se"

static int parse_top(ctx *c, yaml_node_t *root, sd_config *cf)
{
    if (is_null(root))
        return fail(c, root, "the configuration is empty");
    kv p[16];
    int np = pairs(c, root, p, 16);
    if (np < 0)
        return -1;
    bool have_default = false;
    for (int i = 0; i < np; i++) {
        const char *k = p[i].key;
        yaml_node_t *v = p[i].v;
        size_t o = push_key(c, k);
        int rc = 0;
        if (!strcmp(k, "rules")) {
            if (v->type != YAML_SEQUENCE_NODE) {
                rc = fail(c, v, "expected a list of rules");
            } else {
                size_t cnt = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
                cf->rules = calloc(cnt ? cnt : 1, sizeof(*cf->rules));
                if (!cf->rules)
                    rc = fail(c, v, "out of memory");
                for (size_t j = 0; j < cnt && !rc; j++) {
                    size_t o2 = push_idx(c, j);
                    cf->n_rules = j + 1;
                    yaml_node_t *rn = node(c, v->data.sequence.items.start[j]);
                    rc = parse_rule(c, rn, &cf->rules[j], j);
                    if (!rc)
                        rc = check_captures(c, rn, &cf->rules[j]);
                    pop(c, o2);
                }
            }
        } else if (!strcmp(k, "default")) {
            have_default = true;
            rc = add_action(c, &cf->fallback, "respond", v);
        } else if (!strcmp(k, "listen")) {
            rc = str_list(c, v, &cf->listen);
        } else if (!strcmp(k, "advertise")) {
            rc = (cf->advertise = dup_scalar(c, v)) ? 0 : -1;
        } else if (!strcmp(k, "server")) {
            rc = (cf->server = dup_scalar(c, v)) ? 0 : -1;
        } else if (!strcmp(k, "seed")) {
            unsigned long s;
            rc = get_uint(c, v, 0xffffffffUL, &s);
            cf->seed = s;
        } else if (!strcmp(k, "retry-after")) {
            rc = get_u32(c, v, &cf->retry_after);
        } else if (!strcmp(k, "min-expires")) {
            rc = get_u32(c, v, &cf->min_expires);
        } else if (!strcmp(k, "min-se")) {
            rc = get_u32(c, v, &cf->min_se);
            if (!rc && cf->min_se < 90)
                rc = fail(c, v, "Min-SE is at least 90 (RFC 4028)");
        } else if (!strcmp(k, "timers")) {
            kv t[3];
            int nt = pairs(c, v, t, 3);
            if (nt < 0)
                rc = -1;
            for (int j = 0; j < nt && !rc; j++) {
                size_t o2 = push_key(c, t[j].key);
                if (!strcmp(t[j].key, "t1"))
                    rc = get_duration(c, t[j].v, &cf->t1);
                else if (!strcmp(t[j].key, "t2"))
                    rc = get_duration(c, t[j].v, &cf->t2);
                else if (!strcmp(t[j].key, "t4"))
                    rc = get_duration(c, t[j].v, &cf->t4);
                else
                    rc = unknown(c, &t[j], "t1, t2, t4");
                pop(c, o2);
            }
            if (!rc && (cf->t1 == 0 || cf->t2 < cf->t1 || cf->t4 == 0))
                rc = fail(c, v, "timers: T1 > 0, T2 >= T1, T4 > 0");
        } else {
            rc = unknown(c, &p[i], TOP_KEYS);
        }
        pop(c, o);
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
            return fail(c, root, "out of memory");
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
                    return fail(c, root, "default: no $N capture outside a rule");
    if (!(cf->fallback.name = strdup("default")))
        return fail(c, root, "out of memory");
    for (size_t i = 0; i < cf->n_rules; i++)
        if (cf->rules[i].actions[0].kind == SD_ACT_STATELESS)
            cf->has_stateless = true;
    return 0;
}

int sd_config_parse(sd_config **out, const char *text, size_t len, sd_config_error *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
    sd_config *cf = calloc(1, sizeof(*cf));
    if (!cf) {
        if (err)
            snprintf(err->msg, sizeof(err->msg), "out of memory");
        return -1;
    }
    cf->t1 = 500;
    cf->t2 = 4000;
    cf->t4 = 5000;
    cf->retry_after = 0;
    cf->min_expires = 60;
    cf->min_se = 90;
    yaml_parser_t parser;
    yaml_document_t doc;
    ctx c = {.doc = &doc, .err = err};
    if (!yaml_parser_initialize(&parser)) {
        free(cf);
        if (err)
            snprintf(err->msg, sizeof(err->msg), "out of memory");
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        if (err) {
            err->line = (unsigned)parser.problem_mark.line + 1;
            err->column = (unsigned)parser.problem_mark.column + 1;
            snprintf(err->msg, sizeof(err->msg), "YAML: %s%s%s",
                     parser.problem ? parser.problem : "syntax error", parser.context ? " " : "",
                     parser.context ? parser.context : "");
        }
        yaml_parser_delete(&parser);
        free(cf);
        return -1;
    }
    int rc = parse_top(&c, yaml_document_get_root_node(&doc), cf);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc != 0) {
        sd_config_free(cf);
        return -1;
    }
    *out = cf;
    return 0;
}

int sd_config_load(sd_config **out, const char *path, sd_config_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err) {
            memset(err, 0, sizeof(*err));
            snprintf(err->msg, sizeof(err->msg), "cannot open: %s", strerror(errno));
        }
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len < cap)
            break;
        if (cap > (16u << 20)) {
            free(buf);
            buf = NULL;
            break;
        }
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int ioerr = ferror(f);
    fclose(f);
    if (!buf || ioerr) {
        free(buf);
        if (err) {
            memset(err, 0, sizeof(*err));
            snprintf(err->msg, sizeof(err->msg), "%s", buf ? "read error" : "file too large");
        }
        return -1;
    }
    int rc = sd_config_parse(out, buf, len, err);
    free(buf);
    return rc;
}
