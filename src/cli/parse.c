/* sipreply CLI: `sipreply parse [FILE|-] [--json] [--stream] [--no-validate]`.
 * Prints a message's structure; exit 0 well-formed, 2 not (error and offset on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/sipreply.h"

#include "cli.h"
#include "json.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: %s parse [FILE|-] [--json] [--stream] [--no-validate]\n\n"
            "Parse one SIP message (standard input with no FILE or '-') and print its start\n"
            "line, header fields in order with their ids, parsed Via/To/From/CSeq/Call-ID and\n"
            "body length.\n\n"
            "  --json         print JSON instead of text\n"
            "  --stream       stream framing (TCP): Content-Length is mandatory\n"
            "  --no-validate  only check the syntax, not the RFC 3261 §8.2 semantics\n\n"
            "Exit status: 0 well-formed, 2 malformed or bad usage (error on stderr).\n",
            cli_prog);
}

static const char *hdr_id_name(enum sr_hdr_id id)
{
    const char *n = sr_hdr_name(id);
    return n ? n : (id == SR_HDR_OTHER ? "other" : "none");
}

static void json_nameaddr(jw *w, const char *key, const sr_nameaddr *na)
{
    jw_key(w, key);
    if (!na) {
        jw_null(w);
        return;
    }
    jw_obj_begin(w);
    jw_kv_str(w, "display", na->display);
    jw_kv_str(w, "uri", na->uri);
    jw_key(w, "tag");
    if (na->tag.p)
        jw_str(w, na->tag);
    else
        jw_null(w);
    jw_kv_str(w, "params", na->params);
    jw_obj_end(w);
}

static void print_json(const sr_msg *m)
{
    jw w;
    jw_init(&w, stdout, true);
    jw_obj_begin(&w);
    const sr_start_line *sl = sr_msg_start_line(m);
    jw_kv_cstr(&w, "type", sl->is_request ? "request" : "response");
    if (sl->is_request) {
        jw_kv_str(&w, "method", sl->method);
        jw_kv_str(&w, "uri", sl->uri);
    } else {
        jw_kv_int(&w, "status", sl->status);
        jw_kv_str(&w, "reason", sl->reason);
    }
    jw_kv_str(&w, "version", sl->version);
    jw_key(&w, "headers");
    jw_arr_begin(&w);
    for (size_t i = 0; i < sr_msg_header_count(m); i++) {
        const sr_header *h = sr_msg_header_at(m, i);
        jw_obj_begin(&w);
        jw_kv_str(&w, "name", h->name);
        jw_kv_cstr(&w, "id", hdr_id_name(h->id));
        jw_kv_str(&w, "value", h->value);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_key(&w, "via");
    jw_arr_begin(&w);
    for (size_t i = 0; i < sr_msg_via_count(m); i++) {
        const sr_via *v = sr_msg_via(m, i);
        jw_obj_begin(&w);
        jw_kv_str(&w, "transport", v->transport);
        jw_kv_str(&w, "host", v->host);
        jw_key(&w, "port");
        if (v->has_port)
            jw_int(&w, v->port);
        else
            jw_null(&w);
        jw_key(&w, "branch");
        if (v->branch.p)
            jw_str(&w, v->branch);
        else
            jw_null(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    json_nameaddr(&w, "to", sr_msg_to(m));
    json_nameaddr(&w, "from", sr_msg_from(m));
    jw_key(&w, "cseq");
    const sr_cseq *cs = sr_msg_cseq(m);
    if (cs) {
        jw_obj_begin(&w);
        jw_kv_int(&w, "num", cs->num);
        jw_kv_str(&w, "method", cs->method);
        jw_obj_end(&w);
    } else {
        jw_null(&w);
    }
    jw_key(&w, "call_id");
    if (sr_msg_call_id(m).p)
        jw_str(&w, sr_msg_call_id(m));
    else
        jw_null(&w);
    jw_kv_int(&w, "content_length", sr_msg_content_length(m));
    jw_kv_int(&w, "body_length", (long long)sr_msg_body(m).len);
    jw_obj_end(&w);
    jw_finish(&w);
}

static void print_text(const sr_msg *m)
{
    const sr_start_line *sl = sr_msg_start_line(m);
    if (sl->is_request)
        printf("request %.*s %.*s %.*s\n", (int)sl->method.len, sl->method.p, (int)sl->uri.len,
               sl->uri.p, (int)sl->version.len, sl->version.p);
    else
        printf("response %u \"%.*s\" %.*s\n", sl->status, (int)sl->reason.len, sl->reason.p,
               (int)sl->version.len, sl->version.p);
    for (size_t i = 0; i < sr_msg_header_count(m); i++) {
        const sr_header *h = sr_msg_header_at(m, i);
        printf("  [%s] %.*s: %.*s\n", hdr_id_name(h->id), (int)h->name.len, h->name.p,
               (int)h->value.len, h->value.p);
    }
    for (size_t i = 0; i < sr_msg_via_count(m); i++) {
        const sr_via *v = sr_msg_via(m, i);
        printf("via[%zu] %.*s %.*s port=%u branch=%.*s\n", i, (int)v->transport.len, v->transport.p,
               (int)v->host.len, v->host.p, (unsigned)v->port, (int)v->branch.len,
               v->branch.p ? v->branch.p : "");
    }
    const sr_nameaddr *to = sr_msg_to(m), *from = sr_msg_from(m);
    if (to)
        printf("to %.*s tag=%.*s\n", (int)to->uri.len, to->uri.p, (int)to->tag.len,
               to->tag.p ? to->tag.p : "");
    if (from)
        printf("from %.*s tag=%.*s\n", (int)from->uri.len, from->uri.p, (int)from->tag.len,
               from->tag.p ? from->tag.p : "");
    const sr_cseq *cs = sr_msg_cseq(m);
    if (cs)
        printf("cseq %u %.*s\n", cs->num, (int)cs->method.len, cs->method.p);
    sr_str cid = sr_msg_call_id(m);
    if (cid.p)
        printf("call-id %.*s\n", (int)cid.len, cid.p);
    printf("body %zu bytes\n", sr_msg_body(m).len);
}

int cmd_parse(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false, stream = false, validate = true;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--stream") == 0) {
            stream = true;
        } else if (strcmp(argv[i], "--no-validate") == 0) {
            validate = false;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "%s parse: unknown option '%s'\n", cli_prog, argv[i]);
            usage(stderr);
            return CLI_USAGE;
        } else if (path) {
            fprintf(stderr, "%s parse: one input only\n", cli_prog);
            return CLI_USAGE;
        } else {
            path = argv[i];
        }
    }
    size_t len;
    char *buf = cli_read_input(path, &len);
    if (!buf)
        return CLI_USAGE;
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.framing = stream ? SR_FRAMING_STREAM : SR_FRAMING_DATAGRAM;
    if (validate)
        o.flags |= SR_PARSE_VALIDATE;
    if (len > o.max_size)
        o.max_size = len;
    sr_msg *m = NULL;
    sr_parse_error e = {0, 0, 0, NULL};
    int rc = sr_msg_parse(&m, buf, len, &o, &e);
    if (rc) {
        const char *hn = sr_hdr_name((enum sr_hdr_id)e.hdr);
        fprintf(stderr, "%s parse: %s: %s at offset %zu%s%s (%s)\n", cli_prog, path ? path : "-",
                e.phrase ? e.phrase : sr_strerror(rc), e.offset, hn ? " in " : "", hn ? hn : "",
                sr_errname(rc) ? sr_errname(rc) : "?");
        free(buf);
        return CLI_USAGE;
    }
    if (json)
        print_json(m);
    else
        print_text(m);
    sr_msg_free(m);
    free(buf);
    return CLI_OK;
}
