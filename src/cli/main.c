/* sipreply CLI: the command dispatcher.
 * Subcommands explain SIP status codes, parse and lint messages, build responses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/sipreply.h"

#include "cli.h"

const char *cli_prog = "sipreply";

static const cli_cmd commands[] = {
    {"explain", cmd_explain, "explain a status code, a class (4xx) or a reason phrase"},
    {"codes", cmd_codes, "list every registered status code"},
    {"tour", cmd_tour, "a short guided tour of what sipreply does"},
    {"parse", cmd_parse, "parse a SIP message and print its structure"},
    {"lint", cmd_lint, "check SIP messages against the RFC rules"},
    {"respond", cmd_respond, "print a correct response to a request"},
    {"resolve", cmd_resolve,
     "print where a request to a SIP URI goes (RFC 3263 NAPTR, SRV, A/AAAA)"},
    {"probe", cmd_probe, "send a request as a UAC and show what comes back (ladder, lint)"},
    {"analyze", cmd_analyze, "report the calls, codes, RFC 6076 metrics and findings of a capture"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

bool cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

char *cli_read_input(const char *path, size_t *len)
{
    FILE *f = (!path || strcmp(path, "-") == 0) ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open %s\n", cli_prog, path);
        return NULL;
    }
    size_t n = 0, cap = 0;
    char *buf = NULL;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                fprintf(stderr, "%s: out of memory reading %s\n", cli_prog, path ? path : "-");
                free(buf);
                if (f != stdin)
                    fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    bool err = ferror(f) != 0;
    if (f != stdin)
        fclose(f);
    if (err) {
        fprintf(stderr, "%s: error reading %s\n", cli_prog, path ? path : "-");
        free(buf);
        return NULL;
    }
    if (!buf)
        buf = malloc(1);
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: %s <command> [options] [arguments]\n"
            "       %s --help | --version\n\n"
            "SIP response machinery: explain status codes, parse and check messages,\n"
            "build responses.\n\ncommands:\n",
            cli_prog, cli_prog);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n'%s <command> --help' describes a command; the manual has the rest: 'man sipreply'\n"
            "once installed, 'man -l docs/sipreply.1' in the source tree.\n",
            cli_prog);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("sipreply %s (libsipreply %s)\n", SR_VERSION_STRING, sr_version());
        return CLI_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "%s: unknown command '%s'\n", cli_prog, argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
