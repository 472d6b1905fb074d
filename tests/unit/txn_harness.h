/* sipreply tests: a simulated-time harness for the transaction layer (stack.h).
 * Builds requests/responses from text, drives timers deadline by deadline and logs events. */
#ifndef SIPREPLY_TXN_HARNESS_H
#define SIPREPLY_TXN_HARNESS_H

#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "txn_int.h" /* the invariant check walks the stack's transactions */

#define H_MAX_LOG 256

/* One logged event with the instant it came out. */
typedef struct h_rec {
    uint64_t at;
    sr_event_kind kind;
    sr_txn_id txn, related;
    sr_txn_state state;
    unsigned status;
    char timer;
    char first[48];  /* first line of SEND bytes or of the message, CRLF stripped */
    char text[1200]; /* SEND: the bytes; REQUEST/RESPONSE: printed message */
} h_rec;

typedef struct h_log {
    h_rec r[H_MAX_LOG];
    size_t n;
} h_log;

static inline sr_stack *h_stack(bool prack)
{
    sr_config c;
    sr_config_default(&c);
    c.alloc = tu_allocator();
    c.prack_enabled = prack;
    c.seed = 42;
    sr_stack *s = NULL;
    assert_int_equal(sr_stack_new(&s, &c), 0);
    return s;
}

static inline sr_addr h_addr(const char *host, uint16_t port, sr_transport tp)
{
    sr_addr a;
    assert_int_equal(sr_addr_set(&a, host, port, tp), 0);
    return a;
}

static inline void h_first_line(const char *p, size_t n, char *out, size_t cap)
{
    size_t i = 0;
    while (i < n && i + 1 < cap && p[i] != '\r' && p[i] != '\n') {
        out[i] = p[i];
        i++;
    }
    out[i] = '\0';
}

/* Drain every queued event into @p log, stamped @p at. */
static inline void h_drain(sr_stack *s, h_log *log, uint64_t at)
{
    sr_event ev;
    while (sr_stack_poll(s, &ev) == 0) {
        assert_true(log->n < H_MAX_LOG);
        h_rec *r = &log->r[log->n++];
        memset(r, 0, sizeof(*r));
        r->at = at;
        r->kind = ev.kind;
        r->txn = ev.txn;
        r->related = ev.related;
        r->state = ev.state;
        r->status = ev.status;
        r->timer = ev.timer;
        if (ev.kind == SR_EV_SEND) {
            h_first_line(ev.data, ev.len, r->first, sizeof(r->first));
            size_t n = ev.len < sizeof(r->text) - 1 ? ev.len : sizeof(r->text) - 1;
            memcpy(r->text, ev.data, n);
        } else if (ev.msg != NULL) {
            sr_buf b;
            sr_buf_init(&b, tu_allocator());
            assert_int_equal(sr_msg_print(ev.msg, &b), 0);
            h_first_line(b.p, b.len, r->first, sizeof(r->first));
            size_t n = b.len < sizeof(r->text) - 1 ? b.len : sizeof(r->text) - 1;
            memcpy(r->text, b.p, n);
            sr_buf_cleanup(&b);
        }
    }
}

/* The state of transaction @p id, TERMINATED once it is gone. */
static inline sr_txn_state h_state(sr_stack *s, sr_txn_id id)
{
    sr_txn_state st = SR_TXN_TERMINATED;
    if (sr_stack_txn_state(s, id, &st) == SR_ENOTFOUND)
        return SR_TXN_TERMINATED;
    return st;
}

/* Fire timers deadline by deadline up to @p until, draining events at each instant. */
static inline void h_run(sr_stack *s, h_log *log, uint64_t until)
{
    for (;;) {
        uint64_t d = sr_stack_next_deadline(s);
        if (d == UINT64_MAX || d > until)
            break;
        assert_int_equal(sr_stack_on_timer(s, d), 0);
        h_drain(s, log, d);
    }
    assert_int_equal(sr_stack_on_timer(s, until), 0);
    h_drain(s, log, until);
}

static inline void h_clear(h_log *log)
{
    log->n = 0;
}

/* Instants of the SEND events whose first line starts with @p prefix. */
static inline size_t h_sends(const h_log *log, const char *prefix, uint64_t *at, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < log->n; i++)
        if (log->r[i].kind == SR_EV_SEND && strncmp(log->r[i].first, prefix, strlen(prefix)) == 0) {
            if (k < cap)
                at[k] = log->r[i].at;
            k++;
        }
    return k;
}

/* The last SEND whose first line starts with @p prefix, NULL when none. */
static inline const h_rec *h_last_send(const h_log *log, const char *prefix)
{
    const h_rec *r = NULL;
    for (size_t i = 0; i < log->n; i++)
        if (log->r[i].kind == SR_EV_SEND && strncmp(log->r[i].first, prefix, strlen(prefix)) == 0)
            r = &log->r[i];
    return r;
}

static inline size_t h_count(const h_log *log, sr_event_kind kind)
{
    size_t k = 0;
    for (size_t i = 0; i < log->n; i++)
        k += log->r[i].kind == kind;
    return k;
}

static inline const h_rec *h_find(const h_log *log, sr_event_kind kind, size_t nth)
{
    for (size_t i = 0; i < log->n; i++)
        if (log->r[i].kind == kind && nth-- == 0)
            return &log->r[i];
    return NULL;
}

static inline void h_assert_instants(const uint64_t *got, size_t n, const uint64_t *want, size_t wn)
{
    if (n != wn) {
        for (size_t i = 0; i < n; i++)
            print_message("got[%zu] = %llu\n", i, (unsigned long long)got[i]);
    }
    assert_int_equal(n, wn);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(got[i], want[i]);
}

/* A request as text. @p method, @p branch, @p tp ("UDP"/"TCP"), @p extra header lines. */
static inline int h_req_text(char *out, size_t cap, const char *method, const char *branch,
                             const char *tp, const char *to_tag, unsigned cseq,
                             const char *cseq_method, const char *extra, const char *body)
{
    return snprintf(out, cap,
                    "%s sip:bob@example.com SIP/2.0\r\n"
                    "Via: SIP/2.0/%s 192.0.2.1:5060;branch=%s\r\n"
                    "Max-Forwards: 70\r\n"
                    "From: <sip:alice@example.com>;tag=a1\r\n"
                    "To: <sip:bob@example.com>%s%s\r\n"
                    "Call-ID: call-1@192.0.2.1\r\n"
                    "CSeq: %u %s\r\n"
                    "%s"
                    "Content-Length: %zu\r\n\r\n%s",
                    method, tp, branch, to_tag ? ";tag=" : "", to_tag ? to_tag : "", cseq,
                    cseq_method ? cseq_method : method, extra ? extra : "",
                    body ? strlen(body) : (size_t)0, body ? body : "");
}

/* A response as text with the given top Via branch and CSeq. */
static inline int h_resp_text(char *out, size_t cap, unsigned code, const char *branch,
                              const char *tp, const char *to_tag, unsigned cseq, const char *method,
                              const char *extra)
{
    return snprintf(out, cap,
                    "SIP/2.0 %u Whatever\r\n"
                    "Via: SIP/2.0/%s 192.0.2.1:5060;branch=%s\r\n"
                    "From: <sip:alice@example.com>;tag=a1\r\n"
                    "To: <sip:bob@example.com>%s%s\r\n"
                    "Call-ID: call-1@192.0.2.1\r\n"
                    "CSeq: %u %s\r\n"
                    "%s"
                    "Content-Length: 0\r\n\r\n",
                    code, tp, branch, to_tag ? ";tag=" : "", to_tag ? to_tag : "", cseq, method,
                    extra ? extra : "");
}

static inline sr_msg *h_parse(const char *text)
{
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = tu_allocator();
    sr_msg *m = NULL;
    sr_parse_error e;
    int rc = sr_msg_parse(&m, text, strlen(text), &o, &e);
    if (rc != 0)
        print_message("parse: %s at %zu\n", e.phrase ? e.phrase : "?", e.offset);
    assert_int_equal(rc, 0);
    return m;
}

static inline void h_recv(sr_stack *s, const char *text, const sr_addr *src, uint64_t now,
                          h_log *log)
{
    assert_int_equal(sr_stack_receive(s, text, strlen(text), src, now), 0);
    h_drain(s, log, now);
}

/* A response built by the library to the request in @p req_text (Contact for INVITE 2xx). */
static inline sr_msg *h_build(const char *req_text, unsigned code, const char *to_tag,
                              const char *body)
{
    sr_msg *req = h_parse(req_text);
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = tu_allocator();
    o.flags = SR_BUILD_DEFAULTS;
    if (to_tag != NULL)
        o.to_tag = sr_str_from_cstr(to_tag);
    sr_build_header contact = {SR_STR("Contact"), SR_STR("<sip:bob@192.0.2.2>")};
    o.headers = &contact;
    o.n_headers = 1;
    if (body != NULL) {
        o.body = sr_str_from_cstr(body);
        o.body_type = SR_STR("application/sdp");
    }
    sr_msg *r = NULL;
    sr_build_error be;
    int rc = sr_build_response(&r, req, code, &o, &be);
    if (rc != 0)
        print_message("build %u: %s\n", code, be.what ? be.what : "?");
    assert_int_equal(rc, 0);
    sr_msg_free(req);
    return r;
}

/*
 * The liveness invariant: every live transaction has a timer armed (B, D, F, H, J, K, L, M,
 * G, I, Timer C, 100 Trying, the reliable 1xx ones) — its way out — or is a server
 * transaction in Trying/Proceeding whose final the TU still owes (@p owed, which may be NULL:
 * nothing owed). A transaction in neither case could never end: it would pin its place in
 * max_transactions for good. Returns the number of such transactions (printed).
 */
typedef bool (*h_owed_fn)(void *user, sr_txn_id id);

static inline size_t h_stuck(const sr_stack *s, h_owed_fn owed, void *user)
{
    size_t bad = 0, n = 0;
    for (const sr__txn *t = s->txns; t != NULL; t = t->next, n++) {
        bool armed = false;
        for (unsigned k = 0; k < sr__txn_slots[t->kind]; k++)
            armed = armed || t->tm[k].heap_index != SR__TIMER_IDLE;
        if (armed)
            continue;
        bool server = t->kind == SR_TXN_INVITE_SERVER || t->kind == SR_TXN_NON_INVITE_SERVER;
        bool waiting = server && (t->state == SR_TXN_TRYING || t->state == SR_TXN_PROCEEDING);
        if (waiting && owed != NULL && owed(user, t->id))
            continue;
        print_message("stuck: txn %llu (%s, %s) has no timer and nobody owes it a final\n",
                      (unsigned long long)t->id, sr_txn_kind_name(t->kind),
                      sr_txn_state_name(t->state));
        bad++;
    }
    assert_int_equal(n, sr_stack_txn_count(s));
    return bad;
}

#endif /* SIPREPLY_TXN_HARNESS_H */
