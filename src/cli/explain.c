/* sipreply CLI: `sipreply explain <code|Nxx|phrase> [--json]`.
 * Exit 0: registered code, class or matching phrase; 1: unregistered or legacy code; 2: usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/sipreply.h"

#include "cli.h"
#include "status_out.h"

static void explain_usage(FILE *out)
{
    fprintf(out,
            "usage: %s explain <code|Nxx|phrase> [--json]\n\n"
            "Explains a SIP status code: its canonical reason phrase, class, defining RFC,\n"
            "who sends it, the header fields it must carry and what the client does next.\n\n"
            "  <code>      a code from 100 to 699 (486)\n"
            "  <Nxx>       a class (1xx ... 6xx): what it means and its codes\n"
            "  <phrase>    a reason phrase, any case, as one quoted argument or several words\n"
            "              (\"Gateway time-out\" finds 504; \"Not Acceptable\" finds 406 and 606,\n"
            "              then 488 Not Acceptable Here, whose phrase contains those words)\n\n"
            "options:\n"
            "  --json      print JSON instead of text\n"
            "  -h, --help  print this help\n\n"
            "exit status: 0 registered code, class or matching phrase; 1 code in 100-699 that\n"
            "is not registered (explained through its class) or legacy; 2 anything else.\n",
            cli_prog);
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "%s explain: %s", cli_prog, msg);
    if (arg)
        fprintf(stderr, " '%s'", arg);
    fprintf(stderr, "\n(try '%s explain --help')\n", cli_prog);
    return CLI_USAGE;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
    }
    return true;
}

static int explain_code(const char *arg, bool json)
{
    int code = strlen(arg) <= 3 ? atoi(arg) : 0;
    if (sr_status_class_of(code) == SR_STATUS_CLASS_INVALID) {
        fprintf(stderr,
                "%s explain: '%s' is not a SIP status code (codes are 100 to 699, RFC 3261 "
                "section 7.2)\n",
                cli_prog, arg);
        return CLI_USAGE;
    }
    const sr_status_info *info = sr_status_lookup(code);
    const sr_status_info *legacy = info ? NULL : sr_status_legacy_lookup(code);
    jw w;
    jw_init(&w, stdout, true);
    if (info || legacy) {
        if (json) {
            so_json_info(&w, info ? info : legacy);
            jw_finish(&w);
        } else {
            so_print_info(stdout, info ? info : legacy);
        }
        return info ? CLI_OK : CLI_NOTICE;
    }
    if (json) {
        so_json_unregistered(&w, code);
        jw_finish(&w);
    } else {
        so_print_unregistered(stdout, code);
    }
    return CLI_NOTICE;
}

static int explain_class(const char *arg, bool json)
{
    const sr_status_class_info *ci = sr_status_class_get((sr_status_class)(arg[0] - '0'));
    if (!ci) {
        fprintf(stderr, "%s explain: '%s' is not a SIP response class (1xx to 6xx)\n", cli_prog,
                arg);
        return CLI_USAGE;
    }
    if (json) {
        jw w;
        jw_init(&w, stdout, true);
        so_json_class(&w, ci);
        jw_finish(&w);
    } else {
        so_print_class(stdout, ci);
    }
    return CLI_OK;
}

/* Registered codes whose phrase holds the words of @p q without being @p q ("Busy" is in
 * 486 Busy Here as well as 600's field phrase "Busy"), in code order; the count may
 * exceed @p cap. */
static size_t find_related(sr_str q, const sr_status_info **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < sr_status_count(); i++) {
        const sr_status_info *info = sr_status_at(i);
        if (sr_status_phrase_matches(info, q) || !sr_status_phrase_has_words(info, q))
            continue;
        if (n < cap)
            out[n] = info;
        n++;
    }
    return n;
}

static int explain_phrase(const char *phrase, bool json)
{
    sr_str q = sr_str_from_cstr(phrase);
    const sr_status_info *found[16], *related[16];
    size_t n = sr_status_find_phrase(q, found, sizeof found / sizeof found[0]);
    size_t nr = find_related(q, related, sizeof related / sizeof related[0]);
    int rc = CLI_OK;
    if (n > sizeof found / sizeof found[0])
        n = sizeof found / sizeof found[0];
    if (nr > sizeof related / sizeof related[0])
        nr = sizeof related / sizeof related[0];
    if (n == 0 && nr == 0) {
        /* Not registered: perhaps a legacy or vendor phrase ("Conflict", RFC 2543). */
        for (size_t i = 0; i < sr_status_legacy_count() && n < 16; i++) {
            if (sr_status_phrase_matches(sr_status_legacy_at(i), q))
                found[n++] = sr_status_legacy_at(i);
        }
        rc = CLI_NOTICE;
    }
    if (n == 0 && nr == 0) {
        fprintf(stderr, "%s explain: no SIP status code has the reason phrase '%s'\n", cli_prog,
                phrase);
        return CLI_USAGE;
    }
    if (json) {
        jw w;
        jw_init(&w, stdout, true);
        jw_obj_begin(&w);
        jw_kv_cstr(&w, "query", phrase);
        jw_key(&w, "matches");
        jw_arr_begin(&w);
        for (size_t i = 0; i < n; i++)
            so_json_info(&w, found[i]);
        jw_arr_end(&w);
        jw_key(&w, "containing");
        jw_arr_begin(&w);
        for (size_t i = 0; i < nr; i++)
            so_json_info(&w, related[i]);
        jw_arr_end(&w);
        jw_obj_end(&w);
        jw_finish(&w);
        return rc;
    }
    if (n > 1) {
        printf("'%s' is the phrase of %zu codes:", phrase, n);
        for (size_t i = 0; i < n; i++)
            printf(" %d", found[i]->code);
        printf("\n\n");
    }
    if (nr) {
        printf("%s '%s'%s:", n ? "Also containing" : "Phrases containing", phrase,
               n ? "" : " (no phrase is exactly that)");
        for (size_t i = 0; i < nr; i++)
            printf(" %d %s%s", related[i]->code, related[i]->phrase, i + 1 < nr ? "," : "");
        printf("\n\n");
    }
    for (size_t i = 0; i < n; i++) {
        if (i)
            putchar('\n');
        so_print_info(stdout, found[i]);
    }
    for (size_t i = 0; i < nr; i++) {
        if (i || n)
            putchar('\n');
        so_print_info(stdout, related[i]);
    }
    return rc;
}

int cmd_explain(int argc, char **argv)
{
    bool json = false, opts_done = false;
    size_t cap = 1, len = 0;
    for (int i = 1; i < argc; i++)
        cap += strlen(argv[i]) + 1;
    char *query = malloc(cap);
    if (!query) {
        fprintf(stderr, "%s explain: out of memory\n", cli_prog);
        return CLI_USAGE;
    }
    query[0] = '\0';
    int rc = CLI_USAGE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!opts_done && a[0] == '-' && a[1] != '\0') {
            if (strcmp(a, "--") == 0) {
                opts_done = true;
            } else if (cli_is_help(a)) {
                explain_usage(stdout);
                rc = CLI_OK;
                goto out;
            } else if (strcmp(a, "--json") == 0) {
                json = true;
            } else {
                rc = usage_error("unknown option", a);
                goto out;
            }
            continue;
        }
        /* Several words make one phrase: `explain Busy Here`. */
        if (len)
            query[len++] = ' ';
        memcpy(query + len, a, strlen(a) + 1);
        len += strlen(a);
    }
    /* Trim blanks so " 486 " and "486" are the same argument. */
    char *q = query;
    while (*q == ' ' || *q == '\t')
        q++;
    size_t qlen = strlen(q);
    while (qlen && (q[qlen - 1] == ' ' || q[qlen - 1] == '\t'))
        q[--qlen] = '\0';
    if (qlen == 0) {
        rc = usage_error("needs a code, a class (4xx) or a reason phrase", NULL);
        goto out;
    }
    if (all_digits(q))
        rc = explain_code(q, json);
    else if (qlen == 3 && q[0] >= '0' && q[0] <= '9' && (q[1] == 'x' || q[1] == 'X') &&
             (q[2] == 'x' || q[2] == 'X'))
        rc = explain_class(q, json);
    else
        rc = explain_phrase(q, json);
out:
    free(query);
    return rc;
}
