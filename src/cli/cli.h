/* sipreply CLI: subcommand entry points and shared helpers.
 * Each subcommand lives in its own file as int cmd_<name>(int argc, char **argv). */
#ifndef SIPREPLY_CLI_H
#define SIPREPLY_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* Exit codes shared by every subcommand (DESIGN.md "Command-line contracts"). */
enum {
    CLI_OK = 0,     /* success / well-formed / registered / no MUST broken */
    CLI_NOTICE = 1, /* unregistered-but-valid code, MUST-level finding, ... */
    CLI_USAGE = 2,  /* bad usage or input that cannot be processed */
};

typedef struct cli_cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_cmd;

int cmd_tour(int argc, char **argv);
int cmd_parse(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_respond(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_codes(int argc, char **argv);
int cmd_resolve(int argc, char **argv);
int cmd_probe(int argc, char **argv);

/* The program name for messages ("sipreply"). */
extern const char *cli_prog;

/* true when argv[i] is "-h" or "--help". */
bool cli_is_help(const char *arg);

/*
 * Read all of FILE ("-" or NULL: standard input) into a malloc'd buffer. Returns NULL and
 * prints a message naming the file on failure.
 */
char *cli_read_input(const char *path, size_t *len);

#endif /* SIPREPLY_CLI_H */
