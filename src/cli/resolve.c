/* sipreply CLI: `sipreply resolve URI [--server LIST] [--timeout MS] [--json]`.
 * Prints the ordered targets RFC 3263 §4 gives for a SIP or SIPS URI (src/net resolver). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/sipreply.h"

#include "cli.h"
#include "json.h"
#include "net.h"

static void resolve_usage(FILE *out)
{
    fprintf(out,
            "usage: %s resolve URI [--server IP[:PORT],...] [--timeout MS] [--json]\n\n"
            "Prints where a request to a SIP or SIPS URI goes, in failover order (RFC 3263 §4):\n"
            "NAPTR, then SRV (weighted at random, RFC 2782), then A and AAAA records; a port\n"
            "in the URI means A/AAAA only, a numeric host is used as it is. One target per line:\n"
            "transport, address, port, and the name the address came from. TLS and SCTP\n"
            "targets are listed where the RFC puts them and marked unsupported (the network\n"
            "shell does not build those transports).\n\n"
            "options:\n"
            "  --server LIST  the DNS servers to ask (default: /etc/resolv.conf's)\n"
            "  --timeout MS   the first try's timeout per query (default 2000; 2 tries)\n"
            "  --json         print a JSON object (uri, status, targets)\n"
            "  -h, --help     print this help\n\n"
            "exit status: 0 when a target was found, 1 when none was (not found, timeout,\n"
            "server failure), 2 on bad usage or a URI that is not sip: or sips:.\n",
            cli_prog);
}

typedef struct job {
    sn_loop *l;
    int status;
    bool done;
    sn_targets t;
} job;

static void on_result(void *user, int status, const sn_targets *t)
{
    job *j = user;
    j->status = status;
    j->t = *t;
    j->done = true;
    sn_loop_stop(j->l);
}

static void on_receive(void *user, const char *data, size_t len, const sr_addr *src,
                       const sn_local *local, uint64_t now_ms)
{
    (void)user, (void)data, (void)len, (void)src, (void)local, (void)now_ms;
}

static const char *tp_name(sr_transport tp)
{
    static const char *names[] = {"udp", "tcp", "tls", "sctp"};
    return (unsigned)tp < 4 ? names[tp] : "?";
}

static void print_json(const char *uri, const job *j)
{
    jw w;
    jw_init(&w, stdout, true);
    jw_obj_begin(&w);
    jw_kv_cstr(&w, "uri", uri);
    jw_kv_cstr(&w, "status", j->status ? sr_errname(j->status) : "ok");
    jw_key(&w, "targets");
    jw_arr_begin(&w);
    for (size_t i = 0; i < j->t.n; i++) {
        const sn_target *t = &j->t.t[i];
        jw_obj_begin(&w);
        jw_kv_cstr(&w, "transport", tp_name(t->addr.transport));
        jw_kv_cstr(&w, "address", t->addr.host);
        jw_kv_int(&w, "port", t->addr.port);
        jw_kv_cstr(&w, "name", t->name[0] ? t->name : NULL);
        jw_kv_bool(&w, "supported", t->supported);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    jw_finish(&w);
}

int cmd_resolve(int argc, char **argv)
{
    const char *uri = NULL, *servers = NULL;
    bool json = false;
    long timeout = 2000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            resolve_usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--server") && i + 1 < argc) {
            servers = argv[++i];
        } else if (!strcmp(a, "--timeout") && i + 1 < argc) {
            char *end;
            timeout = strtol(argv[++i], &end, 10);
            if (*end || timeout < 1 || timeout > 600000) {
                fprintf(stderr, "%s resolve: --timeout: 1 to 600000 ms\n", cli_prog);
                return CLI_USAGE;
            }
        } else if (a[0] == '-' || uri) {
            resolve_usage(stderr);
            return CLI_USAGE;
        } else {
            uri = a;
        }
    }
    if (!uri) {
        resolve_usage(stderr);
        return CLI_USAGE;
    }
    job j = {0};
    sn_opts o;
    sn_opts_default(&o);
    o.reflection_budget = 0; /* no listener: nothing to budget */
    o.max_conns = 1;
    sn_handler h = {.receive = on_receive};
    char err[256];
    sn_resolver *r = NULL;
    if (sn_loop_new(&j.l, &o, &h, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s resolve: %s\n", cli_prog, err);
        return CLI_NOTICE;
    }
    sn_resolver_opts ro;
    sn_resolver_opts_default(&ro);
    ro.servers = servers;
    ro.timeout_ms = (uint32_t)timeout;
    if (sn_resolver_new(&r, j.l, &ro, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s resolve: %s\n", cli_prog, err);
        sn_loop_free(j.l);
        return CLI_USAGE;
    }
    int rc = sn_resolve_uri(r, uri, strlen(uri), on_result, &j, NULL);
    if (rc != 0) {
        fprintf(stderr, "%s resolve: '%s': %s\n", cli_prog, uri,
                rc == SR_EBADMSG ? "not a valid URI" : sr_strerror(rc));
        sn_resolver_free(r);
        sn_loop_free(j.l);
        return CLI_USAGE;
    }
    sn_loop_run(j.l); /* until the result (or SIGINT/SIGTERM) */
    if (!j.done)
        j.status = SR_ETIMEDOUT; /* interrupted */
    if (json) {
        print_json(uri, &j);
    } else if (j.status) {
        fprintf(stderr, "%s resolve: %s: %s\n", cli_prog, uri, sr_strerror(j.status));
    } else {
        for (size_t i = 0; i < j.t.n; i++) {
            const sn_target *t = &j.t.t[i];
            printf("%zu %s %s %u %s%s\n", i + 1, tp_name(t->addr.transport), t->addr.host,
                   t->addr.port, t->name[0] ? t->name : "-",
                   t->supported ? "" : " (unsupported transport)");
        }
    }
    sn_resolver_free(r);
    sn_loop_free(j.l);
    return j.status ? CLI_NOTICE : CLI_OK;
}
