/* sipreply tests: helpers shared by the proxy tests — a received request, its copies forwarded
 * to targets, responses built on each branch, and the decisions drained into a log. */
#ifndef SIPREPLY_PROXY_HARNESS_H
#define SIPREPLY_PROXY_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "sipreply/proxy.h"

#define PH_REQUEST                                                    \
    "%s sip:bob@example.com SIP/2.0\r\n"                              \
    "Via: SIP/2.0/UDP pc33.example.net:5062;branch=z9hG4bK776asd\r\n" \
    "Via: SIP/2.0/UDP edge.example.net;branch=z9hG4bKedge1\r\n"       \
    "Max-Forwards: 70\r\n"                                            \
    "To: Bob <sip:bob@example.com>\r\n"                               \
    "From: Alice <sip:alice@example.net>;tag=1928301774\r\n"          \
    "Call-ID: a84b4c76e66710@pc33.example.net\r\n"                    \
    "CSeq: 314159 %s\r\n"                                             \
    "Contact: <sip:alice@pc33.example.net>\r\n"                       \
    "%s"                                                              \
    "Content-Type: application/sdp\r\n"                               \
    "Content-Length: 4\r\n"                                           \
    "\r\n"                                                            \
    "v=0\n"

/* sr_proxy's is_self for the tests: proxy.example.org, with or without ;lr, is this proxy. */
static inline bool ph_is_self(sr_str uri, void *user)
{
    static const char *self_uris[] = {"sip:proxy.example.org;lr", "sip:proxy.example.org", NULL};
    (void)user;
    for (const char **s = self_uris; *s; s++) {
        if (sr_str_caseeq_cstr(uri, *s))
            return true;
    }
    return false;
}

static inline sr_msg *ph_parse(const char *txt)
{
    return tu_parse(txt, tu_allocator());
}

/* @p method (NULL: INVITE) as received, with @p extra header lines. */
static inline sr_msg *ph_request(const char *method, const char *extra)
{
    char buf[2048];
    const char *m = method ? method : "INVITE";
    snprintf(buf, sizeof buf, PH_REQUEST, m, m, extra ? extra : "");
    return ph_parse(buf);
}

static inline void ph_opts(sr_proxy_fwd_opts *o)
{
    sr_proxy_fwd_opts_init(o);
    o->alloc = tu_allocator();
    o->via_host = SR_STR("proxy.example.org");
}

/* A context over @p req with @p n branches to sip:t<i>@example.com. */
typedef struct ph {
    sr_msg *req;
    sr_proxy *p;
    sr_msg *fwd[8];
    size_t n;
} ph;

static inline void ph_start(ph *h, sr_msg *req, size_t n, unsigned flags, uint64_t now)
{
    memset(h, 0, sizeof *h);
    h->req = req;
    sr_proxy_config c;
    sr_proxy_config_default(&c);
    c.alloc = tu_allocator();
    c.flags = flags;
    assert_int_equal(sr_proxy_new(&h->p, req, &c), 0);
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    for (size_t i = 0; i < n; i++) {
        char t[64];
        snprintf(t, sizeof t, "sip:t%zu@example.com", i);
        assert_int_equal(
            sr_proxy_forward(&h->fwd[i], req, sr_str_from_cstr(t), NULL, (unsigned)i, &o), 0);
        unsigned idx = 99;
        assert_int_equal(sr_proxy_branch_add(h->p, h->fwd[i], now, &idx), 0);
        assert_int_equal(idx, i);
    }
    h->n = n;
}

static inline void ph_end(ph *h)
{
    sr_proxy_free(h->p);
    for (size_t i = 0; i < h->n; i++)
        sr_msg_free(h->fwd[i]);
    sr_msg_free(h->req);
}

/* A response @p code on branch @p b with To tag @p tag (NULL: none) and extra headers. */
static inline sr_msg *ph_resp_on(const sr_msg *fwd, unsigned code, const char *tag,
                                 const char *hname, const char *hval)
{
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = tu_allocator();
    o.flags = SR_BUILD_DEFAULTS | SR_BUILD_UNREGISTERED;
    o.to_tag = tag ? sr_str_from_cstr(tag) : SR_STR_NULL;
    sr_build_header hs[2];
    size_t nh = 0;
    if (hname)
        hs[nh++] = (sr_build_header){sr_str_from_cstr(hname), sr_str_from_cstr(hval)};
    if ((code > 100 && code < 300) || (code >= 300 && code < 400 && !hname))
        hs[nh++] = (sr_build_header){SR_STR("Contact"), SR_STR("<sip:uas@192.0.2.7>")};
    o.headers = hs;
    o.n_headers = nh;
    sr_msg *m = NULL;
    int rc = sr_build_response(&m, fwd, code, &o, NULL);
    if (rc != 0)
        fail_msg("build %u: %s", code, sr_errname(rc));
    return m;
}

static inline int ph_resp(ph *h, size_t b, unsigned code, const char *tag, const char *hname,
                          const char *hval, uint64_t now)
{
    sr_msg *m = ph_resp_on(h->fwd[b], code, tag, hname, hval);
    unsigned idx = 99;
    assert_int_equal(sr_proxy_branch_find(h->p, m, &idx), 0);
    assert_int_equal(idx, b);
    int rc = sr_proxy_on_response(h->p, (unsigned)b, m, now);
    sr_msg_free(m);
    return rc;
}

/* What one decision said, kept after the next poll. */
typedef struct ph_rec {
    sr_proxy_action_kind kind;
    unsigned branch, status;
    bool final;
    size_t vias, www, pauth, contacts;
    char to_tag[32];
    char reason[96];    /* Reason header value, "" when none */
    char phrase[48];    /* reason phrase of a response */
    char ruri[64];      /* CANCEL: Request-URI */
    char branch_id[64]; /* CANCEL: top Via branch */
    char targets[4][48];
    size_t n_targets;
} ph_rec;

typedef struct ph_log {
    ph_rec r[32];
    size_t n;
} ph_log;

static inline void ph_cpy(char *dst, size_t cap, sr_str s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = '\0';
}

static inline void ph_drain(ph *h, ph_log *log)
{
    sr_proxy_action a;
    while (sr_proxy_poll(h->p, &a) == 0) {
        assert_true(log->n < 32);
        ph_rec *r = &log->r[log->n++];
        memset(r, 0, sizeof *r);
        r->kind = a.kind;
        r->branch = a.branch;
        r->status = a.status;
        r->final = a.final;
        if (a.msg) {
            const sr_msg *m = a.msg;
            /* Every message the proxy sends prints and parses again. */
            sr_buf b;
            sr_buf_init(&b, tu_allocator());
            assert_int_equal(sr_msg_print(m, &b), 0);
            sr_msg *again = ph_parse(b.p);
            sr_buf_cleanup(&b);
            r->vias = sr_msg_via_count(again);
            r->www = sr_msg_header_count_id(again, SR_HDR_WWW_AUTHENTICATE);
            r->pauth = sr_msg_header_count_id(again, SR_HDR_PROXY_AUTHENTICATE);
            size_t nc = 0;
            for (const sr_header *x = sr_msg_header_find(again, SR_HDR_CONTACT, NULL); x;
                 x = sr_msg_header_find(again, SR_HDR_CONTACT, x))
                nc++;
            r->contacts = nc;
            const sr_nameaddr *to = sr_msg_to(again);
            if (to)
                ph_cpy(r->to_tag, sizeof r->to_tag, to->tag);
            const sr_header *rs = sr_msg_header_find(again, SR_HDR_REASON, NULL);
            if (rs)
                ph_cpy(r->reason, sizeof r->reason, rs->value);
            ph_cpy(r->phrase, sizeof r->phrase, sr_msg_reason(again));
            ph_cpy(r->ruri, sizeof r->ruri, sr_msg_request_uri(again));
            const sr_via *v = sr_msg_via(again, 0);
            if (v)
                ph_cpy(r->branch_id, sizeof r->branch_id, v->branch);
            sr_msg_free(again);
        }
        for (size_t i = 0; i < a.n_targets && i < 4; i++)
            ph_cpy(r->targets[i], sizeof r->targets[i], a.targets[i]);
        r->n_targets = a.n_targets;
    }
}

/* ph_drain, after which exactly one response must have gone up, with @p status: it. */
static inline const ph_rec *ph_one(ph *h, ph_log *log, unsigned status)
{
    ph_drain(h, log);
    assert_int_equal(log->n, 1);
    assert_int_equal(log->r[0].status, status);
    return &log->r[0];
}

/* The number of final responses (non-2xx and 2xx) in @p log. */
static inline size_t ph_finals(const ph_log *log, size_t *non2xx)
{
    size_t n = 0, bad = 0;
    for (size_t i = 0; i < log->n; i++) {
        if (log->r[i].kind == SR_PROXY_ACT_FORWARD && log->r[i].final) {
            n++;
            if (log->r[i].status >= 300)
                bad++;
        }
    }
    if (non2xx)
        *non2xx = bad;
    return n;
}

#endif /* SIPREPLY_PROXY_HARNESS_H */
