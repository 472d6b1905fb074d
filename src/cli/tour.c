/* sipreply CLI: `sipreply tour`, what `make run` shows until the daemon exists.
 * Prints what the tool does and runs `explain 486` through the same code path as the command. */
#include <stdio.h>

#include "sipreply/sipreply.h"

#include "cli.h"

int cmd_tour(int argc, char **argv)
{
    if (argc > 1 && cli_is_help(argv[1])) {
        printf("usage: %s tour\n\nPrints a short guided tour of the commands.\n", cli_prog);
        return CLI_OK;
    }
    if (argc > 1) {
        fprintf(stderr, "%s tour: takes no arguments\n", cli_prog);
        return CLI_USAGE;
    }
    printf("sipreply: the SIP response machinery, from the command line.\n\n"
           "It knows all %zu registered SIP status codes (and %zu legacy or vendor ones).\n"
           "For example, '%s explain 486':\n\n",
           sr_status_count(), sr_status_legacy_count(), cli_prog);
    fflush(stdout);
    char a0[] = "explain", a1[] = "486";
    char *args[] = {a0, a1, NULL};
    int rc = cmd_explain(2, args);
    printf("\nTry:\n"
           "  %s explain 4xx                 a whole class and its codes\n"
           "  %s explain 'Gateway time-out'  a reason phrase, as seen in the field\n"
           "  %s explain 499                 an unregistered code (acts as 400)\n"
           "  %s codes --json                every code, for scripts\n"
           "  %s --help                      every command\n",
           cli_prog, cli_prog, cli_prog, cli_prog, cli_prog);
    return rc;
}
