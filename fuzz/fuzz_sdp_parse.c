/* sipreply fuzzing: sr_sdp_parse and sr_sdp_print (sdp.h). Invariants (RFC 4566 §5): clean
 * errors; what parses prints to text that parses to the same print (a fixed point); the
 * structure keeps its promises (formats on every m= line, payload types, directions, a c=
 * for every live stream); a description answers itself as well as it can. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipreply/sdp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                           \
    do {                                                                                   \
        if (!(x)) {                                                                        \
            fprintf(stderr, "fuzz_sdp_parse: check failed: %s (line %d)\n", #x, __LINE__); \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

static void check_structure(const sr_sdp *sd)
{
    CHECK((unsigned)sd->dir <= 3);
    for (size_t i = 0; i < sd->n_media; i++) {
        const sr_sdp_media *m = &sd->media[i];
        CHECK(m->n_fmts >= 1);
        CHECK((unsigned)m->dir <= 3);
        CHECK(m->dir_set || m->dir == sd->dir);
        CHECK(!m->port || m->n_conns || sd->has_conn);
        for (size_t k = 0; k < m->n_fmts; k++) {
            const sr_sdp_fmt *f = &m->fmts[k];
            CHECK(f->pt >= -1 && f->pt <= 127);
            CHECK(f->id.len > 0);
            CHECK(!f->has_rtpmap || f->encoding.len > 0);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sr_sdp *sd = NULL;
    sr_parse_error pe;
    memset(&pe, 0, sizeof(pe));
    int rc = sr_sdp_parse(&sd, (const char *)data, size, NULL, &pe);
    if (rc != 0) {
        CHECK(sd == NULL);
        CHECK(rc == SR_EBADMSG || rc == SR_ETOOBIG);
        CHECK(pe.code == rc && pe.phrase != NULL);
        CHECK(rc == SR_ETOOBIG || pe.offset <= size);
        return 0;
    }
    check_structure(sd);
    sr_buf b1, b2;
    sr_buf_init(&b1, NULL);
    sr_buf_init(&b2, NULL);
    CHECK(sr_sdp_print(sd, &b1) == 0);
    sr_sdp *again = NULL;
    if (b1.len <= SR_SDP_MAX_LEN) {
        /* the print of what parsed parses, and prints the same */
        CHECK(sr_sdp_parse(&again, b1.p, b1.len, NULL, NULL) == 0);
        check_structure(again);
        CHECK(again->n_media == sd->n_media);
        CHECK(sr_sdp_print(again, &b2) == 0);
        CHECK(b1.len == b2.len && memcmp(b1.p, b2.p, b1.len) == 0);
        for (size_t i = 0; i < sd->n_media; i++) {
            CHECK(sd->media[i].n_fmts == again->media[i].n_fmts);
            CHECK(sd->media[i].dir == again->media[i].dir);
            CHECK(sd->media[i].port == again->media[i].port);
        }
    }
    /* a description checked as the answer to itself: never a crash, a known outcome */
    sr_sdp_result r;
    rc = sr_sdp_check_answer(sd, sd, &r);
    CHECK(rc == 0 || rc == SR_EBADMSG || rc == SR_ENOCODEC);
    CHECK(rc == 0 || r.phrase != NULL);
    sr_sdp_free(again);
    sr_sdp_free(sd);
    sr_buf_cleanup(&b1);
    sr_buf_cleanup(&b2);
    return 0;
}
