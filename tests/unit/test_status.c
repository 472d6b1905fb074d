/* sipreply tests: the status-code registry (status.h) and its generated table.
 * Every API function, class fallback (RFC 3261 §8.1.3.2), phrase variants, the TSV sources. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* ------------------------------------------------------------------ TSV reading (test-only) */

#define MAX_FIELDS 16

typedef struct tsv {
    char *buf;
    size_t rows;
    char *f[200][MAX_FIELDS]; /* rows[0] is the header line */
    size_t nf[200];
} tsv;

static void tsv_load(tsv *t, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", SR_SOURCE_DIR, rel);
    size_t len;
    t->buf = tu_read_file(path, &len);
    t->rows = 0;
    char *line = t->buf;
    while (*line) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (*line) {
            assert_true(t->rows < 200);
            size_t n = 0;
            char *p = line;
            for (;;) {
                assert_true(n < MAX_FIELDS);
                t->f[t->rows][n++] = p;
                char *tab = strchr(p, '\t');
                if (!tab)
                    break;
                *tab = '\0';
                p = tab + 1;
            }
            t->nf[t->rows++] = n;
        }
        if (!nl)
            break;
        line = nl + 1;
    }
}

static void tsv_free(tsv *t)
{
    free(t->buf);
}

static size_t col(const tsv *t, const char *name)
{
    for (size_t i = 0; i < t->nf[0]; i++) {
        if (strcmp(t->f[0][i], name) == 0)
            return i;
    }
    fail_msg("no column '%s'", name);
    return 0;
}

/* Compare a NULL-terminated list with a TSV list cell ("-" = empty, items split by @p sep). */
static void assert_list_eq(const char *const *list, const char *cell, const char *seps, int code)
{
    size_t i = 0;
    if (strcmp(cell, "-") != 0) {
        const char *p = cell;
        for (;;) {
            size_t len = strcspn(p, seps);
            size_t l = len;
            while (l && p[l - 1] == ' ')
                l--;
            if (!list[i] || strlen(list[i]) != l || strncmp(list[i], p, l) != 0)
                fail_msg("%d: list item %zu is '%s', TSV says '%.*s'", code, i,
                         list[i] ? list[i] : "(end)", (int)l, p);
            i++;
            if (!p[len])
                break;
            p += len + 1;
            while (*p == ' ')
                p++;
        }
    }
    if (list[i])
        fail_msg("%d: list has extra item '%s'", code, list[i]);
}

static const char *const class_names[] = {"invalid",       "provisional",     "success",
                                          "redirection",   "request-failure", "server-failure",
                                          "global-failure"};

/* ------------------------------------------------------------------ the sources */

/* The compiled table agrees with data/status-codes.tsv, column by column. */
static void test_table_matches_tsv(void **state)
{
    (void)state;
    static tsv t;
    tsv_load(&t, "data/status-codes.tsv");
    assert_int_equal(t.rows - 1, sr_status_count());
    size_t c_phrase = col(&t, "phrase"), c_class = col(&t, "class"), c_rfc = col(&t, "rfc"),
           c_flags = col(&t, "flags"), c_must = col(&t, "must_carry"),
           c_should = col(&t, "should_carry"), c_may = col(&t, "may_carry"),
           c_other = col(&t, "other_phrases"), c_meaning = col(&t, "meaning"),
           c_advice = col(&t, "advice");
    for (size_t r = 1; r < t.rows; r++) {
        int code = atoi(t.f[r][0]);
        const sr_status_info *s = sr_status_lookup(code);
        assert_non_null(s);
        assert_ptr_equal(s, sr_status_at(r - 1));
        assert_int_equal(s->code, code);
        assert_string_equal(s->phrase, t.f[r][c_phrase]);
        assert_string_equal(class_names[s->cls], t.f[r][c_class]);
        assert_string_equal(s->rfc, t.f[r][c_rfc]);
        assert_true(s->flags & SR_STATUS_F_REGISTERED);
        assert_false(s->flags & SR_STATUS_F_LEGACY);
        assert_int_equal((s->flags & SR_STATUS_F_DEPRECATED) != 0,
                         strcmp(t.f[r][c_flags], "deprecated") == 0);
        assert_int_equal((s->flags & SR_STATUS_F_MUST_ONE_OF) != 0,
                         strchr(t.f[r][c_must], '|') != NULL);
        assert_list_eq(s->must_carry, t.f[r][c_must], ",|", code);
        assert_list_eq(s->should_carry, t.f[r][c_should], ",", code);
        assert_list_eq(s->may_carry, t.f[r][c_may], ",", code);
        assert_list_eq(s->other_phrases, t.f[r][c_other], ";", code);
        assert_string_equal(s->meaning, t.f[r][c_meaning]);
        assert_string_equal(s->advice, t.f[r][c_advice]);
        assert_int_not_equal(s->senders, 0);
    }
    tsv_free(&t);
}

static void test_legacy_matches_tsv(void **state)
{
    (void)state;
    static tsv t;
    tsv_load(&t, "data/legacy-codes.tsv");
    assert_int_equal(t.rows - 1, sr_status_legacy_count());
    for (size_t r = 1; r < t.rows; r++) {
        int code = atoi(t.f[r][0]);
        const sr_status_info *s = sr_status_legacy_lookup(code);
        assert_non_null(s);
        assert_ptr_equal(s, sr_status_legacy_at(r - 1));
        assert_string_equal(s->phrase, t.f[r][col(&t, "phrase")]);
        assert_string_equal(s->rfc, t.f[r][col(&t, "source")]);
        assert_string_equal(s->meaning, t.f[r][col(&t, "meaning")]);
        assert_string_equal(s->advice, t.f[r][col(&t, "advice")]);
        assert_int_equal(s->flags, SR_STATUS_F_LEGACY);
        assert_int_equal(s->cls, code / 100);
        assert_null(s->must_carry[0]);
        /* Legacy codes are not registered and act as their class's x00. */
        assert_null(sr_status_lookup(code));
        assert_false(sr_status_is_registered(code));
        assert_int_equal(sr_status_effective(code), code / 100 * 100);
    }
    tsv_free(&t);
}

/*
 * All 75 IANA codes with their canonical phrases, classes and RFCs, compared with the project's
 * digest of the registry, tests/data/iana-status-codes.tsv. Deliberate deviation: 202 sends "Accepted" (the
 * registry's "Accepted (Deprecated)" is a note, kept as a flag and an other phrase).
 */
static void test_all_iana_codes(void **state)
{
    (void)state;
    static tsv t;
    tsv_load(&t, "tests/data/iana-status-codes.tsv");
    assert_int_equal(t.rows - 1, 75);
    assert_int_equal(sr_status_count(), 75);
    size_t c_must = col(&t, "must_carry"), c_other = col(&t, "other_phrases_seen");
    for (size_t r = 1; r < t.rows; r++) {
        int code = atoi(t.f[r][0]);
        const sr_status_info *s = sr_status_lookup(code);
        assert_non_null(s);
        if (code == 202) {
            assert_string_equal(t.f[r][1], "Accepted (Deprecated)");
            assert_string_equal(s->phrase, "Accepted");
            assert_true(s->flags & SR_STATUS_F_DEPRECATED);
        } else {
            assert_string_equal(s->phrase, t.f[r][1]);
        }
        assert_string_equal(class_names[s->cls], t.f[r][2]);
        assert_string_equal(s->rfc, t.f[r][3]);
        /* The registry phrase always finds its code. */
        const sr_status_info *m[4];
        size_t n = sr_status_find_phrase(sr_str_from_cstr(t.f[r][1]), m, 4);
        assert_true(n >= 1);
        bool found = false;
        for (size_t i = 0; i < n && i < 4; i++)
            found |= m[i]->code == code;
        assert_true(found);
        /* Every must-carry header of the digest is in ours (same names). */
        if (t.nf[r] > c_must && t.f[r][c_must][0]) {
            char buf[256];
            snprintf(buf, sizeof buf, "%s", t.f[r][c_must]);
            for (char *h = strtok(buf, "|"); h; h = strtok(NULL, "|")) {
                bool have = false;
                for (size_t i = 0; s->must_carry[i]; i++)
                    have |= strcmp(s->must_carry[i], h) == 0;
                if (!have)
                    fail_msg("%d: must carry %s missing", code, h);
            }
        }
        /* Every field phrase the digest lists finds the code too. */
        if (t.nf[r] > c_other && t.f[r][c_other][0]) {
            char buf[256];
            snprintf(buf, sizeof buf, "%s", t.f[r][c_other]);
            for (char *p = strtok(buf, ";"); p; p = strtok(NULL, ";")) {
                n = sr_status_find_phrase(sr_str_from_cstr(p), m, 4);
                if (n < 1)
                    fail_msg("%d: field phrase '%s' not found", code, p);
                found = false;
                for (size_t i = 0; i < n && i < 4; i++)
                    found |= m[i]->code == code;
                if (!found)
                    fail_msg("%d: field phrase '%s' finds another code", code, p);
            }
        }
    }
    tsv_free(&t);
}

/* ------------------------------------------------------------------ look-ups */

static void test_lookup(void **state)
{
    (void)state;
    const sr_status_info *s = sr_status_lookup(486);
    assert_non_null(s);
    assert_int_equal(s->code, 486);
    assert_string_equal(s->phrase, "Busy Here");
    assert_int_equal(s->cls, SR_STATUS_REQUEST_FAILURE);
    assert_string_equal(s->rfc, "RFC3261");
    assert_string_equal(s->may_carry[0], "Retry-After");
    assert_null(s->may_carry[1]);
    assert_null(s->must_carry[0]);
    assert_true(strlen(s->meaning) > 20);
    assert_true(strlen(s->advice) > 20);
    assert_true(s->senders & SR_STATUS_BY_UAS);

    /* Codes other tables get wrong (issue #2). */
    assert_string_equal(sr_status_lookup(417)->phrase, "Unknown Resource-Priority");
    assert_string_equal(sr_status_lookup(420)->phrase, "Bad Extension");
    assert_string_equal(sr_status_lookup(439)->phrase, "First Hop Lacks Outbound Support");
    assert_string_equal(sr_status_lookup(436)->phrase, "Bad Identity Info");
    assert_string_equal(sr_status_lookup(437)->phrase, "Unsupported Credential");
    const int newer[] = {199, 204, 425, 555, 580, 607, 608};
    for (size_t i = 0; i < sizeof newer / sizeof newer[0]; i++)
        assert_non_null(sr_status_lookup(newer[i]));

    /* Required headers. */
    assert_string_equal(sr_status_lookup(401)->must_carry[0], "WWW-Authenticate");
    assert_string_equal(sr_status_lookup(405)->must_carry[0], "Allow");
    assert_string_equal(sr_status_lookup(407)->must_carry[0], "Proxy-Authenticate");
    assert_string_equal(sr_status_lookup(423)->must_carry[0], "Min-Expires");
    const sr_status_info *u = sr_status_lookup(415);
    assert_true(u->flags & SR_STATUS_F_MUST_ONE_OF);
    assert_string_equal(u->must_carry[2], "Accept-Language");
    assert_false(sr_status_lookup(420)->flags & SR_STATUS_F_MUST_ONE_OF);

    /* 202: registered, deprecated, sent as "Accepted". */
    s = sr_status_lookup(202);
    assert_true(s->flags & SR_STATUS_F_DEPRECATED);
    assert_string_equal(s->phrase, "Accepted");

    /* Not registered. */
    const int none[] = {0, 99, 101, 150, 201, 409, 411, 431, 499, 599, 699, 700, -1, 1000};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        assert_null(sr_status_lookup(none[i]));
        assert_false(sr_status_is_registered(none[i]));
    }
    assert_true(sr_status_is_registered(100));
    assert_true(sr_status_is_registered(608));
}

static void test_legacy_lookup(void **state)
{
    (void)state;
    const sr_status_info *s = sr_status_legacy_lookup(409);
    assert_non_null(s);
    assert_string_equal(s->phrase, "Conflict");
    assert_string_equal(s->rfc, "RFC2543");
    assert_true(s->flags & SR_STATUS_F_LEGACY);
    assert_false(s->flags & SR_STATUS_F_REGISTERED);
    assert_string_equal(sr_status_legacy_lookup(411)->phrase, "Length Required");
    assert_string_equal(sr_status_legacy_lookup(478)->rfc, "Kamailio/SER");
    assert_null(sr_status_legacy_lookup(486)); /* registered: never legacy */
    assert_null(sr_status_legacy_lookup(499));
    assert_null(sr_status_legacy_lookup(0));
    /* No legacy code is registered. */
    for (size_t i = 0; i < sr_status_legacy_count(); i++)
        assert_null(sr_status_lookup(sr_status_legacy_at(i)->code));
    assert_null(sr_status_legacy_at(sr_status_legacy_count()));
}

static void test_iteration(void **state)
{
    (void)state;
    size_t n = sr_status_count();
    assert_int_equal(n, 75);
    int prev = 0;
    for (size_t i = 0; i < n; i++) {
        const sr_status_info *s = sr_status_at(i);
        assert_non_null(s);
        assert_true(s->code > prev);
        prev = s->code;
        assert_ptr_equal(sr_status_lookup(s->code), s);
        assert_int_equal(s->cls, sr_status_class_of(s->code));
        assert_non_null(s->must_carry);
        assert_non_null(s->should_carry);
        assert_non_null(s->may_carry);
        assert_non_null(s->other_phrases);
    }
    assert_null(sr_status_at(n));
    assert_null(sr_status_at((size_t)-1));
}

/* ------------------------------------------------------------------ classes and fallback */

static void test_class_of(void **state)
{
    (void)state;
    assert_int_equal(sr_status_class_of(100), SR_STATUS_PROVISIONAL);
    assert_int_equal(sr_status_class_of(199), SR_STATUS_PROVISIONAL);
    assert_int_equal(sr_status_class_of(200), SR_STATUS_SUCCESS);
    assert_int_equal(sr_status_class_of(399), SR_STATUS_REDIRECTION);
    assert_int_equal(sr_status_class_of(431), SR_STATUS_REQUEST_FAILURE);
    assert_int_equal(sr_status_class_of(599), SR_STATUS_SERVER_FAILURE);
    assert_int_equal(sr_status_class_of(699), SR_STATUS_GLOBAL_FAILURE);
    const int bad[] = {-1, 0, 99, 700, 999, 1000, 2147483647, -2147483647 - 1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(sr_status_class_of(bad[i]), SR_STATUS_CLASS_INVALID);
        assert_false(sr_status_is_provisional(bad[i]));
        assert_false(sr_status_is_final(bad[i]));
        assert_int_equal(sr_status_effective(bad[i]), SR_EINVAL);
        assert_null(sr_status_phrase(bad[i]));
    }
    assert_true(sr_status_is_provisional(100));
    assert_true(sr_status_is_provisional(150));
    assert_false(sr_status_is_final(199));
    assert_true(sr_status_is_final(200));
    assert_true(sr_status_is_final(699));
    assert_false(sr_status_is_provisional(200));
}

static void test_effective(void **state)
{
    (void)state;
    /* Registered codes act as themselves. */
    for (size_t i = 0; i < sr_status_count(); i++)
        assert_int_equal(sr_status_effective(sr_status_at(i)->code), sr_status_at(i)->code);
    /* RFC 3261 §8.1.3.2: unknown 1xx other than 100 -> 183; unknown final -> x00. */
    assert_int_equal(sr_status_effective(101), 183);
    assert_int_equal(sr_status_effective(150), 183);
    assert_int_equal(sr_status_effective(198), 183);
    assert_int_equal(sr_status_effective(201), 200);
    assert_int_equal(sr_status_effective(299), 200);
    assert_int_equal(sr_status_effective(399), 300);
    assert_int_equal(sr_status_effective(431), 400);
    assert_int_equal(sr_status_effective(409), 400); /* legacy */
    assert_int_equal(sr_status_effective(599), 500);
    assert_int_equal(sr_status_effective(699), 600);
}

static void test_phrase(void **state)
{
    (void)state;
    assert_string_equal(sr_status_phrase(100), "Trying");
    assert_string_equal(sr_status_phrase(504), "Server Time-out");
    assert_string_equal(sr_status_phrase(202), "Accepted");
    assert_string_equal(sr_status_phrase(150), "Session Progress");
    assert_string_equal(sr_status_phrase(431), "Bad Request");
    assert_string_equal(sr_status_phrase(411), "Bad Request");
    assert_string_equal(sr_status_phrase(555), "Push Notification Service Not Supported");
    assert_string_equal(sr_status_phrase(599), "Server Internal Error");
    assert_string_equal(sr_status_phrase(650), "Busy Everywhere");
}

static void test_class_get(void **state)
{
    (void)state;
    for (int c = 1; c <= 6; c++) {
        const sr_status_class_info *ci = sr_status_class_get((sr_status_class)c);
        assert_non_null(ci);
        assert_int_equal(ci->cls, c);
        assert_int_equal(ci->range[0], '0' + c);
        assert_string_equal(ci->name, class_names[c]);
        assert_int_equal(ci->final, c != 1);
        assert_int_equal(ci->fallback, c == 1 ? 183 : c * 100);
        assert_non_null(sr_status_lookup(ci->fallback));
        assert_true(strlen(ci->meaning) > 10);
        assert_true(strlen(ci->advice) > 10);
        assert_non_null(ci->title);
    }
    assert_null(sr_status_class_get(SR_STATUS_CLASS_INVALID));
    assert_null(sr_status_class_get((sr_status_class)7));
    assert_null(sr_status_class_get((sr_status_class)-1));
}

static void test_sender_name(void **state)
{
    (void)state;
    assert_string_equal(sr_status_sender_name(SR_STATUS_BY_UAS), "UAS");
    assert_string_equal(sr_status_sender_name(SR_STATUS_BY_PROXY), "proxy");
    assert_string_equal(sr_status_sender_name(SR_STATUS_BY_REGISTRAR), "registrar");
    assert_string_equal(sr_status_sender_name(SR_STATUS_BY_REDIRECT), "redirect server");
    assert_null(sr_status_sender_name(0));
    assert_null(sr_status_sender_name(SR_STATUS_BY_ANY));
    assert_null(sr_status_sender_name(1u << 4));
    assert_int_equal(sr_status_lookup(503)->senders, SR_STATUS_BY_ANY);
    assert_int_equal(sr_status_lookup(407)->senders, SR_STATUS_BY_PROXY);
    assert_true(sr_status_lookup(423)->senders & SR_STATUS_BY_REGISTRAR);
    assert_true(sr_status_lookup(301)->senders & SR_STATUS_BY_REDIRECT);
}

/* ------------------------------------------------------------------ phrases */

/* The one code @p phrase finds, or -1 (none or several). */
static int find1(const char *phrase)
{
    const sr_status_info *m[4];
    size_t n = sr_status_find_phrase(sr_str_from_cstr(phrase), m, 4);
    return n == 1 ? m[0]->code : -1;
}

static void test_find_phrase_variants(void **state)
{
    (void)state;
    /* The list: variants seen in the field and in published tables. */
    assert_int_equal(find1("Request canceled"), 487);
    assert_int_equal(find1("Request Cancelled"), 487);
    assert_int_equal(find1("Server internal error"), 500);
    assert_int_equal(find1("Internal Server Error"), 500);
    assert_int_equal(find1("Gateway time-out"), 504);
    assert_int_equal(find1("Gateway Timeout"), 504);
    assert_int_equal(find1("Request-URL too large"), 414);
    assert_int_equal(find1("Call leg/transaction does not exist"), 481);
    assert_int_equal(find1("Temporarily not available"), 480);
    assert_int_equal(find1("SIP version not supported"), 505);
    assert_int_equal(find1("Unsupported Certificate"), 437);
    assert_int_equal(find1("Uknown Resource-Priority"), 417);
    assert_int_equal(find1("Request time-out"), 408);
    assert_int_equal(find1("Call forwarded"), 181);
    assert_int_equal(find1("Session Timer Too Small"), 422);
    assert_int_equal(find1("Bad Identity-Info"), 436);
    assert_int_equal(find1("Accepted (Deprecated)"), 202);
    assert_int_equal(find1("Declined"), 603);
    /* Case, blanks, hyphens, quotes, surrounding space. */
    assert_int_equal(find1("busy here"), 486);
    assert_int_equal(find1("BUSY HERE"), 486);
    assert_int_equal(find1("  Busy   Here \t"), 486);
    assert_int_equal(find1("\"Busy Here\""), 486);
    assert_int_equal(find1("Request URI Too Long"), 414);
    assert_int_equal(find1("request-uri-too-long"), 414);
    assert_int_equal(find1("Call/Transaction Does Not Exist"), 481);
    assert_int_equal(find1("OK"), 200);
    assert_int_equal(find1("Max Breadth Exceeded"), 440);
    /* Not a prefix or substring match. */
    assert_int_equal(find1("Busy"), 600); /* RFC 3261 §20.33's name for 600 */
    assert_int_equal(find1("Busy Her"), -1);
    assert_int_equal(find1("Busy Here Now"), -1);
    assert_int_equal(find1("Not"), -1);
    /* Kamailio's wrong 417 phrase is 420's: it must not find 417. */
    assert_int_equal(find1("Bad Extension"), 420);
}

static void test_find_phrase_ambiguous(void **state)
{
    (void)state;
    const sr_status_info *m[4] = {NULL, NULL, NULL, NULL};
    size_t n = sr_status_find_phrase(SR_STR("Not Acceptable"), m, 4);
    assert_int_equal(n, 2);
    assert_int_equal(m[0]->code, 406);
    assert_int_equal(m[1]->code, 606);
    assert_null(m[2]);
    /* Capacity smaller than the number of matches: the count is still the total. */
    m[0] = m[1] = NULL;
    n = sr_status_find_phrase(SR_STR("not acceptable"), m, 1);
    assert_int_equal(n, 2);
    assert_int_equal(m[0]->code, 406);
    assert_null(m[1]);
    assert_int_equal(sr_status_find_phrase(SR_STR("Not Acceptable"), NULL, 0), 2);
    /* "Not Acceptable Here" is one code. */
    assert_int_equal(find1("Not Acceptable Here"), 488);
}

static void test_find_phrase_bad_input(void **state)
{
    (void)state;
    const sr_status_info *m[2];
    assert_int_equal(sr_status_find_phrase(SR_STR_NULL, m, 2), 0);
    assert_int_equal(sr_status_find_phrase(SR_STR(""), m, 2), 0);
    assert_int_equal(sr_status_find_phrase(SR_STR("   "), m, 2), 0);
    assert_int_equal(sr_status_find_phrase(SR_STR("-/-"), m, 2), 0);
    assert_int_equal(sr_status_find_phrase(SR_STR("abc"), m, 2), 0);
    assert_int_equal(sr_status_find_phrase(SR_STR("Conflict"), m, 2), 0); /* legacy only */
    /* Bytes that are not ASCII, and an embedded NUL, never match or crash. */
    assert_int_equal(sr_status_find_phrase(SR_STR("Busy\xc3\xa9Here"), m, 2), 0);
    sr_str nul = {"Busy\0Here", 9};
    assert_int_equal(sr_status_find_phrase(nul, m, 1), 1); /* NUL is a separator */
    /* A slice that is not NUL-terminated, in a guarded buffer. */
    char *g = tu_guarded_copy("Busy Here", 9);
    sr_str s = {g, 9};
    assert_int_equal(sr_status_find_phrase(s, m, 2), 1);
    assert_int_equal(m[0]->code, 486);
    sr_str part = {g, 4};
    assert_int_equal(sr_status_find_phrase(part, m, 2), 1); /* "Busy" = 600 */
    assert_int_equal(m[0]->code, 600);
    tu_guarded_free(g, 9);
}

static void test_phrase_matches(void **state)
{
    (void)state;
    const sr_status_info *s = sr_status_lookup(504);
    assert_true(sr_status_phrase_matches(s, SR_STR("Server Time-out")));
    assert_true(sr_status_phrase_matches(s, SR_STR("gateway timeout")));
    assert_false(sr_status_phrase_matches(s, SR_STR("Bad Gateway")));
    assert_false(sr_status_phrase_matches(s, SR_STR("")));
    assert_false(sr_status_phrase_matches(NULL, SR_STR("OK")));
    const sr_status_info *l = sr_status_legacy_lookup(411);
    assert_true(sr_status_phrase_matches(l, SR_STR("length required")));
    assert_false(sr_status_phrase_matches(l, SR_STR("length")));

    /* whole words of a phrase, in order and side by side */
    const sr_status_info *busy = sr_status_lookup(486), *ev = sr_status_lookup(600);
    assert_true(sr_status_phrase_has_words(busy, SR_STR("Busy")));
    assert_true(sr_status_phrase_has_words(busy, SR_STR("  busy  HERE ")));
    assert_true(sr_status_phrase_has_words(busy, SR_STR("here")));
    assert_true(sr_status_phrase_has_words(ev, SR_STR("busy")));
    assert_false(sr_status_phrase_has_words(busy, SR_STR("bus")));
    assert_false(sr_status_phrase_has_words(busy, SR_STR("usy")));
    assert_false(sr_status_phrase_has_words(busy, SR_STR("Here Busy")));
    assert_false(sr_status_phrase_has_words(busy, SR_STR("Busy Here Now")));
    assert_false(sr_status_phrase_has_words(busy, SR_STR("--")));
    assert_false(sr_status_phrase_has_words(NULL, SR_STR("Busy")));
    assert_true(sr_status_phrase_has_words(s, SR_STR("Gateway time"))); /* field phrase */
    assert_true(sr_status_phrase_has_words(s, SR_STR("timeout")));      /* "Time-out" */
    assert_true(sr_status_phrase_has_words(s, SR_STR("server time")));
    assert_false(sr_status_phrase_has_words(s, SR_STR("timeo")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_table_matches_tsv),
        TU_TEST(test_legacy_matches_tsv),
        TU_TEST(test_all_iana_codes),
        TU_TEST(test_lookup),
        TU_TEST(test_legacy_lookup),
        TU_TEST(test_iteration),
        TU_TEST(test_class_of),
        TU_TEST(test_effective),
        TU_TEST(test_phrase),
        TU_TEST(test_class_get),
        TU_TEST(test_sender_name),
        TU_TEST(test_find_phrase_variants),
        TU_TEST(test_find_phrase_ambiguous),
        TU_TEST(test_find_phrase_bad_input),
        TU_TEST(test_phrase_matches),
    };
    return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
