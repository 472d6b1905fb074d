/* sipreply CLI: `sipreply respond CODE --to REQFILE [-H 'Name: value']... [--reason TEXT]
 * [--body FILE --type TYPE] [--defaults] [--tag TAG]`: print a correct response to a request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/sipreply.h"

#include "cli.h"

#define MAX_HEADERS 64

static void usage(FILE *out)
{
    fprintf(out,
            "usage: %s respond CODE --to REQFILE [-H 'Name: value']... [--reason TEXT]\n"
            "                  [--body FILE --type TYPE] [--defaults] [--contact URI]\n"
            "                  [--retry-after SECONDS] [--tag TAG] [--unregistered]\n\n"
            "Print the response CODE to the request in REQFILE ('-': standard input), built\n"
            "per RFC 3261 §8.2.6: Via, From, To (with a tag derived from the request),\n"
            "Call-ID and CSeq copied, what the code requires added, Content-Length computed.\n"
            "The response is checked with the linter before it is printed.\n\n"
            "  -H 'Name: value'  add a header field (repeatable)\n"
            "  --reason TEXT     reason phrase instead of the canonical one (a 400 to a\n"
            "                    malformed request gets the parser's precise phrase)\n"
            "  --body FILE       body from FILE, with --type TYPE as its Content-Type\n"
            "  --defaults        supply required header fields the code needs and -H did not\n"
            "                    give (Allow, a digest challenge, Unsupported, Min-Expires,\n"
            "                    Min-SE, Accept...), from sipreply's default policy\n"
            "  --contact URI     Contact for 3xx and dialog-creating responses (repeatable)\n"
            "  --retry-after SECONDS  add Retry-After (503: without it clients act as if\n"
            "                    it were a 500, RFC 3261 §21.5.4)\n"
            "  --tag TAG         To tag instead of the derived one\n"
            "  --unregistered    allow a code outside the IANA registry\n\n"
            "Exit status: 0 printed; 1 refused (the message says what is missing or why);\n"
            "2 bad usage or a request that does not parse.\n",
            cli_prog);
}

static bool parse_code(const char *s, unsigned *out)
{
    if (strlen(s) != 3)
        return false;
    unsigned v = 0;
    for (int i = 0; i < 3; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

int cmd_respond(int argc, char **argv)
{
    const char *req_path = NULL, *body_path = NULL, *type = NULL, *reason = NULL, *tag = NULL;
    const char *code_arg = NULL;
    sr_build_header hdrs[MAX_HEADERS];
    const char *contacts[MAX_HEADERS + 1];
    char *contact_vals[MAX_HEADERS] = {0};
    size_t nh = 0, nc = 0;
    unsigned flags = 0;
    int ret = CLI_USAGE;
    char *reqbuf = NULL, *body = NULL;
    size_t reqlen = 0, bodylen = 0;
    sr_msg *req = NULL, *resp = NULL;
    sr_buf out;
    sr_buf_init(&out, NULL);

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (cli_is_help(a)) {
            usage(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--to") == 0 && has_val) {
            req_path = argv[++i];
        } else if (strcmp(a, "-H") == 0 && has_val) {
            const char *h = argv[++i];
            const char *colon = strchr(h, ':');
            if (!colon || colon == h || nh == MAX_HEADERS) {
                fprintf(stderr, "%s respond: -H wants 'Name: value' (got '%s')\n", cli_prog, h);
                return CLI_USAGE;
            }
            sr_str name = {h, (size_t)(colon - h)};
            while (name.len && (name.p[name.len - 1] == ' ' || name.p[name.len - 1] == '\t'))
                name.len--;
            const char *v = colon + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            hdrs[nh++] = (sr_build_header){name, sr_str_from_cstr(v)};
        } else if (strcmp(a, "--reason") == 0 && has_val) {
            reason = argv[++i];
        } else if (strcmp(a, "--body") == 0 && has_val) {
            body_path = argv[++i];
        } else if (strcmp(a, "--type") == 0 && has_val) {
            type = argv[++i];
        } else if (strcmp(a, "--retry-after") == 0 && has_val) {
            const char *ra = argv[++i];
            size_t k = 0;
            while (ra[k] >= '0' && ra[k] <= '9')
                k++;
            if (k == 0 || k > 10 || ra[k] != '\0' || nh == MAX_HEADERS) {
                fprintf(stderr, "%s respond: --retry-after wants seconds (got '%s')\n", cli_prog,
                        ra);
                return CLI_USAGE;
            }
            hdrs[nh++] = (sr_build_header){SR_STR("Retry-After"), sr_str_from_cstr(ra)};
        } else if (strcmp(a, "--tag") == 0 && has_val) {
            tag = argv[++i];
        } else if (strcmp(a, "--contact") == 0 && has_val) {
            if (nc == MAX_HEADERS) {
                fprintf(stderr, "%s respond: too many --contact\n", cli_prog);
                return CLI_USAGE;
            }
            contacts[nc++] = argv[++i];
        } else if (strcmp(a, "--defaults") == 0) {
            flags |= SR_BUILD_DEFAULTS;
        } else if (strcmp(a, "--unregistered") == 0) {
            flags |= SR_BUILD_UNREGISTERED;
        } else if (a[0] == '-') {
            fprintf(stderr, "%s respond: unknown option or missing value: '%s'\n", cli_prog, a);
            usage(stderr);
            return CLI_USAGE;
        } else if (!code_arg) {
            code_arg = a;
        } else {
            fprintf(stderr, "%s respond: unexpected argument '%s'\n", cli_prog, a);
            return CLI_USAGE;
        }
    }
    contacts[nc] = NULL;
    unsigned code = 0;
    if (!code_arg || !parse_code(code_arg, &code) || code < 100 || code > 699) {
        fprintf(stderr, "%s respond: CODE must be a status code 100-699\n", cli_prog);
        usage(stderr);
        return CLI_USAGE;
    }
    if (!req_path) {
        fprintf(stderr, "%s respond: --to REQFILE is required\n", cli_prog);
        return CLI_USAGE;
    }
    if ((body_path != NULL) != (type != NULL)) {
        fprintf(stderr, "%s respond: --body and --type go together\n", cli_prog);
        return CLI_USAGE;
    }
    reqbuf = cli_read_input(req_path, &reqlen);
    if (!reqbuf)
        goto out;
    sr_parse_error pe;
    memset(&pe, 0, sizeof pe);
    int rc = sr_msg_parse(&req, reqbuf, reqlen, NULL, &pe);
    if (rc) {
        fprintf(stderr, "%s respond: %s: does not parse: %s at offset %zu (%s)\n", cli_prog,
                req_path, pe.phrase ? pe.phrase : sr_strerror(rc), pe.offset,
                sr_errname(rc) ? sr_errname(rc) : "?");
        goto out;
    }
    if (!sr_msg_is_request(req)) {
        fprintf(stderr, "%s respond: %s is a response, not a request\n", cli_prog, req_path);
        goto out;
    }
    if (body_path && !(body = cli_read_input(body_path, &bodylen)))
        goto out;

    sr_build_policy pol;
    sr_build_policy_init(&pol);
    /* --contact is the caller's own Contact: added as a header (a 3xx lists them all) */
    for (size_t i = 0; i < nc; i++) {
        if (nh == MAX_HEADERS) {
            fprintf(stderr, "%s respond: too many header fields\n", cli_prog);
            goto out;
        }
        size_t l = strlen(contacts[i]) + 3;
        contact_vals[i] = malloc(l);
        if (!contact_vals[i])
            goto out;
        snprintf(contact_vals[i], l, "<%s>", contacts[i]);
        hdrs[nh++] = (sr_build_header){SR_STR("Contact"), sr_str_from_cstr(contact_vals[i])};
    }
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.flags = flags;
    o.policy = &pol;
    o.headers = hdrs;
    o.n_headers = nh;
    sr_parse_error ve;
    memset(&ve, 0, sizeof ve);
    if (reason) {
        o.reason = sr_str_from_cstr(reason);
    } else if (code == 400 && sr_msg_validate(req, &ve) != 0 && ve.phrase) {
        /* RFC 3261 §21.4.1: a 400's phrase names the problem the validator found */
        o.reason = sr_str_from_cstr(ve.phrase);
    }
    if (tag)
        o.to_tag = sr_str_from_cstr(tag);
    if (body) {
        o.body = (sr_str){body, bodylen};
        o.body_type = sr_str_from_cstr(type);
    }
    sr_build_error be;
    memset(&be, 0, sizeof be);
    rc = sr_build_response(&resp, req, code, &o, &be);
    if (rc && !sr_status_is_registered((int)code) && !sr_status_legacy_lookup((int)code) &&
        !(flags & SR_BUILD_UNREGISTERED)) {
        /* The library names its flag; a command-line user has an option. */
        int eff = sr_status_effective((int)code);
        fprintf(stderr,
                "%s respond: refusing to build %u: not in the IANA registry (receivers treat it "
                "as %d %s, RFC 3261 §8.1.3.2)\n  add --unregistered to send it anyway\n",
                cli_prog, code, eff, sr_status_phrase(eff));
        ret = CLI_NOTICE;
        goto out;
    }
    if (rc) {
        fprintf(stderr, "%s respond: refusing to build %u: %s", cli_prog, code,
                be.what ? be.what : sr_strerror(rc));
        if (be.header)
            fprintf(stderr, " [%s]", be.header);
        fputc('\n', stderr);
        if (rc == SR_EMISSING && be.header)
            fprintf(stderr, "  add -H '%s: ...'%s\n", be.header,
                    strcmp(be.header, "Contact") == 0 ? " or --contact URI"
                    : (flags & SR_BUILD_DEFAULTS)     ? ""
                                                      : " or use --defaults");
        ret = rc == SR_ENOMEM ? CLI_USAGE : CLI_NOTICE;
        goto out;
    }
    /* The printed response must pass every MUST rule against its request. */
    if ((rc = sr_msg_print(resp, &out)) != 0) {
        fprintf(stderr, "%s respond: %s\n", cli_prog, sr_strerror(rc));
        goto out;
    }
    sr_msg *back = NULL;
    if (sr_msg_parse(&back, out.p, out.len, NULL, NULL) == 0) {
        sr_lint_finding f[64];
        size_t n = sr_lint_pair(back, req, NULL, f, 64);
        size_t must = 0;
        for (size_t i = 0; i < n && i < 64; i++) {
            if (f[i].rule->severity != SR_LINT_MUST)
                continue;
            /* a 400 to a request missing From/To/Call-ID/CSeq cannot copy them */
            if (code == 400 && f[i].rule->scope == SR_LINT_ANY)
                continue;
            must++;
            fprintf(stderr, "%s respond: the response would break %s: %s%s%s%s\n", cli_prog,
                    f[i].rule->id, f[i].rule->message, f[i].arg ? " (" : "",
                    f[i].arg ? f[i].arg : "", f[i].arg ? ")" : "");
        }
        sr_msg_free(back);
        if (must) {
            ret = CLI_NOTICE;
            goto out;
        }
    }
    fwrite(out.p, 1, out.len, stdout);
    ret = CLI_OK;
out:
    sr_buf_cleanup(&out);
    sr_msg_free(resp);
    sr_msg_free(req);
    for (size_t i = 0; i < nc; i++)
        free(contact_vals[i]);
    free(body);
    free(reqbuf);
    return ret;
}
