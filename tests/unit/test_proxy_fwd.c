/* sipreply tests: the proxy's request side (proxy.h): checks, loops and spirals, Route
 * processing and the copy forwarded. RFC 3261 §16.3, §16.4, §16.6, §16.12, §9.1; RFC 3326. */
#include "proxy_harness.h"

#include "msg_int.h"
#include "proxy_int.h"

static char *print(const sr_msg *m)
{
    sr_buf b;
    sr_buf_init(&b, NULL);
    assert_int_equal(sr_msg_print(m, &b), 0);
    return b.p; /* freed with free(): the default allocator */
}

static sr_str hdr(const sr_msg *m, enum sr_hdr_id id, size_t nth)
{
    const sr_header *h = NULL;
    for (size_t i = 0; i <= nth; i++) {
        h = sr_msg_header_find(m, id, h);
        if (!h)
            return SR_STR_NULL;
    }
    return h->value;
}

/* §16.6: Request-URI, Max-Forwards, a new top Via with our branch, the rest unchanged. */
static void t_forward_basic(void **state)
{
    (void)state;
    sr_msg *req = ph_request(NULL, NULL);
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    o.via_port = 5070;
    sr_msg *f = NULL;
    assert_int_equal(sr_proxy_forward(&f, req, SR_STR("sip:bob@192.0.2.4"), NULL, 0, &o), 0);
    assert_sr_str_eq(sr_msg_request_uri(f), "sip:bob@192.0.2.4");
    assert_int_equal(sr_msg_max_forwards(f), 69);
    assert_int_equal(sr_msg_via_count(f), 3);
    const sr_via *v = sr_msg_via(f, 0);
    assert_sr_str_eq(v->host, "proxy.example.org");
    assert_int_equal(v->port, 5070);
    assert_true(v->branch.len > 9 && memcmp(v->branch.p, "z9hG4bKsr", 9) == 0);
    assert_sr_str_eq(sr_msg_via(f, 1)->branch, "z9hG4bK776asd");
    assert_sr_str_eq(sr_msg_body(f), "v=0\n");
    assert_sr_str_eq(hdr(f, SR_HDR_CONTENT_TYPE, 0), "application/sdp");
    assert_sr_str_eq(sr_proxy_next_hop(f), "sip:bob@192.0.2.4");
    char *txt = print(f);
    assert_non_null(strstr(txt, "Content-Length: 4\r\n"));
    sr_msg *again = ph_parse(txt);
    free(txt);
    sr_parse_error pe;
    assert_int_equal(sr_msg_validate(again, &pe), 0);
    sr_msg_free(again);
    /* Branches: deterministic per request and index, different per index. */
    char b0[SR_PROXY_BRANCH_MAX], b1[SR_PROXY_BRANCH_MAX], b0b[SR_PROXY_BRANCH_MAX];
    assert_true(sr_proxy_branch_id(req, &o, 0, b0) > 0);
    assert_true(sr_proxy_branch_id(req, &o, 1, b1) > 0);
    assert_true(sr_proxy_branch_id(req, &o, 0, b0b) > 0);
    assert_string_equal(b0, b0b);
    assert_string_not_equal(b0, b1);
    assert_true(sr_str_eq(v->branch, sr_str_from_cstr(b0)));
    assert_int_equal(v->rport, SR_RPORT_NONE);
    sr_msg_free(f);
    /* via_rport (RFC 3581 §3): "rport" after the branch, the branch unchanged; a caller whose
     * struct predates the field (a smaller size) gets none. */
    o.via_rport = true;
    assert_int_equal(sr_proxy_forward(&f, req, SR_STR("sip:bob@192.0.2.4"), NULL, 0, &o), 0);
    txt = print(f);
    char want[128];
    snprintf(want, sizeof(want), "Via: SIP/2.0/UDP proxy.example.org:5070;branch=%s;rport\r\n", b0);
    assert_non_null(strstr(txt, want));
    free(txt);
    sr_msg_free(f);
    o.size = offsetof(sr_proxy_fwd_opts, via_rport);
    assert_int_equal(sr_proxy_forward(&f, req, SR_STR("sip:bob@192.0.2.4"), NULL, 0, &o), 0);
    txt = print(f);
    assert_null(strstr(txt, ";rport"));
    free(txt);
    sr_msg_free(f);
    sr_msg_free(req);
}

#define MF_TXT                                               \
    "OPTIONS sip:bob@example.com SIP/2.0\r\n"                \
    "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bKmf\r\n" \
    "%s"                                                     \
    "To: <sip:bob@example.com>\r\n"                          \
    "From: <sip:alice@example.net>;tag=1\r\n"                \
    "Call-ID: mf@example.net\r\n"                            \
    "CSeq: 1 OPTIONS\r\n"                                    \
    "Content-Length: 0\r\n\r\n"

/* §16.6 step 3 and §16.3 item 3: no Max-Forwards gets 70; 0 is never forwarded (483). */
static void t_max_forwards(void **state)
{
    (void)state;
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    char buf[512];
    snprintf(buf, sizeof buf, MF_TXT, "");
    sr_msg *req = ph_parse(buf), *f = NULL;
    assert_int_equal(sr_proxy_forward(&f, req, SR_STR("sip:bob@192.0.2.4"), NULL, 0, &o), 0);
    assert_int_equal(sr_msg_max_forwards(f), 70);
    sr_msg_free(f);
    sr_msg_free(req);
    snprintf(buf, sizeof buf, MF_TXT, "Max-Forwards: 0\r\n");
    req = ph_parse(buf);
    f = NULL;
    assert_int_equal(sr_proxy_forward(&f, req, SR_STR("sip:bob@192.0.2.4"), NULL, 0, &o),
                     SR_ERANGE);
    assert_null(f);
    unsigned code = 0;
    assert_int_equal(sr_proxy_check_request(req, &o, NULL, &code), 0);
    assert_int_equal(code, 483);
    sr_msg_free(req);
    snprintf(buf, sizeof buf, MF_TXT, "Max-Forwards: 1\r\n");
    req = ph_parse(buf);
    assert_int_equal(sr_proxy_check_request(req, &o, NULL, &code), 0);
    assert_int_equal(code, 0);
    assert_int_equal(sr_proxy_forward(&f, req, SR_STR("sip:bob@192.0.2.4"), NULL, 0, &o), 0);
    assert_int_equal(sr_msg_max_forwards(f), 0);
    sr_msg_free(f);
    sr_msg_free(req);
}

/* §16.3 item 4: the copy coming back unchanged is a loop (482); once its Request-URI changed
 * on the way (a spiral), it is not. Another proxy's Via with our branch is not ours. */
static void t_loop(void **state)
{
    (void)state;
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    sr_msg *req = ph_request(NULL, NULL), *f = NULL;
    assert_false(sr_proxy_is_loop(req, &o));
    /* Forwarded to a target that routes it straight back with the same Request-URI. */
    assert_int_equal(sr_proxy_forward(&f, req, sr_msg_request_uri(req), NULL, 0, &o), 0);
    assert_true(sr_proxy_is_loop(f, &o));
    unsigned code = 0;
    assert_int_equal(sr_proxy_check_request(f, &o, NULL, &code), 0);
    assert_int_equal(code, 482);
    /* The next hop added its own Via on top: still a loop. */
    sr_msg *g = NULL;
    sr_proxy_fwd_opts other;
    ph_opts(&other);
    other.via_host = SR_STR("other.example.net");
    assert_int_equal(sr_proxy_forward(&g, f, sr_msg_request_uri(f), NULL, 0, &other), 0);
    assert_true(sr_proxy_is_loop(g, &o));
    sr_msg_free(g);
    /* A spiral: the next hop changed the Request-URI. */
    g = NULL;
    assert_int_equal(sr_proxy_forward(&g, f, SR_STR("sip:bob-mobile@example.com"), NULL, 0, &other),
                     0);
    assert_false(sr_proxy_is_loop(g, &o));
    assert_int_equal(sr_proxy_check_request(g, &o, NULL, &code), 0);
    assert_int_equal(code, 0);
    sr_msg_free(g);
    /* Another port of the same host is another element. */
    o.via_port = 5080;
    assert_false(sr_proxy_is_loop(f, &o));
    /* Another key sees no loop (the branch is keyed). */
    uint8_t key[SR_BUILD_KEY_LEN] = {1};
    o.via_port = 0;
    o.key = key;
    assert_false(sr_proxy_is_loop(f, &o));
    sr_msg_free(f);
    sr_msg_free(req);
}

/* The same with fields too long to hash in one piece (a long Proxy-Authorization: each field
 * hashed on its own and chained): a loop is still one, a spiral still not, and a change in
 * the long field is seen. */
static void t_loop_long_fields(void **state)
{
    (void)state;
    char extra[1200], cred[1000];
    memset(cred, 'a', sizeof cred - 1);
    cred[sizeof cred - 1] = '\0';
    snprintf(extra, sizeof extra, "Proxy-Authorization: Digest username=\"u\", response=\"%s\"\r\n",
             cred);
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    sr_msg *req = ph_request(NULL, extra), *f = NULL, *g = NULL;
    assert_false(sr_proxy_is_loop(req, &o));
    assert_int_equal(sr_proxy_forward(&f, req, sr_msg_request_uri(req), NULL, 0, &o), 0);
    assert_true(sr_proxy_is_loop(f, &o));
    sr_proxy_fwd_opts other;
    ph_opts(&other);
    other.via_host = SR_STR("other.example.net");
    assert_int_equal(sr_proxy_forward(&g, f, SR_STR("sip:bob-mobile@example.com"), NULL, 0, &other),
                     0);
    assert_false(sr_proxy_is_loop(g, &o));
    sr_msg_free(g);
    /* the same request with credentials differing in their last byte: another loop part */
    cred[sizeof cred - 2] = 'b';
    snprintf(extra, sizeof extra, "Proxy-Authorization: Digest username=\"u\", response=\"%s\"\r\n",
             cred);
    sr_msg *req2 = ph_request(NULL, extra);
    char b1[SR_PROXY_BRANCH_MAX], b2[SR_PROXY_BRANCH_MAX];
    assert_true(sr_proxy_branch_id(req, &o, 0, b1) > 0);
    assert_true(sr_proxy_branch_id(req2, &o, 0, b2) > 0);
    assert_string_not_equal(b1, b2);
    assert_true(sr_proxy_branch_id(req, &o, 0, b2) > 0);
    assert_string_equal(b1, b2);
    sr_msg_free(req2);
    sr_msg_free(f);
    sr_msg_free(req);
}

/* §16.6 step 4: our Record-Route first, with lr. */
static void t_record_route(void **state)
{
    (void)state;
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    o.record_route = SR_STR("sip:proxy.example.org");
    sr_msg *req = ph_request(NULL, "Record-Route: <sip:edge.example.net;lr>\r\n"), *f = NULL;
    assert_int_equal(sr_proxy_forward(&f, req, SR_STR("sip:bob@192.0.2.4"), NULL, 0, &o), 0);
    assert_sr_str_eq(hdr(f, SR_HDR_RECORD_ROUTE, 0), "<sip:proxy.example.org;lr>");
    assert_sr_str_eq(hdr(f, SR_HDR_RECORD_ROUTE, 1), "<sip:edge.example.net;lr>");
    sr_msg_free(f);
    sr_msg_free(req);
    req = ph_request(NULL, NULL);
    f = NULL;
    o.record_route = SR_STR("<sip:p.example.org;lr;transport=tcp>");
    assert_int_equal(sr_proxy_forward(&f, req, SR_STR("sip:bob@192.0.2.4"), NULL, 0, &o), 0);
    assert_sr_str_eq(hdr(f, SR_HDR_RECORD_ROUTE, 0), "<sip:p.example.org;lr;transport=tcp>");
    sr_msg_free(f);
    sr_msg_free(req);
}

/* §16.4: a first Route naming us is removed; a Request-URI naming us (a strict router before
 * us) is replaced by the last Route value. */
static void t_route_preprocess(void **state)
{
    (void)state;
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    o.is_self = ph_is_self;
    sr_msg *req =
        ph_request(NULL, "Route: <sip:proxy.example.org;lr>, <sip:next.example.net;lr>\r\n");
    sr_proxy_route r;
    assert_int_equal(sr_proxy_route_preprocess(req, &o, &r), 0);
    assert_true(r.pop_first);
    assert_false(r.pop_last);
    assert_sr_str_eq(r.request_uri, "sip:bob@example.com");
    sr_msg *f = NULL;
    assert_int_equal(sr_proxy_forward(&f, req, r.request_uri, &r, 0, &o), 0);
    assert_int_equal(sr_msg_header_count_id(f, SR_HDR_ROUTE), 1);
    assert_sr_str_eq(hdr(f, SR_HDR_ROUTE, 0), "<sip:next.example.net;lr>");
    assert_sr_str_eq(sr_proxy_next_hop(f), "sip:next.example.net;lr");
    assert_sr_str_eq(sr_msg_request_uri(f), "sip:bob@example.com");
    sr_msg_free(f);
    sr_msg_free(req);

    /* A strict router upstream put our Record-Route URI in the Request-URI. */
    const char *txt = "BYE sip:proxy.example.org SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP ua.example.net;branch=z9hG4bKbye\r\n"
                      "Max-Forwards: 70\r\n"
                      "Route: <sip:next.example.net;lr>, <sip:bob@192.0.2.4>\r\n"
                      "To: <sip:bob@example.com>;tag=b\r\n"
                      "From: <sip:alice@example.net>;tag=a\r\n"
                      "Call-ID: strict@example.net\r\n"
                      "CSeq: 2 BYE\r\n"
                      "Content-Length: 0\r\n\r\n";
    req = ph_parse(txt);
    assert_int_equal(sr_proxy_route_preprocess(req, &o, &r), 0);
    assert_true(r.pop_last);
    assert_false(r.pop_first);
    assert_sr_str_eq(r.request_uri, "sip:bob@192.0.2.4");
    f = NULL;
    assert_int_equal(sr_proxy_forward(&f, req, r.request_uri, &r, 0, &o), 0);
    assert_sr_str_eq(sr_msg_request_uri(f), "sip:bob@192.0.2.4");
    assert_int_equal(sr_msg_header_count_id(f, SR_HDR_ROUTE), 1);
    assert_sr_str_eq(hdr(f, SR_HDR_ROUTE, 0), "<sip:next.example.net;lr>");
    sr_msg_free(f);
    sr_msg_free(req);
}

/* §16.6 step 6, §16.12: the next hop is a strict router (no lr): it goes in the Request-URI
 * and the target last in Route. A route set is pushed before the request's Routes. */
static void t_strict_next_hop(void **state)
{
    (void)state;
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    sr_msg *req =
        ph_request(NULL, "Route: <sip:strict.example.net>, <sip:after.example.net;lr>\r\n");
    sr_msg *f = NULL;
    assert_int_equal(sr_proxy_forward(&f, req, SR_STR("sip:bob@192.0.2.4"), NULL, 0, &o), 0);
    assert_sr_str_eq(sr_msg_request_uri(f), "sip:strict.example.net");
    assert_int_equal(sr_msg_header_count_id(f, SR_HDR_ROUTE), 2);
    assert_sr_str_eq(hdr(f, SR_HDR_ROUTE, 0), "<sip:after.example.net;lr>");
    assert_sr_str_eq(hdr(f, SR_HDR_ROUTE, 1), "<sip:bob@192.0.2.4>");
    sr_msg_free(f);
    sr_msg_free(req);

    sr_str rs[] = {SR_STR("<sip:outbound.example.org;lr>")};
    o.route_set = rs;
    o.n_route_set = 1;
    req = ph_request(NULL, "Route: <sip:after.example.net;lr>\r\n");
    f = NULL;
    assert_int_equal(sr_proxy_forward(&f, req, SR_STR("sip:bob@192.0.2.4"), NULL, 0, &o), 0);
    assert_sr_str_eq(sr_msg_request_uri(f), "sip:bob@192.0.2.4");
    assert_sr_str_eq(hdr(f, SR_HDR_ROUTE, 0), "<sip:outbound.example.org;lr>");
    assert_sr_str_eq(hdr(f, SR_HDR_ROUTE, 1), "<sip:after.example.net;lr>");
    assert_sr_str_eq(sr_proxy_next_hop(f), "sip:outbound.example.org;lr");
    sr_msg_free(f);
    sr_msg_free(req);
}

/* §16.6 step 5 headers; §9.1 CANCEL hop by hop with RFC 3326's Reason. */
static void t_headers_and_cancel(void **state)
{
    (void)state;
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    sr_build_header hs[] = {{SR_STR("X-Forked"), SR_STR("yes")}};
    o.headers = hs;
    o.n_headers = 1;
    sr_msg *req = ph_request(NULL, "Route: <sip:after.example.net;lr>\r\n"), *f = NULL;
    assert_int_equal(sr_proxy_forward(&f, req, SR_STR("sip:bob@192.0.2.4"), NULL, 3, &o), 0);
    assert_sr_str_eq(sr_msg_header_find_name(f, SR_STR("x-forked"), NULL)->value, "yes");
    sr_msg *c = NULL;
    assert_int_equal(
        sr_proxy_build_cancel(&c, f, SR_STR(SR_PROXY_REASON_ELSEWHERE), tu_allocator()), 0);
    assert_int_equal(sr_msg_method(c), SR_METHOD_CANCEL);
    assert_int_equal(sr_msg_via_count(c), 1);
    assert_true(sr_str_eq(sr_msg_via(c, 0)->branch, sr_msg_via(f, 0)->branch));
    assert_true(sr_str_eq(sr_msg_request_uri(c), sr_msg_request_uri(f)));
    assert_int_equal(sr_msg_cseq(c)->num, 314159);
    assert_sr_str_eq(hdr(c, SR_HDR_ROUTE, 0), "<sip:after.example.net;lr>");
    assert_sr_str_eq(hdr(c, SR_HDR_REASON, 0), SR_PROXY_REASON_ELSEWHERE);
    sr_msg_free(c);
    c = NULL;
    assert_int_equal(sr_proxy_build_cancel(&c, f, SR_STR_NULL, tu_allocator()), 0);
    assert_int_equal(sr_msg_header_count_id(c, SR_HDR_REASON), 0);
    sr_msg_free(c);
    sr_msg_free(f);
    sr_msg_free(req);
}

/* §16.6: the copy is printed from the request and parsed once (the plain case) or built field
 * by field (a folded value to unfold): either way the same bytes. Compact names, values to
 * trim, an unknown header, Record-Route, Route (one popped, one strict), Max-Forwards absent,
 * added headers and a body. */
static void t_text_same_as_built(void **state)
{
    (void)state;
    static const char *head = "INVITE sip:bob@proxy.example.org SIP/2.0\r\n"
                              "v: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKtext1\r\n"
                              "Route: <sip:proxy.example.org;lr>, <sip:next.example.net;lr>\r\n"
                              "Record-Route:  <sip:up.example.com;lr> \r\n"
                              "f: <sip:alice@example.com>;tag=a1\r\n"
                              "t: <sip:bob@example.com>\r\n"
                              "i: text@192.0.2.1\r\n"
                              "CSeq: 4 INVITE\r\n"
                              "X-Odd:   some  value\r\n"
                              "c: application/sdp\r\n";
    char plain[1024], folded[1024];
    snprintf(plain, sizeof plain, "%sSubject: one two\r\nContent-Length: 4\r\n\r\nv=0\n", head);
    snprintf(folded, sizeof folded, "%sSubject: one\r\n  two\r\nContent-Length: 4\r\n\r\nv=0\n",
             head);
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    o.is_self = ph_is_self;
    o.record_route = SR_STR("sip:proxy.example.org");
    sr_build_header hs[] = {{SR_STR("X-Forked"), SR_STR(" yes ")},
                            {SR_STR("Priority"), SR_STR("urgent")}};
    o.headers = hs;
    o.n_headers = 2;
    sr_msg *rp = ph_parse(plain), *rf = ph_parse(folded), *fp = NULL, *ff = NULL;
    sr_proxy_route r;
    assert_int_equal(sr_proxy_route_preprocess(rp, &o, &r), 0);
    assert_true(r.pop_first);
    assert_int_equal(sr_proxy_forward(&fp, rp, SR_STR("sip:bob@192.0.2.4"), &r, 2, &o), 0);
    assert_int_equal(sr_proxy_route_preprocess(rf, &o, &r), 0);
    assert_int_equal(sr_proxy_forward(&ff, rf, SR_STR("sip:bob@192.0.2.4"), &r, 2, &o), 0);
    assert_true(sr_msg_size(fp) > 0);     /* parsed: the plain case */
    assert_int_equal(sr_msg_size(ff), 0); /* built: the folded Subject */
    char *tp = print(fp), *tf = print(ff);
    assert_string_equal(tp, tf);
    assert_non_null(strstr(tp, "Max-Forwards: 70\r\n"));
    assert_non_null(strstr(tp, "X-Odd: some  value\r\n"));
    assert_non_null(strstr(tp, "Record-Route: <sip:proxy.example.org;lr>\r\n"
                               "Record-Route: <sip:up.example.com;lr>\r\n"));
    assert_non_null(
        strstr(tp, "X-Forked: yes\r\nPriority: urgent\r\nContent-Length: 4\r\n\r\nv=0\n"));
    free(tp);
    free(tf);
    sr_msg_free(fp);
    sr_msg_free(ff);
    /* a strict router next: the target goes last in Route, the router is the Request-URI */
    sr_msg *rs = ph_request(NULL, "Route: <sip:strict.example.net>\r\n");
    assert_int_equal(sr_proxy_forward(&fp, rs, SR_STR("sip:bob@192.0.2.4"), NULL, 0, &o), 0);
    assert_sr_str_eq(sr_msg_request_uri(fp), "sip:strict.example.net");
    assert_sr_str_eq(hdr(fp, SR_HDR_ROUTE, 0), "<sip:bob@192.0.2.4>");
    assert_true(sr_msg_size(fp) > 0);
    sr_msg_free(fp);
    sr_msg_free(rs);
    sr_msg_free(rp);
    sr_msg_free(rf);
}

/* sr_proxy_loop_key(): given in the options, the checks and the copies use it — the same
 * branches and verdicts as hashing the request each time; a wrong one changes them (so it is
 * what they use). */
static void t_loop_key(void **state)
{
    (void)state;
    sr_proxy_fwd_opts o, k;
    ph_opts(&o);
    sr_msg *req = ph_request(NULL, NULL), *f = NULL;
    k = o;
    k.loop_key = sr_proxy_loop_key(req, &o);
    k.has_loop_key = true;
    assert_int_equal(sr_proxy_loop_key(NULL, &o), 0);
    char a[SR_PROXY_BRANCH_MAX], b[SR_PROXY_BRANCH_MAX];
    assert_true(sr_proxy_branch_id(req, &o, 2, a) > 0);
    assert_true(sr_proxy_branch_id(req, &k, 2, b) > 0);
    assert_string_equal(a, b);
    assert_false(sr_proxy_is_loop(req, &k));
    assert_int_equal(sr_proxy_forward(&f, req, sr_msg_request_uri(req), NULL, 0, &k), 0);
    sr_proxy_fwd_opts fk = o;
    fk.loop_key = sr_proxy_loop_key(f, &o);
    fk.has_loop_key = true;
    assert_true(sr_proxy_is_loop(f, &fk)); /* back unchanged: a loop, as without the key */
    unsigned code = 0;
    assert_int_equal(sr_proxy_check_request(f, &fk, NULL, &code), 0);
    assert_int_equal(code, 482);
    fk.loop_key ^= 1; /* not this request's: no loop seen, another branch */
    assert_false(sr_proxy_is_loop(f, &fk));
    k.loop_key ^= 1;
    assert_true(sr_proxy_branch_id(req, &k, 2, b) > 0);
    assert_string_not_equal(a, b);
    sr_msg_free(f);
    sr_msg_free(req);
}

/* §16.3 items 2 and 5. */
static void t_checks(void **state)
{
    (void)state;
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    unsigned code = 1;
    sr_msg *req = ph_request(NULL, "Proxy-Require: foo, bar\r\n");
    const char *const some[] = {"foo", NULL};
    const char *const all[] = {"bar", "FOO", NULL};
    assert_int_equal(sr_proxy_check_request(req, &o, some, &code), 0);
    assert_int_equal(code, 420);
    assert_int_equal(sr_proxy_check_request(req, &o, all, &code), 0);
    assert_int_equal(code, 0);
    sr_msg_free(req);
    const char *txt = "MESSAGE mailto:bob@example.com SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP ua.example.net;branch=z9hG4bKm\r\n"
                      "Max-Forwards: 70\r\n"
                      "To: <sip:bob@example.com>\r\n"
                      "From: <sip:alice@example.net>;tag=a\r\n"
                      "Call-ID: scheme@example.net\r\n"
                      "CSeq: 2 MESSAGE\r\n"
                      "Content-Length: 0\r\n\r\n";
    req = ph_parse(txt);
    assert_int_equal(sr_proxy_check_request(req, &o, NULL, &code), 0);
    assert_int_equal(code, 416);
    assert_int_equal(sr_proxy_check_request(NULL, &o, NULL, &code), SR_EINVAL);
    sr_msg_free(req);
}

/* §16.3 items 1-2 read the Request-URI's parse; once sr_msg_validate() has passed on the
 * request (it parses that URI), the check takes its word and does not parse it again: the
 * codes must be the same before and after, for every scheme and case. */
static void t_checks_after_validate(void **state)
{
    (void)state;
    static const char *const uris[] = {
        "sip:bob@example.com",    "SIP:bob@example.com:5060;transport=udp",
        "sips:bob@example.com",   "SiPs:bob@example.com",
        "tel:+1-201-555-0123",    "TEL:+44-20-7946-0000",
        "mailto:bob@example.com", "x-sip:opaque",
        "sipx:bob@example.com",   "si:bob",
        "tels:+1-201-555-0123",   "urn:service:sos"};
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    size_t seen416 = 0, seen0 = 0;
    for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++) {
        char txt[512];
        snprintf(txt, sizeof txt,
                 "OPTIONS %s SIP/2.0\r\n"
                 "Via: SIP/2.0/UDP ua.example.net;branch=z9hG4bKv%zu\r\n"
                 "Max-Forwards: 70\r\n"
                 "To: <sip:bob@example.com>\r\n"
                 "From: <sip:alice@example.net>;tag=a\r\n"
                 "Call-ID: v%zu@example.net\r\n"
                 "CSeq: 1 OPTIONS\r\n"
                 "Content-Length: 0\r\n\r\n",
                 uris[i], i, i);
        sr_msg *req = ph_parse(txt);
        assert_non_null(req);
        unsigned before = 1, after = 1;
        assert_int_equal(sr_proxy_check_request(req, &o, NULL, &before), 0);
        sr_parse_error e;
        if (sr_msg_validate(req, &e) != 0)
            fail_msg("%s: validation failed: %s", uris[i], e.phrase);
        assert_int_equal(sr_proxy_check_request(req, &o, NULL, &after), 0);
        if (before != after)
            fail_msg("%s: %u before validation, %u after", uris[i], before, after);
        seen416 += after == 416;
        seen0 += after == 0;
        sr_msg_free(req);
    }
    assert_int_equal(seen416, 6); /* mailto:, x-sip:, sipx:, si:, tels:, urn: */
    assert_int_equal(seen0, sizeof uris / sizeof uris[0] - 6);
}

/* Allocation failures: a clean SR_ENOMEM, nothing leaked. */
static int forward_scenario(const sr_allocator *alloc, void *ctx)
{
    (void)ctx;
    sr_proxy_fwd_opts o;
    ph_opts(&o);
    o.alloc = alloc;
    o.record_route = SR_STR("sip:proxy.example.org");
    sr_msg *req = ph_request(NULL, "Route: <sip:strict.example.net>, <sip:a.example.net;lr>\r\n");
    sr_msg *f = NULL, *c = NULL;
    int rc = sr_proxy_forward(&f, req, SR_STR("sip:bob@192.0.2.4"), NULL, 0, &o);
    if (rc == 0)
        rc = sr_proxy_build_cancel(&c, f, SR_STR(SR_PROXY_REASON_ELSEWHERE), alloc);
    sr_msg_free(c);
    sr_msg_free(f);
    sr_msg_free(req);
    return rc;
}

static void t_failures(void **state)
{
    (void)state;
    assert_true(tu_failure_sweep(forward_scenario, NULL) > 0);
}

/* What a branch keeps of its forwarded request (proxy_keep.c) gives the same CANCEL (§9.1)
 * and the same ACK (§17.1.1.3) as the request itself: kept as one span of its head (a copy
 * made from text, no Route), field by field (Routes, a built copy, a span too long for its
 * fields). */
static void t_keep_same_cancel_ack(void **state)
{
    (void)state;
    static const char *const extras[] = {
        "",
        "Route: <sip:next.example.net;lr>\r\n",
        "X-Big: "
        "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567"
        "8901234567890123456789012345678901234567890123456789012345678901234567890123456789012345"
        "6789012345678901234567890123456789012345678901234567890123456789012345678901234567890123"
        "4567890123456789\r\n",
    };
    for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++) {
        for (int built = 0; built < 2; built++) {
            sr_proxy_fwd_opts o;
            ph_opts(&o);
            char extra[512];
            snprintf(extra, sizeof extra, "%s%s", extras[i],
                     built ? "X-Fold: a\r\n b\r\n" : ""); /* folded: the builder's copy */
            sr_msg *req = ph_request(NULL, extra), *fwd = NULL, *kept = NULL;
            assert_int_equal(sr_proxy_forward(&fwd, req, SR_STR("sip:bob@192.0.2.4"), NULL, 0, &o),
                             0);
            assert_int_equal(fwd->built, built);
            sr__proxy_kept k;
            assert_int_equal(sr__proxy_keep(&k, fwd, tu_allocator()), 0);
            assert_true(sr_str_eq(k.branch, sr_msg_via(fwd, 0)->branch));
            assert_int_equal(sr__proxy_kept_msg(&k, &kept, tu_allocator()), 0);
            sr_msg *c1 = NULL, *c2 = NULL, *a1 = NULL, *a2 = NULL;
            assert_int_equal(sr_build_cancel(&c1, fwd, tu_allocator()), 0);
            assert_int_equal(sr_build_cancel(&c2, kept, tu_allocator()), 0);
            sr_msg *resp = ph_resp_on(fwd, 486, "t1", NULL, NULL);
            assert_int_equal(sr_build_ack(&a1, fwd, resp, tu_allocator()), 0);
            assert_int_equal(sr_build_ack(&a2, kept, resp, tu_allocator()), 0);
            char *p1 = print(c1), *p2 = print(c2), *q1 = print(a1), *q2 = print(a2);
            assert_string_equal(p1, p2);
            assert_string_equal(q1, q2);
            free(p1);
            free(p2);
            free(q1);
            free(q2);
            sr_msg_free(c1);
            sr_msg_free(c2);
            sr_msg_free(a1);
            sr_msg_free(a2);
            sr_msg_free(resp);
            sr__proxy_keep_free(&k, tu_allocator());
            sr_msg_free(kept);
            sr_msg_free(fwd);
            sr_msg_free(req);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(t_forward_basic),
        TU_TEST(t_max_forwards),
        TU_TEST(t_loop),
        TU_TEST(t_loop_long_fields),
        TU_TEST(t_record_route),
        TU_TEST(t_route_preprocess),
        TU_TEST(t_strict_next_hop),
        TU_TEST(t_headers_and_cancel),
        TU_TEST(t_checks),
        TU_TEST(t_failures),
        TU_TEST(t_text_same_as_built),
        TU_TEST(t_loop_key),
        TU_TEST(t_checks_after_validate),
        TU_TEST(t_keep_same_cancel_ack),
    };
    return cmocka_run_group_tests_name("proxy_fwd", tests, NULL, NULL);
}
