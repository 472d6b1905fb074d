/* sipreply tests: the response builder, derived To tags, ACK and CANCEL (build.h).
 * RFC 3261 §8.2.6, §9.1, §12.1.1, §17.1.1.3; every built response must pass the linter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "sipreply/lint.h"
#include "build_int.h"

static const char invite_txt[] =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.example.net:5062;branch=z9hG4bK776asdhds\r\n"
    "Via: SIP/2.0/UDP proxy.example.org;branch=z9hG4bKp1;received=192.0.2.9\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@example.com>\r\n"
    "From: Alice <sip:alice@example.net>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.example.net\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Record-Route: <sip:p1.example.org;lr>\r\n"
    "Record-Route: <sip:p2.example.org;lr>\r\n"
    "Route: <sip:edge.example.org;lr>\r\n"
    "Timestamp: 54.5\r\n"
    "Require: foo, 100rel\r\n"
    "Contact: <sip:alice@pc33.example.net>\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

/* Method-substituted request for the property test. */
static char *make_request(const char *method)
{
    static const char fmt[] = "%s sip:bob@example.com SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds\r\n"
                              "Max-Forwards: 70\r\n"
                              "To: Bob <sip:bob@example.com>\r\n"
                              "From: Alice <sip:alice@example.net>;tag=1928301774\r\n"
                              "Call-ID: a84b4c76e66710@pc33.example.net\r\n"
                              "CSeq: 7 %s\r\n"
                              "Require: nothingSupportsThis\r\n"
                              "Contact: <sip:alice@pc33.example.net>\r\n"
                              "Content-Length: 0\r\n\r\n";
    size_t cap = sizeof fmt + 2 * strlen(method);
    char *s = malloc(cap);
    assert_non_null(s);
    snprintf(s, cap, fmt, method, method);
    return s;
}

static char *print_msg(const sr_msg *m)
{
    sr_buf b;
    sr_buf_init(&b, NULL);
    assert_int_equal(sr_msg_print(m, &b), 0);
    char *s = malloc(b.len + 1);
    assert_non_null(s);
    memcpy(s, b.p, b.len);
    s[b.len] = '\0';
    sr_buf_cleanup(&b);
    return s;
}

/* The reference vector's input in the SipHash paper (Appendix A): key 00..0f, message
 * 00..0e; its hash is 0xa129ca6149be45e5. */
static void paper_input(uint8_t key[16], uint8_t msg[15])
{
    for (unsigned i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (unsigned i = 0; i < 15; i++)
        msg[i] = (uint8_t)i;
}

static void test_siphash_reference(void **state)
{
    (void)state;
    uint8_t key[16], msg[15];
    paper_input(key, msg);
    assert_true(sr_siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL);
    /* empty input, from the reference implementation's vector table (first entry) */
    assert_true(sr_siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
}

/* A byte-at-a-time SipHash-2-4 written from the paper, to check the library's word loads
 * (every length up to 80, at every alignment, including the partial last word). */
static uint64_t ref_rotl(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64u - b));
}

static uint64_t ref_word(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8u * i);
    return v;
}

static uint64_t ref_siphash24(const uint8_t k[16], const uint8_t *in, size_t len)
{
    uint64_t k0 = ref_word(k, 8), k1 = ref_word(k + 8, 8);
    uint64_t v[4] = {0x736f6d6570736575ULL ^ k0, 0x646f72616e646f6dULL ^ k1,
                     0x6c7967656e657261ULL ^ k0, 0x7465646279746573ULL ^ k1};
    size_t nblocks = len / 8 + 1;
    for (size_t blk = 0; blk < nblocks + 1; blk++) {
        uint64_t m = 0;
        bool fin = blk == nblocks;
        if (!fin)
            m = blk + 1 < nblocks ? ref_word(in + 8 * blk, 8)
                                  : ref_word(in + 8 * blk, len % 8) | ((uint64_t)len << 56);
        if (!fin)
            v[3] ^= m;
        else
            v[2] ^= 0xff;
        for (int r = 0; r < (fin ? 4 : 2); r++) {
            v[0] += v[1], v[1] = ref_rotl(v[1], 13), v[1] ^= v[0], v[0] = ref_rotl(v[0], 32);
            v[2] += v[3], v[3] = ref_rotl(v[3], 16), v[3] ^= v[2];
            v[0] += v[3], v[3] = ref_rotl(v[3], 21), v[3] ^= v[0];
            v[2] += v[1], v[1] = ref_rotl(v[1], 17), v[1] ^= v[2], v[2] = ref_rotl(v[2], 32);
        }
        if (!fin)
            v[0] ^= m;
    }
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* The derived To tag hashes the same bytes as it always did: a reference written here from
 * its definition (each field behind its 4-byte big-endian length: "to-tag", the top Via's
 * branch, host and port, the Call-ID, the From tag, the CSeq number; a field longer than
 * the room left in 1,024 bytes replaced by its own hash, and the bytes gathered so far by
 * theirs when not even that fits) gives the tag sr_build_to_tag gives, for short and
 * oversize fields and every length of them around the 8-byte moves. */
typedef struct ref_th {
    uint8_t buf[1024];
    size_t len;
    const uint8_t *key;
} ref_th;

static void ref_bytes(ref_th *h, const void *p, size_t n)
{
    if (n > sizeof h->buf - h->len) {
        uint64_t d = sr_siphash24(h->key, p, n);
        if (sizeof h->buf - h->len < 8) {
            uint64_t all = sr_siphash24(h->key, h->buf, h->len);
            for (unsigned i = 0; i < 8; i++)
                h->buf[i] = (uint8_t)(all >> (8u * i));
            h->len = 8;
        }
        for (unsigned i = 0; i < 8; i++)
            h->buf[h->len + i] = (uint8_t)(d >> (8u * i));
        h->len += 8;
        return;
    }
    memcpy(h->buf + h->len, p, n);
    h->len += n;
}

static void ref_field(ref_th *h, const char *p, size_t n)
{
    uint8_t l[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    ref_bytes(h, l, 4);
    if (n)
        ref_bytes(h, p, n);
}

static void ref_tag(const char *branch, const char *host, unsigned port, const char *cid,
                    const char *ftag, uint32_t cseq, const uint8_t *key, char out[17])
{
    ref_th h = {.len = 0, .key = key};
    ref_field(&h, "to-tag", 6);
    ref_field(&h, branch, strlen(branch));
    ref_field(&h, host, strlen(host));
    uint8_t pb[2] = {(uint8_t)(port >> 8), (uint8_t)port};
    ref_bytes(&h, pb, 2);
    ref_field(&h, cid, strlen(cid));
    ref_field(&h, ftag, strlen(ftag));
    uint8_t nb[4] = {(uint8_t)(cseq >> 24), (uint8_t)(cseq >> 16), (uint8_t)(cseq >> 8),
                     (uint8_t)cseq};
    ref_bytes(&h, nb, 4);
    uint64_t v = sr_siphash24(key, h.buf, h.len);
    static const char hx[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, v >>= 4)
        out[i] = hx[v & 0xf];
    out[16] = '\0';
}

static void test_to_tag_reference(void **state)
{
    (void)state;
    static char big[3000];
    memset(big, 'x', sizeof big - 1);
    uint8_t key[SR_BUILD_KEY_LEN];
    for (unsigned i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(i * 37 + 5);
    /* lengths of branch, Call-ID, From tag: short ones every way round 8, and oversize */
    static const size_t lens[][3] = {
        {8, 1, 1},     {9, 2, 3},          {15, 7, 5},    {16, 8, 6},      {17, 9, 7},
        {23, 31, 13},  {40, 36, 10},       {12, 1000, 4}, {12, 1009, 4},   {12, 1200, 4},
        {990, 20, 30}, {1010, 1010, 1010}, {500, 480, 2}, {2000, 2500, 9}, {12, 975, 4}};
    size_t n = 0;
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        for (int k = 0; k < 2; k++) {
            const uint8_t *kk = k ? key : NULL;
            char branch[2100], cid[2600], ftag[2100];
            snprintf(branch, sizeof branch, "z9hG4bK%.*s", (int)lens[i][0] - 7, big);
            snprintf(cid, sizeof cid, "%.*s", (int)lens[i][1], big);
            snprintf(ftag, sizeof ftag, "%.*s", (int)lens[i][2], big);
            size_t cap = strlen(branch) + strlen(cid) + strlen(ftag) + 512;
            char *txt = malloc(cap);
            assert_non_null(txt);
            snprintf(txt, cap,
                     "INVITE sip:b@example.com SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP host%zu.example.net:50%02zu;branch=%s\r\n"
                     "Max-Forwards: 70\r\nTo: <sip:b@example.com>\r\n"
                     "From: <sip:a@example.net>;tag=%s\r\nCall-ID: %s\r\n"
                     "CSeq: %zu INVITE\r\nContent-Length: 0\r\n\r\n",
                     i, i, branch, ftag, cid, 1000 + i);
            sr_msg *req = tu_parse(txt, tu_allocator());
            char want[17], got[SR_BUILD_TAG_LEN + 1], host[32];
            snprintf(host, sizeof host, "host%zu.example.net", i);
            ref_tag(branch, host, (unsigned)(5000 + i), cid, ftag, (uint32_t)(1000 + i), kk, want);
            assert_int_equal(sr_build_to_tag(req, kk, got), 0);
            assert_string_equal(got, want);
            sr_msg_free(req);
            free(txt);
            n++;
        }
    }
    assert_int_equal(n, 2 * sizeof lens / sizeof lens[0]);
}

/* The builder looks a code up once: a registered code's phrase is the registry's, never a
 * legacy one, which holds only while no code is in both tables. */
static void test_status_tables_disjoint(void **state)
{
    (void)state;
    size_t reg = 0, leg = 0;
    for (int c = 100; c <= 699; c++) {
        const sr_status_info *r = sr_status_lookup(c), *l = sr_status_legacy_lookup(c);
        assert_false(r && l);
        reg += r != NULL;
        leg += l != NULL;
    }
    assert_true(reg > 50 && leg > 0);
}

/* The top Via's parameters: the builder copies plain ones (";name[=value]", no LWS or quote)
 * in one pass and walks the others with sr_param_next; both give what the walk alone gives
 * (reference below, RFC 3261 §18.2.1, RFC 3581 §4), for random parameter strings. */
static void ref_stamp(const sr_via *v, const char *src, unsigned port, char *out, size_t cap)
{
    size_t head = (size_t)(v->params.p ? v->params.p - v->raw.p : (ptrdiff_t)v->raw.len);
    while (head && (v->raw.p[head - 1] == ' ' || v->raw.p[head - 1] == '\t'))
        head--;
    size_t n = 0;
    n += (size_t)snprintf(out + n, cap - n, "%.*s", (int)head, v->raw.p);
    size_t pos = 0;
    sr_str nm, val;
    while (v->params.p && sr_param_next(v->params, &pos, &nm, &val)) {
        if (sr_str_caseeq_cstr(nm, "received"))
            continue;
        n += (size_t)snprintf(out + n, cap - n, ";%.*s", (int)nm.len, nm.p);
        if (sr_str_caseeq_cstr(nm, "rport"))
            n += (size_t)snprintf(out + n, cap - n, "=%u", port);
        else if (val.p)
            n += (size_t)snprintf(out + n, cap - n, "=%.*s", (int)val.len, val.p);
    }
    if (v->rport != SR_RPORT_NONE || !sr_str_caseeq_cstr(v->host, src))
        n += (size_t)snprintf(out + n, cap - n, ";received=%s", src);
    /* trimmed as a header value is */
    size_t a = 0;
    while (a < n && (out[a] == ' ' || out[a] == '\t'))
        a++;
    while (n > a && (out[n - 1] == ' ' || out[n - 1] == '\t'))
        n--;
    memmove(out, out + a, n - a);
    out[n - a] = '\0';
}

static void test_stamp_via_params(void **state)
{
    (void)state;
    static const char *const parts[] = {
        ";",       "=",        " ",     "\t",       "\"",       "a",       "branch",
        "z9hG4bK", "rport",    "RPort", "received", "Received", "1.2.3.4", "x=y",
        ";lr",     "=\"q;r\"", "maddr", ";ttl=1",   "5060",     ";rport",  ";received="};
    uint64_t x = 0x853c49e6748fea9bULL;
    size_t same_cases = 0, plain = 0;
    for (int round = 0; round < 4000; round++) {
        char params[200];
        size_t pl = 0;
        int nparts = 1 + (int)(x % 9);
        params[0] = '\0';
        for (int i = 0; i < nparts; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            const char *pc = parts[(x >> 20) % (sizeof parts / sizeof parts[0])];
            pl += (size_t)snprintf(params + pl, sizeof params - pl, "%s%s",
                                   (x >> 40) % 3 == 0 ? ";" : "", pc);
        }
        char txt[600];
        snprintf(txt, sizeof txt,
                 "INVITE sip:b@example.com SIP/2.0\r\n"
                 "Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK%d%s\r\n"
                 "Max-Forwards: 70\r\nTo: <sip:b@example.com>\r\n"
                 "From: <sip:a@example.net>;tag=1\r\nCall-ID: c%d\r\n"
                 "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
                 round % 2 ? "192.0.2.9" : "pc.example.net", round, params, round);
        sr_parse_opts po;
        sr_parse_opts_init(&po);
        po.alloc = tu_allocator();
        sr_msg *req = NULL;
        if (sr_msg_parse(&req, txt, strlen(txt), &po, NULL) != 0)
            continue;
        const sr_via *v = sr_msg_via(req, 0);
        if (!v) {
            sr_msg_free(req);
            continue;
        }
        char want[800];
        ref_stamp(v, "192.0.2.9", 5070, want, sizeof want);
        sr_build_opts o;
        sr_build_opts_init(&o);
        o.alloc = tu_allocator();
        o.source_host = SR_STR("192.0.2.9");
        o.source_port = 5070;
        sr_buf b;
        sr_buf_init(&b, tu_allocator());
        sr_msg *m = NULL;
        int rc1 = sr_build_response_print(&b, req, 486, &o, NULL);
        int rc2 = sr_build_response(&m, req, 486, &o, NULL);
        assert_int_equal(rc1, rc2);
        if (rc1 == 0) {
            const char *vl = strstr(b.p, "\r\nVia: ") + 7;
            const char *ve = strstr(vl, "\r\n");
            if ((size_t)(ve - vl) != strlen(want) || memcmp(vl, want, strlen(want)) != 0)
                fail_msg("params '%s': got '%.*s', want '%s'", params, (int)(ve - vl), vl, want);
            sr_str mv = sr_msg_header_find(m, SR_HDR_VIA, NULL)->value;
            assert_int_equal(mv.len, strlen(want));
            assert_memory_equal(mv.p, want, mv.len);
            same_cases++;
            plain += strpbrk(params, " \t\"") == NULL;
        }
        sr_msg_free(m);
        sr_buf_cleanup(&b);
        sr_msg_free(req);
    }
    print_message("stamped Vias: %zu compared, %zu of them without LWS or quotes\n", same_cases,
                  plain);
    assert_true(same_cases > 500 && plain > 300 && same_cases - plain > 50);
}

static void test_siphash_lengths_alignments(void **state)
{
    (void)state;
    uint8_t key[16], buf[96];
    for (unsigned i = 0; i < 16; i++)
        key[i] = (uint8_t)(0xa0 + 7 * i);
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 37 + 11);
    /* the paper's vector through the reference too, so the reference is itself checked */
    uint8_t k16[16], m15[15];
    paper_input(k16, m15);
    assert_true(ref_siphash24(k16, m15, 15) == 0xa129ca6149be45e5ULL);
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len + off <= 88; len++)
            assert_true(sr_siphash24(key, buf + off, len) == ref_siphash24(key, buf + off, len));
}

static void test_build_basic_copy(void **state)
{
    (void)state;
    sr_msg *req = tu_parse(invite_txt, tu_allocator());
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = tu_allocator();
    sr_build_header h[] = {{SR_STR("Contact"), SR_STR("<sip:bob@192.0.2.4>")}};
    o.headers = h;
    o.n_headers = 1;
    sr_msg *resp = NULL;
    sr_build_error be;
    assert_int_equal(sr_build_response(&resp, req, 200, &o, &be), 0);
    assert_int_equal(sr_msg_status(resp), 200);
    assert_sr_str_eq(sr_msg_reason(resp), "OK");
    /* Vias: both, in order */
    assert_int_equal(sr_msg_via_count(resp), 2);
    assert_sr_str_eq(sr_msg_via(resp, 0)->host, "pc33.example.net");
    assert_sr_str_eq(sr_msg_via(resp, 1)->received, "192.0.2.9");
    assert_sr_str_eq(sr_msg_call_id(resp), "a84b4c76e66710@pc33.example.net");
    assert_sr_str_eq(sr_msg_from(resp)->tag, "1928301774");
    assert_int_equal(sr_msg_cseq(resp)->num, 314159);
    assert_int_equal(sr_msg_cseq(resp)->method_id, SR_METHOD_INVITE);
    /* To tag derived: same request, same tag */
    char tag[SR_BUILD_TAG_LEN + 1];
    assert_int_equal(sr_build_to_tag(req, NULL, tag), 0);
    assert_sr_str_eq(sr_msg_to(resp)->tag, tag);
    /* Record-Route both, in order; Contact; no Timestamp on a 200 */
    assert_int_equal(sr_msg_header_count_id(resp, SR_HDR_RECORD_ROUTE), 2);
    assert_sr_str_eq(sr_msg_header_find(resp, SR_HDR_RECORD_ROUTE, NULL)->value,
                     "<sip:p1.example.org;lr>");
    assert_int_equal(sr_msg_header_count_id(resp, SR_HDR_CONTACT), 1);
    assert_int_equal(sr_msg_header_count_id(resp, SR_HDR_TIMESTAMP), 0);
    assert_int_equal(sr_msg_header_count_id(resp, SR_HDR_ROUTE), 0);
    /* printed form has Content-Length: 0 and reparses */
    char *txt = print_msg(resp);
    assert_non_null(strstr(txt, "\r\nContent-Length: 0\r\n"));
    sr_msg *again = tu_parse(txt, tu_allocator());
    assert_sr_str_eq(sr_msg_to(again)->tag, tag);
    sr_msg_free(again);
    free(txt);
    sr_msg_free(resp);
    sr_msg_free(req);
}

static void test_build_100_and_tags(void **state)
{
    (void)state;
    sr_msg *req = tu_parse(invite_txt, tu_allocator());
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = tu_allocator();
    sr_msg *r100 = NULL, *r180a = NULL, *r180b = NULL, *rk = NULL, *rs = NULL;
    assert_int_equal(sr_build_response(&r100, req, 100, &o, NULL), 0);
    assert_null(sr_msg_to(r100)->tag.p); /* §8.2.6.2: 100 may omit the tag; we do */
    assert_sr_str_eq(sr_msg_header_find(r100, SR_HDR_TIMESTAMP, NULL)->value, "54.5");
    assert_int_equal(sr_msg_header_count_id(r100, SR_HDR_RECORD_ROUTE), 0);
    /* 180 needs a Contact (dialog-creating): refused without one */
    sr_build_error be;
    assert_int_equal(sr_build_response(&r180a, req, 180, &o, &be), SR_EMISSING);
    assert_string_equal(be.header, "Contact");
    assert_null(r180a);
    sr_build_header h[] = {{SR_STR("Contact"), SR_STR("<sip:bob@192.0.2.4>")}};
    o.headers = h;
    o.n_headers = 1;
    assert_int_equal(sr_build_response(&r180a, req, 180, &o, NULL), 0);
    assert_int_equal(sr_build_response(&r180b, req, 180, &o, NULL), 0);
    assert_true(sr_str_eq(sr_msg_to(r180a)->tag, sr_msg_to(r180b)->tag));
    assert_int_equal(sr_msg_to(r180a)->tag.len, SR_BUILD_TAG_LEN);
    /* another key gives another tag */
    uint8_t key[SR_BUILD_KEY_LEN] = {1, 2, 3};
    o.tag_key = key;
    assert_int_equal(sr_build_response(&rk, req, 180, &o, NULL), 0);
    assert_false(sr_str_eq(sr_msg_to(r180a)->tag, sr_msg_to(rk)->tag));
    /* a supplied tag wins */
    o.to_tag = SR_STR("given42");
    assert_int_equal(sr_build_response(&rs, req, 180, &o, NULL), 0);
    assert_sr_str_eq(sr_msg_to(rs)->tag, "given42");
    sr_msg_free(r100);
    sr_msg_free(r180a);
    sr_msg_free(r180b);
    sr_msg_free(rk);
    sr_msg_free(rs);
    sr_msg_free(req);
}

static void test_build_tag_kept_and_ack_matches(void **state)
{
    (void)state;
    /* A request that already has a To tag keeps it (§8.2.6.2 "unless present"). */
    static const char bye[] = "BYE sip:bob@192.0.2.4 SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bKnashds7\r\n"
                              "Max-Forwards: 70\r\n"
                              "To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"
                              "From: Alice <sip:alice@example.net>;tag=1928301774\r\n"
                              "Call-ID: a84b4c76e66710\r\n"
                              "CSeq: 231 BYE\r\n"
                              "Content-Length: 0\r\n\r\n";
    sr_msg *req = tu_parse(bye, tu_allocator());
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = tu_allocator();
    sr_msg *r = NULL;
    assert_int_equal(sr_build_response(&r, req, 200, &o, NULL), 0);
    assert_sr_str_eq(sr_msg_to(r)->tag, "a6c85cf");
    assert_int_equal(sr_msg_header_count_id(r, SR_HDR_TO), 1);
    sr_msg_free(r);
    sr_msg_free(req);

    /* The ACK for our non-2xx derives the same tag as the INVITE (CSeq method left out). */
    sr_msg *inv = tu_parse(invite_txt, tu_allocator());
    sr_msg *r486 = NULL, *ack = NULL;
    assert_int_equal(sr_build_response(&r486, inv, 486, &o, NULL), 0);
    assert_int_equal(sr_build_ack(&ack, inv, r486, tu_allocator()), 0);
    char *txt = print_msg(ack);
    sr_msg *ack2 = tu_parse(txt, tu_allocator());
    char t1[SR_BUILD_TAG_LEN + 1], t2[SR_BUILD_TAG_LEN + 1];
    assert_int_equal(sr_build_to_tag(inv, NULL, t1), 0);
    assert_int_equal(sr_build_to_tag(ack2, NULL, t2), 0);
    assert_string_equal(t1, t2);
    assert_sr_str_eq(sr_msg_to(ack2)->tag, t1);
    /* so a stateless element recognises the ACK as its own, under its key only */
    assert_true(sr_build_ack_is_ours(ack2, NULL));
    uint8_t other[SR_BUILD_KEY_LEN] = {9};
    assert_false(sr_build_ack_is_ours(ack2, other));
    assert_false(sr_build_ack_is_ours(inv, NULL)); /* not an ACK */
    assert_false(sr_build_ack_is_ours(NULL, NULL));
    free(txt);
    sr_msg_free(ack2);
    sr_msg_free(ack);
    sr_msg_free(r486);
    sr_msg_free(inv);
}

static void test_build_required_headers(void **state)
{
    (void)state;
    sr_msg *req = tu_parse(invite_txt, tu_allocator());
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = tu_allocator();
    static const struct {
        unsigned code;
        const char *header;
    } cases[] = {{405, "Allow"},
                 {401, "WWW-Authenticate"},
                 {407, "Proxy-Authenticate"},
                 {420, "Unsupported"},
                 {421, "Require"},
                 {422, "Min-SE"},
                 {423, "Min-Expires"},
                 {494, "Security-Server"},
                 {469, "Recv-Info"},
                 {470, "Permission-Missing"},
                 {415, "Accept"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sr_msg *r = NULL;
        sr_build_error be;
        memset(&be, 0, sizeof be);
        assert_int_equal(sr_build_response(&r, req, cases[i].code, &o, &be), SR_EMISSING);
        assert_null(r);
        assert_non_null(be.header);
        assert_string_equal(be.header, cases[i].header);
        assert_non_null(be.what);
    }
    /* with the caller's header it builds */
    sr_build_header h[] = {{SR_STR("Allow"), SR_STR("INVITE, BYE")}};
    o.headers = h;
    o.n_headers = 1;
    sr_msg *r = NULL;
    sr_build_error be0;
    assert_int_equal(sr_build_response(&r, req, 405, &o, &be0), SR_EINVAL);
    assert_string_equal(be0.header, "Allow");
    h[0].value = SR_STR("OPTIONS, BYE");
    assert_int_equal(sr_build_response(&r, req, 405, &o, NULL), 0);
    assert_sr_str_eq(sr_msg_header_find(r, SR_HDR_ALLOW, NULL)->value, "OPTIONS, BYE");
    sr_msg_free(r);
    r = NULL;
    /* with defaults: Allow from the policy, 420 lists the unsupported Require tags */
    o.headers = NULL;
    o.n_headers = 0;
    o.flags = SR_BUILD_DEFAULTS;
    sr_build_policy p;
    sr_build_policy_init(&p);
    static const char *const sup[] = {"100rel", NULL};
    p.supported = sup;
    o.policy = &p;
    assert_int_equal(sr_build_response(&r, req, 405, &o, NULL), 0);
    /* §21.4.6: never the refused method itself */
    assert_sr_str_eq(sr_msg_header_find(r, SR_HDR_ALLOW, NULL)->value, "ACK, CANCEL, BYE, OPTIONS");
    sr_msg_free(r);
    r = NULL;
    assert_int_equal(sr_build_response(&r, req, 420, &o, NULL), 0);
    assert_sr_str_eq(sr_msg_header_find(r, SR_HDR_UNSUPPORTED, NULL)->value, "foo");
    sr_msg_free(r);
    r = NULL;
    assert_int_equal(sr_build_response(&r, req, 401, &o, NULL), 0);
    const sr_header *wa = sr_msg_header_find(r, SR_HDR_WWW_AUTHENTICATE, NULL);
    assert_non_null(wa);
    assert_non_null(strstr(wa->value.p, "realm=\"sipreply\""));
    assert_int_equal(sr_msg_header_count_id(r, SR_HDR_WWW_AUTHENTICATE), 2);
    sr_msg_free(r);
    r = NULL;
    assert_int_equal(sr_build_response(&r, req, 423, &o, NULL), 0);
    assert_sr_str_eq(sr_msg_header_find(r, SR_HDR_MIN_EXPIRES, NULL)->value, "60");
    sr_msg_free(r);
    r = NULL;
    /* a policy without a value still refuses, naming the header */
    sr_build_error be;
    assert_int_equal(sr_build_response(&r, req, 494, &o, &be), SR_EMISSING);
    assert_string_equal(be.header, "Security-Server");
    /* 503 gets Retry-After when the policy has one */
    p.retry_after = 120;
    assert_int_equal(sr_build_response(&r, req, 503, &o, NULL), 0);
    assert_sr_str_eq(sr_msg_header_find(r, SR_HDR_RETRY_AFTER, NULL)->value, "120");
    sr_msg_free(r);
    sr_msg_free(req);
}

static ptrdiff_t fixed_nonce(char *out, size_t cap, void *user)
{
    const char *n = user;
    size_t len = strlen(n);
    if (len > cap)
        return SR_ENOSPC;
    memcpy(out, n, len);
    return (ptrdiff_t)len;
}

static void test_build_refusals_and_options(void **state)
{
    (void)state;
    sr_msg *req = tu_parse(invite_txt, tu_allocator());
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = tu_allocator();
    sr_msg *r = NULL;
    sr_build_error be;
    assert_int_equal(sr_build_response(&r, req, 99, &o, &be), SR_EINVAL);
    assert_int_equal(sr_build_response(&r, req, 700, &o, &be), SR_EINVAL);
    assert_int_equal(sr_build_response(&r, req, 499, &o, &be), SR_EUNSUPPORTED);
    assert_int_equal(sr_build_response(&r, req, 477, &o, &be), SR_EUNSUPPORTED); /* vendor */
    o.flags = SR_BUILD_UNREGISTERED;
    assert_int_equal(sr_build_response(&r, req, 499, &o, &be), 0);
    assert_sr_str_eq(sr_msg_reason(r), "Bad Request"); /* acts as 400 */
    sr_msg_free(r);
    r = NULL;
    assert_int_equal(sr_build_response(&r, req, 477, &o, &be), SR_EUNSUPPORTED);
    assert_int_equal(sr_build_response(&r, req, 409, &o, &be), SR_EUNSUPPORTED); /* legacy */
    /* SR_BUILD_LEGACY: a legacy code with its own phrase (a tester asked for it) */
    o.flags = SR_BUILD_UNREGISTERED | SR_BUILD_LEGACY;
    assert_int_equal(sr_build_response(&r, req, 409, &o, &be), 0);
    assert_int_equal(sr_msg_status(r), 409);
    assert_sr_str_eq(sr_msg_reason(r), "Conflict");
    sr_msg_free(r);
    r = NULL;
    o.flags = SR_BUILD_LEGACY; /* not alone */
    assert_int_equal(sr_build_response(&r, req, 409, &o, &be), SR_EUNSUPPORTED);
    o.flags = 0;
    /* body without type */
    o.body = SR_STR("v=0\r\n");
    assert_int_equal(sr_build_response(&r, req, 488, &o, &be), SR_EINVAL);
    assert_string_equal(be.header, "Content-Type");
    o.body_type = SR_STR("application/sdp");
    assert_int_equal(sr_build_response(&r, req, 488, &o, &be), 0);
    assert_sr_str_eq(sr_msg_header_find(r, SR_HDR_CONTENT_TYPE, NULL)->value, "application/sdp");
    assert_sr_str_eq(sr_msg_body(r), "v=0\r\n");
    char *txt = print_msg(r);
    assert_non_null(strstr(txt, "Content-Length: 5\r\n"));
    free(txt);
    sr_msg_free(r);
    r = NULL;
    o.body = SR_STR_NULL;
    o.body_type = SR_STR_NULL;
    /* reason text on request */
    o.reason = SR_STR("Missing Call-ID header field");
    assert_int_equal(sr_build_response(&r, req, 400, &o, &be), 0);
    assert_sr_str_eq(sr_msg_reason(r), "Missing Call-ID header field");
    sr_msg_free(r);
    r = NULL;
    o.reason = SR_STR("bad\r\nInjected: yes");
    assert_int_equal(sr_build_response(&r, req, 400, &o, &be), SR_EINVAL);
    o.reason = SR_STR_NULL;
    /* header injection through a value */
    sr_build_header bad[] = {{SR_STR("X-A"), SR_STR("1\r\nInjected: yes")}};
    o.headers = bad;
    o.n_headers = 1;
    assert_int_equal(sr_build_response(&r, req, 486, &o, &be), SR_EINVAL);
    assert_null(r);
    o.headers = NULL;
    o.n_headers = 0;
    /* nonce callback */
    sr_build_policy p;
    sr_build_policy_init(&p);
    p.nonce = fixed_nonce;
    p.nonce_user = "abc123";
    o.policy = &p;
    o.flags = SR_BUILD_DEFAULTS;
    assert_int_equal(sr_build_response(&r, req, 407, &o, &be), 0);
    assert_non_null(strstr(sr_msg_header_find(r, SR_HDR_PROXY_AUTHENTICATE, NULL)->value.p,
                           "nonce=\"abc123\""));
    sr_msg_free(r);
    r = NULL;
    p.nonce_user = "ab\"c";
    assert_int_equal(sr_build_response(&r, req, 407, &o, &be), SR_EINVAL);
    assert_null(r);
    sr_msg_free(req);

    /* ACK and CANCEL are never answered with a 487 / at all */
    static const char cancel[] = "CANCEL sip:bob@example.com SIP/2.0\r\n"
                                 "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bK776asdhds\r\n"
                                 "Max-Forwards: 70\r\n"
                                 "To: Bob <sip:bob@example.com>\r\n"
                                 "From: Alice <sip:alice@example.net>;tag=1928301774\r\n"
                                 "Call-ID: a84b4c76e66710@pc33.example.net\r\n"
                                 "CSeq: 314159 CANCEL\r\n"
                                 "Content-Length: 0\r\n\r\n";
    sr_msg *c = tu_parse(cancel, tu_allocator());
    assert_int_equal(sr_build_response(&r, c, 487, &o, &be), SR_EUNSUPPORTED);
    assert_int_equal(sr_build_response(&r, c, 180, &o, &be), SR_EUNSUPPORTED); /* RFC 4320 */
    assert_int_equal(sr_build_response(&r, c, 200, &o, &be), 0);
    sr_msg_free(r);
    sr_msg_free(c);
}

static char *replace(const char *base, const char *from, const char *to)
{
    const char *at = strstr(base, from);
    assert_non_null(at);
    size_t n = strlen(base) - strlen(from) + strlen(to);
    char *s = malloc(n + 1);
    assert_non_null(s);
    memcpy(s, base, (size_t)(at - base));
    strcpy(s + (at - base), to);
    strcat(s, at + strlen(from));
    return s;
}

/* Malformed requests: the response carries the CSeq, so the checks look at it too, and
 * single-value headers are copied once. */
static void test_build_malformed_requests(void **state)
{
    (void)state;
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = tu_allocator();
    sr_msg *r = NULL;
    sr_build_error be;
    /* start line INVITE, CSeq ACK: never answered */
    char *t = replace(invite_txt, "CSeq: 314159 INVITE", "CSeq: 314159 ACK");
    sr_msg *req = tu_parse(t, tu_allocator());
    assert_int_equal(sr_build_response(&r, req, 400, &o, &be), SR_EUNSUPPORTED);
    sr_msg_free(req);
    free(t);
    /* start line INVITE, CSeq OPTIONS: no 180 (RFC 4320), but a 400 */
    t = replace(invite_txt, "CSeq: 314159 INVITE", "CSeq: 314159 OPTIONS");
    req = tu_parse(t, tu_allocator());
    assert_int_equal(sr_build_response(&r, req, 180, &o, &be), SR_EUNSUPPORTED);
    assert_int_equal(sr_build_response(&r, req, 400, &o, &be), 0);
    sr_msg_free(r);
    r = NULL;
    sr_msg_free(req);
    free(t);
    /* unknown method with CSeq INVITE (mismatch02): a 2xx would create a dialog */
    t = replace(invite_txt, "INVITE sip:", "NEWMETHOD sip:");
    req = tu_parse(t, tu_allocator());
    assert_int_equal(sr_build_response(&r, req, 200, &o, &be), SR_EMISSING);
    assert_string_equal(be.header, "Contact");
    assert_int_equal(sr_build_response(&r, req, 501, &o, &be), 0);
    sr_msg_free(r);
    r = NULL;
    sr_msg_free(req);
    free(t);
    /* duplicated From and Call-ID: the 400 carries one of each */
    t = replace(invite_txt, "Max-Forwards: 70\r\n",
                "Max-Forwards: 70\r\nFrom: <sip:x@y>;tag=2\r\nCall-ID: other\r\n");
    req = tu_parse(t, tu_allocator());
    assert_int_equal(sr_build_response(&r, req, 400, &o, &be), 0);
    assert_int_equal(sr_msg_header_count_id(r, SR_HDR_FROM), 1);
    assert_int_equal(sr_msg_header_count_id(r, SR_HDR_CALL_ID), 1);
    assert_sr_str_eq(sr_msg_from(r)->tag, "2" /* the first in wire order */);
    sr_msg_free(r);
    r = NULL;
    sr_msg_free(req);
    free(t);
    /* an empty To tag: the parser does not accept the To, so only a 400 is built */
    t = replace(invite_txt, "To: Bob <sip:bob@example.com>", "To: Bob <sip:bob@example.com>;tag=");
    req = tu_parse(t, tu_allocator());
    assert_int_equal(sr_build_response(&r, req, 486, &o, &be),
                     sr_msg_to(req) ? SR_EINVAL : SR_EMISSING);
    assert_string_equal(be.header, "To");
    assert_null(r);
    sr_msg_free(req);
    free(t);
}

static void test_build_ack_cancel(void **state)
{
    (void)state;
    sr_msg *inv = tu_parse(invite_txt, tu_allocator());
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = tu_allocator();
    sr_msg *r486 = NULL, *ack = NULL, *cancel = NULL, *r200 = NULL;
    assert_int_equal(sr_build_response(&r486, inv, 486, &o, NULL), 0);
    assert_int_equal(sr_build_ack(&ack, inv, r486, tu_allocator()), 0);
    char *txt = print_msg(ack);
    sr_msg *a = tu_parse(txt, tu_allocator());
    assert_int_equal(sr_msg_method(a), SR_METHOD_ACK);
    assert_sr_str_eq(sr_msg_request_uri(a), "sip:bob@example.com");
    assert_int_equal(sr_msg_via_count(a), 1);
    assert_sr_str_eq(sr_msg_via(a, 0)->branch, "z9hG4bK776asdhds");
    assert_int_equal(sr_msg_cseq(a)->num, 314159);
    assert_int_equal(sr_msg_cseq(a)->method_id, SR_METHOD_ACK);
    assert_true(sr_str_eq(sr_msg_to(a)->tag, sr_msg_to(r486)->tag));
    assert_int_equal(sr_msg_header_count_id(a, SR_HDR_ROUTE), 1);
    assert_int_equal(sr_msg_max_forwards(a), 70);
    assert_int_equal(sr_msg_validate(a, NULL), 0);
    sr_msg_free(a);
    free(txt);
    /* no ACK for a 2xx (§13.2.2.4: the UAC core sends it) nor for a 1xx */
    sr_build_header h[] = {{SR_STR("Contact"), SR_STR("<sip:bob@192.0.2.4>")}};
    o.headers = h;
    o.n_headers = 1;
    assert_int_equal(sr_build_response(&r200, inv, 200, &o, NULL), 0);
    sr_msg *x = NULL;
    assert_int_equal(sr_build_ack(&x, inv, r200, tu_allocator()), SR_EINVAL);
    assert_int_equal(sr_build_ack(&x, r200, r486, tu_allocator()), SR_EINVAL);
    assert_null(x);

    assert_int_equal(sr_build_cancel(&cancel, inv, tu_allocator()), 0);
    txt = print_msg(cancel);
    sr_msg *c = tu_parse(txt, tu_allocator());
    assert_int_equal(sr_msg_method(c), SR_METHOD_CANCEL);
    assert_int_equal(sr_msg_cseq(c)->num, 314159);
    assert_int_equal(sr_msg_cseq(c)->method_id, SR_METHOD_CANCEL);
    assert_null(sr_msg_to(c)->tag.p);
    assert_int_equal(sr_msg_via_count(c), 1);
    assert_int_equal(sr_msg_validate(c, NULL), 0);
    assert_int_equal(sr_build_cancel(&x, c, tu_allocator()), SR_EINVAL);
    sr_msg_free(c);
    free(txt);
    sr_msg_free(cancel);
    sr_msg_free(r200);
    sr_msg_free(ack);
    sr_msg_free(r486);
    sr_msg_free(inv);
}

struct sweep_ctx {
    const char *txt;
    unsigned code;
};

static int build_scenario(const sr_allocator *a, void *vctx)
{
    struct sweep_ctx *ctx = vctx;
    sr_msg *req = NULL, *resp = NULL, *ack = NULL, *cancel = NULL;
    sr_parse_opts po;
    sr_parse_opts_init(&po);
    po.alloc = a;
    int rc = sr_msg_parse(&req, ctx->txt, strlen(ctx->txt), &po, NULL);
    if (rc)
        goto out;
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = a;
    o.flags = SR_BUILD_DEFAULTS;
    sr_build_policy p;
    sr_build_policy_init(&p);
    static const char *const contacts[] = {"sip:bob@192.0.2.4", NULL};
    p.contacts = contacts;
    o.policy = &p;
    o.body = SR_STR("hello");
    o.body_type = SR_STR("text/plain");
    if ((rc = sr_build_response(&resp, req, ctx->code, &o, NULL)) != 0)
        goto out;
    if ((rc = sr_build_cancel(&cancel, req, a)) != 0)
        goto out;
    if (ctx->code >= 300 && (rc = sr_build_ack(&ack, req, resp, a)) != 0)
        goto out;
    sr_buf b;
    sr_buf_init(&b, a);
    rc = sr_msg_print(resp, &b);
    sr_buf_cleanup(&b);
out:
    sr_msg_free(ack);
    sr_msg_free(cancel);
    sr_msg_free(resp);
    sr_msg_free(req);
    return rc;
}

static void test_build_failure_sweep(void **state)
{
    (void)state;
    static const unsigned codes[] = {200, 401, 420, 486};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        struct sweep_ctx ctx = {invite_txt, codes[i]};
        assert_true(tu_failure_sweep(build_scenario, &ctx) > 0);
    }
}

/* Property: every registered code × common methods, built with defaults, parses back and is
 * lint-clean (no MUST finding, alone and against its request) — or is refused for a reason
 * the RFC gives. */
static void test_build_property_all_codes(void **state)
{
    (void)state;
    static const char *const methods[] = {"INVITE", "OPTIONS", "REGISTER", "BYE"};
    sr_build_policy p;
    sr_build_policy_init(&p);
    static const char *const contacts[] = {"sip:bob@192.0.2.4", NULL};
    static const char *const req_tags[] = {"timer", NULL};
    p.contacts = contacts;
    p.require = req_tags;
    p.security_server = "ipsec-3gpp; q=0.1; alg=hmac-sha-1-96; spi-c=1; spi-s=2; port-c=5062; "
                        "port-s=5064";
    size_t built = 0, refused = 0;
    for (size_t mi = 0; mi < 4; mi++) {
        char *txt = make_request(methods[mi]);
        sr_msg *req = tu_parse(txt, tu_allocator());
        for (size_t i = 0; i < sr_status_count(); i++) {
            unsigned code = (unsigned)sr_status_at(i)->code;
            sr_build_opts o;
            sr_build_opts_init(&o);
            o.alloc = tu_allocator();
            o.flags = SR_BUILD_DEFAULTS;
            o.policy = &p;
            sr_msg *resp = NULL;
            sr_build_error be;
            int rc = sr_build_response(&resp, req, code, &o, &be);
            if (rc == SR_EUNSUPPORTED) {
                /* only a non-100 provisional to a non-INVITE (RFC 4320) */
                assert_true(code > 100 && code < 200 && mi != 0);
                refused++;
                continue;
            }
            if (rc != 0)
                fail_msg("%s %u: %s (%s)", methods[mi], code, be.what ? be.what : "?",
                         be.header ? be.header : "-");
            char *out = print_msg(resp);
            sr_msg *back = tu_parse(out, tu_allocator());
            assert_int_equal(sr_msg_status(back), code);
            assert_int_equal(sr_msg_validate(back, NULL), 0);
            sr_lint_finding f[64];
            size_t n = sr_lint_pair(back, req, NULL, f, 64);
            for (size_t k = 0; k < n && k < 64; k++) {
                if (f[k].rule->severity == SR_LINT_MUST)
                    fail_msg("%s %u breaks %s: %s", methods[mi], code, f[k].rule->id,
                             f[k].rule->message);
            }
            built++;
            sr_msg_free(back);
            free(out);
            sr_msg_free(resp);
        }
        sr_msg_free(req);
        free(txt);
    }
    assert_int_equal(built + refused, 4 * sr_status_count());
    assert_int_equal(refused, 3 * 5); /* 180 181 182 183 199 to OPTIONS/REGISTER/BYE */
}

/* RFC 3261 §18.2.1 and RFC 3581 §4: with the source address known, the top Via of the response
 * gets received= (sent-by differs, or rport asked for) and a valueless rport its port; the
 * other Vias, also those after a comma in the same header field, are copied as they are. */
static sr_msg *build_from(const char *txt, const char *src, uint16_t port, sr_msg **reqp)
{
    *reqp = tu_parse(txt, tu_allocator());
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = tu_allocator();
    o.source_host = sr_str_from_cstr(src);
    o.source_port = port;
    sr_msg *resp = NULL;
    assert_int_equal(sr_build_response(&resp, *reqp, 486, &o, NULL), 0);
    return resp;
}

static void test_build_via_received_rport(void **state)
{
    (void)state;
    static const char a[] =
        "OPTIONS sip:bob@example.com SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKa1;rport;received=1.1.1.1;x=y , "
        "SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1\r\n"
        "Via: SIP/2.0/TCP p2.example.com;branch=z9hG4bKp2\r\n"
        "Max-Forwards: 70\r\nTo: <sip:bob@example.com>\r\n"
        "From: <sip:a@example.net>;tag=1\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n";
    sr_msg *req = NULL;
    sr_msg *resp = build_from(a, "192.0.2.7", 40001, &req);
    char *txt = print_msg(resp);
    assert_non_null(strstr(txt, "Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKa1;rport=40001;x=y;"
                                "received=192.0.2.7\r\n"
                                "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1\r\n"
                                "Via: SIP/2.0/TCP p2.example.com;branch=z9hG4bKp2\r\n"));
    sr_msg *back = tu_parse(txt, tu_allocator());
    assert_int_equal(sr_msg_via_count(back), 3);
    assert_int_equal(sr_msg_via(back, 0)->rport, SR_RPORT_VALUE);
    assert_int_equal(sr_msg_via(back, 0)->rport_value, 40001);
    assert_sr_str_eq(sr_msg_via(back, 0)->received, "192.0.2.7");
    assert_sr_str_eq(sr_msg_via(back, 0)->branch, "z9hG4bKa1");
    sr_msg_free(back);
    free(txt);
    sr_msg_free(resp);
    sr_msg_free(req);

    /* sent-by is the source and no rport: the Via is left as it is */
    static const char b[] = "OPTIONS sip:bob@example.com SIP/2.0\r\n"
                            "Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKb1\r\n"
                            "Max-Forwards: 70\r\nTo: <sip:bob@example.com>\r\n"
                            "From: <sip:a@example.net>;tag=1\r\nCall-ID: c2\r\nCSeq: 1 OPTIONS\r\n"
                            "Content-Length: 0\r\n\r\n";
    resp = build_from(b, "192.0.2.7", 5060, &req);
    txt = print_msg(resp);
    assert_non_null(strstr(txt, "Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKb1\r\n"));
    free(txt);
    sr_msg_free(resp);
    sr_msg_free(req);

    /* folded whitespace inside the sent-by (RFC 4475 wsinv) is unfolded */
    static const char d[] =
        "OPTIONS sip:bob@example.com SIP/2.0\r\n"
        "Via  : SIP  /   2.0\r\n  /UDP\r\n    192.0.2.2;rport;branch=z9hG4bKd1\r\n"
        "Max-Forwards: 70\r\nTo: <sip:bob@example.com>\r\n"
        "From: <sip:a@example.net>;tag=1\r\nCall-ID: c4\r\nCSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n";
    resp = build_from(d, "192.0.2.2", 5062, &req);
    txt = print_msg(resp);
    back = tu_parse(txt, tu_allocator());
    assert_int_equal(sr_msg_via(back, 0)->rport_value, 5062);
    assert_sr_str_eq(sr_msg_via(back, 0)->received, "192.0.2.2");
    assert_sr_str_eq(sr_msg_via(back, 0)->host, "192.0.2.2");
    sr_msg_free(back);
    free(txt);
    sr_msg_free(resp);
    sr_msg_free(req);

    /* a name as sent-by, an IPv6 source (received without brackets, RFC 3261 §25.1) */
    static const char c[] = "OPTIONS sip:bob@example.com SIP/2.0\r\n"
                            "Via: SIP/2.0/UDP pc.example.net;branch=z9hG4bKc1\r\n"
                            "Max-Forwards: 70\r\nTo: <sip:bob@example.com>\r\n"
                            "From: <sip:a@example.net>;tag=1\r\nCall-ID: c3\r\nCSeq: 1 OPTIONS\r\n"
                            "Content-Length: 0\r\n\r\n";
    resp = build_from(c, "[2001:db8::9]", 5060, &req);
    txt = print_msg(resp);
    assert_non_null(
        strstr(txt, "Via: SIP/2.0/UDP pc.example.net;branch=z9hG4bKc1;received=2001:db8::9\r\n"));
    back = tu_parse(txt, tu_allocator());
    assert_sr_str_eq(sr_msg_via(back, 0)->received, "2001:db8::9");
    sr_msg_free(back);
    free(txt);
    sr_msg_free(resp);
    sr_msg_free(req);
}

/* sr__u32_to_dec (build_tag.c): the decimal digits printf gives, every length and its edges. */
static void test_u32_to_dec(void **state)
{
    (void)state;
    uint32_t v[80];
    size_t n = 0;
    uint32_t p = 1;
    for (int k = 0; k < 10; k++, p *= 10) { /* 10^k - 1, 10^k, 10^k + 1, 5 * 10^k */
        v[n++] = p - 1;
        v[n++] = p;
        v[n++] = p + 1;
        v[n++] = p * 5 + 7;
    }
    v[n++] = 4294967295u;
    v[n++] = 4294967294u;
    v[n++] = 99;
    v[n++] = 65535;
    for (size_t i = 0; i < n; i++) {
        char got[16], want[16];
        memset(got, 'x', sizeof got);
        size_t len = sr__u32_to_dec(v[i], got);
        snprintf(want, sizeof want, "%u", (unsigned)v[i]);
        assert_int_equal(len, strlen(want));
        assert_string_equal(got, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_siphash_reference),        TU_TEST(test_siphash_lengths_alignments),
        TU_TEST(test_to_tag_reference),         TU_TEST(test_status_tables_disjoint),
        TU_TEST(test_stamp_via_params),         TU_TEST(test_build_basic_copy),
        TU_TEST(test_build_100_and_tags),       TU_TEST(test_build_tag_kept_and_ack_matches),
        TU_TEST(test_build_required_headers),   TU_TEST(test_build_refusals_and_options),
        TU_TEST(test_build_malformed_requests), TU_TEST(test_build_ack_cancel),
        TU_TEST(test_build_failure_sweep),      TU_TEST(test_build_property_all_codes),
        TU_TEST(test_build_via_received_rport), TU_TEST(test_u32_to_dec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
