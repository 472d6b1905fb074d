/* sipreply fuzzing: the dialog table (dialog.h). The input is a SIP message: its
 * Session-Expires is read (sr_dialog_session_expires), and as an INVITE it makes a dialog
 * through our 180 and 200; the same message is then matched, CSeq-checked and used as a
 * target refresh, a BYE is built within the dialog and parsed back, and the dialog removed.
 * Invariants (RFC 3261 §12): a 200 confirms the 180's dialog; the dialog is found by its
 * Call-ID and tags; what we build parses, names the dialog's Call-ID and tags the other way
 * round, and carries the next CSeq; the table's memory is back to 0 once it is removed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipreply/sipreply.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                        \
    do {                                                                                \
        if (!(x)) {                                                                     \
            fprintf(stderr, "fuzz_dialog: check failed: %s (line %d)\n", #x, __LINE__); \
            abort();                                                                    \
        }                                                                               \
    } while (0)

static sr_msg *respond(const sr_msg *req, unsigned code)
{
    static const char *const contacts[] = {"sip:uas@192.0.2.1", NULL};
    sr_build_policy pol;
    sr_build_policy_init(&pol);
    pol.contacts = contacts;
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.policy = &pol;
    o.flags = SR_BUILD_DEFAULTS;
    o.to_tag = SR_STR("fuzztag");
    sr_msg *r = NULL;
    if (sr_build_response(&r, req, code, &o, NULL) != 0)
        return NULL;
    return r;
}

static bool eq(sr_str a, sr_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sr_msg *m = NULL;
    if (sr_msg_parse(&m, (const char *)data, size, NULL, NULL) != 0)
        return 0;
    uint32_t se = 0;
    char r = 'z';
    int rc = sr_dialog_session_expires(m, &se, &r);
    CHECK(rc == 0 || rc == SR_ENOTFOUND || rc == SR_EBADMSG);
    if (rc == 0)
        CHECK(r == 0 || r == 'c' || r == 's');

    sr_dialog_table *t = NULL;
    sr_dialog_limits lim;
    sr_dialog_limits_init(&lim);
    lim.max_dialogs = 2;
    CHECK(sr_dialog_table_new(&t, &lim, NULL) == 0);
    sr_addr peer;
    sr_addr_set(&peer, "192.0.2.9", 5060, SR_TP_UDP);
    sr_msg *r180 = sr_msg_is_request(m) ? respond(m, 180) : NULL;
    sr_msg *r200 = sr_msg_is_request(m) ? respond(m, 200) : NULL;
    sr_dialog *d = NULL;
    if (r180 && r200 && sr_dialog_create(t, m, r180, &peer, 5, &d) == 0) {
        CHECK(d->state == SR_DIALOG_EARLY);
        sr_dialog *d2 = NULL;
        CHECK(sr_dialog_create(t, m, r200, &peer, 6, &d2) == 0);
        CHECK(d2 == d && d->state == SR_DIALOG_CONFIRMED);
        CHECK(sr_dialog_count(t) == 1);
        CHECK(sr_dialog_find(t, d->call_id, d->local_tag, d->remote_tag) == d);
        CHECK(eq(d->local_tag, sr_msg_to(r200)->tag)); /* ours, or the request's own */
        CHECK(sr_dialog_set_deadline(t, d, 100) == 0);
        /* an INVITE without a To tag is in no dialog; one with a tag, in the one it made */
        sr_dialog *mm = sr_dialog_match(t, m);
        CHECK(mm == NULL || mm == d);
        rc = sr_dialog_check_cseq(d, m);
        CHECK(rc == 0);
        rc = sr_dialog_refresh_target(t, &d, m);
        CHECK(rc == 0 || rc == SR_ETOOBIG || rc == SR_ENOMEM);
        CHECK(sr_dialog_find(t, d->call_id, d->local_tag, d->remote_tag) == d);
        sr_msg *bye = NULL;
        uint32_t before = d->local_cseq;
        if (sr_dialog_request(d, "BYE", "UDP", "192.0.2.1", 5060, "z9hG4bKfuzz", NULL, &bye) == 0) {
            CHECK(d->local_cseq == before + 1 || d->local_cseq == 1);
            sr_buf b;
            sr_buf_init(&b, NULL);
            if (sr_msg_print(bye, &b) == 0) {
                sr_msg *back = NULL;
                /* the remote target and route set come from the peer: what they hold may not
                 * make a request that parses; when it does, it names the dialog */
                if (sr_msg_parse(&back, b.p, b.len, NULL, NULL) == 0) {
                    CHECK(eq(sr_msg_call_id(back), d->call_id));
                    const sr_nameaddr *f = sr_msg_from(back);
                    const sr_cseq *cs = sr_msg_cseq(back);
                    CHECK(f && eq(f->tag, d->local_tag));
                    CHECK(cs && cs->num == d->local_cseq);
                    sr_msg_free(back);
                }
            }
            sr_buf_cleanup(&b);
            sr_msg_free(bye);
        }
        CHECK(sr_dialog_expired(t, 100) == d);
        sr_dialog_remove(t, d);
        CHECK(sr_dialog_count(t) == 0 && sr_dialog_memory(t) == 0);
        CHECK(sr_dialog_next_deadline(t) == UINT64_MAX);
    }
    sr_msg_free(r180);
    sr_msg_free(r200);
    sr_dialog_table_free(t);
    sr_msg_free(m);
    return 0;
}
