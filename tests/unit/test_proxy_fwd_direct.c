/* sipreply tests: the forwarded copy made without a second parse (RFC 3261 §16.6): the
 * message sr_proxy_forward() gives is, field for field, what sr_msg_parse() gives for its own
 * bytes (every slice at the same offset, the same index, eager values, lazy Via state and
 * eager errors), for hand-made requests and the RFC 4475 vectors; and sr__msg_from_head()
 * itself against the parser, including what it must refuse. */
#define _POSIX_C_SOURCE 200809L
#include "msg_int.h"
#include "proxy_harness.h"
#include "proxy_int.h"

/* Offset of a slice in its message's bytes; -1 for NULL, -2 outside them (static text). */
static long off(const sr_msg *m, sr_str s)
{
    if (!s.p)
        return -1;
    if (s.p < m->bytes || s.p > m->bytes + m->size)
        return -2;
    return (long)(s.p - m->bytes);
}

#define SAME_STR(a, b, what)                                                               \
    do {                                                                                   \
        if (off(x, (a)) != off(y, (b)) || (a).len != (b).len)                              \
            fail_msg("%s: %s differs: at %ld len %zu, parsed at %ld len %zu", label, what, \
                     off(x, (a)), (a).len, off(y, (b)), (b).len);                          \
    } while (0)
#define SAME(a, b, what)                                                               \
    do {                                                                               \
        if ((long long)(a) != (long long)(b))                                          \
            fail_msg("%s: %s differs: %lld, parsed %lld", label, what, (long long)(a), \
                     (long long)(b));                                                  \
    } while (0)

static void same_via(const char *label, const sr_msg *x, const sr_msg *y, const sr_via *a,
                     const sr_via *b)
{
    SAME_STR(a->protocol, b->protocol, "via protocol");
    SAME_STR(a->version, b->version, "via version");
    SAME_STR(a->transport, b->transport, "via transport");
    SAME_STR(a->host, b->host, "via host");
    SAME(a->port, b->port, "via port");
    SAME_STR(a->branch, b->branch, "via branch");
    SAME_STR(a->received, b->received, "via received");
    SAME_STR(a->maddr, b->maddr, "via maddr");
    SAME(a->rport, b->rport, "via rport");
    SAME(a->ttl, b->ttl, "via ttl");
    SAME_STR(a->params, b->params, "via params");
    SAME_STR(a->raw, b->raw, "via raw");
}

static void same_na(const char *label, const sr_msg *x, const sr_msg *y, const sr_nameaddr *a,
                    const sr_nameaddr *b)
{
    SAME_STR(a->display, b->display, "display");
    SAME(a->display_quoted, b->display_quoted, "display_quoted");
    SAME(a->angle, b->angle, "angle");
    SAME_STR(a->uri, b->uri, "uri");
    SAME_STR(a->tag, b->tag, "tag");
    SAME_STR(a->params, b->params, "params");
}

static void same_err(const char *label, const sr_parse_error *a, const sr_parse_error *b)
{
    SAME(a->code, b->code, "error code");
    SAME(a->offset, b->offset, "error offset");
    SAME(a->hdr, b->hdr, "error header");
    if ((a->phrase == NULL) != (b->phrase == NULL) ||
        (a->phrase && strcmp(a->phrase, b->phrase) != 0))
        fail_msg("%s: error phrase differs", label);
}

/* @p x (made without parsing its head) against @p y (sr_msg_parse of the same bytes), before
 * and after the lazy Vias are parsed. */
static void same_msg(const char *label, const sr_msg *x, const sr_msg *y)
{
    SAME(x->size, y->size, "size");
    if (memcmp(x->bytes, y->bytes, x->size) != 0)
        fail_msg("%s: bytes differ", label);
    SAME(x->head_len, y->head_len, "head_len");
    SAME(x->plain_head, y->plain_head, "plain_head");
    SAME(x->built, y->built, "built");
    SAME(x->body_edited, y->body_edited, "body_edited");
    /* the typed values @p x parses on first use (the request's parsed): parsed now */
    sr__msg_fresh((sr_msg *)(uintptr_t)x, SR__STALE_TO | SR__STALE_FROM | SR__STALE_CSEQ);
    SAME(x->stale, y->stale, "stale");
    const sr_start_line *a = &x->sl, *b = &y->sl;
    SAME(a->is_request, b->is_request, "is_request");
    SAME(a->method_id, b->method_id, "method_id");
    SAME_STR(a->method, b->method, "method");
    SAME_STR(a->uri, b->uri, "Request-URI");
    SAME_STR(a->version, b->version, "version");
    SAME(a->version_major, b->version_major, "version_major");
    SAME(a->version_minor, b->version_minor, "version_minor");
    SAME(a->status, b->status, "status");
    SAME_STR(a->reason, b->reason, "reason");
    SAME(x->nhdrs, y->nhdrs, "nhdrs");
    SAME(x->orig_nhdrs, y->orig_nhdrs, "orig_nhdrs");
    SAME(x->cap_hdrs, y->cap_hdrs, "cap_hdrs");
    for (size_t i = 0; i < x->nhdrs; i++) {
        SAME(x->hdrs[i].id, y->hdrs[i].id, "header id");
        SAME_STR(x->hdrs[i].name, y->hdrs[i].name, "header name");
        SAME_STR(x->hdrs[i].value, y->hdrs[i].value, "header value");
        SAME_STR(x->hdrs[i].raw, y->hdrs[i].raw, "header raw");
        SAME(x->next[i], y->next[i], "header chain");
    }
    for (int id = 0; id < SR_HDR__COUNT; id++)
        SAME(x->first[id], y->first[id], "first of an id");
    SAME_STR(x->body, y->body, "body");
    SAME(x->clen, y->clen, "Content-Length");
    SAME(x->has_to, y->has_to, "has_to");
    if (x->has_to)
        same_na(label, x, y, &x->to, &y->to);
    SAME(x->has_from, y->has_from, "has_from");
    if (x->has_from)
        same_na(label, x, y, &x->from, &y->from);
    SAME(x->has_cseq, y->has_cseq, "has_cseq");
    if (x->has_cseq) {
        SAME(x->cseq.num, y->cseq.num, "CSeq number");
        SAME(x->cseq.method_id, y->cseq.method_id, "CSeq method id");
        SAME_STR(x->cseq.method, y->cseq.method, "CSeq method");
    }
    SAME_STR(x->call_id, y->call_id, "Call-ID");
    SAME(x->max_fwd, y->max_fwd, "Max-Forwards");
    SAME(x->rseq, y->rseq, "RSeq");
    SAME(x->has_rack, y->has_rack, "has_rack");
    if (x->has_rack) {
        SAME(x->rack.rseq, y->rack.rseq, "RAck rseq");
        SAME(x->rack.cseq, y->rack.cseq, "RAck cseq");
        SAME(x->rack.method_id, y->rack.method_id, "RAck method id");
        SAME_STR(x->rack.method, y->rack.method, "RAck method");
    }
    same_err(label, &x->eager, &y->eager);
    /* the Via list: the top value now, the room for the rest, where the rest starts; @p x may
     * hold every value already (taken from the request) or none yet (parsed on first use),
     * then it is compared once all are */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0 && (x->nvia != y->nvia || x->via_k != y->via_k)) {
            sr__msg_vias_all((sr_msg *)(uintptr_t)x);
            sr__msg_vias_all((sr_msg *)(uintptr_t)y);
            continue;
        }
        SAME(x->nvia, y->nvia, "parsed Vias");
        SAME(x->via_cap, y->via_cap, "Via room");
        SAME(x->via_k, y->via_k, "next Via header");
        SAME(x->via_pos, y->via_pos, "next Via position");
        SAME(x->vias == &x->via0, y->vias == &y->via0, "Via room inline");
        same_err(label, &x->via_err, &y->via_err);
        for (size_t i = 0; i < x->nvia; i++)
            same_via(label, x, y, &x->vias[i], &y->vias[i]);
        sr__msg_vias_all((sr_msg *)(uintptr_t)x);
        sr__msg_vias_all((sr_msg *)(uintptr_t)y);
    }
}

static sr_msg *parse_all(const char *buf, size_t len)
{
    sr_parse_opts po;
    sr_parse_opts_init(&po);
    po.alloc = tu_allocator();
    po.max_size = len;
    po.max_headers = SR__HDRS_HARD;
    sr_msg *m = NULL;
    return sr_msg_parse(&m, buf, len, &po, NULL) == 0 ? m : NULL;
}

/* Forward @p req to @p target as sipreplyd does (Route preprocessing first, two header
 * fields added when @p extra) and compare the copy with the parse of its bytes. Returns
 * whether the copy was a parsed-form message (the plain case) at all. */
static bool forward_and_compare(const char *label, const sr_msg *req, const char *target,
                                bool extra)
{
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    o.is_self = ph_is_self;
    o.record_route = SR_STR("sip:proxy.example.org");
    sr_build_header hs[] = {{SR_STR("X-Forked"), SR_STR(" yes ")},
                            {SR_STR("Subject"), SR_STR("")},
                            {SR_STR("To"), SR_STR("<sip:second@example.com>")}};
    if (extra) {
        o.headers = hs;
        o.n_headers = 3;
    }
    sr_proxy_route r;
    bool have_r = sr_proxy_route_preprocess(req, &o, &r) == 0;
    sr_msg *f = NULL;
    if (sr_proxy_forward(&f, req, sr_str_from_cstr(target), have_r ? &r : NULL, 1, &o) != 0)
        return false;
    bool parsed = f->bytes != NULL && !f->built;
    if (parsed) {
        sr_msg *p = parse_all(f->bytes, f->size);
        if (!p)
            fail_msg("%s: the forwarded copy does not parse", label);
        same_msg(label, f, p);
        sr_msg_free(p);
    }
    sr_msg_free(f);
    return parsed;
}

static const char *const requests[] = {
    /* compact forms, several Vias in one field and in two, RAck and RSeq, an empty value */
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "v: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com;branch=z9hG4bK0\r\n"
    "Via: SIP/2.0/UDP c:5070;rport;received=192.0.2.1;branch=z9hG4bKc\r\n"
    "Max-Forwards: 5\r\n"
    "t: \"Bob B\" <sip:bob@example.com;transport=udp>;x=1\r\n"
    "f: sip:alice@example.com;tag=88\r\n"
    "i: c1@a\r\n"
    "CSeq: 7  INVITE\r\n"
    "RSeq: 4\r\n"
    "RAck: 1 6 INVITE\r\n"
    "Subject:\r\n"
    "X-Odd:   some  value\r\n"
    "Route: <sip:proxy.example.org;lr>, <sip:next.example.net;lr>\r\n"
    "Record-Route: <sip:up.example.com;lr>\r\n"
    "c: application/sdp\r\n"
    "l: 4\r\n"
    "\r\n"
    "v=0\n",
    /* no body, no Max-Forwards, a strict router */
    "OPTIONS sip:carol@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc.example.net;branch=z9hG4bKo1\r\n"
    "To: <sip:carol@example.com>\r\n"
    "From: <sip:alice@example.net>;tag=9\r\n"
    "Call-ID: o1@pc\r\n"
    "CSeq: 2 OPTIONS\r\n"
    "Route: <sip:strict.example.net>\r\n"
    "Content-Length: 0\r\n"
    "\r\n",
    /* eager values that do not parse: the copy keeps the same errors */
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc.example.net;branch=z9hG4bKe1\r\n"
    "Via: not a via\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:bob@example.com\r\n"
    "From: Alice <sip:alice@example.net>;tag=1\r\n"
    "Call-ID: e1@pc\r\n"
    "CSeq: x INVITE\r\n"
    "RSeq: 0\r\n"
    "RAck: one\r\n"
    "Content-Length: 0\r\n"
    "\r\n",
    /* the same header twice, an unknown method */
    "FOO sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc.example.net;branch=z9hG4bKf1\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:bob@example.com>\r\n"
    "To: <sip:other@example.com>\r\n"
    "From: <sip:alice@example.net>;tag=1\r\n"
    "Call-ID: f1@pc\r\n"
    "CSeq: 3 FOO\r\n"
    "Content-Length: 0\r\n"
    "\r\n",
};

static void t_copy_as_parsed(void **state)
{
    (void)state;
    size_t direct = 0;
    for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++) {
        sr_msg *req = ph_parse(requests[i]);
        assert_non_null(req);
        char label[32];
        snprintf(label, sizeof label, "request %zu", i);
        for (int extra = 0; extra < 2; extra++)
            direct += forward_and_compare(label, req, "sip:bob@192.0.2.4;transport=udp", extra);
        sr_msg_free(req);
    }
    assert_int_equal(direct, 2 * (sizeof requests / sizeof requests[0]));
    /* the Vias after ours are the request's, taken parsed when the request has them all */
    sr_msg *one = ph_parse(requests[3]), *three = ph_parse(requests[0]), *f = NULL;
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    assert_int_equal(sr_proxy_forward(&f, one, SR_STR("sip:b@192.0.2.4"), NULL, 0, &o), 0);
    assert_int_equal(f->nvia, 2);
    assert_int_equal(f->via_k, SR__NOIDX);
    assert_sr_str_eq(sr_msg_via(f, 1)->branch, "z9hG4bKf1");
    sr_msg_free(f);
    assert_int_equal(sr_msg_via_count(three), 3);
    assert_int_equal(sr_proxy_forward(&f, three, SR_STR("sip:b@192.0.2.4"), NULL, 0, &o), 0);
    assert_int_equal(f->nvia, 4);
    assert_sr_str_eq(sr_msg_via(f, 3)->received, "192.0.2.1");
    assert_true(forward_and_compare("three Vias parsed", three, "sip:b@192.0.2.4", true));
    sr_msg_free(f);
    sr_msg_free(one);
    sr_msg_free(three);
    /* the harness's request, and one with more fields than are indexed as written */
    sr_msg *req = ph_request(NULL, NULL);
    assert_true(forward_and_compare("harness", req, "sip:t0@example.com", false));
    sr_msg_free(req);
    char many[8192] = "";
    for (int i = 0; i < 70; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "X-H%d: %d\r\n", i, i);
    req = ph_request(NULL, many);
    assert_true(forward_and_compare("70 fields", req, "sip:t0@example.com", true));
    sr_msg_free(req);
}

/* Every RFC 4475 request that forwards in the plain case. */
static void t_copy_as_parsed_rfc4475(void **state)
{
    (void)state;
    size_t direct = 0, len;
    tu_rfc4475_iter it = {0};
    char file[128], *buf;
    while ((buf = tu_rfc4475_next(&it, file, &len)) != NULL) {
        sr_msg *req = parse_all(buf, len);
        if (req && sr_msg_is_request(req)) {
            /* the third time with the request's Vias all parsed: the copy takes them */
            for (int round = 0; round < 3; round++) {
                if (round == 2)
                    (void)sr_msg_via_count(req);
                direct += forward_and_compare(file, req, "sip:bob@192.0.2.4", round != 0);
            }
        }
        sr_msg_free(req);
        free(buf);
    }
    assert_true(direct >= 45);
}

/* sr__msg_from_head() alone: the fields of a head as written give the parsed message; a
 * start line or a Content-Length that says otherwise is refused (the caller parses); a
 * response's head too. */
static void t_from_head(void **state)
{
    (void)state;
    static const char txt[] = "MESSAGE sip:bob@example.com SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP pc.example.net;branch=z9hG4bKm1\r\n"
                              "To: <sip:bob@example.com>\r\n"
                              "Subject: \r\n"
                              "Content-Length: 2\r\n"
                              "\r\n"
                              "hi";
    size_t len = sizeof txt - 1;
    sr_start_line sl;
    sr_header hv[8];
    size_t nh = 8;
    assert_true(sr_parse_head(txt, len, 0, &sl, hv, &nh, NULL) > 0);
    assert_int_equal(nh, 4);
    size_t line_end = (size_t)(strstr(txt, "\r\n") - txt);
    size_t head = (size_t)(strstr(txt, "\r\n\r\n") - txt) + 4;
    sr_msg *like = parse_all(txt, len), *x = NULL;
    assert_non_null(like);
    for (int with_like = 0; with_like < 2; with_like++) {
        assert_int_equal(sr__msg_from_head(&x, txt, len, line_end, head, hv, nh,
                                           with_like ? like : NULL, false, tu_allocator()),
                         0);
        const char *label = with_like ? "from head, like" : "from head";
        same_msg(label, x, like);
        sr_msg_free(x);
        x = NULL;
    }
    /* a Content-Length that is not the body's, a bad start line: refused */
    assert_int_equal(
        sr__msg_from_head(&x, txt, len - 1, line_end, head, hv, nh, like, false, tu_allocator()),
        SR_EINVAL);
    assert_int_equal(
        sr__msg_from_head(&x, txt, len, line_end - 1, head, hv, nh, like, false, tu_allocator()),
        SR_EINVAL);
    /* a response's head likewise */
    static const char resp[] = "SIP/2.0 200 OK\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n";
    nh = 8;
    assert_true(sr_parse_head(resp, sizeof resp - 1, 0, &sl, hv, &nh, NULL) > 0);
    sr_msg *pr = parse_all(resp, sizeof resp - 1);
    assert_int_equal(sr__msg_from_head(&x, resp, sizeof resp - 1, 14, sizeof resp - 1, hv, nh, NULL,
                                       false, tu_allocator()),
                     0);
    same_msg("response from head", x, pr);
    sr_msg_free(x);
    sr_msg_free(pr);
    sr_msg_free(like);
}

/* A To whose bytes differ from the request's first To is parsed, not taken from it. */
static void t_like_only_same_bytes(void **state)
{
    (void)state;
    static const char a[] = "INVITE sip:b@example.com SIP/2.0\r\n"
                            "To: <sip:b@example.com>;tag=1\r\n"
                            "Content-Length: 0\r\n\r\n";
    static const char b[] = "INVITE sip:b@example.com SIP/2.0\r\n"
                            "To: <sip:c@example.com>;tag=2\r\n"
                            "Content-Length: 0\r\n\r\n";
    sr_msg *like = parse_all(a, sizeof a - 1), *want = parse_all(b, sizeof b - 1), *x = NULL;
    sr_start_line sl;
    sr_header hv[4];
    size_t nh = 4;
    assert_true(sr_parse_head(b, sizeof b - 1, 0, &sl, hv, &nh, NULL) > 0);
    assert_int_equal(sr__msg_from_head(&x, b, sizeof b - 1, 32, sizeof b - 1, hv, nh, like, false,
                                       tu_allocator()),
                     0);
    same_msg("other To", x, want);
    assert_sr_str_eq(sr_msg_to(x)->tag, "2");
    sr_msg_free(x);
    sr_msg_free(want);
    sr_msg_free(like);
}

static char *printed(const sr_msg *m)
{
    sr_buf b;
    sr_buf_init(&b, NULL);
    assert_int_equal(sr_msg_print(m, &b), 0);
    return b.p;
}

static const char *const responses[] = {
    /* our Via and the caller's in one field, then another field */
    "SIP/2.0 486 Busy Here\r\n"
    "Via: SIP/2.0/UDP proxy.example.org;branch=z9hG4bKsr1, SIP/2.0/UDP "
    "pc.example.net;branch=z9hG4bKa\r\n"
    "v: SIP/2.0/UDP edge.example.net;branch=z9hG4bKedge1\r\n"
    "t: <sip:bob@example.com>;tag=b1\r\n"
    "f: Alice <sip:alice@example.net>;tag=a1\r\n"
    "i: c1@pc\r\n"
    "CSeq: 1 INVITE\r\n"
    "Subject:\r\n"
    "X-Odd:   some  value\r\n"
    "Content-Length: 0\r\n"
    "\r\n",
    /* a body, a Contact, no To tag, a reason with a tab */
    "SIP/2.0 183 Session\tProgress\r\n"
    "Via: SIP/2.0/UDP proxy.example.org;branch=z9hG4bKsr2\r\n"
    "Via: SIP/2.0/UDP pc.example.net;branch=z9hG4bKb\r\n"
    "To: <sip:bob@example.com>\r\n"
    "From: <sip:alice@example.net>;tag=a2\r\n"
    "Call-ID: c2@pc\r\n"
    "CSeq: 2 INVITE\r\n"
    "Contact: <sip:bob@192.0.2.9>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n",
    /* a folded value: the builder's way (unfolded), the same bytes either way */
    "SIP/2.0 401 Unauthorized\r\n"
    "Via: SIP/2.0/UDP proxy.example.org;branch=z9hG4bKsr3\r\n"
    "Via: SIP/2.0/UDP pc.example.net;branch=z9hG4bKc\r\n"
    "To: <sip:bob@example.com>;tag=b3\r\n"
    "From: <sip:alice@example.net>;tag=a3\r\n"
    "Call-ID: c3@pc\r\n"
    "CSeq: 3 INVITE\r\n"
    "WWW-Authenticate: Digest realm=\"example.com\",\r\n nonce=\"abc\"\r\n"
    "Content-Length: 0\r\n"
    "\r\n",
};

/* §16.7 step 3: the copy that goes upstream, printed from the response and made without a
 * parse, against the builder's (the same call leaving out sips Contacts, of which these have
 * none): the same bytes, as printed and after a field and a body are added, and the
 * same message as the parse of its bytes. */
static void t_upstream_as_built(void **state)
{
    (void)state;
    size_t direct = 0;
    for (size_t i = 0; i < sizeof responses / sizeof responses[0]; i++) {
        char label[32];
        snprintf(label, sizeof label, "response %zu", i);
        sr_msg *resp = ph_parse(responses[i]);
        assert_non_null(resp);
        for (int reason = 0; reason < 2; reason++) {
            sr_str r = reason ? SR_STR("Server Internal Error") : SR_STR_NULL;
            unsigned st = reason ? 500 : sr_msg_status(resp);
            sr_msg *t = NULL, *b = NULL;
            assert_int_equal(sr__proxy_upstream(&t, resp, st, r, SR__KEEP_CONTACTS, tu_allocator()),
                             0);
            assert_int_equal(sr__proxy_upstream(&b, resp, st, r, SR__DROP_SIPS, tu_allocator()), 0);
            assert_true(b->built);
            if (!t->built) {
                direct++;
                sr_msg *p = parse_all(t->bytes, t->size);
                assert_non_null(p);
                same_msg(label, t, p);
                sr_msg_free(p);
            }
            for (int step = 0; step < 3; step++) {
                if (step == 1) {
                    assert_int_equal(
                        sr_msg_add_header(t, SR_HDR_OTHER, SR_STR("X-Added"), SR_STR("1")), 0);
                    assert_int_equal(
                        sr_msg_add_header(b, SR_HDR_OTHER, SR_STR("X-Added"), SR_STR("1")), 0);
                } else if (step == 2) {
                    assert_int_equal(sr_msg_set_body(t, SR_STR_NULL, SR_STR("hello")), 0);
                    assert_int_equal(sr_msg_set_body(b, SR_STR_NULL, SR_STR("hello")), 0);
                }
                char *pt = printed(t), *pb = printed(b);
                if (strcmp(pt, pb) != 0)
                    fail_msg("%s step %d: printed differs\n--- made\n%s\n--- built\n%s", label,
                             step, pt, pb);
                free(pt);
                free(pb);
            }
            sr_msg_free(t);
            sr_msg_free(b);
        }
        sr_msg_free(resp);
    }
    assert_int_equal(direct, 4); /* the folded value goes the builder's way */
}

/* §16.6 step 8: our Via, written once: short (on the stack) and long (a host of 200 bytes),
 * with a port and rport; the same value either way as the builder's would be. */
static void t_our_via(void **state)
{
    (void)state;
    char host[256];
    for (int longer = 0; longer < 2; longer++) {
        size_t n = longer ? 200 : 17;
        memset(host, 'h', n);
        memcpy(host + n - 12, ".example.org", 12);
        sr_proxy_fwd_opts o;
        ph_opts(&o);
        o.via_host = (sr_str){host, n};
        o.via_port = 5071;
        o.via_transport = SR_STR("TCP");
        o.via_rport = true;
        sr_msg *req = ph_request(NULL, NULL), *f = NULL;
        char branch[SR_PROXY_BRANCH_MAX];
        ptrdiff_t bl = sr_proxy_branch_id(req, &o, 3, branch);
        assert_true(bl > 0);
        assert_int_equal(sr_proxy_forward(&f, req, SR_STR("sip:b@192.0.2.4"), NULL, 3, &o), 0);
        char want[512];
        snprintf(want, sizeof want, "SIP/2.0/TCP %.*s:5071;branch=%s;rport", (int)n, host, branch);
        assert_sr_str_eq(sr_msg_header_find(f, SR_HDR_VIA, NULL)->value, want);
        const sr_via *v = sr_msg_via(f, 0);
        assert_int_equal(v->host.len, n);
        assert_int_equal(v->port, 5071);
        sr_msg_free(f);
        sr_msg_free(req);
    }
}

/* Forward @p req to @p target with @p o and compare the copy with the parse of its bytes;
 * whether the copy was made in the plain case. Its CSeq, the request's bytes, is the
 * request's value moved, not left to parse (stale); To and From are left to parse. */
static bool forward_opts_compare(const char *label, const sr_msg *req, sr_str target,
                                 const sr_proxy_fwd_opts *o)
{
    sr_msg *f = NULL;
    if (sr_proxy_forward(&f, req, target, NULL, 2, o) != 0)
        return false;
    bool parsed = f->bytes != NULL && !f->built;
    if (parsed) {
        if (f->stale != (SR__STALE_TO | SR__STALE_FROM))
            fail_msg("%s: stale 0x%x, not To and From alone", label, (unsigned)f->stale);
        sr_msg *p = parse_all(f->bytes, f->size);
        if (!p)
            fail_msg("%s: the forwarded copy does not parse", label);
        same_msg(label, f, p);
        sr_msg_free(p);
    }
    sr_msg_free(f);
    return parsed;
}

/* The Request-Line as written (not parsed) against the parser, with every byte value in the
 * Request-URI, and first in it (HTAB there is refused by the parser: the builder's way). */
static void t_known_request_line(void **state)
{
    (void)state;
    sr_msg *req = ph_request(NULL, NULL);
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    size_t direct = 0;
    for (int c = 1; c < 256; c++) {
        for (int first = 0; first < 2; first++) {
            char uri[16], label[48];
            int n = snprintf(uri, sizeof uri, "%ssip:a%cb@h", first ? "x" : "", c);
            if (first)
                uri[0] = (char)c;
            snprintf(label, sizeof label, "Request-URI byte %d%s", c, first ? " first" : "");
            /* made in the plain case exactly when the parser takes this Request-Line */
            char line[64];
            int ln =
                snprintf(line, sizeof line, "INVITE %s SIP/2.0\r\nContent-Length: 0\r\n\r\n", uri);
            sr_msg *lm = parse_all(line, (size_t)ln);
            bool made = forward_opts_compare(label, req, (sr_str){uri, (size_t)n}, &o);
            if (made != (lm != NULL))
                fail_msg("%s: made %d, the parser takes it %d", label, made, lm != NULL);
            direct += made;
            sr_msg_free(lm);
        }
    }
    assert_true(direct > 200); /* most bytes are taken somewhere in the URI */
    sr_msg_free(req);
}

/* Our Via made from its pieces (not parsed) against the parser: hosts, transports, ports and
 * rport; a host or transport of another shape is parsed (the same value either way). */
static void t_known_via(void **state)
{
    (void)state;
    static const char *const hosts[] = {"proxy.example.org", "192.0.2.1", "a_b-c.", "x",
                                        "[2001:db8::1]",     "[::1]"};
    static const char *const tps[] = {"UDP", "tcp", "X-Y.1", "", "SCTP"};
    static const uint16_t ports[] = {0, 1, 5060, 65535};
    sr_msg *req = ph_request(NULL, NULL);
    size_t direct = 0;
    for (size_t h = 0; h < sizeof hosts / sizeof hosts[0]; h++) {
        for (size_t t = 0; t < sizeof tps / sizeof tps[0]; t++) {
            for (size_t p = 0; p < sizeof ports / sizeof ports[0]; p++) {
                for (int rport = 0; rport < 2; rport++) {
                    sr_proxy_fwd_opts o;
                    ph_opts(&o);
                    o.via_host = sr_str_from_cstr(hosts[h]);
                    o.via_transport = sr_str_from_cstr(tps[t]);
                    o.via_port = ports[p];
                    o.via_rport = rport;
                    char label[96];
                    snprintf(label, sizeof label, "Via %s %s %u%s", tps[t], hosts[h],
                             (unsigned)ports[p], rport ? " rport" : "");
                    direct += forward_opts_compare(label, req, SR_STR("sip:b@192.0.2.4"), &o);
                }
            }
        }
    }
    assert_int_equal(direct, 6 * 5 * 4 * 2);
    sr_msg_free(req);
}

/* The Status-Line as written (not parsed) against the parser: the ends of the code range, an
 * empty reason, one with HTAB and bytes over 0x7f. */
static void t_known_status_line(void **state)
{
    (void)state;
    static const unsigned codes[] = {100, 199, 200, 486, 699};
    static const char *const reasons[] = {"", "Busy Here", "a\tb", "\xc3\xa9t\xc3\xa9", " x "};
    sr_msg *resp = ph_parse(responses[0]);
    assert_non_null(resp);
    for (size_t c = 0; c < sizeof codes / sizeof codes[0]; c++) {
        for (size_t r = 0; r < sizeof reasons / sizeof reasons[0]; r++) {
            sr_msg *t = NULL;
            assert_int_equal(sr__proxy_upstream(&t, resp, codes[c], sr_str_from_cstr(reasons[r]),
                                                SR__KEEP_CONTACTS, tu_allocator()),
                             0);
            assert_false(t->built);
            /* To and CSeq: the response's, moved; From: parsed on first use */
            assert_int_equal(t->stale, SR__STALE_FROM);
            char label[48];
            snprintf(label, sizeof label, "status %u reason %zu", codes[c], r);
            sr_msg *p = parse_all(t->bytes, t->size);
            assert_non_null(p);
            same_msg(label, t, p);
            sr_msg_free(p);
            sr_msg_free(t);
        }
    }
    sr_msg_free(resp);
}

/* §16.6 step 8: the branch (and the loop part in it) goes on the wire and a loop is found by
 * computing it again, so its value never changes with how it is computed: pinned to what
 * 7e13b42 computes, with the zero key and another, buffered and chained (long fields). */
static void t_branch_pinned(void **state)
{
    (void)state;
    static const char head[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
                               "Via: SIP/2.0/UDP pc.example.net:5062;branch=z9hG4bKpin1;rport\r\n"
                               "Max-Forwards: 70\r\n"
                               "To: Bob <sip:bob@example.com>;tag=t1\r\n"
                               "From: Alice <sip:alice@example.net>;tag=f1\r\n"
                               "Call-ID: pin-1@pc\r\n"
                               "CSeq: 314159 INVITE\r\n"
                               "Route: <sip:proxy.example.org;lr>, <sip:next.example.net;lr>\r\n"
                               "Proxy-Require: foo\r\n"
                               "Content-Length: 0\r\n";
    char txt[2048], pa[1001];
    memset(pa, 'a', 1000);
    pa[1000] = '\0';
    uint8_t key[SR_BUILD_KEY_LEN];
    for (int i = 0; i < SR_BUILD_KEY_LEN; i++)
        key[i] = (uint8_t)(i * 7 + 1);
    static const struct {
        bool key, chained;
        unsigned index;
        uint64_t loop;
        const char *branch;
    } want[] = {
        {false, false, 3, 0x02b033a767f84f32ull, "z9hG4bKsr02b033a767f84f32.e6ddfc79.3"},
        {true, false, 3, 0x50bab063cb38160dull, "z9hG4bKsr50bab063cb38160d.5bbb1085.3"},
        {true, true, 0, 0xda9ab90ff804cd2eull, "z9hG4bKsrda9ab90ff804cd2e.5bbb1085.0"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        snprintf(txt, sizeof txt, "%s%s%s%s\r\n", head,
                 want[i].chained ? "Proxy-Authorization: Digest username=\"" : "",
                 want[i].chained ? pa : "", want[i].chained ? "\"\r\n" : "");
        sr_msg *req = ph_parse(txt);
        assert_non_null(req);
        sr_proxy_fwd_opts o;
        ph_opts(&o);
        o.key = want[i].key ? key : NULL;
        assert_true(sr_proxy_loop_key(req, &o) == want[i].loop);
        char b[SR_PROXY_BRANCH_MAX];
        ptrdiff_t n = sr_proxy_branch_id(req, &o, want[i].index, b);
        assert_true(n > 0);
        assert_string_equal(b, want[i].branch);
        sr_msg_free(req);
    }
}

/* A field the copy writes from the request's field against the builder's bytes
 * (sr_msg_add_header, then printed): each line shape below in a request printed from it, and
 * in the same request with a folded field, which only the builder takes; the two copies print
 * the same bytes (names canonical, values trimmed; a CTL refused either way). */
static void t_field_lines_as_built(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "CSeq: 4 INVITE\r\n",
        "cseq: 4 INVITE\r\n",
        "CSEQ: 4 INVITE\r\n",
        "CSeq : 4 INVITE\r\n",
        "CSeq:4 INVITE\r\n",
        "CSeq:  4 INVITE\r\n",
        "CSeq: 4 INVITE \r\n",
        "CSeq:\t4 INVITE\r\n",
        "CSeq: 4 INVITE\t\r\n",
        "Call-ID: a\tb@c\r\n",
        "Call-ID: a\001b@c\r\n",
        "Call-ID: ab@c\x7f\r\n",
        "X-Odd: v\r\n",
        "x-odd: v\r\n",
        "X-Odd:v\r\n",
        "X-Odd : v\r\n",
        "X-Odd: \r\n",
        "X-Odd:\r\n",
        "Subject: \xc3\xa9t\xc3\xa9\r\n",
        "Record-Route: <sip:up.example.com;lr>\r\n",
        "record-route: <sip:up.example.com;lr>\r\n",
        "t: <sip:bob@example.com>\r\n",
        "To: <sip:bob@example.com>\r\n",
    };
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    o.record_route = SR_STR("sip:proxy.example.org");
    size_t lined = 0;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        char a[1024], b[1024];
        static const char head[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
                                   "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKlines\r\n"
                                   "From: <sip:alice@example.com>;tag=a1\r\n"
                                   "Call-ID: lines@192.0.2.1\r\n";
        snprintf(a, sizeof a, "%s%sX-Fold: a b\r\nContent-Length: 0\r\n\r\n", head, lines[i]);
        snprintf(b, sizeof b, "%s%sX-Fold: a\r\n b\r\nContent-Length: 0\r\n\r\n", head, lines[i]);
        sr_msg *ra = ph_parse(a), *rb = ph_parse(b), *fa = NULL, *fb = NULL;
        assert_non_null(ra);
        assert_non_null(rb);
        int rca = sr_proxy_forward(&fa, ra, SR_STR("sip:bob@192.0.2.4"), NULL, 1, &o);
        int rcb = sr_proxy_forward(&fb, rb, SR_STR("sip:bob@192.0.2.4"), NULL, 1, &o);
        assert_int_equal(rca, rcb); /* a CTL in a value: refused either way (the builder) */
        if (rca == 0) {
            assert_true(fb->built); /* the folded field: the builder's way */
            lined += !fa->built;
            char *pa = printed(fa), *pb = printed(fb);
            if (strcmp(pa, pb) != 0)
                fail_msg("line %zu: printed differs\n--- from lines\n%s\n--- built\n%s", i, pa, pb);
            free(pa);
            free(pb);
        }
        sr_msg_free(fa);
        sr_msg_free(fb);
        sr_msg_free(ra);
        sr_msg_free(rb);
    }
    assert_int_equal(lined, sizeof lines / sizeof lines[0] - 2); /* \x01 and DEL: the builder */
}

/* A run of unchanged fields longer than 4 KiB (the CTL count summed in parts): copied as it
 * is, the same bytes as the builder's; a CTL in its last value: refused, as the builder
 * refuses it. */
static void t_long_run(void **state)
{
    (void)state;
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    for (int ctl = 0; ctl < 2; ctl++) {
        char txt[8192] = "INVITE sip:bob@example.com SIP/2.0\r\n"
                         "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKlong\r\n"
                         "To: <sip:bob@example.com>\r\n"
                         "From: <sip:alice@example.com>;tag=a1\r\n"
                         "Call-ID: long@192.0.2.1\r\nCSeq: 1 INVITE\r\n";
        for (int i = 0; i < 90; i++)
            snprintf(txt + strlen(txt), sizeof txt - strlen(txt),
                     "X-Long-%02d: %s0123456789012345678901234567890123456789012345%c\r\n", i,
                     "abcdefgh", ctl && i == 89 ? '\001' : 'z');
        snprintf(txt + strlen(txt), sizeof txt - strlen(txt), "Content-Length: 0\r\n\r\n");
        sr_msg *req = parse_all(txt, strlen(txt));
        assert_non_null(req);
        sr_msg *f = NULL;
        int rc = sr_proxy_forward(&f, req, SR_STR("sip:bob@192.0.2.4"), NULL, 1, &o);
        if (ctl) {
            assert_int_not_equal(rc, 0); /* the builder refuses a CTL in a value */
        } else {
            assert_int_equal(rc, 0);
            assert_false(f->built);
            assert_true(forward_and_compare("long run", req, "sip:bob@192.0.2.4", false));
            assert_non_null(strstr(f->bytes, "X-Long-89: abcdefgh"));
        }
        sr_msg_free(f);
        sr_msg_free(req);
    }
}

/* sr__count_ctl against a byte loop: random bytes (CTLs, CR, LF, HTAB, DEL, high bytes and
 * text) of every length to 300 at every alignment mod 16, each ending at a guard page. */
static void t_count_ctl(void **state)
{
    (void)state;
    static const unsigned char pool[] = {0,   1,   8,   '\t', '\n', 11,   '\r', 0x1f,
                                         ' ', 'a', ':', 0x7e, 0x7f, 0x80, 0xc3, 0xff};
    uint32_t x = 12345;
    unsigned char buf[320] = {0};
    for (size_t len = 0; len <= 300; len++) {
        for (size_t off = 0; off < 16; off++) {
            if (off + len > sizeof buf)
                continue;
            size_t want = 0;
            for (size_t i = 0; i < off + len; i++) {
                x = x * 1103515245u + 12345u;
                buf[i] = (x >> 16) % 4 ? (unsigned char)('A' + (x >> 20) % 26)
                                       : pool[(x >> 20) % sizeof pool];
                if (i >= off)
                    want += (buf[i] < 0x20 && buf[i] != '\t') || buf[i] == 0x7f;
            }
            char *g = tu_guarded_copy(buf + off, len);
            assert_int_equal(sr__count_ctl(g, len), want);
            tu_guarded_free(g, len);
        }
    }
    /* past 127 steps of 32 bytes (the per-byte counts summed in parts) */
    static char big[9001];
    size_t want = 0;
    for (size_t i = 0; i < sizeof big; i++) {
        big[i] = i % 7 == 0 ? '\r' : i % 11 == 0 ? '\t' : 'x';
        want += i % 7 == 0;
    }
    assert_int_equal(sr__count_ctl(big, sizeof big), want);
}

/* The same line shapes in a response going upstream (§16.7 step 3): the copy printed from the
 * response (its unchanged lines copied in runs) against the builder's (leaving out sips
 * Contacts, of which these have none): the same bytes, or refused by both (a CTL). */
static void t_upstream_lines_as_built(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "CSeq: 4 INVITE\r\n",
        "cseq: 4 INVITE\r\n",
        "CSeq : 4 INVITE\r\n",
        "CSeq:4 INVITE\r\n",
        "CSeq:  4 INVITE\r\n",
        "CSeq: 4 INVITE \r\n",
        "CSeq: 4 INVITE\t\r\n",
        "Call-ID: a\tb@c\r\n",
        "Call-ID: a\001b@c\r\n",
        "Call-ID: ab@c\x7f\r\n",
        "X-Odd: v\r\n",
        "x-odd: v\r\n",
        "X-Odd: \r\n",
        "X-Odd:\r\n",
        "Via: SIP/2.0/UDP x;branch=z9hG4bKx\r\n",
        "v: SIP/2.0/UDP x;branch=z9hG4bKx\r\n",
    };
    size_t direct = 0;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        for (int at = 0; at < 2; at++) { /* the line before the To, then last */
            char a[1024];
            snprintf(a, sizeof a,
                     "SIP/2.0 486 Busy Here\r\n"
                     "Via: SIP/2.0/UDP proxy.example.org;branch=z9hG4bKsr9\r\n"
                     "Via: SIP/2.0/UDP pc.example.net;branch=z9hG4bKa\r\n"
                     "%sTo: <sip:bob@example.com>;tag=b1\r\n"
                     "From: <sip:alice@example.net>;tag=a1\r\n"
                     "Call-ID: c9@pc\r\nCSeq: 1 INVITE\r\n%sContent-Length: 0\r\n\r\n",
                     at ? "" : lines[i], at ? lines[i] : "");
            sr_msg *resp = ph_parse(a);
            assert_non_null(resp);
            sr_msg *t = NULL, *b = NULL;
            int rct =
                sr__proxy_upstream(&t, resp, 486, SR_STR_NULL, SR__KEEP_CONTACTS, tu_allocator());
            int rcb = sr__proxy_upstream(&b, resp, 486, SR_STR_NULL, SR__DROP_SIPS, tu_allocator());
            assert_int_equal(rct, rcb);
            if (rct == 0) {
                direct += !t->built;
                char *pt = printed(t), *pb = printed(b);
                if (strcmp(pt, pb) != 0)
                    fail_msg("line %zu at %d: printed differs\n--- made\n%s\n--- built\n%s", i, at,
                             pt, pb);
                free(pt);
                free(pb);
            }
            sr_msg_free(t);
            sr_msg_free(b);
            sr_msg_free(resp);
        }
    }
    assert_int_equal(direct, 2 * (sizeof lines / sizeof lines[0] - 2)); /* \x01, DEL: builder */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(t_copy_as_parsed),     TU_TEST(t_copy_as_parsed_rfc4475),
        TU_TEST(t_from_head),          TU_TEST(t_like_only_same_bytes),
        TU_TEST(t_upstream_as_built),  TU_TEST(t_our_via),
        TU_TEST(t_branch_pinned),      TU_TEST(t_field_lines_as_built),
        TU_TEST(t_known_request_line), TU_TEST(t_known_via),
        TU_TEST(t_known_status_line),  TU_TEST(t_upstream_lines_as_built),
        TU_TEST(t_long_run),           TU_TEST(t_count_ctl),
    };
    return cmocka_run_group_tests_name("proxy_fwd_direct", tests, NULL, NULL);
}
