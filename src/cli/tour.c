/* sipreply CLI: `sipreply tour`, what `make run` shows until the daemon exists.
 * Prints what the tool does and the commands worth trying first. */
#include <stdio.h>

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
           "Try:\n"
           "  %s --help            every command\n",
           cli_prog);
    return CLI_OK;
}
