/* sipreply CLI: `sipreply probe [options] URI` — the UAC core (uac.h) on the command line.
 * Resolves the URI (or --proxy) as RFC 3263 §4 says, then drives one sr_uac context per
 * probe over one sr_stack through the network shell's loop; probe_out.c prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/sipreply.h"

#include "cli.h"
#include "net.h"
#include "probe.h"

static void probe_usage(FILE *out)
{
    fprintf(out,
            "usage: %s probe [options] URI\n\n"
            "Sends a request to a SIP URI as a UAC (OPTIONS by default) and acts on each\n"
            "response as RFC 3261 says: follows 3xx Contacts, answers 401/407 with --user and\n"
            "--password, fixes and resends after 420/421/422/423, waits out 491 and\n"
            "Retry-After, moves to the next server after 408/500/503; an INVITE answered 2xx\n"
            "is ACKed then hung up (BYE). Prints a ladder: each request and response with its\n"
            "time in ms, the meaning of each code, each step with its RFC section, every\n"
            "rule the far end's responses break (the linter), then the outcome.\n\n"
            "options:\n"
            "  --method M       the request's method (default OPTIONS)\n"
            "  --user U         digest user name (with --password)\n"
            "  --password P     digest password\n"
            "  --proxy URI      send through this proxy (its targets, a Route to it)\n"
            "  --transport T    udp or tcp (default: what RFC 3263 resolution gives)\n"
            "  -H 'Name: value' an extra header field (repeatable)\n"
            "  --timeout S      give up on a probe after S seconds (default 5)\n"
            "  --count N        send N probes (default 1) and print statistics\n"
            "  --interval S     seconds between probe starts (default 1)\n"
            "  --json           print one JSON object (exchanges, actions, lint, outcome)\n"
            "  --expect LIST    codes or classes that are OK (200,486,2xx): monitoring-plugin\n"
            "                   exit statuses\n"
            "  --warn MS        with --expect: WARNING when slower than MS\n"
            "  --crit MS        with --expect: CRITICAL when slower than MS\n"
            "  --nagios         print one monitoring-plugin line with perfdata (implies\n"
            "                   --expect 2xx unless given)\n"
            "  --dns-server L   DNS servers to ask, IP[:PORT],... (default: the system's)\n"
            "  -q, --quiet      print only the outcome (or the statistics)\n"
            "  -h, --help       print this help\n\n"
            "exit status without --expect: 0 a 2xx, 1 a final 3xx-6xx (or another outcome\n"
            "such as a loop), 2 no final response (timeout, transport error), 3 bad usage or\n"
            "a URI that cannot be resolved; with --count, the best probe's. With --expect:\n"
            "0 OK, 1 WARNING (slower than --warn, some probes lost), 2 CRITICAL (another\n"
            "code, no answer, slower than --crit), 3 UNKNOWN.\n",
            cli_prog);
}

typedef struct probe {
    pr_opts o;
    pr_result r;
    sn_loop *l;
    sn_resolver *res;
    sr_stack *s;
    sr_uac *u;
    sr_addr servers[SN_TARGETS_MAX];
    size_t n_servers;
    char via_host[SR_ADDR_HOST_MAX];
    uint16_t via_port;
    bool listening[2]; /* udp v4, udp v6 */
    sr_uac_credential cred;
    char route[512];
    pr_run *cur;
    uint64_t next_start; /* UINT64_MAX: none */
    bool bye_sent, bye_answered, hungup;
    sr_msg *req; /* the current probe's template request */
} probe;

static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static int uac_random(uint8_t *out, size_t n, void *user)
{
    (void)user;
    return sn_random(out, n) == 0 ? 0 : SR_EIO;
}

static void scopy(char *dst, size_t cap, sr_str s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = '\0';
}

static pr_step *add_step(pr_run *run, pr_step_kind k, uint64_t now)
{
    if (run->n == run->cap) {
        size_t cap = run->cap ? run->cap * 2 : 16;
        if (cap > 4096)
            return NULL;
        pr_step *ns = realloc(run->steps, cap * sizeof(*ns));
        if (!ns)
            return NULL;
        run->steps = ns;
        run->cap = cap;
    }
    pr_step *st = &run->steps[run->n++];
    memset(st, 0, sizeof(*st));
    st->kind = k;
    st->t_ms = now >= run->start_ms ? now - run->start_ms : 0;
    return st;
}

static void addr_text(char *out, size_t cap, const sr_addr *a)
{
    snprintf(out, cap, "%s %s:%u", pr_tp_name(a->transport), a->host, a->port);
}

/* The request it answers, for the linter's PAIR rules: the last SENT whose CSeq matches. */
static sr_msg *sent_reqs[64];
static size_t n_sent_reqs;

static void forget_sent(void)
{
    for (size_t i = 0; i < n_sent_reqs; i++)
        sr_msg_free(sent_reqs[i]);
    n_sent_reqs = 0;
}

static const sr_msg *request_for(const sr_msg *resp)
{
    const sr_cseq *c = sr_msg_cseq(resp);
    for (size_t i = n_sent_reqs; c && i-- > 0;) {
        const sr_cseq *q = sr_msg_cseq(sent_reqs[i]);
        if (q && q->num == c->num && sr_str_eq(q->method, c->method))
            return sent_reqs[i];
    }
    return NULL;
}

static void end_run(probe *p, uint64_t now);

/* From the first request sent to @p now. */
static uint64_t since_first_sent(const pr_run *run, uint64_t now)
{
    uint64_t t = now >= run->start_ms ? now - run->start_ms : 0;
    for (size_t i = 0; i < run->n; i++)
        if (run->steps[i].kind == PR_SENT)
            return t - run->steps[i].t_ms;
    return t;
}

static void take_uac_events(probe *p, uint64_t now)
{
    pr_run *run = p->cur;
    sr_uac_event e;
    while (p->u && sr_uac_poll(p->u, &e) == 0) {
        pr_step *st;
        switch (e.kind) {
        case SR_UAC_EV_SENT:
            if (!(st = add_step(run, PR_SENT, now)))
                break;
            scopy(st->method, sizeof(st->method), sr_msg_method_str(e.msg));
            scopy(st->uri, sizeof(st->uri), e.uri);
            addr_text(st->addr, sizeof(st->addr), &e.addr);
            if (sr_msg_method(e.msg) == SR_METHOD_BYE)
                p->bye_sent = true;
            if (n_sent_reqs < sizeof(sent_reqs) / sizeof(sent_reqs[0]) &&
                sr_msg_dup(&sent_reqs[n_sent_reqs], e.msg) == 0)
                n_sent_reqs++;
            break;
        case SR_UAC_EV_RESPONSE: {
            if (!(st = add_step(run, PR_RESPONSE, now)))
                break;
            st->status = e.status;
            scopy(st->reason, sizeof(st->reason), sr_msg_reason(e.msg));
            const sr_cseq *c = sr_msg_cseq(e.msg);
            if (c)
                scopy(st->cseq_method, sizeof(st->cseq_method), c->method);
            addr_text(st->addr, sizeof(st->addr), &e.addr);
            st->unknown = e.unknown;
            st->retransmission = e.retransmission;
            sr_lint_finding f[PR_MAX_LINT];
            size_t n = sr_lint_pair(e.msg, request_for(e.msg), NULL, f, PR_MAX_LINT);
            st->n_lint = n < PR_MAX_LINT ? n : PR_MAX_LINT;
            for (size_t i = 0; i < st->n_lint; i++) {
                st->lint[i].rule = f[i].rule;
                st->lint[i].arg = f[i].arg;
            }
            run->n_lint += st->n_lint;
            if (c && c->method_id == SR_METHOD_BYE && e.status >= 200)
                p->bye_answered = true;
            break;
        }
        case SR_UAC_EV_ACTION:
            if (!(st = add_step(run, PR_ACTION, now)))
                break;
            st->action = e.action;
            st->status = e.status;
            st->delay_ms = e.delay_ms;
            scopy(st->detail, sizeof(st->detail), e.detail);
            break;
        case SR_UAC_EV_DONE:
            run->done = true;
            run->outcome = e.outcome;
            run->status = e.status;
            if (e.msg)
                scopy(run->reason, sizeof(run->reason), sr_msg_reason(e.msg));
            run->rtt_ms = since_first_sent(run, now);
            if (e.outcome == SR_UAC_OK && !strcmp(p->o.method, "INVITE") && !p->hungup) {
                p->hungup = true; /* nothing stays up: BYE (RFC 3261 §15.1.1) */
                sr_uac_hangup(p->u, now);
            }
            break;
        default: break;
        }
    }
}

/* The stack's events to the network and the context, the context's to the run, until both
 * are quiet. */
static void pump(probe *p, uint64_t now)
{
    for (int round = 0; round < 64; round++) {
        bool any = false;
        sr_event ev;
        while (sr_stack_poll(p->s, &ev) == 0) {
            any = true;
            if (ev.kind == SR_EV_SEND)
                sn_send(p->l, ev.data, ev.len, &ev.addr);
            if (p->u)
                sr_uac_handle(p->u, &ev, now);
        }
        if (p->u && p->cur) {
            size_t before = p->cur->n;
            bool was_done = p->cur->done;
            take_uac_events(p, now);
            any = any || p->cur->n != before || p->cur->done != was_done;
        }
        if (!any)
            break;
    }
    pr_run *run = p->cur;
    if (run && run->done && (!p->hungup || p->bye_answered))
        end_run(p, now);
}

static int tp_family_index(const sr_addr *a)
{
    return a->host[0] == '[' ? 1 : 0;
}

/* A UDP listener of the family of each server (port 0: the kernel picks). */
static int ensure_listeners(probe *p)
{
    for (size_t i = 0; i < p->n_servers; i++) {
        const sr_addr *a = &p->servers[i];
        int fi = tp_family_index(a);
        if (a->transport != SR_TP_UDP || p->listening[fi])
            continue;
        char bound[128], err[256];
        if (sn_listen(p->l, fi ? "udp:[::]:0" : "udp:0.0.0.0:0", bound, sizeof(bound), err,
                      sizeof(err)) != 0) {
            snprintf(p->r.error, sizeof(p->r.error), "cannot listen: %.200s", err);
            return -1;
        }
        p->listening[fi] = true;
        const char *colon = strrchr(bound, ':');
        if (i == 0 && colon)
            p->via_port = (uint16_t)atoi(colon + 1);
    }
    return 0;
}

static void rand_hex(char *out, size_t nbytes)
{
    uint8_t b[16] = {0};
    if (nbytes > sizeof(b))
        nbytes = sizeof(b);
    (void)sn_random(b, nbytes);
    for (size_t i = 0; i < nbytes; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

/* The caller's request of one probe: a new Call-ID and From tag each time. */
static sr_msg *build_request(probe *p)
{
    const pr_opts *o = &p->o;
    size_t cap = 8192;
    char *t = malloc(cap), tag[33], cid[33];
    if (!t)
        return NULL;
    rand_hex(tag, 8);
    rand_hex(cid, 16);
    const char *body = "";
    const char *ctype = NULL;
    char sdp[512];
    if (!strcmp(o->method, "INVITE")) {
        const char *ip6 = p->via_host[0] == '[' ? "IP6" : "IP4";
        char h[SR_ADDR_HOST_MAX];
        snprintf(h, sizeof(h), "%s", p->via_host);
        if (h[0] == '[') {
            memmove(h, h + 1, strlen(h));
            h[strlen(h) - 1] = '\0';
        }
        snprintf(sdp, sizeof(sdp),
                 "v=0\r\no=sipreply 1 1 IN %s %s\r\ns=sipreply probe\r\nc=IN %s %s\r\nt=0 0\r\n"
                 "m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=inactive\r\n",
                 ip6, h, ip6, h);
        body = sdp;
        ctype = "application/sdp";
    } else if (!strcmp(o->method, "MESSAGE")) {
        body = "sipreply probe";
        ctype = "text/plain";
    }
    int n = snprintf(t, cap,
                     "%s %s SIP/2.0\r\n"
                     "From: <sip:probe@%s>;tag=%s\r\n"
                     "To: <%s>\r\n"
                     "Call-ID: %s@sipreply\r\n"
                     "CSeq: 1 %s\r\n"
                     "Contact: <sip:probe@%s:%u>\r\n"
                     "User-Agent: sipreply/%s\r\n",
                     o->method, o->uri, p->via_host, tag, o->uri, cid, o->method, p->via_host,
                     p->via_port ? p->via_port : 5060, SR_VERSION_STRING);
    if (p->route[0] && n > 0 && (size_t)n < cap)
        n += snprintf(t + n, cap - (size_t)n, "Route: %s\r\n", p->route);
    for (size_t i = 0; i < o->n_headers && n > 0 && (size_t)n < cap; i++)
        n += snprintf(t + n, cap - (size_t)n, "%s\r\n", o->headers[i]);
    if (ctype && n > 0 && (size_t)n < cap)
        n += snprintf(t + n, cap - (size_t)n, "Content-Type: %s\r\n", ctype);
    if (n > 0 && (size_t)n < cap)
        n += snprintf(t + n, cap - (size_t)n, "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
    sr_msg *m = NULL;
    if (n > 0 && (size_t)n < cap && sr_msg_parse(&m, t, (size_t)n, NULL, NULL) != 0)
        m = NULL;
    free(t);
    return m;
}

static void start_run(probe *p, uint64_t now)
{
    pr_run *run = &p->r.runs[p->r.n_runs];
    memset(run, 0, sizeof(*run));
    run->seq = (unsigned)++p->r.n_runs;
    run->start_ms = now;
    p->cur = run;
    p->bye_sent = p->bye_answered = p->hungup = false;
    p->next_start = UINT64_MAX;
    sr_msg *req = build_request(p);
    if (!req) {
        snprintf(p->r.error, sizeof(p->r.error), "cannot build the request (check -H and the URI)");
        run->done = true;
        run->outcome = SR_UAC_ERROR;
        end_run(p, now);
        return;
    }
    sr_uac_config c;
    sr_uac_config_init(&c);
    c.servers = p->servers;
    c.n_servers = p->n_servers;
    c.via_host = p->via_host;
    c.via_port = p->servers[0].transport == SR_TP_UDP ? p->via_port : 0;
    if (p->o.user) {
        c.creds = &p->cred;
        c.n_creds = 1;
    }
    /* 421: the stack PRACKs reliable provisionals (RFC 3262), so 100rel may be used */
    static const char *const supported[] = {"100rel", NULL};
    c.supported = supported;
    c.random = uac_random;
    c.max_retry_after = (uint32_t)(p->o.timeout_ms / 1000);
    c.dialog_via_server = p->route[0] != '\0';
    int rc = sr_uac_new(&p->u, p->s, req, &c);
    sr_msg_free(req);
    if (rc == 0)
        rc = sr_uac_start(p->u, now);
    if (rc != 0 && !p->u) {
        snprintf(p->r.error, sizeof(p->r.error), "cannot start the request: %s", sr_strerror(rc));
        run->done = true;
        run->outcome = SR_UAC_ERROR;
        end_run(p, now);
        return;
    }
    pump(p, now);
}

static void end_run(probe *p, uint64_t now)
{
    pr_run *run = p->cur;
    if (!run)
        return;
    if (p->u) {
        take_uac_events(p, now);
        sr_uac_free(p->u);
        p->u = NULL;
    }
    forget_sent();
    if (!run->done)
        run->rtt_ms = since_first_sent(run, now);
    p->cur = NULL;
    pr_print_run(&p->r, run);
    if (p->r.n_runs < p->o.count && !p->r.interrupted && !p->r.error[0]) {
        uint64_t at = run->start_ms + p->o.interval_ms;
        p->next_start = at > now ? at : now;
    } else {
        p->next_start = UINT64_MAX;
        sn_loop_stop(p->l);
    }
}

static void on_receive(void *user, const char *data, size_t len, const sr_addr *src,
                       const sn_local *local, uint64_t now_ms)
{
    (void)local;
    probe *p = user;
    if (!p->s)
        return;
    sr_stack_receive(p->s, data, len, src, now_ms);
    pump(p, now_ms);
}

static uint64_t on_next_deadline(void *user)
{
    probe *p = user;
    uint64_t d = p->next_start;
    if (p->s)
        d = min64(d, sr_stack_next_deadline(p->s));
    if (p->u)
        d = min64(d, sr_uac_next_deadline(p->u));
    if (p->cur)
        d = min64(d, p->cur->start_ms + p->o.timeout_ms);
    return d;
}

static void on_timer(void *user, uint64_t now)
{
    probe *p = user;
    if (p->s)
        sr_stack_on_timer(p->s, now);
    if (p->u)
        sr_uac_on_timer(p->u, now);
    if (p->s)
        pump(p, now);
    if (p->cur && now >= p->cur->start_ms + p->o.timeout_ms) {
        pr_run *run = p->cur;
        bool pending = !run->done;
        run->timed_out = pending; /* before the CANCEL's DONE can end and print it */
        if (p->u && pending)
            sr_uac_cancel(p->u, now); /* a pending INVITE gets its CANCEL (§9.1) */
        if (p->u)
            pump(p, now);
        if (p->cur)
            end_run(p, now);
    }
    if (!p->cur && p->next_start != UINT64_MAX && now >= p->next_start)
        start_run(p, now);
}

static void on_transport_error(void *user, const sr_addr *peer, uint64_t now)
{
    probe *p = user;
    if (p->cur) {
        char a[96];
        int err = sn_loop_last_error(p->l);
        addr_text(a, sizeof(a), peer);
        snprintf(p->cur->failed, sizeof(p->cur->failed), "%s: %s", a,
                 err ? strerror(err) : "transport error");
    }
    if (p->s) {
        sr_stack_on_transport_error(p->s, peer, now);
        if (peer->conn_id) {
            /* our client transactions name no connection (the shell opened it for them) */
            sr_addr any = *peer;
            any.conn_id = 0;
            sr_stack_on_transport_error(p->s, &any, now);
        }
        pump(p, now);
    }
}

static void on_drain(void *user)
{
    probe *p = user;
    p->r.interrupted = true;
    p->next_start = UINT64_MAX;
}

static size_t on_pending(void *user)
{
    (void)user;
    return 0;
}

static void on_resolved(void *user, int status, const sn_targets *t)
{
    probe *p = user;
    uint64_t now = sn_now_ms();
    for (size_t i = 0; i < t->n && p->r.n_targets < 8; i++)
        snprintf(p->r.targets[p->r.n_targets++], sizeof(p->r.targets[0]), "%s %s:%u%s",
                 pr_tp_name(t->t[i].addr.transport), t->t[i].addr.host, t->t[i].addr.port,
                 t->t[i].supported ? "" : " (unsupported)");
    p->n_servers = status == 0 ? sn_targets_usable(t, p->servers, SN_TARGETS_MAX) : 0;
    if (p->n_servers == 0) {
        snprintf(p->r.error, sizeof(p->r.error), "%s: %s", p->o.proxy ? p->o.proxy : p->o.uri,
                 status ? sr_strerror(status) : "no target the shell can send to");
        sn_loop_stop(p->l);
        return;
    }
    if (sn_local_addr_for(&p->servers[0], p->via_host, sizeof(p->via_host)) != 0 ||
        ensure_listeners(p) != 0) {
        if (!p->r.error[0])
            snprintf(p->r.error, sizeof(p->r.error), "no route to %.200s", p->servers[0].host);
        sn_loop_stop(p->l);
        return;
    }
    sr_config sc;
    sr_config_default(&sc);
    (void)sn_random(&sc.seed, sizeof(sc.seed));
    if (sr_stack_new(&p->s, &sc) != 0) {
        snprintf(p->r.error, sizeof(p->r.error), "out of memory");
        sn_loop_stop(p->l);
        return;
    }
    start_run(p, now);
}

/* "0.5" seconds → ms; false when not a number in (0, 3600]. */
static bool parse_seconds(const char *s, uint64_t *ms)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v > 0) || v > 3600)
        return false;
    *ms = (uint64_t)(v * 1000 + 0.5);
    if (*ms == 0)
        *ms = 1;
    return true;
}

/* "200,486,2xx" → codes and classes (1-6). */
static bool parse_expect(const char *s, pr_opts *o)
{
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        if (o->n_expect == PR_MAX_EXPECT)
            return false;
        if (n == 3 && s[0] >= '1' && s[0] <= '6' && (s[1] == 'x' || s[1] == 'X') &&
            (s[2] == 'x' || s[2] == 'X')) {
            o->expect[o->n_expect++] = (unsigned)(s[0] - '0');
        } else if (n == 3 && s[0] >= '1' && s[0] <= '6' && s[1] >= '0' && s[1] <= '9' &&
                   s[2] >= '0' && s[2] <= '9') {
            o->expect[o->n_expect++] = (unsigned)atoi(s) > 699 ? 0 : (unsigned)atoi(s);
        } else {
            return false;
        }
        s += n;
        if (*s == ',')
            s++;
    }
    return o->n_expect > 0;
}

static bool is_token_method(const char *m)
{
    if (!*m || strlen(m) > 20)
        return false;
    for (const char *c = m; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
            return false;
    return strcmp(m, "ACK") != 0 && strcmp(m, "CANCEL") != 0;
}

static int usage_error(const char *what)
{
    fprintf(stderr, "%s probe: %s\n", cli_prog, what);
    fprintf(stderr, "try '%s probe --help'\n", cli_prog);
    return PR_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, pr_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->method = "OPTIONS";
    o->transport = -1;
    o->timeout_ms = 5000;
    o->count = 1;
    o->interval_ms = 1000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) {
            probe_usage(stdout);
            return -1;
        } else if (!strcmp(a, "--json")) {
            o->json = true;
        } else if (!strcmp(a, "--nagios")) {
            o->nagios = true;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            o->quiet = true;
        } else if (!v && a[0] == '-') {
            return usage_error("an option is missing its value");
        } else if (!strcmp(a, "--method")) {
            o->method = argv[++i];
            if (!is_token_method(o->method))
                return usage_error("--method: an upper-case method token, not ACK or CANCEL");
        } else if (!strcmp(a, "--user")) {
            o->user = argv[++i];
        } else if (!strcmp(a, "--password")) {
            o->password = argv[++i];
        } else if (!strcmp(a, "--proxy")) {
            o->proxy = argv[++i];
        } else if (!strcmp(a, "--dns-server")) {
            o->dns_servers = argv[++i];
        } else if (!strcmp(a, "--transport")) {
            i++;
            if (!strcmp(v, "udp") || !strcmp(v, "UDP"))
                o->transport = SR_TP_UDP;
            else if (!strcmp(v, "tcp") || !strcmp(v, "TCP"))
                o->transport = SR_TP_TCP;
            else
                return usage_error("--transport: udp or tcp");
        } else if (!strcmp(a, "-H") || !strcmp(a, "--header")) {
            i++;
            const char *colon = strchr(v, ':');
            if (!colon || colon == v || strpbrk(v, "\r\n") || o->n_headers == PR_MAX_HEADERS)
                return usage_error("-H: 'Name: value' on one line (32 at most)");
            o->headers[o->n_headers++] = v;
        } else if (!strcmp(a, "--timeout")) {
            if (!parse_seconds(argv[++i], &o->timeout_ms))
                return usage_error("--timeout: seconds, more than 0, at most 3600");
        } else if (!strcmp(a, "--interval")) {
            if (!parse_seconds(argv[++i], &o->interval_ms))
                return usage_error("--interval: seconds, more than 0, at most 3600");
        } else if (!strcmp(a, "--count") || !strcmp(a, "-c")) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 1 || n > 100000)
                return usage_error("--count: 1 to 100000");
            o->count = (unsigned)n;
        } else if (!strcmp(a, "--expect")) {
            if (!parse_expect(argv[++i], o))
                return usage_error("--expect: codes (486) or classes (2xx), comma-separated");
        } else if (!strcmp(a, "--warn") || !strcmp(a, "--crit")) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 1 || n > 3600000)
                return usage_error("--warn/--crit: milliseconds, 1 to 3600000");
            *(a[2] == 'w' ? &o->warn_ms : &o->crit_ms) = (uint64_t)n;
        } else if (a[0] == '-' || o->uri) {
            return usage_error(a[0] == '-' ? "unknown option" : "one URI only");
        } else {
            o->uri = a;
        }
    }
    if (!o->uri)
        return usage_error("a URI is needed (sip:486@127.0.0.1)");
    if (strncmp(o->uri, "sip:", 4) && strncmp(o->uri, "sips:", 5))
        return usage_error("the URI must be sip: or sips:");
    if (!o->user != !o->password)
        return usage_error("--user and --password go together");
    if (o->nagios && o->n_expect == 0)
        o->expect[o->n_expect++] = 2;
    if ((o->warn_ms || o->crit_ms) && o->n_expect == 0)
        return usage_error("--warn and --crit need --expect (or --nagios)");
    return 0;
}

/* The URI to resolve, with the transport asked for (RFC 3263 §4.1: a transport parameter
 * chooses it). */
static void resolve_target(const pr_opts *o, char *out, size_t cap)
{
    const char *u = o->proxy ? o->proxy : o->uri;
    if (o->transport < 0 || strstr(u, ";transport=")) {
        snprintf(out, cap, "%s", u);
        return;
    }
    const char *hdrs = strchr(u, '?');
    int n = hdrs ? (int)(hdrs - u) : (int)strlen(u);
    snprintf(out, cap, "%.*s;transport=%s", n, u, pr_tp_name((sr_transport)o->transport));
}

int cmd_probe(int argc, char **argv)
{
    static probe P; /* large (the targets); one per process */
    probe *p = &P;
    memset(p, 0, sizeof(*p));
    int rc = parse_args(argc, argv, &p->o);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    p->r.o = &p->o;
    p->next_start = UINT64_MAX;
    p->r.runs = calloc(p->o.count, sizeof(pr_run));
    if (!p->r.runs)
        return usage_error("out of memory");
    p->cred.username = p->o.user;
    p->cred.password = p->o.password;
    if (p->o.proxy) {
        const char *lr = strstr(p->o.proxy, ";lr") ? "" : ";lr";
        snprintf(p->route, sizeof(p->route), "<%s%s>", p->o.proxy, lr);
    }
    sn_opts so;
    sn_opts_default(&so);
    so.reflection_budget = 0; /* we are the client */
    so.max_conns = 16;
    so.udp_errors = true; /* a port unreachable ends the probe (RFC 3261 §18.4) */
    sn_handler h = {.user = p,
                    .receive = on_receive,
                    .next_deadline = on_next_deadline,
                    .timer = on_timer,
                    .transport_error = on_transport_error,
                    .drain = on_drain,
                    .pending = on_pending};
    char err[256], target[1100];
    if (sn_loop_new(&p->l, &so, &h, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s probe: %s\n", cli_prog, err);
        free(p->r.runs);
        return PR_EXIT_USAGE;
    }
    sn_resolver_opts ro;
    sn_resolver_opts_default(&ro);
    ro.servers = p->o.dns_servers;
    if (sn_resolver_new(&p->res, p->l, &ro, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s probe: %s\n", cli_prog, err);
        sn_loop_free(p->l);
        free(p->r.runs);
        return PR_EXIT_USAGE;
    }
    resolve_target(&p->o, target, sizeof(target));
    rc = sn_resolve_uri(p->res, target, strlen(target), on_resolved, p, NULL);
    if (rc != 0)
        snprintf(p->r.error, sizeof(p->r.error), "'%.200s': %s", target,
                 rc == SR_EBADMSG ? "not a valid URI" : sr_strerror(rc));
    else
        sn_loop_run(p->l);
    if (p->cur) { /* interrupted mid-probe */
        p->r.interrupted = true;
        end_run(p, sn_now_ms());
    }
    int status = pr_finish(&p->r);
    if (p->u)
        sr_uac_free(p->u);
    forget_sent();
    sr_stack_free(p->s);
    sn_resolver_free(p->res);
    sn_loop_free(p->l);
    for (size_t i = 0; i < p->r.n_runs; i++)
        free(p->r.runs[i].steps);
    free(p->r.runs);
    return status;
}
