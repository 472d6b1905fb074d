/* sipreplyd tests: the harness the engine's cmocka tests share (engine_harness.h) — capture of
 * sends and log records, the engine on a configuration, requests, receiving, simulated time. */
#include "engine_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void eh_on_send(const char *data, size_t len, const sr_addr *to, void *user)
{
    eh_cap *c = user;
    assert_true(c->n < EH_MAX_SENT);
    eh_sent *s = &c->s[c->n++];
    s->data = malloc(len + 1);
    assert_non_null(s->data);
    memcpy(s->data, data, len);
    s->data[len] = '\0';
    s->len = len;
    s->to = *to;
    s->at = c->now;
}

void eh_on_log(const sd_txlog *l, void *user)
{
    eh_cap *c = user;
    c->logs++;
    c->last_code = l->code;
    c->last_dropped = l->rule == NULL;
    snprintf(c->last_rule, sizeof(c->last_rule), "%s", l->rule ? l->rule : "");
    snprintf(c->last_note, sizeof(c->last_note), "%s", l->note ? l->note : "");
}

void eh_cap_clear(eh_cap *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->s[i].data);
    c->n = 0;
}

sd_engine_opts eh_opts(eh_cap *c, uint64_t seed)
{
    sd_engine_opts o = {
        .send = eh_on_send, .user = c, .log = eh_on_log, .log_user = c, .seed = seed};
    return o;
}

sd_engine *eh_engine_try(const char *yaml, const sd_engine_opts *o)
{
    sd_config *cf = NULL;
    sd_config_error err;
    if (sd_config_parse(&cf, yaml, strlen(yaml), &err) != 0)
        fail_msg("config: %u:%u: %s", err.line, err.column, err.msg);
    sd_engine *e = NULL;
    if (sd_engine_new(&e, cf, o) != 0) {
        sd_config_free(cf); /* not taken on failure */
        return NULL;
    }
    return e;
}

sd_engine *eh_engine_new(const char *yaml, const sd_engine_opts *o)
{
    sd_engine *e = eh_engine_try(yaml, o);
    assert_non_null(e);
    return e;
}

sd_engine *eh_engine(const char *yaml, eh_cap *c, uint64_t seed)
{
    sd_engine_opts o = eh_opts(c, seed);
    return eh_engine_new(yaml, &o);
}

sr_addr eh_addr(const char *host, uint16_t port, sr_transport tp, uint64_t conn_id)
{
    sr_addr a;
    memset(&a, 0, sizeof(a));
    sr_addr_set(&a, host, port, tp);
    a.conn_id = conn_id;
    return a;
}

void eh_receive(sd_engine *e, const char *msg, const sr_addr *src, uint64_t now)
{
    static const sd_local local = {"127.0.0.1", 5060};
    sd_engine_receive(e, msg, strlen(msg), src, &local, now);
}

void eh_feed(sd_engine *e, const eh_cap *c, const char *msg)
{
    sr_addr a = eh_addr("127.0.0.1", 5062, SR_TP_UDP, 0);
    eh_receive(e, msg, &a, c->now);
}

void eh_advance(sd_engine *e, uint64_t *now, uint64_t to)
{
    while (sd_engine_next_deadline(e) <= to) {
        uint64_t d = sd_engine_next_deadline(e);
        if (d > *now)
            *now = d;
        sd_engine_on_timer(e, *now);
    }
    *now = to;
    sd_engine_on_timer(e, to);
}

void eh_finish(sd_engine *e, eh_cap *c, uint64_t until)
{
    eh_advance(e, &c->now, until);
    assert_int_equal(sd_engine_transactions(e), 0);
    sd_engine_free(e);
    eh_cap_clear(c);
}

const char eh_short_body_invite[] = "INVITE sip:486@127.0.0.1 SIP/2.0\r\n"
                                    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKbad1\r\n"
                                    "Max-Forwards: 70\r\n"
                                    "From: <sip:a@127.0.0.1>;tag=1\r\n"
                                    "To: <sip:486@127.0.0.1>\r\n"
                                    "Call-ID: bad1\r\n"
                                    "CSeq: 1 INVITE\r\n"
                                    "Content-Length: 5000\r\n\r\nshort";

#define OR(v, dflt) ((v) ? (v) : (dflt))

char *eh_req_text(const eh_req *r)
{
    const char *method = OR(r->method, "INVITE");
    const char *uri = OR(r->uri, "sip:bob@127.0.0.1");
    const char *cseq_method = OR(r->cseq_method, strcmp(method, "ACK") == 0 ? "INVITE" : method);
    const char *sdp = r->sdp;
    char *b = NULL;
    size_t size = 0;
    for (int pass = 0; pass < 2; pass++) {
        int n = snprintf(b, size,
                         "%s %s SIP/2.0\r\n"
                         "Via: SIP/2.0/%s 127.0.0.1:5062;branch=%s%s\r\n"
                         "Max-Forwards: 70\r\n"
                         "From: <sip:alice@127.0.0.1>;tag=%s\r\n"
                         "To: <%s>%s%s\r\n"
                         "Call-ID: %s\r\n"
                         "CSeq: %u %s\r\n"
                         "Contact: <sip:alice@127.0.0.1:5062>\r\n"
                         "%s%s"
                         "Content-Length: %zu\r\n\r\n%s",
                         method, uri, OR(r->transport, "UDP"), OR(r->branch, "z9hG4bK1"),
                         r->no_rport ? "" : ";rport", OR(r->from_tag, "ft1"), uri,
                         r->to_tag ? ";tag=" : "", OR(r->to_tag, ""), OR(r->callid, "call-1"),
                         r->cseq ? r->cseq : 1, cseq_method, OR(r->extra, ""),
                         sdp ? "Content-Type: application/sdp\r\n" : "", sdp ? strlen(sdp) : 0,
                         OR(sdp, ""));
        assert_true(n > 0);
        if (pass == 0) {
            size = (size_t)n + 1;
            b = malloc(size);
            assert_non_null(b);
        }
    }
    return b;
}

char *eh_request(const char *method, const char *uri, const char *branch, const char *callid,
                 unsigned cseq, const char *to_tag, const char *extra, const char *sdp)
{
    const eh_req r = {.method = method,
                      .uri = uri,
                      .branch = branch,
                      .callid = callid,
                      .cseq = cseq,
                      .to_tag = to_tag,
                      .extra = extra,
                      .sdp = sdp};
    return eh_req_text(&r);
}

unsigned eh_status(const char *msg)
{
    return strncmp(msg, "SIP/2.0 ", 8) == 0 ? (unsigned)atoi(msg + 8) : 0;
}

const char *eh_body(const char *msg)
{
    const char *b = strstr(msg, "\r\n\r\n");
    return b ? b + 4 : "";
}

const char *eh_to_tag(const char *msg)
{
    static char tag[64];
    const char *t = strstr(msg, "\r\nTo: ");
    const char *p = t ? strstr(t, ";tag=") : NULL;
    assert_non_null(p);
    snprintf(tag, sizeof(tag), "%.*s", (int)strcspn(p + 5, "\r\n;>"), p + 5);
    return tag;
}

const char *eh_hdr(const char *msg, const char *name, char *out, size_t size)
{
    char key[64];
    snprintf(key, sizeof(key), "\r\n%s: ", name);
    const char *p = strstr(msg, key);
    out[0] = '\0';
    if (p) {
        p += strlen(key);
        size_t n = strcspn(p, "\r");
        snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), p);
    }
    return out;
}

bool eh_has(const eh_sent *s, const char *text)
{
    return strstr(s->data, text) != NULL;
}

int eh_m_open(void *user, void *sess, const char *host, uint16_t lo, uint16_t hi, void **sock,
              uint16_t *port)
{
    (void)host;
    (void)lo;
    (void)hi;
    eh_media *m = user;
    if (m->refuse_open || m->opened >= 8)
        return -1;
    m->sess[m->opened] = sess;
    m->sock_ids[m->opened] = (int)m->opened + 1;
    *sock = &m->sock_ids[m->opened];
    *port = (uint16_t)(30000 + 2 * m->opened);
    m->opened++;
    return 0;
}

void eh_m_send(void *user, void *sock, bool rtcp, const uint8_t *data, size_t len, const char *host,
               uint16_t port)
{
    (void)sock;
    eh_media *m = user;
    assert_true(m->n < EH_MAX_PK && len <= sizeof(m->p[0].data));
    eh_pk *p = &m->p[m->n++];
    p->rtcp = rtcp;
    memcpy(p->data, data, len);
    p->len = len;
    snprintf(p->host, sizeof(p->host), "%s", host);
    p->port = port;
}

void eh_m_close(void *user, void *sock)
{
    (void)sock;
    ((eh_media *)user)->closed++;
}
