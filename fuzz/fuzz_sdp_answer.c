/* sipreply fuzzing: sr_sdp_answer, sr_sdp_offer and sr_sdp_check_answer (sdp.h). The first
 * byte picks what we are (direction, streams, ptime, codecs, IPv4/IPv6); the rest is an
 * offer to answer and, the same bytes, an answer to our own offer. Invariants (RFC 3264 §6,
 * §8): an offer that parses is answered (0) or refused with SR_ENOCODEC and a 488 warn-code
 * (302, 304, 305) and nothing written; an answer parses, has the offer's m= lines and passes
 * the check against the offer; the same answer twice keeps its o= version. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipreply/sdp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                            \
    do {                                                                                    \
        if (!(x)) {                                                                         \
            fprintf(stderr, "fuzz_sdp_answer: check failed: %s (line %d)\n", #x, __LINE__); \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

static const sr_sdp_codec more[] = {
    {"PCMA", 8000, 1, 8, 8, NULL},
    {"opus", 48000, 2, -1, 111, "useinbandfec=1"},
    {"telephone-event", 8000, 1, -1, 100, "0-15,32"},
    {"iLBC", 8000, 1, -1, 97, NULL},
};

static void answer_offer(const sr_sdp *offer, const sr_sdp_local *l)
{
    sr_sdp_session s;
    sr_sdp_session_init(&s, 1, 1);
    sr_buf b;
    sr_buf_init(&b, NULL);
    sr_sdp_result r;
    int rc = sr_sdp_answer(offer, l, &s, &b, &r);
    CHECK(rc == 0 || rc == SR_ENOCODEC);
    if (rc == SR_ENOCODEC) {
        CHECK(b.len == 0);
        CHECK(r.warning == 302 || r.warning == 304 || r.warning == 305);
        CHECK(r.phrase != NULL && r.n_accepted == 0);
        sr_buf_cleanup(&b);
        return;
    }
    CHECK(r.n_accepted <= l->max_streams);
    sr_sdp *ans = NULL;
    sr_parse_error pe;
    if (b.len <= SR_SDP_MAX_LEN) {
        rc = sr_sdp_parse(&ans, b.p, b.len, NULL, &pe);
        if (rc != 0)
            fprintf(stderr, "%s\n%.*s\n", pe.phrase, (int)b.len, b.p);
        CHECK(rc == 0);
        CHECK(ans->n_media == offer->n_media);
        sr_sdp_result c;
        rc = sr_sdp_check_answer(offer, ans, &c);
        if (rc != 0 && !(rc == SR_ENOCODEC && r.n_accepted == 0))
            fprintf(stderr, "%s\n%.*s\n", c.phrase ? c.phrase : "", (int)b.len, b.p);
        CHECK(rc == 0 || (rc == SR_ENOCODEC && r.n_accepted == 0));
        CHECK(c.n_accepted == r.n_accepted || rc != 0);
        for (size_t i = 0; i < offer->n_media && i < SR_SDP_MAX_REPORT; i++) {
            CHECK(r.streams[i].accepted == (ans->media[i].port != 0));
            if (r.streams[i].accepted)
                CHECK(r.streams[i].dir == ans->media[i].dir);
        }
        sr_sdp_free(ans);
    }
    /* RFC 3264 §8: the same description again keeps its version */
    uint64_t v = s.version;
    size_t len1 = b.len;
    CHECK(sr_sdp_answer(offer, l, &s, &b, &r) == 0);
    CHECK(s.version == v && b.len == 2 * len1 && memcmp(b.p, b.p + len1, len1) == 0);
    sr_buf_cleanup(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t cfg = data[0];
    sr_sdp_local l;
    sr_sdp_local_init(&l);
    l.addr = cfg & 0x80 ? "2001:db8::5" : "192.0.2.5";
    l.dir = (sr_sdp_dir)(cfg & 3);
    l.max_streams = 1 + ((cfg >> 2) & 3);
    l.ptime = cfg & 0x10 ? 20 : 0;
    if (cfg & 0x20) {
        l.codecs = more;
        l.n_codecs = sizeof(more) / sizeof(more[0]);
    }
    l.port = cfg & 0x40 ? 65534 : 4000; /* near the top: later streams do not fit */
    const char *txt = (const char *)data + 1;
    size_t n = size - 1;

    sr_sdp *offer = NULL;
    if (sr_sdp_parse(&offer, txt, n, NULL, NULL) == 0) {
        answer_offer(offer, &l);
        sr_sdp_free(offer);
    }

    /* the same bytes as the answer to our offer */
    sr_sdp_session s;
    sr_sdp_session_init(&s, 9, 9);
    sr_buf b;
    sr_buf_init(&b, NULL);
    CHECK(sr_sdp_offer(&l, &s, &b) == 0);
    sr_sdp *ours = NULL, *theirs = NULL;
    CHECK(sr_sdp_parse(&ours, b.p, b.len, NULL, NULL) == 0);
    if (sr_sdp_parse(&theirs, txt, n, NULL, NULL) == 0) {
        sr_sdp_result r;
        int rc = sr_sdp_check_answer(ours, theirs, &r);
        CHECK(rc == 0 || rc == SR_EBADMSG || rc == SR_ENOCODEC);
        CHECK(rc == 0 || r.phrase != NULL);
        if (rc == 0)
            CHECK(r.n_accepted == 1 && r.streams[0].pt >= 0);
        sr_sdp_free(theirs);
    }
    sr_sdp_free(ours);
    sr_buf_cleanup(&b);
    return 0;
}
