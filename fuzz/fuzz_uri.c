/* sipreply fuzzing: sr_uri_parse, sr_uri_unescape, iteration and sr_uri_eq (uri.h).
 * Invariants (RFC 3261 §19.1/§25.1, RFC 3966): slices inside the input, clean errors. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipreply/uri.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                     \
    do {                                                                             \
        if (!(x)) {                                                                  \
            fprintf(stderr, "fuzz_uri: check failed: %s (line %d)\n", #x, __LINE__); \
            abort();                                                                 \
        }                                                                            \
    } while (0)

static void check_inside(sr_str s, const char *p, size_t n)
{
    if (s.p == NULL) {
        CHECK(s.len == 0);
        return;
    }
    CHECK(s.p >= p && s.len <= n && s.p + s.len <= p + n);
}

/* Unescaping a part the parser accepted never fails and shrinks by 2 bytes per escape. */
static void check_unescape(sr_str s)
{
    char buf[256];
    size_t pct = 0, out = 0;
    if (s.len > sizeof buf)
        return;
    for (size_t i = 0; i < s.len; i++)
        pct += s.p[i] == '%';
    CHECK(sr_uri_unescape(buf, sizeof buf, s, &out) == 0);
    CHECK(out == s.len - 2 * pct);
    if (s.len > 0)
        CHECK(sr_uri_unescape(buf, out - (out > 0), s, &out) == (out > 0 ? SR_ENOSPC : 0));
}

static void check_uri(const sr_uri *u, const char *p, size_t n)
{
    const sr_str parts[] = {u->scheme, u->user,    u->password, u->host,
                            u->params, u->headers, u->opaque};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        check_inside(parts[i], p, n);
    CHECK(u->kind >= SR_URI_SIP && u->kind <= SR_URI_OTHER);
    CHECK(u->scheme.p == p && u->scheme.len > 0);
    if (!u->has_port)
        CHECK(u->port == 0);
    CHECK(u->has_params == (u->params.len > 0));
    CHECK(u->has_headers == (u->headers.len > 0));
    if (u->kind == SR_URI_SIP || u->kind == SR_URI_SIPS) {
        CHECK(u->host.len > 0 && u->host_kind != SR_URI_HOST_NONE);
        CHECK((u->host_kind == SR_URI_HOST_IPV6) == (u->host.p[0] == '['));
        CHECK(u->has_user == (u->user.len > 0));
        check_unescape(u->user);
        check_unescape(u->password);
        check_unescape(u->params);
        check_unescape(u->headers);
    } else {
        CHECK(u->host_kind == SR_URI_HOST_NONE && !u->has_port && !u->has_headers);
    }
    /* iteration stays inside the slice and terminates */
    sr_str cur = u->params, name, value;
    size_t count = 0;
    while (sr_uri_param_next(&cur, &name, &value)) {
        check_inside(name, u->params.p, u->params.len);
        check_inside(value, u->params.p, u->params.len);
        CHECK(++count <= u->params.len + 1);
    }
    cur = u->headers;
    count = 0;
    while (sr_uri_header_next(&cur, &name, &value)) {
        check_inside(name, u->headers.p, u->headers.len);
        check_inside(value, u->headers.p, u->headers.len);
        CHECK(++count <= u->headers.len + 1);
    }
    (void)sr_uri_param_find(u, "transport", &value); /* any result is fine; must not crash */
    CHECK(sr_uri_eq(u, u));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    sr_uri u;
    sr_parse_error e;
    int rc = sr_uri_parse(&u, p, size, &e);
    if (rc == 0) {
        check_uri(&u, p, size);
        /* the same bytes elsewhere give an equal URI (no address dependence) */
        char *copy = malloc(size ? size : 1);
        if (copy) {
            sr_uri v;
            memcpy(copy, p, size);
            CHECK(sr_uri_parse(&v, copy, size, NULL) == 0);
            CHECK(sr_uri_eq(&u, &v) && sr_uri_eq(&v, &u));
            free(copy);
        }
    } else {
        CHECK(rc == SR_EBADMSG && e.code == SR_EBADMSG && e.offset <= size && e.phrase);
    }

    /* two URIs from one input: equality is symmetric and needs the same scheme kind */
    if (size > 1) {
        size_t k = 1 + data[0] % (size - 1);
        sr_uri a, b;
        if (sr_uri_parse(&a, p + 1, k - 1, NULL) == 0 &&
            sr_uri_parse(&b, p + k, size - k, NULL) == 0) {
            bool ab = sr_uri_eq(&a, &b);
            CHECK(ab == sr_uri_eq(&b, &a));
            if (ab)
                CHECK(a.kind == b.kind);
        }
    }
    return 0;
}
