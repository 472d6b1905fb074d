/* sipreplyd: configuration loading — the embedded default and every example load; bad files
 * are refused with the line, column and key path of the problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>

#include "config.h"
#include "config_forward.h"

static void test_default_loads(void **state)
{
    (void)state;
    sd_config *cf = NULL;
    sd_config_error err;
    int rc = sd_config_parse(&cf, sd_default_config, strlen(sd_default_config), &err);
    if (rc != 0)
        fail_msg("%u:%u: %s", err.line, err.column, err.msg);
    assert_int_equal(cf->n_rules, 9);
    /* 401 and 407: a challenge of the digest server, any user name, then 200 */
    for (size_t i = 1; i <= 2; i++) {
        const sd_rule *r = &cf->rules[i];
        assert_string_equal(r->name, i == 1 ? "dial-401" : "dial-407");
        assert_string_equal(r->match.user, i == 1 ? "401" : "407");
        assert_int_equal(r->n_actions, 2);
        assert_int_equal(r->actions[0].kind, SD_ACT_CHALLENGE);
        assert_int_equal(r->actions[0].proxy, i == 2);
        assert_string_equal(r->actions[0].any_user_password, "sipreply");
        /* both algorithms, MD5 offered first (common UACs read only the first challenge) */
        assert_true(r->actions[0].md5 && r->actions[0].sha256 && r->actions[0].md5_first);
        assert_int_equal(r->actions[1].choices[0].steps[0].code, 200);
    }
    /* what the builder cannot know: 417's Accept-Resource-Priority, 488/606's Warning */
    assert_string_equal(cf->rules[3].name, "dial-417");
    assert_string_equal(cf->rules[3].actions[0].choices[0].steps[0].headers[0].name,
                        "Accept-Resource-Priority");
    assert_string_equal(cf->rules[4].name, "dial-warning");
    assert_int_equal(cf->rules[4].actions[0].choices[0].steps[0].capture, 1);
    assert_string_equal(cf->rules[5].name, "dial-a-code");
    assert_true(cf->rules[5].match.has_user_re);
    assert_int_equal(cf->rules[5].actions[0].choices[0].steps[0].capture, 1);
    assert_int_equal(cf->rules[5].actions[0].choices[0].steps[1].delay_ms, 1000);
    assert_int_equal(cf->rules[0].actions[0].kind, SD_ACT_REGISTER);
    assert_string_equal(cf->listen[0], "udp:127.0.0.1:5060");
    assert_string_equal(cf->listen[1], "tcp:127.0.0.1:5060");
    assert_int_equal(cf->fallback.actions[0].choices[0].steps[0].code, 404);
    assert_false(cf->has_stateless);
    sd_config_free(cf);
}

static void test_examples_load(void **state)
{
    (void)state;
    DIR *d = opendir(SD_EXAMPLES_DIR);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".yaml") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", SD_EXAMPLES_DIR, de->d_name);
        sd_config *cf = NULL;
        sd_config_error err;
        if (sd_config_load(&cf, path, &err) != 0)
            fail_msg("%s:%u:%u: %s", path, err.line, err.column, err.msg);
        assert_true(cf->n_rules > 0);
        sd_config_free(cf);
        n++;
    }
    closedir(d);
    assert_true(n >= 10);
}

static void test_full_schema(void **state)
{
    (void)state;
    const char *y = "listen: udp:[::1]:5070\n"
                    "advertise: 192.0.2.1\n"
                    "server: sipreplyd-test\n"
                    "seed: 9\n"
                    "timers: {t1: 250ms, t2: 2s, t4: 2.5s}\n"
                    "retry-after: 10\n"
                    "min-expires: 120\n"
                    "min-se: 1800\n"
                    "default: {code: 480, retry-after: 60}\n"
                    "rules:\n"
                    "  - name: all\n"
                    "    match:\n"
                    "      method: [INVITE, MESSAGE]\n"
                    "      user: bob\n"
                    "      host-regex: \"example\\\\.(com|net)$\"\n"
                    "      headers: {Subject: \"^x\", X-Test: \".\"}\n"
                    "      source: [127.0.0.0/8, \"::1\"]\n"
                    "      transport: [udp, tcp]\n"
                    "    challenge: {realm: r, users: {alice: s3cret}, algorithms: MD5,\n"
                    "                proxy: true, nonce-ttl: 30s}\n"
                    "    respond:\n"
                    "      - {code: 183, reliable: true, sdp: true}\n"
                    "      - {code: 200, delay: 1.5s, headers: {X-A: [\"1\", \"2\"]},\n"
                    "         body: \"hi {{ip}}\", content-type: text/plain}\n";
    sd_config *cf = NULL;
    sd_config_error err;
    if (sd_config_parse(&cf, y, strlen(y), &err) != 0)
        fail_msg("%u:%u: %s", err.line, err.column, err.msg);
    assert_string_equal(cf->listen[0], "udp:[::1]:5070");
    assert_int_equal(cf->t1, 250);
    assert_int_equal(cf->t4, 2500);
    assert_int_equal(cf->min_se, 1800);
    const sd_rule *r = &cf->rules[0];
    assert_int_equal(r->n_actions, 2);
    assert_int_equal(r->actions[0].kind, SD_ACT_CHALLENGE);
    assert_true(r->actions[0].proxy);
    assert_true(r->actions[0].md5);
    assert_false(r->actions[0].sha256);
    /* the order of `algorithms:` is the order offered */
    static const struct {
        const char *y;
        bool md5_first;
    } ord[] = {
        {"rules:\n  - challenge: {algorithms: [MD5, SHA-256]}\n    respond: 200\n", true},
        {"rules:\n  - challenge: {algorithms: [SHA-256, MD5]}\n    respond: 200\n", false},
        {"rules:\n  - challenge: {}\n    respond: 200\n", false},
    };
    for (size_t i = 0; i < sizeof(ord) / sizeof(ord[0]); i++) {
        sd_config *oc = NULL;
        if (sd_config_parse(&oc, ord[i].y, strlen(ord[i].y), &err) != 0)
            fail_msg("%u:%u: %s", err.line, err.column, err.msg);
        assert_int_equal(oc->rules[0].actions[0].md5_first, ord[i].md5_first);
        assert_true(oc->rules[0].actions[0].md5 && oc->rules[0].actions[0].sha256);
        sd_config_free(oc);
    }
    assert_int_equal(r->actions[0].nonce_ttl_s, 30);
    assert_string_equal(r->actions[0].users[0].password, "s3cret");
    assert_int_equal(r->match.n_sources, 2);
    assert_int_equal(r->match.sources[1].family, 6);
    assert_int_equal(r->match.n_headers, 2);
    const sd_step *s = &r->actions[1].choices[0].steps[1];
    assert_int_equal(s->delay_ms, 1500);
    assert_int_equal(s->n_headers, 2);
    assert_string_equal(s->headers[1].value, "2");
    assert_string_equal(s->body_type, "text/plain");
    assert_int_equal(r->actions[1].choices[0].steps[0].reliable, SD_REL_AUTO);
    assert_int_equal(cf->fallback.actions[0].choices[0].steps[0].retry_after, 60);
    sd_config_free(cf);
}

/* Each bad file: the line:column and a piece of the message. */
static void test_bad_files(void **state)
{
    (void)state;
    static const struct {
        const char *yaml;
        unsigned line, col;
        const char *msg;
    } cases[] = {
        {"rules: [\n", 2, 1, "YAML: "},
        {"rules:\n  - respond: 486\n    cod: 1\n", 3, 5, "rules[0]: unknown key 'cod'"},
        {"rules:\n  - respond: {cod: 486}\n", 2, 15, "rules[0].respond: unknown key 'cod'"},
        {"rules:\n  - respond: 999\n", 2, 14, "rules[0].respond: expected a status code"},
        {"rules:\n  - respond: [180, {code: 486, delay: soon}]\n", 2, 39,
         "rules[0].respond[1].delay: expected a duration"},
        {"rules:\n  - match: {method: invite}\n    respond: 200\n", 2, 21,
         "rules[0].match.method: a method is an upper-case token"},
        {"rules:\n  - match: {user-regex: \"([\"}\n    respond: 200\n", 2, 25,
         "rules[0].match.user-regex: bad regular expression"},
        {"rules:\n  - match: {source: 10.0.0.0/33}\n    respond: 200\n", 2, 21,
         "rules[0].match.source: not an address or prefix"},
        {"rules:\n  - match: {transport: sctp}\n    respond: 200\n", 2, 24,
         "unknown transport 'sctp'"},
        {"rules:\n  - name: x\n", 2, 5, "a rule needs an action"},
        {"rules:\n  - match: {user-regex: \"^a$\"}\n    respond: $1\n", 2, 5,
         "code $1 but user-regex has 0 group(s)"},
        {"rules:\n  - redirect: {code: 486, contacts: [\"sip:a@b\"]}\n", 2, 15,
         "a redirect answers 3xx"},
        {"rules:\n  - redirect: 302\n", 2, 15, "a redirect needs contacts"},
        {"rules:\n  - redirect: {contacts: [\"not a uri\"]}\n", 2, 27, "not a valid URI"},
        {"rules:\n  - stateless: [180, 486]\n", 2, 16, "a stateless reply is one response"},
        {"rules:\n  - stateless: {code: 486, delay: 1s}\n", 2, 16, "one final response"},
        {"rules:\n  - challenge: {users: {a: b}}\n", 2, 5, "a challenge needs an action after"},
        {"rules:\n  - respond: 200\n    challenge: {}\n", 2, 5, "only a challenge may come before"},
        {"rules:\n  - respond: {code: 486, repeat: 3}\n", 2, 14, "only a provisional response may"},
        {"rules:\n  - respond: {code: 200, body: x}\n", 2, 14, "a body needs a content-type"},
        {"rules:\n  - respond: {code: 200, headers: {\"Bad Name\": x}}\n", 2, 48, "bad header"},
        {"rules:\n  - respond: {code: 488, warning: \"oops\"}\n", 2, 35, "expected '3xx text'"},
        {"rules:\n  - respond: {choose: [{weight: 0, respond: 486}]}\n", 2, 23,
         "the weights add up to 0"},
        {"timers: {t1: 500, t2: 100}\n", 1, 9, "T2 >= T1"},
        {"min-se: 30\n", 1, 9, "at least 90"},
        {"rules: {}\n", 1, 8, "rules: expected a list of rules"},
        {"bogus: 1\n", 1, 1, "unknown key 'bogus'"},
        {"", 0, 0, "the configuration is empty"},
        {"rules:\n  - respond: 200\n    respond: 486\n", 3, 5, "duplicate key 'respond'"},
        {"rules:\n  - register: {min-expires: 100, max-expires: 10}\n", 2, 15,
         "min-expires is larger than max-expires"},
        /* a code outside the registry can never be built without unregistered: true */
        {"rules:\n  - respond: 409\n", 2, 14, "409 is not in the IANA registry (a legacy code)"},
        {"rules:\n  - respond: {code: 450}\n", 2, 14, "450 is not in the IANA registry"},
        {"rules:\n  - challenge: {algorithms: [SHA-512]}\n    respond: 200\n", 2, 29,
         "unknown algorithm 'SHA-512'"},
        /* forward */
        {"rules:\n  - forward: {}\n", 2, 14, "forward needs targets"},
        {"rules:\n  - forward: sip:a@example.com\n", 2, 14, "no DNS"},
        {"rules:\n  - forward: \"tel:+123\"\n", 2, 14, "a target is a sip: URI"},
        {"rules:\n  - forward: \"sip:a@127.0.0.1;transport=tcp\"\n", 2, 14, "over UDP only"},
        {"rules:\n  - forward: {targets: [{uri: \"sip:a@[::1]\", q: 2}]}\n", 2, 49,
         "targets[0].q: a q-value is from 0 to 1"},
        {"rules:\n  - forward: {targets: sip:127.0.0.1, mode: random}\n", 2, 45,
         "mode is parallel or sequential"},
        {"rules:\n  - forward: {targets: sip:127.0.0.1, timer-c: 180s}\n", 2, 0,
         "Timer C is greater than 3 minutes"},
        {"rules:\n  - forward: {targets: sip:127.0.0.1, rewrite: [{code: 200, to: 486}]}\n", 2, 0,
         "a 2xx is forwarded as it is"},
        {"rules:\n  - forward: {targets: sip:127.0.0.1, rewrite: [{code: 180, to: 486}]}\n", 2, 0,
         "'to' maps a provisional to a provisional"},
        {"rules:\n  - forward: {targets: sip:127.0.0.1, rewrite: [{code: 4xx, drop: true}]}\n", 2,
         0, "only a provisional (1xx) may be dropped"},
        {"rules:\n  - forward: {targets: sip:127.0.0.1, rewrite: [{to: 480}]}\n", 2, 0,
         "a rewrite needs the code"},
        {"rules:\n  - forward: {targets: sip:127.0.0.1, rewrite: [{code: 7xx}]}\n", 2, 0,
         "expected a code 100-699 or a class"},
        {"rules:\n  - forward: {targets: sip:127.0.0.1, replace: [{target: 1, code: 503}]}\n", 2, 0,
         "replace[0].target: expected a number from 0 to 0"},
        {"rules:\n  - forward: {targets: sip:127.0.0.1, replace: [{code: 200}]}\n", 2, 0,
         "a replaced answer is a final 300-699"},
        {"rules:\n  - forward: {targets: sip:127.0.0.1, via: x}\n", 2, 0, "unknown key 'via'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sd_config *cf = NULL;
        sd_config_error err;
        int rc = sd_config_parse(&cf, cases[i].yaml, strlen(cases[i].yaml), &err);
        if (rc == 0) {
            sd_config_free(cf);
            fail_msg("case %zu accepted:\n%s", i, cases[i].yaml);
        }
        if (!strstr(err.msg, cases[i].msg) || err.line != cases[i].line ||
            (cases[i].col && err.column != cases[i].col))
            fail_msg("case %zu: got %u:%u '%s', want %u:%u '...%s...'", i, err.line, err.column,
                     err.msg, cases[i].line, cases[i].col, cases[i].msg);
    }
}

/* The forward action: targets (scalar, list, mappings with q), mode, timers, rewrites and
 * replaces, read into config_forward.h's structures. */
static void test_forward_schema(void **state)
{
    (void)state;
    static const char y[] = "rules:\n"
                            "  - name: one\n"
                            "    forward: sip:{{user}}@127.0.0.1:5071\n"
                            "  - name: full\n"
                            "    forward:\n"
                            "      mode: sequential\n"
                            "      targets:\n"
                            "        - sip:a@127.0.0.1:5071\n"
                            "        - {uri: \"sip:b@[::1]:5072\", q: 0.5}\n"
                            "      timer-c: 200s\n"
                            "      branch-timeout: 2s\n"
                            "      record-route: true\n"
                            "      keep-503: true\n"
                            "      rewrite:\n"
                            "        - {code: 503, to: 480, reason: Away, headers: {X-A: b},\n"
                            "           remove: [Retry-After, Warning]}\n"
                            "        - {code: 18x, delay: 250ms}\n"
                            "        - {code: 1xx, drop: true}\n"
                            "      replace: [{target: 1, code: 486, percent: 25}, {code: 600}]\n";
    sd_config *cf = NULL;
    sd_config_error err;
    int rc = sd_config_parse(&cf, y, strlen(y), &err);
    if (rc == 0)
        fail_msg("18x accepted");
    assert_non_null(strstr(err.msg, "rewrite[1].code"));
    char fixed[sizeof(y)];
    memcpy(fixed, y, sizeof(y));
    char *x = strstr(fixed, "18x");
    memcpy(x, "183", 3);
    rc = sd_config_parse(&cf, fixed, strlen(fixed), &err);
    if (rc != 0)
        fail_msg("%u:%u: %s", err.line, err.column, err.msg);
    const sd_forward *f = cf->rules[0].actions[0].forward;
    assert_int_equal(cf->rules[0].actions[0].kind, SD_ACT_FORWARD);
    assert_int_equal(f->n_targets, 1);
    assert_string_equal(f->targets[0].uri, "sip:{{user}}@127.0.0.1:5071");
    assert_int_equal(f->targets[0].q, 1000);
    assert_false(f->sequential);
    assert_int_equal(f->timer_c_ms, 181000);
    f = cf->rules[1].actions[0].forward;
    assert_true(f->sequential && f->record_route && f->keep_503);
    assert_int_equal(f->n_targets, 2);
    assert_int_equal(f->targets[1].q, 500);
    assert_int_equal(f->timer_c_ms, 200000);
    assert_int_equal(f->branch_ms, 2000);
    assert_int_equal(f->n_rewrites, 3);
    assert_int_equal(f->rewrites[0].lo, 503);
    assert_int_equal(f->rewrites[0].to, 480);
    assert_string_equal(f->rewrites[0].reason, "Away");
    assert_int_equal(f->rewrites[0].n_add, 1);
    assert_string_equal(f->rewrites[0].remove[1], "Warning");
    assert_int_equal(f->rewrites[1].delay_ms, 250);
    assert_int_equal(f->rewrites[2].lo, 100);
    assert_int_equal(f->rewrites[2].hi, 199);
    assert_true(f->rewrites[2].drop);
    assert_int_equal(f->n_replaces, 2);
    assert_int_equal(f->replaces[0].target, 1);
    assert_int_equal(f->replaces[0].percent, 25);
    assert_int_equal(f->replaces[1].target, -1);
    assert_int_equal(f->replaces[1].percent, 100);
    assert_int_equal(f->replaces[1].code, 600);
    sd_config_free(cf);
}

/* forward's location (the registrar's bindings, RFC 3261 §16.5) and recurse (§16.7 step 4):
 * what is accepted, and each refusal with its reason. */
static void test_forward_location_recurse(void **state)
{
    (void)state;
    static const char ok[] = "rules:\n"
                             "  - register: {domains: [example.com]}\n"
                             "    match: {method: REGISTER}\n"
                             "  - forward: {location: true, recurse: 3, mode: sequential,\n"
                             "              replace: [{code: 480, percent: 10}]}\n";
    sd_config *cf = NULL;
    sd_config_error err;
    if (sd_config_parse(&cf, ok, strlen(ok), &err) != 0)
        fail_msg("%u:%u: %s", err.line, err.column, err.msg);
    const sd_forward *f = cf->rules[1].actions[0].forward;
    assert_true(f->location && f->sequential);
    assert_int_equal(f->n_targets, 0);
    assert_int_equal(f->recurse, 3);
    assert_ptr_equal(sd__forward_registrar(cf, "EXAMPLE.com", 11), &cf->rules[0].actions[0]);
    assert_null(sd__forward_registrar(cf, "example.org", 11));
    sd_config_free(cf);
    static const struct {
        const char *yaml, *why;
    } bad[] = {
        {"rules:\n  - forward: {location: true}\n", "no rule has one"},
        {"rules:\n  - register: {}\n  - forward: {location: true, targets: sip:a@1.2.3.4}\n",
         "the one excludes the other"},
        {"rules:\n  - forward: {mode: sequential}\n", "forward needs targets"},
        {"rules:\n  - forward: {targets: sip:a@1.2.3.4, recurse: 9}\n", "recurse"},
        {"rules:\n  - forward: {targets: sip:a@1.2.3.4, recurse: yes}\n", "recurse"},
        {"rules:\n  - register: {}\n  - forward: {location: true, replace: [{target: 0, "
         "code: 486}]}\n",
         "a replace applies to each"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cf = NULL;
        if (sd_config_parse(&cf, bad[i].yaml, strlen(bad[i].yaml), &err) == 0)
            fail_msg("accepted: %s", bad[i].yaml);
        if (!strstr(err.msg, bad[i].why))
            fail_msg("'%s': %s, want '%s'", bad[i].yaml, err.msg, bad[i].why);
    }
}

static void test_missing_file(void **state)
{
    (void)state;
    sd_config *cf = NULL;
    sd_config_error err;
    assert_int_equal(sd_config_load(&cf, "/nonexistent/sipreplyd.yaml", &err), -1);
    assert_non_null(strstr(err.msg, "cannot open"));
}

static void test_durations_and_cidrs(void **state)
{
    (void)state;
    uint32_t ms;
    assert_int_equal(sd_parse_duration("1500", &ms), 0);
    assert_int_equal(ms, 1500);
    assert_int_equal(sd_parse_duration("2s", &ms), 0);
    assert_int_equal(ms, 2000);
    assert_int_equal(sd_parse_duration("1.5s", &ms), 0);
    assert_int_equal(ms, 1500);
    assert_int_equal(sd_parse_duration("250ms", &ms), 0);
    assert_int_equal(ms, 250);
    assert_int_equal(sd_parse_duration("1m", &ms), 0);
    assert_int_equal(ms, 60000);
    assert_int_equal(sd_parse_duration("-1", &ms), -1);
    assert_int_equal(sd_parse_duration("2h", &ms), -1);
    assert_int_equal(sd_parse_duration("", &ms), -1);
    sd_cidr c;
    assert_int_equal(sd_cidr_parse("10.0.0.0/8", &c), 0);
    assert_true(sd_cidr_contains(&c, "10.200.1.1"));
    assert_false(sd_cidr_contains(&c, "11.0.0.1"));
    assert_false(sd_cidr_contains(&c, "[::1]"));
    assert_int_equal(sd_cidr_parse("192.0.2.128/25", &c), 0);
    assert_true(sd_cidr_contains(&c, "192.0.2.200"));
    assert_false(sd_cidr_contains(&c, "192.0.2.100"));
    assert_int_equal(sd_cidr_parse("2001:db8::/32", &c), 0);
    assert_true(sd_cidr_contains(&c, "[2001:db8:1::5]"));
    assert_false(sd_cidr_contains(&c, "[2001:db9::5]"));
    assert_int_equal(sd_cidr_parse("127.0.0.1", &c), 0);
    assert_true(sd_cidr_contains(&c, "127.0.0.1"));
    assert_true(sd_cidr_contains(&c, "[::ffff:127.0.0.1]"));
    assert_int_equal(sd_cidr_parse("1.2.3.4/", &c), -1);
    assert_int_equal(sd_cidr_parse("nope", &c), -1);
}

/* A step with both "contact" and "contacts" (one key, RFC 3261 §20.10 Contact): the last
 * wins and the first list is freed; the ASan build's leak check fails the test otherwise
 * (the leak came back on every SIGHUP). */
static void test_contact_and_contacts(void **state)
{
    (void)state;
    static const char *const yaml[] = {
        "rules:\n  - redirect: {code: 302, contact: \"sip:a@b\", contacts: [\"sip:c@d\", "
        "\"sip:e@f\"]}\n",
        "rules:\n  - redirect: {code: 302, contacts: [\"sip:a@b\", \"sip:x@y\"], contact: "
        "\"sip:c@d\"}\n",
    };
    for (int i = 0; i < 2; i++) {
        for (int load = 0; load < 3; load++) { /* as three reloads would */
            sd_config *cf = NULL;
            sd_config_error err;
            int rc = sd_config_parse(&cf, yaml[i], strlen(yaml[i]), &err);
            if (rc != 0)
                fail_msg("%u:%u: %s", err.line, err.column, err.msg);
            const sd_step *st = &cf->rules[0].actions[0].choices[0].steps[0];
            assert_int_equal(st->n_contacts, i == 0 ? 2 : 1);
            assert_string_equal(st->contacts[0].uri, "sip:c@d");
            sd_config_free(cf);
        }
    }
}

/* `registrations:` (config_register.c): the list and mapping forms, ranges and their
 * expansion, defaults, and the errors with their places. */
static void test_registrations_schema(void **state)
{
    (void)state;
    const char *ok = "registrations:\n"
                     "  rate: 5\n"
                     "  in-flight: 8\n"
                     "  retry-min: 10\n"
                     "  retry-max: 60\n"
                     "  accounts:\n"
                     "    - aor: sip:user{0998..1002}@pbx.example.com\n"
                     "      registrar: 192.0.2.1:5080\n"
                     "      transport: tcp\n"
                     "      user: \"u{n}\"\n"
                     "      password: \"pw-{n}\"\n"
                     "      realm: pbx\n"
                     "      expires: 600\n"
                     "      contact: \"sip:{n}@203.0.113.5:5060\"\n"
                     "    - aor: sip:alice@pbx.example.com\n";
    sd_config *cf = NULL;
    sd_config_error err;
    if (sd_config_parse(&cf, ok, strlen(ok), &err) != 0)
        fail_msg("%u:%u: %s", err.line, err.column, err.msg);
    assert_int_equal(cf->n_regs, 2);
    assert_int_equal(cf->n_reg_aors, 6);
    assert_int_equal(cf->reg.rate, 5);
    assert_int_equal(cf->reg.in_flight, 8);
    assert_int_equal(cf->reg.retry_min_s, 10);
    assert_int_equal(cf->reg.retry_max_s, 60);
    const sd_registration *r = &cf->regs[0];
    assert_int_equal(r->first, 998);
    assert_int_equal(r->count, 5);
    assert_int_equal(r->width, 4);
    assert_int_equal(r->expires, 600);
    assert_string_equal(r->registrar, "sip:192.0.2.1:5080;transport=tcp");
    char out[128];
    assert_int_equal(sd_registration_expand(r, r->aor, 0, out, sizeof(out)), 0);
    assert_string_equal(out, "sip:user0998@pbx.example.com");
    assert_int_equal(sd_registration_expand(r, r->aor, 4, out, sizeof(out)), 0);
    assert_string_equal(out, "sip:user1002@pbx.example.com");
    assert_int_equal(sd_registration_expand(r, r->user, 2, out, sizeof(out)), 0);
    assert_string_equal(out, "u1000");
    assert_int_equal(sd_registration_expand(r, r->password, 1, out, sizeof(out)), 0);
    assert_string_equal(out, "pw-0999");
    assert_int_equal(sd_registration_expand(r, r->contact, 3, out, sizeof(out)), 0);
    assert_string_equal(out, "sip:1001@203.0.113.5:5060");
    assert_int_equal(sd_registration_expand(r, r->aor, 0, out, 10), -1);
    r = &cf->regs[1];
    assert_int_equal(r->count, 1);
    assert_int_equal(r->expires, 3600);
    assert_null(r->registrar);
    assert_null(r->password);
    sd_config_free(cf);
    /* the list form: defaults for how they run */
    const char *list = "registrations:\n  - aor: sip:{1..3}@127.0.0.1\n";
    assert_int_equal(sd_config_parse(&cf, list, strlen(list), &err), 0);
    assert_int_equal(cf->reg.rate, 20);
    assert_int_equal(cf->reg.in_flight, 64);
    assert_int_equal(cf->regs[0].width, 1);
    sd_config_free(cf);
    static const struct {
        const char *yaml;
        const char *msg;
    } bad[] = {
        {"registrations:\n  - registrar: 127.0.0.1\n", "a registration needs an `aor`"},
        {"registrations:\n  - aor: tel:+331234\n", "an AOR is a sip: URI"},
        {"registrations:\n  - aor: sip:{5..3}@h\n", "a range {A..B} has A <= B"},
        {"registrations:\n  - aor: sip:{1..2}x{3..4}@h\n", "one {A..B} range per AOR"},
        {"registrations:\n  - aor: sip:{0..100000}@h\n", "a range holds at most 100000 AORs"},
        {"registrations:\n  - aor: sip:a{n}@h\n", "{n} stands for the number of a {A..B} range"},
        {"registrations:\n  - aor: sip:h\n", "has no user part: give `user`"},
        {"registrations:\n  - aor: sip:a@h\n    registrar: sip:u@h\n",
         "a registrar is a sip: URI without a user"},
        {"registrations:\n  - aor: sip:a@h\n    transport: sctp\n", "transport is udp or tcp"},
        {"registrations:\n  - aor: sip:a@h\n    expires: 0\n", "expires is at least 1"},
        {"registrations:\n  - aor: sip:a@h\n    contact: mailto:x@y\n", "contact is a sip: URI"},
        {"registrations:\n  - aor: sip:a@h\n    pasword: x\n", "unknown key 'pasword'"},
        {"registrations:\n  rate: 0\n  accounts: []\n", "rate: 1 to 10000"},
        {"registrations:\n  retry-min: 100\n  retry-max: 10\n", "retry-max at least retry-min"},
        {"registrations:\n  acounts: []\n", "unknown key 'acounts'"},
        {"registrations:\n  accounts:\n    - aor: sip:{1..60000}@h\n    - aor: sip:{1..60000}@h\n",
         "at most 100000 AORs in all"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cf = NULL;
        if (sd_config_parse(&cf, bad[i].yaml, strlen(bad[i].yaml), &err) == 0)
            fail_msg("case %zu loaded: %s", i, bad[i].yaml);
        if (!strstr(err.msg, bad[i].msg))
            fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, bad[i].msg);
        assert_null(cf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_loads),
        cmocka_unit_test(test_examples_load),
        cmocka_unit_test(test_full_schema),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_durations_and_cidrs),
        cmocka_unit_test(test_contact_and_contacts),
        cmocka_unit_test(test_forward_schema),
        cmocka_unit_test(test_forward_location_recurse),
        cmocka_unit_test(test_registrations_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
