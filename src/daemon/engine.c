/* sipreplyd: the rule engine. A request the stack hands over is checked (uas.h), matched to
 * a rule and answered by the rule's actions; a response sequence with delays becomes a job
 * kept until its final response, woken by its deadline, a PRACK or a CANCEL. */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "auth_glue.h"
#include "pool.h"

#define SDP_MEDIA_PORT "49170"
/* freed message blocks the engine keeps per size class (pool.h): a burst's worth */
#define SD_POOL_KEEP 256

/* The longest "wait: cancel" (Timer C's 3 minutes): then 408. */
#define SD_WAIT_CANCEL_MAX_MS 180000u

typedef struct job {
    sr_txn_id txn;
    sr_msg *req; /* our copy, once the job outlives the event that started it */
    sd_config *cfg;
    const sd_rule *rule;
    size_t act;
    const sd_choice *ch;
    size_t step;
    uint32_t sent; /* sends done of the current step (repeat) */
    bool waited;   /* the current step's delay has passed */
    uint64_t due;  /* UINT64_MAX: not scheduled */
    size_t heap_i;
    sr_addr src;
    sd_local local;
    unsigned codes[SD_MAX_CAPTURES];
    bool is_invite;
    bool final_sent;
    bool wait_prack;
    bool sdp_reliable; /* a reliable 1xx carried our SDP */
    uint64_t session;  /* {{session}}: our SDP's o= sess-id and sess-version, per call */
    /* RFC 3262 §3: the stack holds our 2xx until the reliable 1xx with SDP is PRACKed;
     * until it goes out it is neither logged nor resent (held2xx: its copy for resending) */
    bool held;
    unsigned held_code;
    sr_msg *held2xx;
    /* RFC 3261 13.3.1.4: the UAS core resends its 2xx to an INVITE (T1, doubling to T2)
     * until the ACK arrives, for 64*T1; the transaction layer leaves it to us (RFC 6026) */
    sr_msg *resp2xx;
    uint32_t retx_ivl;
    uint64_t retx_end;
    struct job *retx_next; /* the engine's list of jobs resending a 2xx */
} job;

/* Configurations are reference-counted: jobs keep the one they started with. */
typedef struct cfg_ref {
    sd_config *cfg;
    size_t refs;
    struct cfg_ref *next;
} cfg_ref;

struct sd_engine {
    sr_stack *stack;
    sd_engine_opts o;
    cfg_ref *cur;  /* the live configuration */
    cfg_ref *olds; /* replaced ones still used by jobs */
    uint8_t tag_key[SR_BUILD_KEY_LEN];
    uint8_t sl_key[SR_BUILD_KEY_LEN]; /* stateless replies' To tags (ACK absorption) */
    uint64_t rng;
    uint64_t session; /* the last call's {{session}}: a random start, +1 per call */
    /* jobs by transaction: open addressing, linear probing */
    job **map;
    size_t map_cap, n_jobs;
    /* jobs by deadline: binary heap */
    job **heap;
    size_t heap_len, heap_cap;
    sd_counters cnt;
    bool draining;
    sd_auth_glue *auth;
    sr_buf scratch;
    job *retx; /* jobs resending their 2xx until the ACK */
    size_t n_retx;
    sd_pool *pool; /* the messages of the stack and of stateless replies (pool.h) */
    /* the most the transactions retained since memory last went back (memory_settle) */
    size_t mem_peak;
};

/* ------------------------------------------------------------------ small helpers */

static uint64_t rng_next(sd_engine *e)
{
    /* splitmix64 */
    uint64_t z = (e->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static sd_config *cfg_of(const sd_engine *e)
{
    return e->cur->cfg;
}

static cfg_ref *ref_find(sd_engine *e, const sd_config *cf)
{
    if (e->cur->cfg == cf)
        return e->cur;
    for (cfg_ref *r = e->olds; r; r = r->next)
        if (r->cfg == cf)
            return r;
    return NULL;
}

static void cfg_release(sd_engine *e, sd_config *cf)
{
    cfg_ref *r = ref_find(e, cf);
    if (!r || r->refs == 0 || --r->refs > 0 || r == e->cur)
        return;
    for (cfg_ref **pp = &e->olds; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    sd_config_free(r->cfg);
    free(r);
}

/* ------------------------------------------------------------------ job map and heap */

static size_t slot_of(sr_txn_id id, size_t cap)
{
    return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
}

static int map_grow(sd_engine *e)
{
    size_t ncap = e->map_cap ? e->map_cap * 2 : 64;
    job **nm = calloc(ncap, sizeof(*nm));
    if (!nm)
        return -1;
    for (size_t i = 0; i < e->map_cap; i++) {
        job *j = e->map[i];
        if (!j)
            continue;
        size_t s = slot_of(j->txn, ncap);
        while (nm[s])
            s = (s + 1) & (ncap - 1);
        nm[s] = j;
    }
    free(e->map);
    e->map = nm;
    e->map_cap = ncap;
    return 0;
}

static job *map_get(const sd_engine *e, sr_txn_id id)
{
    if (!e->map_cap || id == 0)
        return NULL;
    for (size_t s = slot_of(id, e->map_cap);; s = (s + 1) & (e->map_cap - 1)) {
        if (!e->map[s])
            return NULL;
        if (e->map[s]->txn == id)
            return e->map[s];
    }
}

static int map_put(sd_engine *e, job *j)
{
    if ((e->n_jobs + 1) * 2 > e->map_cap && map_grow(e) != 0)
        return -1;
    size_t s = slot_of(j->txn, e->map_cap);
    while (e->map[s])
        s = (s + 1) & (e->map_cap - 1);
    e->map[s] = j;
    e->n_jobs++;
    return 0;
}

static void map_del(sd_engine *e, sr_txn_id id)
{
    size_t mask = e->map_cap - 1, s = slot_of(id, e->map_cap);
    while (e->map[s] && e->map[s]->txn != id)
        s = (s + 1) & mask;
    if (!e->map[s])
        return;
    e->map[s] = NULL;
    e->n_jobs--;
    /* backward-shift deletion keeps probe chains whole */
    for (size_t n = (s + 1) & mask; e->map[n]; n = (n + 1) & mask) {
        size_t home = slot_of(e->map[n]->txn, e->map_cap);
        bool between = s <= n ? (home > s && home <= n) : (home > s || home <= n);
        if (!between) {
            e->map[s] = e->map[n];
            e->map[n] = NULL;
            s = n;
        }
    }
}

static bool heap_less(const job *a, const job *b)
{
    return a->due < b->due;
}

static void heap_swap(sd_engine *e, size_t a, size_t b)
{
    job *t = e->heap[a];
    e->heap[a] = e->heap[b];
    e->heap[b] = t;
    e->heap[a]->heap_i = a;
    e->heap[b]->heap_i = b;
}

static void heap_up(sd_engine *e, size_t i)
{
    while (i > 0 && heap_less(e->heap[i], e->heap[(i - 1) / 2])) {
        heap_swap(e, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(sd_engine *e, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < e->heap_len && heap_less(e->heap[l], e->heap[m]))
            m = l;
        if (r < e->heap_len && heap_less(e->heap[r], e->heap[m]))
            m = r;
        if (m == i)
            return;
        heap_swap(e, i, m);
        i = m;
    }
}

static void heap_remove(sd_engine *e, job *j)
{
    if (j->heap_i == SIZE_MAX)
        return;
    size_t i = j->heap_i;
    e->heap_len--;
    if (i != e->heap_len) {
        e->heap[i] = e->heap[e->heap_len];
        e->heap[i]->heap_i = i;
        heap_up(e, i);
        heap_down(e, e->heap[i]->heap_i);
    }
    j->heap_i = SIZE_MAX;
    j->due = UINT64_MAX;
}

static int heap_push(sd_engine *e, job *j, uint64_t due)
{
    heap_remove(e, j);
    if (e->heap_len == e->heap_cap) {
        size_t ncap = e->heap_cap ? e->heap_cap * 2 : 64;
        job **nh = realloc(e->heap, ncap * sizeof(*nh));
        if (!nh)
            return -1;
        e->heap = nh;
        e->heap_cap = ncap;
    }
    j->due = due;
    j->heap_i = e->heap_len;
    e->heap[e->heap_len++] = j;
    heap_up(e, j->heap_i);
    return 0;
}

static void job_free(sd_engine *e, job *j)
{
    if (j->resp2xx) {
        for (job **pp = &e->retx; *pp; pp = &(*pp)->retx_next) {
            if (*pp == j) {
                *pp = j->retx_next;
                e->n_retx--;
                break;
            }
        }
        sr_msg_free(j->resp2xx);
    }
    sr_msg_free(j->held2xx);
    heap_remove(e, j);
    if (map_get(e, j->txn) == j)
        map_del(e, j->txn);
    sr_msg_free(j->req);
    cfg_release(e, j->cfg);
    free(j);
}

/* ------------------------------------------------------------------ matching */

static bool has_option(const sr_msg *m, enum sr_hdr_id id, const char *tag)
{
    for (const sr_header *h = sr_msg_header_find(m, id, NULL); h;
         h = sr_msg_header_find(m, id, h)) {
        size_t pos = 0;
        sr_str item;
        while (sr_value_next(h->value, &pos, &item))
            if (sr_str_caseeq_cstr(item, tag))
                return true;
    }
    return false;
}

static bool copy_cstr(char *dst, size_t cap, sr_str s)
{
    if (s.len >= cap)
        return false;
    if (s.len)
        memcpy(dst, s.p, s.len);
    dst[s.len] = '\0';
    return true;
}

/* As sd_rule_matches(), with the method taken as @p method (NULL: the request's). */
static bool rule_matches_as(const sd_rule *r, const sr_msg *req, const sr_addr *src,
                            unsigned codes[SD_MAX_CAPTURES], const char *method)
{
    const sd_match *m = &r->match;
    if (m->methods) {
        sr_str meth = method ? sr_str_from_cstr(method) : sr_msg_method_str(req);
        bool ok = false;
        for (char **x = m->methods; *x && !ok; x++)
            ok = sr_str_eq(meth, sr_str_from_cstr(*x));
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
        if (sr_uri_parse(&u, ru.p, ru.len, NULL) != 0)
            return false;
        char buf[256];
        if (m->user && !sr_str_eq(u.user, sr_str_from_cstr(m->user)))
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
    return rule_matches_as(r, req, src, codes, NULL);
}

static const sd_rule *rule_find_as(const sd_config *cf, const sr_msg *req, const sr_addr *src,
                                   unsigned codes[SD_MAX_CAPTURES], const char *method)
{
    for (size_t i = 0; i < cf->n_rules; i++)
        if (rule_matches_as(&cf->rules[i], req, src, codes, method))
            return &cf->rules[i];
    return &cf->fallback;
}

const sd_rule *sd_rule_find(const sd_config *cf, const sr_msg *req, const sr_addr *src,
                            unsigned codes[SD_MAX_CAPTURES])
{
    return rule_find_as(cf, req, src, codes, NULL);
}

/* ------------------------------------------------------------------ building */

static const char *const methods_allowed[] = {
    "INVITE", "ACK",     "CANCEL", "BYE",       "OPTIONS", "REGISTER", "PRACK", "UPDATE",
    "INFO",   "MESSAGE", "NOTIFY", "SUBSCRIBE", "REFER",   "PUBLISH",  NULL};
static const char *const supported_tags[] = {"100rel", NULL};
static const char *const required_tags[] = {"100rel", NULL}; /* what a 421 asks for */
static const char *const accept_types[] = {"application/sdp", "text/plain", "message/sipfrag",
                                           "application/dtmf-relay", NULL};

static void uas_policy(sr_uas_policy *p)
{
    sr_uas_policy_init(p);
    p->methods = methods_allowed;
    p->supported = supported_tags;
    p->accept = accept_types;
    p->registrar = true;
}

static void local_addr(const sd_engine *e, const job *j, const sd_config *cf, char *host,
                       size_t cap, uint16_t *port)
{
    (void)e;
    /* per response with a Contact: a copy, not snprintf */
    const char *h = cf->advertise ? cf->advertise : j->local.host;
    size_t n = strlen(h);
    if (n >= cap)
        n = cap - 1;
    memcpy(host, h, n);
    host[n] = '\0';
    *port = j->local.port;
}

/* Append @p s to @p out at *@p n, within @p cap (NUL kept). */
static void put_cstr(char *out, size_t cap, size_t *n, const char *s)
{
    size_t l = strlen(s);
    if (*n + l >= cap)
        l = *n < cap ? cap - 1 - *n : 0;
    memcpy(out + *n, s, l);
    *n += l;
    out[*n] = '\0';
}

/* Expand {{ip}} {{ipver}} {{port}} {{mediaport}} {{user}} {{session}} in @p tpl. */
static int expand(sd_engine *e, const job *j, const sr_msg *req, const char *tpl, sr_buf *out)
{
    char host[SR_ADDR_HOST_MAX + 8];
    uint16_t port;
    local_addr(e, j, j->cfg, host, sizeof(host), &port);
    char *ip = host;
    size_t hl = strlen(host);
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        ip = host + 1;
    }
    bool v6 = strchr(ip, ':') != NULL;
    for (const char *p = tpl; *p;) {
        const char *o = strstr(p, "{{");
        if (!o)
            return sr_buf_append_cstr(out, p);
        int rc = sr_buf_append(out, p, (size_t)(o - p));
        if (rc)
            return rc;
        const char *c = strstr(o, "}}");
        if (!c)
            return sr_buf_append_cstr(out, o);
        sr_str name = {o + 2, (size_t)(c - o - 2)};
        if (sr_str_eq(name, SR_STR("ip")))
            rc = sr_buf_append_cstr(out, ip);
        else if (sr_str_eq(name, SR_STR("ipver")))
            rc = sr_buf_append_cstr(out, v6 ? "IP6" : "IP4");
        else if (sr_str_eq(name, SR_STR("port")))
            rc = sr_buf_append_u64(out, port);
        else if (sr_str_eq(name, SR_STR("mediaport")))
            rc = sr_buf_append_cstr(out, SDP_MEDIA_PORT);
        else if (sr_str_eq(name, SR_STR("session")))
            rc = sr_buf_append_u64(out, j->session);
        else if (sr_str_eq(name, SR_STR("user"))) {
            sr_str ru = sr_msg_request_uri(req);
            sr_uri u;
            if (sr_uri_parse(&u, ru.p, ru.len, NULL) == 0)
                rc = sr_buf_append_str(out, u.user);
        } else
            rc = sr_buf_append(out, o, (size_t)(c + 2 - o));
        if (rc)
            return rc;
        p = c + 2;
    }
    return 0;
}

static const char sdp_auto[] = "v=0\r\n"
                               "o=sipreplyd {{session}} {{session}} IN {{ipver}} {{ip}}\r\n"
                               "s=sipreplyd\r\n"
                               "c=IN {{ipver}} {{ip}}\r\n"
                               "t=0 0\r\n"
                               "m=audio " SDP_MEDIA_PORT " RTP/AVP 0 8 101\r\n"
                               "a=rtpmap:0 PCMU/8000\r\n"
                               "a=rtpmap:8 PCMA/8000\r\n"
                               "a=rtpmap:101 telephone-event/8000\r\n"
                               "a=sendrecv\r\n";

static bool has_sdp_body(const sr_msg *req)
{
    const sr_header *ct = sr_msg_header_find(req, SR_HDR_CONTENT_TYPE, NULL);
    return sr_msg_body(req).len > 0 && ct && ct->value.len >= 15 &&
           sr_str_caseeq((sr_str){ct->value.p, 15}, SR_STR("application/sdp"));
}

#define MAX_EXTRA 48

/*
 * Build response @p code for the step @p st (NULL: a bare response) to @p req. @p sdp: add
 * our SDP when the step has no body. On success *@p out owns it.
 */
static int build(sd_engine *e, const job *j, const sr_msg *req, const sd_step *st, unsigned code,
                 bool sdp, const uint8_t *key, sr_msg **out)
{
    const sd_config *cf = j->cfg;
    /* our Contact, for the codes that carry one (dialog-creating 1xx/2xx, 3xx, 485) */
    char contact[SR_ADDR_HOST_MAX + 64] = "";
    const char *contacts[2] = {contact, NULL};
    if ((code > 100 && code < 400) || code == 485) {
        char host[SR_ADDR_HOST_MAX + 8];
        uint16_t port;
        local_addr(e, j, cf, host, sizeof(host), &port);
        char digits[8], *d = digits + sizeof(digits);
        *--d = '\0';
        do
            *--d = (char)('0' + port % 10);
        while ((port /= 10) != 0);
        size_t n = 0;
        put_cstr(contact, sizeof(contact), &n, "sip:sipreplyd@");
        put_cstr(contact, sizeof(contact), &n, host);
        put_cstr(contact, sizeof(contact), &n, ":");
        put_cstr(contact, sizeof(contact), &n, d);
        if (j->src.transport == SR_TP_TCP)
            put_cstr(contact, sizeof(contact), &n, ";transport=tcp");
    } else {
        contacts[0] = NULL;
    }
    sr_build_policy pol;
    sr_build_policy_init(&pol);
    pol.allow = methods_allowed;
    pol.supported = supported_tags;
    pol.require = required_tags;
    pol.accept = accept_types;
    pol.contacts = contacts;
    pol.retry_after = st && st->retry_after ? st->retry_after : cf->retry_after;
    pol.min_expires = cf->min_expires;
    pol.min_se = cf->min_se;
    pol.security_server = "digest"; /* 494 (RFC 3329) */

    sr_build_opts o;
    sr_build_opts_init(&o);
    o.flags =
        SR_BUILD_DEFAULTS | (st && st->unregistered ? SR_BUILD_UNREGISTERED | SR_BUILD_LEGACY : 0);
    o.tag_key = key;
    o.policy = &pol;
    o.alloc = sd_pool_allocator(e->pool);
    o.source_host = sr_str_from_cstr(j->src.host);
    o.source_port = j->src.port;
    sr_build_header hdrs[MAX_EXTRA];
    size_t nh = 0;
    char cvals[8][300];
    if (st) {
        if (st->reason)
            o.reason = sr_str_from_cstr(st->reason);
        for (size_t i = 0; i < st->n_contacts && nh < MAX_EXTRA && i < 8; i++) {
            if (st->contacts[i].q >= 0) {
                int q = st->contacts[i].q;
                char qs[16]; /* "0.%03d" of any int: gcc -Wformat-truncation counts 14 */
                if (q >= 1000)
                    snprintf(qs, sizeof(qs), "1");
                else if (q % 100 == 0)
                    snprintf(qs, sizeof(qs), "0.%d", q / 100);
                else if (q % 10 == 0)
                    snprintf(qs, sizeof(qs), "0.%02d", q / 10);
                else
                    snprintf(qs, sizeof(qs), "0.%03d", q);
                snprintf(cvals[i], sizeof(cvals[i]), "<%s>;q=%s", st->contacts[i].uri, qs);
            } else {
                snprintf(cvals[i], sizeof(cvals[i]), "<%s>", st->contacts[i].uri);
            }
            hdrs[nh].name = SR_STR("Contact");
            hdrs[nh].value = sr_str_from_cstr(cvals[i]);
            nh++;
        }
        for (size_t i = 0; i < st->n_headers && nh < MAX_EXTRA; i++) {
            hdrs[nh].name = sr_str_from_cstr(st->headers[i].name);
            hdrs[nh].value = sr_str_from_cstr(st->headers[i].value);
            nh++;
        }
    }
    /* a 420 nobody explained (dial a code, a rule with a bare 420) lists the request's
     * Require tags, or a tag that says where it came from */
    bool have_unsup = false;
    for (size_t i = 0; i < nh; i++)
        have_unsup = have_unsup || sr_str_caseeq_cstr(hdrs[i].name, "Unsupported");
    if (code == 420 && !have_unsup && nh < MAX_EXTRA) {
        const sr_header *rq = sr_msg_header_find(req, SR_HDR_REQUIRE, NULL);
        hdrs[nh].name = SR_STR("Unsupported");
        hdrs[nh].value = rq && rq->value.len ? rq->value : SR_STR("x-dial-a-code");
        nh++;
    }
    if (cf->server && nh < MAX_EXTRA) {
        hdrs[nh].name = SR_STR("Server");
        hdrs[nh].value = sr_str_from_cstr(cf->server);
        nh++;
    }
    o.headers = hdrs;
    o.n_headers = nh;
    sr_buf *b = &e->scratch;
    b->len = 0;
    const char *tpl = st && st->body ? st->body : (sdp ? sdp_auto : NULL);
    if (tpl) {
        int rc = expand(e, j, req, tpl, b);
        if (rc)
            return rc;
        o.body = (sr_str){b->p ? b->p : "", b->len};
        o.body_type = st && st->body ? sr_str_from_cstr(st->body_type) : SR_STR("application/sdp");
    }
    sr_build_error berr;
    int rc = sr_build_response(out, req, code, &o, &berr);
    if (rc != 0 && o.body.len == 0 && tpl) {
        /* nothing */
    }
    return rc;
}

/* ------------------------------------------------------------------ logging */

static void log_tx(sd_engine *e, const sr_msg *req, const sr_addr *src, unsigned code,
                   const char *rule, const char *note)
{
    if (!e->o.log)
        return;
    sd_txlog l = {.src = src,
                  .method = sr_msg_method_str(req),
                  .ruri = sr_msg_request_uri(req),
                  .code = code,
                  .rule = rule,
                  .note = note};
    e->o.log(&l, e->o.log_user);
}

/* ------------------------------------------------------------------ jobs */

static void drain_events(sd_engine *e, const sd_local *local, uint64_t now);

/* Send @p resp on the job's transaction. 0, or the stack's error (resp freed either way). */
static int send_resp(sd_engine *e, job *j, sr_msg *resp, unsigned flags, uint64_t now)
{
    int rc = sr_stack_send_response(e->stack, j->txn, resp, flags, now);
    if (rc != 0)
        sr_msg_free(resp);
    return rc;
}

static bool send_simple(sd_engine *e, job *j, const sr_msg *req, unsigned code, uint64_t now)
{
    sr_msg *resp = NULL;
    if (build(e, j, req, NULL, code, false, e->tag_key, &resp) != 0)
        return false;
    return send_resp(e, j, resp, 0, now) == 0;
}

/* The engine is done with @p txn: if no final went out on it (none could be built or sent),
 * end it (sr_stack_abandon) instead of leaving it in Trying/Proceeding, where only the TU's
 * final ends a server transaction (RFC 3261 §17.2.1, §17.2.2), holding its place in
 * --max-transactions for good. A transaction with its final, or gone, is left alone. */
static void txn_settle(sd_engine *e, sr_txn_id txn, uint64_t now)
{
    int rc = sr_stack_abandon(e->stack, txn, now);
    (void)rc; /* SR_ENOTFOUND (ended already), SR_ESTATE (answered): nothing to do */
}

/* Make the job own a copy of its request (before it waits). */
static int job_keep(sd_engine *e, job **jp, const sr_msg *req)
{
    job *j = *jp;
    if (!j->req) {
        sr_buf b;
        sr_buf_init(&b, NULL);
        int rc = sr_msg_print(req, &b);
        if (rc == 0)
            rc = sr_msg_parse(&j->req, b.p, b.len, NULL, NULL);
        sr_buf_cleanup(&b);
        if (rc != 0)
            return -1;
    }
    if (map_get(e, j->txn) != j) {
        /* the job lived on the caller's stack: move it to the heap */
        job *h = malloc(sizeof(*h));
        if (!h)
            return -1;
        *h = *j;
        h->heap_i = SIZE_MAX;
        h->due = UINT64_MAX;
        if (map_put(e, h) != 0) {
            free(h);
            return -1;
        }
        j->req = NULL;
        *jp = h;
    }
    return 0;
}

/* A copy of @p m (NULL when out of memory). */
static sr_msg *msg_copy(const sr_msg *m)
{
    sr_buf b;
    sr_buf_init(&b, NULL);
    sr_msg *c = NULL;
    if (sr_msg_print(m, &b) != 0 || sr_msg_parse(&c, b.p, b.len, NULL, NULL) != 0)
        c = NULL;
    sr_buf_cleanup(&b);
    return c;
}

/* After the 2xx @p copy went out: keep the job to resend it (RFC 3261 13.3.1.4). Takes
 * @p copy. Returns true when the job stays. */
static bool retx_start(sd_engine *e, job **jp, const sr_msg *req, sr_msg *copy, uint64_t now)
{
    if (!copy || job_keep(e, jp, req) != 0) {
        sr_msg_free(copy);
        return false;
    }
    job *j = *jp;
    j->resp2xx = copy;
    j->retx_ivl = j->cfg->t1;
    j->retx_end = now + 64 * (uint64_t)j->cfg->t1;
    j->retx_next = e->retx;
    e->retx = j;
    e->n_retx++;
    heap_push(e, j, now + j->retx_ivl);
    return true;
}

/* Resend the job's 2xx; false when it is time to give up (64*T1 without an ACK). */
static bool retx_again(sd_engine *e, job *j, uint64_t now)
{
    if (now >= j->retx_end)
        return false;
    sr_msg *m = msg_copy(j->resp2xx);
    if (!m)
        return false;
    int rc = sr_stack_send_response(e->stack, j->txn, m, 0, now);
    if (rc != 0) {
        sr_msg_free(m);
        /* SR_ESTATE: the stack still holds the 2xx for a PRACK (RFC 3262 3); try later */
        if (rc != SR_ESTATE)
            return false;
    }
    j->retx_ivl = j->retx_ivl * 2 < j->cfg->t2 ? j->retx_ivl * 2 : j->cfg->t2;
    heap_push(e, j, now + j->retx_ivl);
    return true;
}

/* An ACK: if it acknowledges a 2xx we resend, stop. It matches the INVITE transaction
 * (@p related, same branch) or, with a branch of its own, the 2xx's Call-ID, CSeq number
 * and To tag (RFC 3261 13.3.1.4, 17.1.1.3). true when it named that 2xx by its To tag: its
 * sender received the 2xx (the reflection budget's sign of life). */
static bool retx_ack(sd_engine *e, const sr_msg *ack, sr_txn_id related)
{
    if (!e->retx)
        return false;
    const sr_nameaddr *at = sr_msg_to(ack);
    job *j = related ? map_get(e, related) : NULL;
    if (j && j->resp2xx) {
        const sr_nameaddr *rt = sr_msg_to(j->resp2xx);
        bool ours = at && rt && rt->tag.len && sr_str_eq(rt->tag, at->tag);
        job_free(e, j);
        return ours;
    }
    const sr_cseq *ac = sr_msg_cseq(ack);
    if (!ac || !at)
        return false;
    for (j = e->retx; j; j = j->retx_next) {
        const sr_cseq *rc = sr_msg_cseq(j->resp2xx);
        const sr_nameaddr *rt = sr_msg_to(j->resp2xx);
        if (rc && rt && rc->num == ac->num && sr_str_eq(rt->tag, at->tag) &&
            sr_str_eq(sr_msg_call_id(j->resp2xx), sr_msg_call_id(ack))) {
            bool ours = rt->tag.len > 0;
            job_free(e, j); /* frees rt */
            return ours;
        }
    }
    return false;
}

static void sign(sd_engine *e, const sr_addr *src, int what)
{
    if (e->o.sign)
        e->o.sign(src, what, e->o.user);
}

static unsigned step_code(const job *j, const sd_step *st)
{
    return st->capture ? j->codes[st->capture] : st->code;
}

/* The final (or "no final") of a job: log it. */
static void job_done(sd_engine *e, job *j, const sr_msg *req, unsigned code, const char *note)
{
    j->final_sent = true;
    log_tx(e, req, &j->src, code, j->rule->name, note);
}

/* End the job with the simple final @p code, and log it; or, when it could not be built or
 * sent, log that nothing went out (the caller's txn_settle then ends the transaction). */
static void job_final(sd_engine *e, job *j, const sr_msg *req, unsigned code, const char *note,
                      uint64_t now)
{
    if (send_simple(e, j, req, code, now)) {
        job_done(e, j, req, code, note);
        return;
    }
    char why[160];
    snprintf(why, sizeof(why), "%s%snothing sent: the %u could not be built or sent",
             note ? note : "", note ? "; " : "", code);
    job_done(e, j, req, 0, why);
}

/* Pick the choice of the current respond action. */
static void start_action(sd_engine *e, job *j)
{
    const sd_action *a = &j->rule->actions[j->act];
    j->ch = a->choices; /* NULL for challenge and register */
    if (a->n_choices > 1) {
        uint64_t r = rng_next(e) % a->total_weight;
        for (size_t i = 0; i < a->n_choices; i++) {
            if (r < a->choices[i].weight) {
                j->ch = &a->choices[i];
                break;
            }
            r -= a->choices[i].weight;
        }
    }
    j->step = 0;
    j->sent = 0;
    j->waited = false;
}

/*
 * Run the job as far as it goes at @p now. Returns true when it must stay (waiting for a
 * deadline, a PRACK or a CANCEL), false when finished (the caller frees it if heap-owned).
 */
static bool job_run(sd_engine *e, job **jp, const sr_msg *req, uint64_t now)
{
    job *j = *jp;
    while (!j->final_sent) {
        const sd_action *a = &j->rule->actions[j->act];
        if (a->kind == SD_ACT_CHALLENGE) {
            unsigned code = 0;
            sr_msg *resp = NULL;
            const char *why = NULL;
            int ok = sd_auth_glue_challenge(e->auth, a, req, &j->src, &code, &resp, e->tag_key, now,
                                            &why);
            if (ok > 0) {
                j->act++;
                start_action(e, j);
                continue;
            }
            if (!resp || send_resp(e, j, resp, 0, now) != 0) {
                job_final(e, j, req, 500, "challenge could not be built", now);
                return false;
            }
            job_done(e, j, req, code, why);
            return false;
        }
        if (a->kind == SD_ACT_REGISTER) {
            unsigned code = 500;
            sr_msg *resp = NULL;
            sd_auth_glue_register(e->auth, a, req, &j->src, &code, &resp, e->tag_key, now);
            if (!resp || send_resp(e, j, resp, 0, now) != 0) {
                job_final(e, j, req, 500, NULL, now);
                return false;
            }
            job_done(e, j, req, code, NULL);
            return false;
        }
        if (j->step >= j->ch->n_steps) {
            /* the sequence ended without a final: a non-INVITE cannot wait */
            if (j->is_invite && j->ch->n_steps && j->ch->steps[j->ch->n_steps - 1].wait_cancel &&
                j->ch->steps[j->ch->n_steps - 1].delay_ms == 0)
                return job_keep(e, jp, req) == 0;
            job_final(e, j, req, 500, "no final response in the rule", now);
            return false;
        }
        const sd_step *st = &j->ch->steps[j->step];
        uint32_t wait = j->sent == 0 ? st->delay_ms : st->interval_ms;
        if (st->wait_cancel && st->delay_ms == 0) {
            if (!j->is_invite) {
                j->step++;
                continue;
            }
            if (j->waited) {
                /* nobody cancelled within the bound: end it as Timer C would (RFC 3261
                 * §16.6 item 11), so abandoned calls do not pile up */
                j->waited = false;
                job_final(e, j, req, 408, "no CANCEL within 3 minutes", now);
                return false;
            }
            if (job_keep(e, jp, req) != 0)
                return false;
            j = *jp;
            j->waited = true;
            heap_push(e, j, now + SD_WAIT_CANCEL_MAX_MS);
            return true; /* wait for a CANCEL */
        }
        if (wait && !j->waited) {
            if (job_keep(e, jp, req) != 0)
                return false;
            j = *jp;
            j->waited = true;
            heap_push(e, j, now + wait);
            return true;
        }
        j->waited = false;
        if (st->wait_cancel) {
            j->step++;
            j->sent = 0;
            continue;
        }
        unsigned code = step_code(j, st);
        if (code < 100 || code > 699) {
            j->step++;
            continue;
        }
        if (code < 200 && !j->is_invite) {
            /* RFC 4320 §4.1: no provisional but 100 to a non-INVITE; skip it */
            j->step++;
            continue;
        }
        bool reliable = false;
        if (code > 100 && code < 200) {
            bool req100 = has_option(req, SR_HDR_REQUIRE, "100rel");
            bool sup100 = req100 || has_option(req, SR_HDR_SUPPORTED, "100rel");
            reliable =
                st->reliable == SD_REL_AUTO ? sup100 : (st->reliable == SD_REL_REQUIRED && req100);
        }
        bool sdp = false;
        if (j->is_invite && !st->no_sdp && !st->body) {
            if (code >= 200 && code < 300)
                sdp = !j->sdp_reliable;
            else if (code == 183)
                sdp = has_sdp_body(req) && !j->sdp_reliable;
        }
        sr_msg *resp = NULL;
        int rc = build(e, j, req, st, code, sdp, e->tag_key, &resp);
        if (rc != 0) {
            /* a code the builder refuses (unregistered, missing header): 500 instead */
            job_final(e, j, req, 500, "response could not be built", now);
            return false;
        }
        bool has_body = sr_msg_body(resp).len > 0;
        sr_msg *keep2xx = j->is_invite && code >= 200 && code < 300 ? msg_copy(resp) : NULL;
        rc = send_resp(e, j, resp, reliable ? SR_SEND_100REL : 0, now);
        if (rc != 0) {
            sr_msg_free(keep2xx);
            keep2xx = NULL;
        }
        if (rc == SR_ESTATE && reliable) {
            /* the previous reliable 1xx is not PRACKed yet: wait for the PRACK */
            if (job_keep(e, jp, req) != 0)
                return false;
            (*jp)->wait_prack = true;
            return true;
        }
        if (rc == SR_EUNSUPPORTED && reliable) {
            if (build(e, j, req, st, code, sdp, e->tag_key, &resp) == 0)
                rc = send_resp(e, j, resp, 0, now);
        }
        if (rc != 0) {
            job_done(e, j, req, 0, "nothing sent: send failed");
            return false;
        }
        if (reliable && has_body)
            j->sdp_reliable = true;
        sr_txn_state ts;
        if (j->is_invite && code >= 200 && code < 300 &&
            sr_stack_txn_state(e->stack, j->txn, &ts) == 0 && ts == SR_TXN_PROCEEDING) {
            /* RFC 3262 §3: held by the stack until the reliable 1xx with SDP is PRACKed.
             * Nothing went on the wire: logged and resent once it does (held_release); a
             * CANCEL (487), no PRACK within 64*T1 (500) or a shutdown (503) end it instead */
            if (job_keep(e, jp, req) != 0) {
                sr_msg_free(keep2xx);
                return false;
            }
            (*jp)->held = true;
            (*jp)->held_code = code;
            (*jp)->held2xx = keep2xx;
            return true;
        }
        if (code >= 200) {
            job_done(e, j, req, code, NULL);
            return keep2xx ? retx_start(e, jp, req, keep2xx, now) : false;
        }
        if (++j->sent >= st->repeat) {
            j->step++;
            j->sent = 0;
        }
    }
    return false;
}

static void job_start(sd_engine *e, const sr_event *ev, const sd_rule *rule, const unsigned *codes,
                      const sd_local *local, uint64_t now)
{
    job tmp;
    memset(&tmp, 0, sizeof(tmp));
    tmp.txn = ev->txn;
    tmp.cfg = cfg_of(e);
    tmp.rule = rule;
    tmp.src = ev->addr;
    tmp.local = *local;
    tmp.heap_i = SIZE_MAX;
    tmp.due = UINT64_MAX;
    tmp.is_invite = sr_msg_method(ev->msg) == SR_METHOD_INVITE;
    /* RFC 4566 §5.2: the o= sess-id is unique per session: one per call, the same in every
     * SDP of the call (unchanged, so the sess-version stays too) */
    tmp.session = ++e->session;
    memcpy(tmp.codes, codes, sizeof(tmp.codes));
    e->cur->refs++;
    start_action(e, &tmp);
    job *j = &tmp;
    bool stays = job_run(e, &j, ev->msg, now);
    if (j != &tmp) {
        if (!stays) {
            job_free(e, j);
            txn_settle(e, ev->txn, now);
        }
        return;
    }
    /* never left the stack frame */
    sr_msg_free(tmp.req);
    cfg_release(e, tmp.cfg);
    txn_settle(e, ev->txn, now);
}

/* A PRACK reached a job whose 2xx the stack held: if the stack sent it (the transaction is
 * Accepted, RFC 6026 §7.1), log it and resend it until the ACK (RFC 3261 13.3.1.4). */
static void held_release(sd_engine *e, job *j, uint64_t now)
{
    sr_txn_state ts;
    if (sr_stack_txn_state(e->stack, j->txn, &ts) != 0 || ts != SR_TXN_ACCEPTED)
        return; /* still held (or the transaction ended: SR_EV_TERMINATED says so) */
    sr_msg *copy = j->held2xx;
    j->held2xx = NULL;
    j->held = false;
    job_done(e, j, j->req, j->held_code, NULL);
    if (!retx_start(e, &j, j->req, copy, now))
        job_free(e, j);
}

static void job_resume(sd_engine *e, job *j, uint64_t now)
{
    if (j->held)
        return; /* the stack sends it on the PRACK; nothing to run meanwhile */
    if (j->resp2xx) {
        if (!retx_again(e, j, now))
            job_free(e, j);
        return;
    }
    job *jj = j;
    if (!job_run(e, &jj, j->req, now)) {
        sr_txn_id txn = jj->txn;
        job_free(e, jj);
        txn_settle(e, txn, now);
    }
}

/* ------------------------------------------------------------------ requests */

static void count_request(sd_engine *e, const sr_msg *m)
{
    sr_method id = sr_msg_method(m);
    e->cnt.requests[(size_t)id < SD_METHOD_SLOTS ? (size_t)id : 0]++;
}

static void on_request(sd_engine *e, const sr_event *ev, const sd_local *local, uint64_t now)
{
    const sr_msg *req = ev->msg;
    sr_method m = sr_msg_method(req);
    count_request(e, req);
    if (m == SR_METHOD_ACK) {
        if (retx_ack(e, req, ev->related)) /* an ACK for a 2xx: stop resending it */
            sign(e, &ev->addr, SD_SIGN_ALIVE);
        return;
    }
    /* a PRACK the stack matched to our reliable 1xx (RAck names its RSeq) proves receipt */
    sign(e, &ev->addr, m == SR_METHOD_PRACK && ev->related ? SD_SIGN_ALIVE : SD_SIGN_REQUEST);
    if (m == SR_METHOD_CANCEL && ev->related) {
        job *j = map_get(e, ev->related);
        if (j && !j->final_sent) {
            job_done(e, j, j->req, 487, "cancelled");
            job_free(e, j);
        }
        return;
    }
    if (m == SR_METHOD_PRACK && ev->related) {
        job *j = map_get(e, ev->related);
        if (j && j->held) {
            held_release(e, j, now);
            return;
        }
        if (j && j->wait_prack) {
            j->wait_prack = false;
            job_resume(e, j, now);
        }
        return;
    }
    if (ev->txn == 0)
        return;
    job tmp;
    memset(&tmp, 0, sizeof(tmp));
    tmp.txn = ev->txn;
    tmp.cfg = cfg_of(e);
    tmp.src = ev->addr;
    tmp.local = *local;
    /* RFC 3261 §8.2: the automatic answers come before any rule */
    sr_uas_policy pol;
    uas_policy(&pol);
    sr_uas_verdict v;
    if (sr_uas_check(req, &pol, &v) == 0 && v.code != 0) {
        sr_msg *resp = NULL;
        sr_build_opts bo;
        sr_build_opts_init(&bo);
        bo.source_host = sr_str_from_cstr(ev->addr.host);
        bo.source_port = ev->addr.port;
        bool sent = sr_uas_respond(&resp, req, &v, &pol, &bo, NULL) == 0 &&
                    send_resp(e, &tmp, resp, 0, now) == 0;
        /* the log says what went on the wire */
        log_tx(e, req, &ev->addr, sent ? v.code : 0, "-",
               sent ? v.reason : "nothing sent: the response could not be built");
        txn_settle(e, ev->txn, now);
        return;
    }
    if (e->draining) {
        sd_rule r = {.name = "shutdown"};
        tmp.rule = &r;
        sd_step st = {.code = 503, .retry_after = 5, .reason = NULL, .repeat = 1};
        sr_msg *resp = NULL;
        bool sent = build(e, &tmp, req, &st, 503, false, e->tag_key, &resp) == 0 &&
                    send_resp(e, &tmp, resp, 0, now) == 0;
        log_tx(e, req, &ev->addr, sent ? 503 : 0, "shutdown",
               sent ? "shutting down" : "shutting down; nothing sent: the 503 could not be built");
        txn_settle(e, ev->txn, now);
        return;
    }
    unsigned codes[SD_MAX_CAPTURES] = {0};
    const sd_rule *rule = sd_rule_find(cfg_of(e), req, &ev->addr, codes);
    job_start(e, ev, rule, codes, local, now);
}

static void drain_events(sd_engine *e, const sd_local *local, uint64_t now)
{
    sr_event ev;
    while (sr_stack_poll(e->stack, &ev) == 0) {
        switch (ev.kind) {
        case SR_EV_REQUEST:
            if (local)
                on_request(e, &ev, local, now);
            break;
        case SR_EV_SEND:
            if (ev.status >= 100 && ev.status < 700)
                e->cnt.responses[ev.status]++;
            e->o.send(ev.data, ev.len, &ev.addr, e->o.user);
            break;
        case SR_EV_TERMINATED:
        case SR_EV_TRANSPORT_ERROR: {
            job *j = map_get(e, ev.txn);
            if (j) {
                if (!j->final_sent)
                    job_done(e, j, j->req, 0, "transaction ended");
                job_free(e, j);
            }
            break;
        }
        case SR_EV_PRACK_TIMEOUT: {
            job *j = map_get(e, ev.txn);
            if (j && !j->final_sent) {
                /* RFC 3262 §3: no PRACK for a reliable 1xx within 64*T1: the UAS SHOULD reject
                 * the INVITE with a 5xx (a 2xx the stack held is dropped: it never went) */
                job_final(e, j, j->req, 500, "no PRACK", now);
                job_free(e, j);
                txn_settle(e, ev.txn, now);
            }
            break;
        }
        case SR_EV_RESPONSE: e->cnt.dropped++; break;
        default: break;
        }
    }
}

/* ------------------------------------------------------------------ stateless replies */

static sr_addr response_dest(const sr_msg *req, const sr_addr *src)
{
    sr_addr d = *src;
    if (sr_transport_is_reliable(src->transport))
        return d;
    const sr_via *v = sr_msg_via(req, 0);
    if (v && v->rport == SR_RPORT_NONE)
        d.port = v->has_port ? v->port : 5060;
    return d;
}

/* true when the message was handled without the stack. */
static bool try_stateless(sd_engine *e, const char *buf, size_t len, const sr_addr *src,
                          const sd_local *local)
{
    sr_msg *req = NULL;
    sr_parse_opts po;
    sr_parse_opts_init(&po);
    po.alloc = sd_pool_allocator(e->pool);
    if (sr_msg_parse(&req, buf, len, &po, NULL) != 0)
        return false;
    bool done = false;
    sr_method m = sr_msg_method(req);
    if (!sr_msg_is_request(req) || m == SR_METHOD_PRACK)
        goto out;
    if (m == SR_METHOD_CANCEL) {
        /* RFC 3261 §8.2.7: a stateless UAS ignores CANCEL. A CANCEL whose INVITE went to a
         * stateless rule is dropped (the INVITE had its final answer already). */
        unsigned cc[SD_MAX_CAPTURES] = {0};
        const sd_rule *ir = rule_find_as(cfg_of(e), req, src, cc, "INVITE");
        if (ir->actions[0].kind == SD_ACT_STATELESS) {
            e->cnt.requests[SR_METHOD_CANCEL]++;
            done = true;
        }
        goto out;
    }
    if (m == SR_METHOD_ACK) {
        if (sr_build_ack_is_ours(req, e->sl_key)) {
            e->cnt.requests[SR_METHOD_ACK]++;
            e->cnt.acks_absorbed++;
            sign(e, src, SD_SIGN_ALIVE);
            done = true;
        }
        goto out;
    }
    unsigned codes[SD_MAX_CAPTURES] = {0};
    const sd_rule *rule = sd_rule_find(cfg_of(e), req, src, codes);
    if (rule->actions[0].kind != SD_ACT_STATELESS || e->draining)
        goto out;
    sr_uas_policy pol;
    uas_policy(&pol);
    sr_uas_verdict v;
    if (sr_uas_check(req, &pol, &v) != 0 || v.code != 0)
        goto out; /* the stateful path answers it */
    const sd_step *st = &rule->actions[0].choices[0].steps[0];
    job tmp;
    memset(&tmp, 0, sizeof(tmp));
    tmp.cfg = cfg_of(e);
    tmp.rule = rule;
    tmp.src = *src;
    tmp.local = *local;
    tmp.session = ++e->session; /* RFC 4566 §5.2: one o= sess-id per call */
    memcpy(tmp.codes, codes, sizeof(codes));
    unsigned code = step_code(&tmp, st);
    if (code < 200 || code > 699)
        code = 500;
    sr_msg *resp = NULL;
    count_request(e, req);
    sign(e, src, SD_SIGN_REQUEST);
    bool sent = false;
    if (build(e, &tmp, req, st, code, false, e->sl_key, &resp) == 0) {
        sr_buf *b = &e->scratch;
        b->len = 0;
        if (sr_msg_print(resp, b) == 0) {
            sr_addr to = response_dest(req, src);
            e->cnt.responses[code]++;
            e->o.send(b->p, b->len, &to, e->o.user);
            sent = true;
        }
        sr_msg_free(resp);
    }
    /* the log says what went on the wire */
    log_tx(e, req, src, sent ? code : 0, rule->name,
           sent ? NULL : "nothing sent: the response could not be built");
    done = true;
out:
    sr_msg_free(req);
    return done;
}

/* ------------------------------------------------------------------ unparseable requests */

/*
 * A request the parser rejects never reaches the stack's transactions. Answer it 400 (or
 * 505/513) with the parser's phrase when its head still names the headers a response copies
 * (RFC 3261 §8.2.6.2, §18.3); otherwise it is dropped.
 */
/* A To value with a tag parameter (after the URI). */
static bool has_tag_param(sr_str to)
{
    sr_nameaddr na;
    return sr_nameaddr_parse(&na, to, NULL) == 0 ? na.tag.p != NULL : true;
}

static bool reply_raw(sd_engine *e, const char *buf, size_t len, const sr_addr *src)
{
    sr_start_line sl;
    sr_header hdrs[128];
    size_t nh = 128;
    sr_parse_error perr = {0};
    sr_uas_verdict v;
    sr_buf alt;
    sr_buf_init(&alt, NULL);
    if (sr_parse_head(buf, len, 0, &sl, hdrs, &nh, &perr) <= 0) {
        /* a request line that does not parse (RFC 4475 ltgtruri, lwsruri: a Request-URI in
         * <> or with spaces): the header fields after it may still say where a 400 goes */
        const char *eol = len ? memchr(buf, '\n', len) : NULL;
        size_t l1 = eol ? (size_t)(eol - buf) : 0;
        if (l1 > 0 && buf[l1 - 1] == '\r')
            l1--;
        if (!eol || l1 < 12 || memcmp(buf + l1 - 8, " SIP/2.0", 8) != 0 ||
            !memchr(buf, ' ', l1 - 8) || (l1 >= 4 && !memcmp(buf, "ACK ", 4)))
            return false;
        nh = 128;
        if (sr_buf_append_cstr(&alt, "OPTIONS sip:invalid SIP/2.0\r\n") != 0 ||
            sr_buf_append(&alt, eol + 1, len - (size_t)(eol + 1 - buf)) != 0 ||
            sr_parse_head(alt.p, alt.len, 0, &sl, hdrs, &nh, NULL) <= 0) {
            sr_buf_cleanup(&alt);
            return false;
        }
        memset(&v, 0, sizeof(v));
        v.code = 400;
        v.reason = perr.phrase ? perr.phrase : "Bad Request-Line";
    } else {
        if (!sl.is_request || sl.method_id == SR_METHOD_ACK)
            return false;
        sr_msg *req = NULL;
        sr_uas_policy pol;
        uas_policy(&pol);
        int rc = sr_uas_parse_check(&req, buf, len, NULL, &pol, &v);
        /* parsed but refused by the stack (a Via or CSeq that does not parse): the checks'
         * verdict (400 with the header named) is the answer; parsed and passing: not ours */
        sr_msg_free(req);
        if (rc != 0 || v.code == 0)
            return false;
    }
    sr_buf *b = &e->scratch;
    b->len = 0;
    int err = sr_buf_append_cstr(b, "SIP/2.0 ");
    err = err ? err : sr_buf_append_u64(b, v.code);
    err = err ? err : sr_buf_append_cstr(b, " ");
    err = err ? err : sr_buf_append_cstr(b, v.reason ? v.reason : "Bad Request");
    err = err ? err : sr_buf_append_cstr(b, "\r\n");
    bool have[5] = {false};
    static const enum sr_hdr_id need[5] = {SR_HDR_VIA, SR_HDR_FROM, SR_HDR_TO, SR_HDR_CALL_ID,
                                           SR_HDR_CSEQ};
    for (size_t k = 0; k < 5 && !err; k++)
        for (size_t i = 0; i < nh && !err; i++) {
            if (hdrs[i].id != need[k])
                continue;
            if (k > 0 && have[k])
                break;
            have[k] = true;
            err = sr_buf_append_cstr(b, sr_hdr_name(need[k]));
            err = err ? err : sr_buf_append_cstr(b, ": ");
            err = err ? err : sr_buf_append_str(b, hdrs[i].value);
            if (!err && need[k] == SR_HDR_TO && !has_tag_param(hdrs[i].value))
                err = sr_buf_append_cstr(b, ";tag=sipreplyd-bad");
            err = err ? err : sr_buf_append_cstr(b, "\r\n");
        }
    for (size_t k = 0; k < 5; k++)
        if (!have[k])
            goto fail;
    err = err ? err : sr_buf_append_cstr(b, "Content-Length: 0\r\n\r\n");
    if (err)
        goto fail;
    sr_addr to = *src;
    e->cnt.bad_requests++;
    if (v.code < 700)
        e->cnt.responses[v.code]++;
    e->o.send(b->p, b->len, &to, e->o.user);
    if (e->o.log) {
        sd_txlog l = {.src = src,
                      .method = sl.method,
                      .ruri = sl.uri,
                      .code = v.code,
                      .rule = "-",
                      .note = v.reason};
        e->o.log(&l, e->o.log_user);
    }
    sr_buf_cleanup(&alt);
    return true;
fail:
    sr_buf_cleanup(&alt);
    return false;
}

/* ------------------------------------------------------------------ public API */

void sd_engine_receive(sd_engine *e, const char *buf, size_t len, const sr_addr *src,
                       const sd_local *local, uint64_t now)
{
    if (cfg_of(e)->has_stateless && try_stateless(e, buf, len, src, local))
        return;
    int rc = sr_stack_receive(e->stack, buf, len, src, now);
    if (rc == SR_EBADMSG && !reply_raw(e, buf, len, src)) {
        /* counted here once (sipreplyd_dropped_total); a 400 from the raw head is an answer */
        e->cnt.dropped++;
        if (e->o.log) {
            /* rule NULL: a drop, logged at the debug level */
            sd_txlog l = {.src = src, .note = "dropped: not a SIP message that can be answered"};
            e->o.log(&l, e->o.log_user);
        }
    }
    drain_events(e, local, now);
}

/* After a burst: each time the transactions have let go of 32 MiB since the last time (or
 * since their peak), give the free memory back to the kernel. main.c keeps freed memory for
 * reuse (M_TRIM_THRESHOLD 256 MB) so that a steady load does not fault it in again; this is
 * for the memory a flood left behind (docs/sipreplyd.md "Memory"). Timers end transactions,
 * so this runs after them. */
static void memory_settle(sd_engine *e)
{
    size_t mem = sr_stack_memory(e->stack);
    if (mem > e->mem_peak)
        e->mem_peak = mem;
    if (e->mem_peak - mem < ((size_t)32 << 20))
        return;
    e->mem_peak = mem;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

bool sd_engine_ack_is_ours(sd_engine *e, const char *buf, size_t len)
{
    if (len < 4 || memcmp(buf, "ACK ", 4) != 0)
        return false;
    sr_msg *ack = NULL;
    sr_parse_opts po;
    sr_parse_opts_init(&po);
    po.alloc = sd_pool_allocator(e->pool);
    if (sr_msg_parse(&ack, buf, len, &po, NULL) != 0)
        return false;
    bool ours = sr_build_ack_is_ours(ack, e->tag_key) || sr_build_ack_is_ours(ack, e->sl_key);
    sr_msg_free(ack);
    return ours;
}

void sd_engine_on_timer(sd_engine *e, uint64_t now)
{
    sr_stack_on_timer(e->stack, now);
    drain_events(e, NULL, now);
    while (e->heap_len && e->heap[0]->due <= now) {
        job *j = e->heap[0];
        heap_remove(e, j);
        job_resume(e, j, now);
        drain_events(e, NULL, now);
    }
    drain_events(e, NULL, now);
    memory_settle(e);
}

uint64_t sd_engine_next_deadline(const sd_engine *e)
{
    uint64_t d = sr_stack_next_deadline(e->stack);
    if (e->heap_len && e->heap[0]->due < d)
        d = e->heap[0]->due;
    return d;
}

void sd_engine_transport_error(sd_engine *e, const sr_addr *peer, uint64_t now)
{
    sr_stack_on_transport_error(e->stack, peer, now);
    drain_events(e, NULL, now);
}

void sd_engine_drain(sd_engine *e)
{
    e->draining = true;
}

size_t sd_engine_abort_pending(sd_engine *e, uint64_t now)
{
    size_t n = 0;
    while (e->n_jobs) {
        job *j = NULL;
        for (size_t i = 0; i < e->map_cap && !j; i++)
            j = e->map[i];
        if (!j->final_sent) {
            sd_step st = {.code = 503, .retry_after = 5, .repeat = 1};
            sr_msg *resp = NULL;
            bool sent = build(e, j, j->req, &st, 503, false, e->tag_key, &resp) == 0 &&
                        send_resp(e, j, resp, 0, now) == 0;
            job_done(e, j, j->req, sent ? 503 : 0,
                     sent ? "shutting down" : "shutting down; nothing sent: the 503 failed");
            n++;
        }
        sr_txn_id txn = j->txn;
        job_free(e, j);
        txn_settle(e, txn, now);
    }
    drain_events(e, NULL, now);
    return n;
}

size_t sd_engine_pending(const sd_engine *e)
{
    return e->n_jobs - e->n_retx; /* a 2xx waiting for its ACK is no longer in flight */
}

size_t sd_engine_transactions(const sd_engine *e)
{
    return sr_stack_txn_count(e->stack);
}

const sd_counters *sd_engine_counters(const sd_engine *e)
{
    return &e->cnt;
}

const sd_config *sd_engine_config(const sd_engine *e)
{
    return cfg_of(e);
}

void sd_engine_set_config(sd_engine *e, sd_config *cfg)
{
    cfg_ref *r = calloc(1, sizeof(*r));
    if (!r) {
        sd_config_free(cfg);
        return;
    }
    r->cfg = cfg;
    cfg_ref *old = e->cur;
    e->cur = r;
    if (old->refs == 0) {
        sd_config_free(old->cfg);
        free(old);
    } else {
        old->next = e->olds;
        e->olds = old;
    }
}

int sd_engine_new(sd_engine **out, sd_config *cfg, const sd_engine_opts *o)
{
    sd_engine *e = calloc(1, sizeof(*e));
    if (!e)
        return -1;
    e->o = *o;
    e->cur = calloc(1, sizeof(*e->cur));
    if (!e->cur) {
        free(e);
        return -1;
    }
    e->cur->cfg = cfg;
    e->rng = cfg->seed ? cfg->seed : o->seed;
    for (size_t i = 0; i < SR_BUILD_KEY_LEN; i++) {
        e->tag_key[i] = (uint8_t)rng_next(e);
        e->sl_key[i] = (uint8_t)rng_next(e);
    }
    e->session = rng_next(e) % 1000000000u + 1;
    sr_buf_init(&e->scratch, NULL);
    e->pool = sd_pool_new(SD_POOL_KEEP);
    sr_config sc;
    sr_config_default(&sc);
    sc.t1 = cfg->t1;
    sc.t2 = cfg->t2;
    sc.t4 = cfg->t4;
    sc.seed = rng_next(e);
    if (o->max_transactions)
        sc.max_transactions = o->max_transactions;
    if (o->max_memory)
        sc.max_memory = o->max_memory;
    sc.alloc = e->pool ? sd_pool_allocator(e->pool) : NULL;
    if (!e->pool || sr_stack_new(&e->stack, &sc) != 0 ||
        sd_auth_glue_new(&e->auth, rng_next(e), o->nonce_secret, o->nonce_secret_len) != 0) {
        sr_stack_free(e->stack);
        sd_pool_free(e->pool);
        free(e->cur);
        free(e);
        return -1;
    }
    *out = e;
    return 0;
}

void sd_engine_free(sd_engine *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->map_cap; i++)
        if (e->map[i]) {
            job *j = e->map[i];
            e->map[i] = NULL;
            sr_msg_free(j->req);
            sr_msg_free(j->resp2xx);
            sr_msg_free(j->held2xx);
            free(j);
        }
    free(e->map);
    free(e->heap);
    sr_stack_free(e->stack);
    sd_config_free(e->cur->cfg);
    free(e->cur);
    while (e->olds) {
        cfg_ref *n = e->olds->next;
        sd_config_free(e->olds->cfg);
        free(e->olds);
        e->olds = n;
    }
    sd_auth_glue_free(e->auth);
    sr_buf_cleanup(&e->scratch);
    sd_pool_free(e->pool); /* last: the stack's and the jobs' messages came from it */
    free(e);
}

/* ------------------------------------------------------------------ metrics */

int sd_engine_metrics(const sd_engine *e, sr_buf *out)
{
    char line[400];
    int rc = sr_buf_append_cstr(
        out, "# HELP sipreplyd_requests_total Requests received, by method (retransmissions "
             "absorbed by the transaction layer are not counted).\n"
             "# TYPE sipreplyd_requests_total counter\n");
    for (size_t i = 0; i < SD_METHOD_SLOTS && !rc; i++) {
        const char *name = i ? sr_method_name((sr_method)i) : "other";
        snprintf(line, sizeof(line), "sipreplyd_requests_total{method=\"%s\"} %llu\n",
                 name ? name : "other", (unsigned long long)e->cnt.requests[i]);
        rc = sr_buf_append_cstr(out, line);
    }
    rc = rc ? rc
            : sr_buf_append_cstr(out, "# HELP sipreplyd_responses_total Responses sent, by code "
                                      "(retransmissions included).\n"
                                      "# TYPE sipreplyd_responses_total counter\n");
    for (size_t i = 100; i < 700 && !rc; i++) {
        if (!e->cnt.responses[i])
            continue;
        snprintf(line, sizeof(line), "sipreplyd_responses_total{code=\"%zu\"} %llu\n", i,
                 (unsigned long long)e->cnt.responses[i]);
        rc = sr_buf_append_cstr(out, line);
    }
    if (!rc) {
        snprintf(line, sizeof(line),
                 "# TYPE sipreplyd_acks_absorbed_total counter\n"
                 "sipreplyd_acks_absorbed_total %llu\n",
                 (unsigned long long)e->cnt.acks_absorbed);
        rc = sr_buf_append_cstr(out, line);
    }
    if (!rc) {
        snprintf(line, sizeof(line),
                 "# TYPE sipreplyd_dropped_total counter\nsipreplyd_dropped_total %llu\n",
                 /* the stack's own count (sr_stack_dropped) is of the same datagrams:
                  * each came back SR_EBADMSG to sd_engine_receive, which counted it */
                 (unsigned long long)e->cnt.dropped);
        rc = sr_buf_append_cstr(out, line);
    }
    if (!rc) {
        snprintf(line, sizeof(line),
                 "# TYPE sipreplyd_transactions gauge\nsipreplyd_transactions %zu\n"
                 "# TYPE sipreplyd_transaction_bytes gauge\nsipreplyd_transaction_bytes %zu\n"
                 "# TYPE sipreplyd_refused_total counter\nsipreplyd_refused_total %llu\n"
                 "# TYPE sipreplyd_pending_sequences gauge\nsipreplyd_pending_sequences %zu\n"
                 "# TYPE sipreplyd_bindings gauge\nsipreplyd_bindings %zu\n",
                 sr_stack_txn_count(e->stack), sr_stack_memory(e->stack),
                 (unsigned long long)sr_stack_refused(e->stack), e->n_jobs,
                 sd_auth_glue_bindings(e->auth));
        rc = sr_buf_append_cstr(out, line);
    }
    return rc;
}
