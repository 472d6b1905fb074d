/* sipreply tests: a simulated-time harness for the UAC context (uac.h) over a real stack.
 * The "network" is the test: it reads what the stack sends and answers with responses built
 * by sr_build_response() from the request that was sent. */
#ifndef SIPREPLY_UAC_HARNESS_H
#define SIPREPLY_UAC_HARNESS_H

#include <stdio.h>
#include <string.h>

#include "testutil.h"

#define U_MAX_SENT 64
#define U_MAX_EV   128

typedef struct u_sent {
    char first[96]; /* request line or status line */
    char text[2048];
    sr_addr to;
    sr_txn_id txn;
} u_sent;

typedef struct u_ev {
    sr_uac_event_kind kind;
    sr_uac_action action;
    sr_uac_outcome outcome;
    unsigned status;
    bool unknown, retx;
    uint64_t delay;
    char detail[256];
    char rfc[48];
} u_ev;

typedef struct u_h {
    sr_stack *s;
    sr_uac *u;
    uint64_t now;
    u_sent sent[U_MAX_SENT];
    size_t n_sent;
    u_ev ev[U_MAX_EV];
    size_t n_ev;
    size_t n_done;
    sr_addr servers[4];
    sr_uac_config cfg;
    unsigned rnd; /* the random callback's next byte */
} u_h;

static inline int u_random(uint8_t *out, size_t n, void *user)
{
    u_h *h = user;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(h->rnd++);
    return 0;
}

static inline void u_first_line(const char *p, size_t n, char *out, size_t cap)
{
    size_t i = 0;
    while (i < n && i + 1 < cap && p[i] != '\r' && p[i] != '\n') {
        out[i] = p[i];
        i++;
    }
    out[i] = '\0';
}

/* Drain the stack into the UAC and the UAC into the log. */
static inline void u_pump(u_h *h)
{
    sr_event ev;
    while (sr_stack_poll(h->s, &ev) == 0) {
        if (ev.kind == SR_EV_SEND) {
            assert_true(h->n_sent < U_MAX_SENT);
            u_sent *s = &h->sent[h->n_sent++];
            memset(s, 0, sizeof(*s));
            u_first_line(ev.data, ev.len, s->first, sizeof(s->first));
            size_t n = ev.len < sizeof(s->text) - 1 ? ev.len : sizeof(s->text) - 1;
            memcpy(s->text, ev.data, n);
            s->to = ev.addr;
            s->txn = ev.txn;
        }
        if (h->u != NULL) {
            int rc = sr_uac_handle(h->u, &ev, h->now);
            assert_true(rc >= 0);
        }
    }
    sr_uac_event e;
    while (h->u != NULL && sr_uac_poll(h->u, &e) == 0) {
        assert_true(h->n_ev < U_MAX_EV);
        u_ev *r = &h->ev[h->n_ev++];
        memset(r, 0, sizeof(*r));
        r->kind = e.kind;
        r->action = e.action;
        r->outcome = e.outcome;
        r->status = e.status;
        r->unknown = e.unknown;
        r->retx = e.retransmission;
        r->delay = e.delay_ms;
        if (e.detail.len)
            snprintf(r->detail, sizeof(r->detail), "%.*s", (int)e.detail.len, e.detail.p);
        if (e.rfc)
            snprintf(r->rfc, sizeof(r->rfc), "%s", e.rfc);
        if (e.kind == SR_UAC_EV_DONE)
            h->n_done++;
        if (e.kind == SR_UAC_EV_SENT || e.kind == SR_UAC_EV_DONE)
            assert_true(e.kind != SR_UAC_EV_SENT || e.msg != NULL);
    }
}

/* A context for the request in @p text (CRLF line ends added), not started. */
static inline void u_init(u_h *h, const char *text, void (*tweak)(u_h *))
{
    memset(h, 0, sizeof(*h));
    sr_config c;
    sr_config_default(&c);
    c.alloc = tu_allocator();
    c.seed = 7;
    assert_int_equal(sr_stack_new(&h->s, &c), 0);
    assert_int_equal(sr_addr_set(&h->servers[0], "192.0.2.10", 5060, SR_TP_UDP), 0);
    assert_int_equal(sr_addr_set(&h->servers[1], "192.0.2.11", 5060, SR_TP_UDP), 0);
    sr_uac_config_init(&h->cfg);
    h->cfg.alloc = tu_allocator();
    h->cfg.servers = h->servers;
    h->cfg.n_servers = 1;
    h->cfg.via_host = "192.0.2.1";
    h->cfg.via_port = 5060;
    h->cfg.random = u_random;
    h->cfg.random_user = h;
    if (tweak)
        tweak(h);
    char buf[4096];
    size_t n = 0;
    for (const char *p = text; *p && n + 2 < sizeof(buf); p++) {
        if (*p == '\n')
            buf[n++] = '\r';
        buf[n++] = *p;
    }
    sr_msg *req = NULL;
    assert_int_equal(sr_msg_parse(&req, buf, n, NULL, NULL), 0);
    assert_int_equal(sr_uac_new(&h->u, h->s, req, &h->cfg), 0);
    sr_msg_free(req);
}

static inline void u_start(u_h *h)
{
    assert_int_equal(sr_uac_start(h->u, h->now), 0);
    u_pump(h);
}

static inline void u_free(u_h *h)
{
    sr_uac_free(h->u);
    h->u = NULL;
    sr_stack_free(h->s);
}

/* The last request line sent that starts with @p method ("INVITE "), index or -1. */
static inline int u_last(const u_h *h, const char *method)
{
    for (size_t i = h->n_sent; i-- > 0;)
        if (strncmp(h->sent[i].first, method, strlen(method)) == 0)
            return (int)i;
    return -1;
}

static inline size_t u_count(const u_h *h, const char *method)
{
    size_t k = 0;
    for (size_t i = 0; i < h->n_sent; i++)
        if (strncmp(h->sent[i].first, method, strlen(method)) == 0)
            k++;
    return k;
}

/* Hands @p resp (freed here) to the stack as received from where request @p idx went, then
 * pumps. */
static inline void u_deliver(u_h *h, int idx, sr_msg *resp)
{
    sr_buf b;
    sr_buf_init(&b, NULL);
    assert_int_equal(sr_msg_print(resp, &b), 0);
    assert_int_equal(sr_stack_receive(h->s, b.p, b.len, &h->sent[idx].to, h->now), 0);
    sr_buf_cleanup(&b);
    sr_msg_free(resp);
    u_pump(h);
}

/* Answer the request sent[@p idx] with @p code and extra header lines @p hdrs ("A: b\r\n"
 * joined; may be NULL), with To tag @p tag (NULL: derived; "" none). */
static inline void u_answer_to(u_h *h, int idx, unsigned code, const char *hdrs, const char *tag)
{
    assert_true(idx >= 0);
    sr_msg *req = NULL;
    const char *t = h->sent[idx].text;
    assert_int_equal(sr_msg_parse(&req, t, strlen(t), NULL, NULL), 0);
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.flags = SR_BUILD_UNREGISTERED | SR_BUILD_LEGACY;
    if (tag != NULL)
        o.to_tag = sr_str_from_cstr(tag);
    sr_build_header bh[16];
    size_t nh = 0;
    char copy[2048];
    if (hdrs != NULL) {
        snprintf(copy, sizeof(copy), "%s", hdrs);
        char *p = copy;
        while (*p && nh < 16) {
            char *eol = strstr(p, "\r\n");
            if (eol)
                *eol = '\0';
            char *colon = strchr(p, ':');
            assert_non_null(colon);
            char *v = colon + 1;
            while (*v == ' ')
                v++;
            bh[nh].name = (sr_str){p, (size_t)(colon - p)};
            bh[nh].value = sr_str_from_cstr(v);
            nh++;
            if (!eol)
                break;
            p = eol + 2;
        }
    }
    o.headers = bh;
    o.n_headers = nh;
    sr_msg *resp = NULL;
    sr_build_error be;
    int rc = sr_build_response(&resp, req, code, &o, &be);
    if (rc != 0)
        fail_msg("build %u: %s", code, be.what ? be.what : "?");
    u_deliver(h, idx, resp);
    sr_msg_free(req);
}

/* Answer the last request of @p method. */
static inline void u_answer(u_h *h, const char *method, unsigned code, const char *hdrs)
{
    u_answer_to(h, u_last(h, method), code, hdrs, NULL);
}

/* Feed raw response text (LF line ends) as if from the first server. */
static inline void u_feed(u_h *h, const char *text)
{
    char buf[4096];
    size_t n = 0;
    for (const char *p = text; *p && n + 2 < sizeof(buf); p++) {
        if (*p == '\n')
            buf[n++] = '\r';
        buf[n++] = *p;
    }
    int rc = sr_stack_receive(h->s, buf, n, &h->servers[0], h->now);
    assert_true(rc == 0 || rc == SR_EBADMSG);
    u_pump(h);
}

/* Move simulated time to @p t, firing the stack's and the context's timers on the way. */
static inline void u_advance(u_h *h, uint64_t t)
{
    for (;;) {
        uint64_t d1 = sr_stack_next_deadline(h->s);
        uint64_t d2 = h->u ? sr_uac_next_deadline(h->u) : UINT64_MAX;
        uint64_t d = d1 < d2 ? d1 : d2;
        if (d > t)
            break;
        h->now = d;
        assert_int_equal(sr_stack_on_timer(h->s, h->now), 0);
        if (h->u)
            assert_int_equal(sr_uac_on_timer(h->u, h->now), 0);
        u_pump(h);
    }
    h->now = t;
    u_pump(h);
}

/* The index of the first event matching @p kind (and @p action when kind is ACTION), from
 * @p from; -1 when none. */
static inline int u_find(const u_h *h, size_t from, sr_uac_event_kind kind, sr_uac_action a)
{
    for (size_t i = from; i < h->n_ev; i++)
        if (h->ev[i].kind == kind && (kind != SR_UAC_EV_ACTION || h->ev[i].action == a))
            return (int)i;
    return -1;
}

static inline const u_ev *u_done(const u_h *h)
{
    assert_int_equal(h->n_done, 1);
    int i = u_find(h, 0, SR_UAC_EV_DONE, SR_UAC_ACT_NONE);
    assert_true(i >= 0);
    return &h->ev[i];
}

/* Whether the text of sent[@p idx] contains @p needle. */
static inline bool u_has(const u_h *h, int idx, const char *needle)
{
    assert_true(idx >= 0);
    return strstr(h->sent[idx].text, needle) != NULL;
}

#define U_INVITE                                             \
    "INVITE sip:bob@192.0.2.10 SIP/2.0\n"                    \
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKcaller\n" \
    "From: <sip:alice@192.0.2.1>;tag=a1\n"                   \
    "To: <sip:bob@192.0.2.10>\n"                             \
    "Call-ID: c1@192.0.2.1\n"                                \
    "CSeq: 1 INVITE\n"                                       \
    "Contact: <sip:alice@192.0.2.1>\n"                       \
    "Content-Type: application/sdp\n"                        \
    "Content-Length: 5\n"                                    \
    "\n"                                                     \
    "v=0\n"

#define U_OPTIONS                                            \
    "OPTIONS sip:bob@192.0.2.10 SIP/2.0\n"                   \
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKcaller\n" \
    "From: <sip:alice@192.0.2.1>;tag=a1\n"                   \
    "To: <sip:bob@192.0.2.10>\n"                             \
    "Call-ID: o1@192.0.2.1\n"                                \
    "CSeq: 10 OPTIONS\n"                                     \
    "Content-Length: 0\n"                                    \
    "\n"

#endif /* SIPREPLY_UAC_HARNESS_H */
