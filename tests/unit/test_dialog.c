/* sipreply tests: the dialog table (dialog.h) — creation from an INVITE and our 1xx/2xx
 * (RFC 3261 §12.1.1), matching (§12.2.2), the CSeq order check (500), limits in count and
 * bytes, deadlines in simulated time, target refresh, in-dialog requests (§12.2.1.1),
 * Session-Expires (RFC 4028 §4), and an allocation failure sweep. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "sipreply/dialog.h"

static const char invite_txt[] =
    "INVITE sip:bob@192.0.2.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKabc\r\n"
    "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
    "Record-Route: <sip:p3.example.com;lr>\r\n"
    "From: Alice <sip:alice@example.com>;tag=ftag1\r\n"
    "To: Bob <sip:bob@example.com>\r\n"
    "Call-ID: call-1@example.com\r\n"
    "CSeq: 10 INVITE\r\n"
    "Contact: <sip:alice@192.0.2.9:5060>\r\n"
    "Session-Expires: 1800;refresher=uac\r\n"
    "Max-Forwards: 70\r\n"
    "Content-Length: 0\r\n\r\n";

static sr_msg *parse(const char *txt, const sr_allocator *a)
{
    sr_msg *m = NULL;
    sr_parse_opts po;
    sr_parse_opts_init(&po);
    po.alloc = a;
    if (sr_msg_parse(&m, txt, strlen(txt), &po, NULL) != 0)
        return NULL;
    return m;
}

/* Our response @p code to @p req with To tag @p tag. */
static sr_msg *answer(const sr_msg *req, unsigned code, const char *tag, const sr_allocator *a)
{
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = a;
    o.to_tag = sr_str_from_cstr(tag);
    /* a dialog-creating response carries our Contact (§12.1.1) */
    static const char *const contacts[] = {"sip:bob@192.0.2.1", NULL};
    sr_build_policy pol;
    sr_build_policy_init(&pol);
    pol.contacts = contacts;
    o.policy = &pol;
    o.flags = SR_BUILD_DEFAULTS;
    sr_msg *r = NULL;
    if (sr_build_response(&r, req, code, &o, NULL) != 0)
        return NULL;
    return r;
}

/* A request in the dialog: @p method, CSeq @p num, To tag @p ttag, From tag @p ftag. */
static sr_msg *indialog(const char *method, unsigned num, const char *ttag, const char *ftag,
                        const char *callid)
{
    char b[1024];
    snprintf(b, sizeof(b),
             "%s sip:bob@192.0.2.1 SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKx%u\r\n"
             "From: <sip:alice@example.com>;tag=%s\r\n"
             "To: <sip:bob@example.com>;tag=%s\r\n"
             "Call-ID: %s\r\n"
             "CSeq: %u %s\r\n"
             "Contact: <sip:alice@198.51.100.7:5070>\r\n"
             "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
             method, num, ftag, ttag, callid, num, method);
    return parse(b, tu_allocator());
}

static sr_addr peer(void)
{
    sr_addr a;
    sr_addr_set(&a, "192.0.2.9", 5060, SR_TP_UDP);
    return a;
}

/* A table holding the dialog of invite_txt, confirmed by our 200 with To tag "lt". */
typedef struct fixture {
    sr_dialog_table *t;
    sr_msg *inv, *r200;
    sr_addr p;
    sr_dialog *d;
} fixture;

static void fixture_up(fixture *f)
{
    assert_int_equal(sr_dialog_table_new(&f->t, NULL, tu_allocator()), 0);
    f->inv = parse(invite_txt, tu_allocator());
    f->r200 = answer(f->inv, 200, "lt", tu_allocator());
    f->p = peer();
    f->d = NULL;
    assert_int_equal(sr_dialog_create(f->t, f->inv, f->r200, &f->p, 0, &f->d), 0);
}

static void fixture_down(fixture *f)
{
    sr_msg_free(f->r200);
    sr_msg_free(f->inv);
    sr_dialog_table_free(f->t);
}

static void test_create_and_match(void **state)
{
    (void)state;
    sr_dialog_table *t = NULL;
    assert_int_equal(sr_dialog_table_new(&t, NULL, tu_allocator()), 0);
    sr_msg *inv = parse(invite_txt, tu_allocator());
    assert_non_null(inv);
    sr_msg *r180 = answer(inv, 180, "ltag1", tu_allocator());
    sr_msg *r200 = answer(inv, 200, "ltag1", tu_allocator());
    sr_addr p = peer();
    sr_dialog *d = NULL;
    /* a 1xx with a To tag: an early dialog (§12.1) */
    assert_int_equal(sr_dialog_create(t, inv, r180, &p, 1000, &d), 0);
    assert_int_equal(d->state, SR_DIALOG_EARLY);
    assert_sr_str_eq(d->call_id, "call-1@example.com");
    assert_sr_str_eq(d->local_tag, "ltag1");
    assert_sr_str_eq(d->remote_tag, "ftag1");
    assert_sr_str_eq(d->remote_target, "sip:alice@192.0.2.9:5060");
    /* §12.1.1: the UAS's route set is the Record-Route in order */
    assert_sr_str_eq(d->route_set,
                     "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>, <sip:p3.example.com;lr>");
    assert_int_equal(d->remote_cseq, 10);
    assert_int_equal(d->created_ms, 1000);
    /* the 2xx confirms the same dialog */
    sr_dialog *d2 = NULL;
    assert_int_equal(sr_dialog_create(t, inv, r200, &p, 2000, &d2), 0);
    assert_ptr_equal(d, d2);
    assert_int_equal(d->state, SR_DIALOG_CONFIRMED);
    assert_int_equal(sr_dialog_count(t), 1);
    assert_true(sr_dialog_memory(t) > sizeof(sr_dialog));

    /* §12.2.2: Call-ID, To tag (ours), From tag (theirs) */
    sr_msg *bye = indialog("BYE", 11, "ltag1", "ftag1", "call-1@example.com");
    assert_ptr_equal(sr_dialog_match(t, bye), d);
    static const struct {
        const char *ttag, *ftag, *callid;
    } others[] = {
        {"ltag2", "ftag1", "call-1@example.com"},
        {"ltag1", "ftag9", "call-1@example.com"},
        {"ltag1", "ftag1", "call-2@example.com"},
    };
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        sr_msg *other = indialog("BYE", 11, others[i].ttag, others[i].ftag, others[i].callid);
        if (sr_dialog_match(t, other) != NULL)
            fail_msg("BYE to tag %s, from tag %s, Call-ID %s matched", others[i].ttag,
                     others[i].ftag, others[i].callid);
        sr_msg_free(other);
    }
    /* no To tag: not within a dialog */
    assert_null(sr_dialog_match(t, inv));

    sr_dialog_remove(t, d);
    assert_int_equal(sr_dialog_count(t), 0);
    assert_int_equal(sr_dialog_memory(t), 0);
    assert_null(sr_dialog_match(t, bye));
    sr_msg_free(bye);
    sr_msg_free(r180);
    sr_msg_free(r200);
    sr_msg_free(inv);
    sr_dialog_table_free(t);
}

static void test_refused(void **state)
{
    (void)state;
    sr_dialog_table *t = NULL;
    assert_int_equal(sr_dialog_table_new(&t, NULL, tu_allocator()), 0);
    sr_msg *inv = parse(invite_txt, tu_allocator());
    sr_msg *r100 = answer(inv, 100, "", tu_allocator());
    sr_msg *r486 = answer(inv, 486, "x", tu_allocator());
    sr_msg *bye = indialog("BYE", 11, "ltag1", "ftag1", "call-1@example.com");
    sr_msg *r200bye = answer(bye, 200, "ltag1", tu_allocator());
    sr_addr p = peer();
    /* 100 makes no dialog; nor a final non-2xx; nor a response to anything but INVITE */
    assert_int_equal(sr_dialog_create(t, inv, r100, &p, 0, NULL), SR_EINVAL);
    assert_int_equal(sr_dialog_create(t, inv, r486, &p, 0, NULL), SR_EINVAL);
    assert_int_equal(sr_dialog_create(t, bye, r200bye, &p, 0, NULL), SR_EINVAL);
    assert_int_equal(sr_dialog_count(t), 0);
    sr_msg_free(inv);
    sr_msg_free(r100);
    sr_msg_free(r486);
    sr_msg_free(bye);
    sr_msg_free(r200bye);
    sr_dialog_table_free(t);
}

static void test_cseq_order(void **state)
{
    (void)state;
    fixture f;
    fixture_up(&f);
    static const struct {
        const char *method;
        unsigned num;
        int rc;
    } steps[] = {
        {"INFO", 11, 0},
        /* §12.2.2: lower than the remote sequence number: 500 */
        {"INFO", 9, SR_ERANGE},
        /* the ACK carries its INVITE's number: not checked */
        {"ACK", 10, 0},
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        sr_msg *m = indialog(steps[i].method, steps[i].num, "lt", "ftag1", "call-1@example.com");
        assert_int_equal(sr_dialog_check_cseq(f.d, m), steps[i].rc);
        assert_int_equal(f.d->remote_cseq, 11);
        sr_msg_free(m);
    }
    fixture_down(&f);
}

/* Dialogs i = 0..n-1 of distinct Call-IDs. */
static int make_calls(sr_dialog_table *t, size_t n, sr_dialog **ds)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char cid[32];
        char txt[sizeof(invite_txt) + sizeof(cid)];
        snprintf(cid, sizeof(cid), "c%zu@x", i);
        const char *at = strstr(invite_txt, "call-1@example.com");
        int w = snprintf(txt, sizeof(txt), "%.*s%s%s", (int)(at - invite_txt), invite_txt, cid,
                         at + strlen("call-1@example.com"));
        assert_true(w > 0 && (size_t)w < sizeof(txt)); /* the whole INVITE, not cut */
        sr_msg *inv = parse(txt, tu_allocator());
        sr_msg *r = answer(inv, 200, "t", tu_allocator());
        sr_addr p = peer();
        rc = sr_dialog_create(t, inv, r, &p, 0, ds ? &ds[i] : NULL);
        sr_msg_free(inv);
        sr_msg_free(r);
    }
    return rc;
}

static void test_limits(void **state)
{
    (void)state;
    sr_dialog_limits l;
    sr_dialog_limits_init(&l);
    l.max_dialogs = 3;
    sr_dialog_table *t = NULL;
    assert_int_equal(sr_dialog_table_new(&t, &l, tu_allocator()), 0);
    assert_int_equal(make_calls(t, 3, NULL), 0);
    /* the fourth is refused: nothing recorded */
    assert_int_equal(make_calls(t, 4, NULL), SR_ETOOBIG);
    assert_int_equal(sr_dialog_count(t), 3);
    sr_dialog_table_free(t);

    /* bytes: room for about two */
    sr_dialog_limits_init(&l);
    l.max_memory = 2 * (sizeof(sr_dialog) + 300);
    assert_int_equal(sr_dialog_table_new(&t, &l, tu_allocator()), 0);
    assert_int_equal(make_calls(t, 2, NULL), 0);
    assert_int_equal(make_calls(t, 3, NULL), SR_ETOOBIG);
    assert_int_equal(sr_dialog_count(t), 2);
    assert_true(sr_dialog_memory(t) <= l.max_memory);
    /* iteration sees each once */
    size_t n = 0;
    for (sr_dialog *d = sr_dialog_first(t); d; d = sr_dialog_next(t, d))
        n++;
    assert_int_equal(n, 2);
    sr_dialog_table_free(t);
}

static void test_deadlines(void **state)
{
    (void)state;
    sr_dialog_table *t = NULL;
    assert_int_equal(sr_dialog_table_new(&t, NULL, tu_allocator()), 0);
    sr_dialog *ds[5];
    assert_int_equal(make_calls(t, 5, ds), 0);
    assert_int_equal(sr_dialog_next_deadline(t), UINT64_MAX);
    assert_int_equal(sr_dialog_set_deadline(t, ds[0], 5000), 0);
    assert_int_equal(sr_dialog_set_deadline(t, ds[1], 3000), 0);
    assert_int_equal(sr_dialog_set_deadline(t, ds[2], 5000), 0);
    assert_int_equal(sr_dialog_set_deadline(t, ds[3], 9000), 0);
    assert_int_equal(sr_dialog_next_deadline(t), 3000);
    /* nothing due before its time */
    assert_null(sr_dialog_expired(t, 2999));
    assert_ptr_equal(sr_dialog_expired(t, 3000), ds[1]);
    assert_int_equal(ds[1]->deadline_ms, UINT64_MAX);
    assert_null(sr_dialog_expired(t, 4999));
    /* equal deadlines in the order they were set */
    assert_ptr_equal(sr_dialog_expired(t, 6000), ds[0]);
    assert_ptr_equal(sr_dialog_expired(t, 6000), ds[2]);
    assert_null(sr_dialog_expired(t, 6000));
    /* moved, cleared, removed */
    assert_int_equal(sr_dialog_set_deadline(t, ds[3], 7000), 0);
    assert_int_equal(sr_dialog_set_deadline(t, ds[4], 8000), 0);
    assert_int_equal(sr_dialog_next_deadline(t), 7000);
    sr_dialog_remove(t, ds[3]);
    assert_int_equal(sr_dialog_next_deadline(t), 8000);
    assert_int_equal(sr_dialog_set_deadline(t, ds[4], UINT64_MAX), 0);
    assert_int_equal(sr_dialog_next_deadline(t), UINT64_MAX);
    sr_dialog_table_free(t);
}

static void test_refresh_and_request(void **state)
{
    (void)state;
    fixture f;
    fixture_up(&f);
    sr_dialog_table *t = f.t;
    sr_dialog *d = f.d;
    d->user = &f.p;
    assert_int_equal(sr_dialog_set_deadline(t, d, 100), 0);
    sr_msg *reinv = indialog("INVITE", 11, "lt", "ftag1", "call-1@example.com");
    assert_int_equal(sr_dialog_refresh_target(t, &d, reinv), 0);
    assert_sr_str_eq(d->remote_target, "sip:alice@198.51.100.7:5070");
    assert_ptr_equal(d->user, &f.p);
    assert_ptr_equal(sr_dialog_match(t, reinv), d);
    assert_ptr_equal(sr_dialog_expired(t, 100), d); /* the heap follows the move */

    sr_msg *bye = NULL;
    assert_int_equal(
        sr_dialog_request(d, "BYE", "UDP", "192.0.2.1", 5060, "z9hG4bKbye1", tu_allocator(), &bye),
        0);
    sr_buf b;
    sr_buf_init(&b, tu_allocator());
    assert_int_equal(sr_msg_print(bye, &b), 0);
    const char *want = "BYE sip:alice@198.51.100.7:5070 SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbye1;rport\r\n"
                       "Max-Forwards: 70\r\n"
                       "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>, "
                       "<sip:p3.example.com;lr>\r\n"
                       "From: Bob <sip:bob@example.com>;tag=lt\r\n"
                       "To: Alice <sip:alice@example.com>;tag=ftag1\r\n"
                       "Call-ID: call-1@example.com\r\n"
                       "CSeq: 1 BYE\r\n"
                       "Content-Length: 0\r\n\r\n";
    assert_mem_eq(b.p, b.len, want, strlen(want));
    assert_int_equal(d->local_cseq, 1);
    /* what we send parses and is within the dialog as the peer sees it */
    sr_msg *back = parse(want, tu_allocator());
    assert_non_null(back);
    assert_int_equal(sr_msg_validate(back, NULL), 0);
    sr_msg_free(back);
    sr_buf_cleanup(&b);
    sr_msg_free(bye);
    sr_msg_free(reinv);
    fixture_down(&f);
}

static void test_session_expires(void **state)
{
    (void)state;
    struct {
        const char *hdr;
        int rc;
        uint32_t secs;
        char r;
    } v[] = {
        {"Session-Expires: 1800;refresher=uac", 0, 1800, 'c'},
        {"Session-Expires: 90 ; refresher=UAS", 0, 90, 's'},
        {"x: 4000", 0, 4000, 0},
        {"Session-Expires: 1800;foo=bar", 0, 1800, 0},
        {"Session-Expires: soon", SR_EBADMSG, 0, 0},
        {"Session-Expires: 1800;refresher=me", SR_EBADMSG, 0, 0},
        {"Session-Expires: 99999999999", SR_EBADMSG, 0, 0},
        {"Subject: none", SR_ENOTFOUND, 0, 0},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char b[512];
        snprintf(b, sizeof(b),
                 "UPDATE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                 "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\n"
                 "CSeq: 2 UPDATE\r\n%s\r\nContent-Length: 0\r\n\r\n",
                 v[i].hdr);
        sr_msg *m = parse(b, tu_allocator());
        assert_non_null(m);
        uint32_t s = 0;
        char r = 'z';
        int rc = sr_dialog_session_expires(m, &s, &r);
        if (rc != v[i].rc)
            fail_msg("%s: %s", v[i].hdr, sr_errname(rc));
        if (rc == 0) {
            assert_int_equal(s, v[i].secs);
            assert_int_equal(r, v[i].r);
        }
        sr_msg_free(m);
    }
}

static int sweep(const sr_allocator *a, void *ctx)
{
    (void)ctx;
    sr_dialog_table *t = NULL;
    int rc = sr_dialog_table_new(&t, NULL, a);
    if (rc)
        return rc;
    sr_msg *inv = parse(invite_txt, a);
    sr_msg *r = inv ? answer(inv, 200, "lt", a) : NULL;
    sr_msg *re = NULL;
    if (!inv || !r) {
        rc = SR_ENOMEM;
        goto out;
    }
    sr_addr p = peer();
    sr_dialog *d = NULL;
    rc = sr_dialog_create(t, inv, r, &p, 0, &d);
    if (!rc)
        rc = sr_dialog_set_deadline(t, d, 10);
    sr_msg *bye = NULL;
    if (!rc)
        rc = sr_dialog_request(d, "BYE", "TCP", "h", 5060, "z9hG4bK1", a, &bye);
    sr_msg_free(bye);
    if (!rc) {
        const char *txt = "UPDATE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                          "From: <sip:a@b>;tag=ftag1\r\nTo: <sip:c@d>;tag=lt\r\n"
                          "Call-ID: call-1@example.com\r\nCSeq: 12 UPDATE\r\n"
                          "Contact: <sip:new@h>\r\nContent-Length: 0\r\n\r\n";
        re = parse(txt, a);
        rc = re ? sr_dialog_refresh_target(t, &d, re) : SR_ENOMEM;
    }
out:
    sr_msg_free(re);
    sr_msg_free(r);
    sr_msg_free(inv);
    sr_dialog_table_free(t);
    return rc;
}

static void test_sweep(void **state)
{
    (void)state;
    assert_true(tu_failure_sweep(sweep, NULL) >= 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_create_and_match), TU_TEST(test_refused),   TU_TEST(test_cseq_order),
        TU_TEST(test_limits),           TU_TEST(test_deadlines), TU_TEST(test_refresh_and_request),
        TU_TEST(test_session_expires),  TU_TEST(test_sweep),
    };
    return cmocka_run_group_tests_name("dialog", tests, NULL, NULL);
}
