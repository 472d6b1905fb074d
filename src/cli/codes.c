/* sipreply CLI: `sipreply codes [--class N] [--legacy] [--json]`.
 * Lists every registered SIP status code (IANA registry), or the legacy/vendor table. */
#include <stdio.h>
#include <string.h>

#include "sipreply/sipreply.h"

#include "cli.h"
#include "status_out.h"

static void codes_usage(FILE *out)
{
    fprintf(out,
            "usage: %s codes [--class N] [--legacy] [--json]\n\n"
            "Lists every registered SIP status code: code, canonical phrase, defining RFC and\n"
            "the header fields the response must carry.\n\n"
            "options:\n"
            "  --class N   only class N (1 to 6, or 1xx to 6xx)\n"
            "  --legacy    list the unregistered legacy and vendor codes instead\n"
            "  --json      print a JSON array of objects (code, phrase, class, rfc,\n"
            "              must_carry, ...)\n"
            "  -h, --help  print this help\n\n"
            "exit status: 0 on success, 2 on bad usage.\n",
            cli_prog);
}

/* "4", "4xx", "4XX" -> 4; anything else -> 0. */
static int parse_class(const char *s)
{
    if (s[0] < '1' || s[0] > '6')
        return 0;
    if (s[1] == '\0')
        return s[0] - '0';
    if ((s[1] == 'x' || s[1] == 'X') && (s[2] == 'x' || s[2] == 'X') && s[3] == '\0')
        return s[0] - '0';
    return 0;
}

static void print_row(const sr_status_info *s)
{
    bool more = s->must_carry[0] || (s->flags & SR_STATUS_F_DEPRECATED);
    printf("%d  %-40s %-*s", s->code, s->phrase, more ? 13 : 0, s->rfc);
    const char *sep = (s->flags & SR_STATUS_F_MUST_ONE_OF) ? " or " : ", ";
    for (size_t i = 0; s->must_carry[i]; i++)
        printf("%s%s", i ? sep : "must carry: ", s->must_carry[i]);
    if (s->flags & SR_STATUS_F_DEPRECATED)
        printf("%sdeprecated", s->must_carry[0] ? "; " : "");
    putchar('\n');
}

int cmd_codes(int argc, char **argv)
{
    bool json = false, legacy = false;
    int cls = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            codes_usage(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--legacy") == 0) {
            legacy = true;
        } else if (strcmp(a, "--class") == 0 || strncmp(a, "--class=", 8) == 0) {
            const char *v = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) {
                fprintf(stderr, "%s codes: --class needs a class (1 to 6 or 1xx to 6xx)\n",
                        cli_prog);
                return CLI_USAGE;
            }
            cls = parse_class(v);
            if (!cls) {
                fprintf(stderr, "%s codes: '%s' is not a class (1 to 6 or 1xx to 6xx)\n", cli_prog,
                        v);
                return CLI_USAGE;
            }
        } else {
            fprintf(stderr, "%s codes: unexpected argument '%s' (try '%s codes --help')\n",
                    cli_prog, a, cli_prog);
            return CLI_USAGE;
        }
    }
    size_t n = legacy ? sr_status_legacy_count() : sr_status_count();
    jw w;
    jw_init(&w, stdout, true);
    if (json)
        jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++) {
        const sr_status_info *s = legacy ? sr_status_legacy_at(i) : sr_status_at(i);
        if (cls && (int)s->cls != cls)
            continue;
        if (json)
            so_json_info(&w, s);
        else
            print_row(s);
    }
    if (json) {
        jw_arr_end(&w);
        jw_finish(&w);
    }
    return CLI_OK;
}
