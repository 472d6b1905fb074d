/* sipreply interop: the torture sender. Throws malformed, truncated, oversized and RFC 4475
 * torture input at a running sipreplyd over UDP and TCP (127.0.0.1 only), and after every
 * input checks that a valid OPTIONS still gets its 200 (the daemon is alive and answering).
 * Where tests/interop/torture.tsv says a response is due (400 with a precise phrase, 505,
 * 416, 420, ...), that response must come back, over each transport.
 *
 * usage: sr_torture PORT VECTOR_DIR EXPECT_TSV [--transport udp|tcp|both] [--seed N]
 *                   [--rounds N] [--report]
 *   --transport  which transport(s) to torture (both)
 *   --rounds     garbage inputs (100)
 *   --report     print what came back for each vector instead of judging it
 * Exit status: 0 all checks passed, 1 a check failed, 2 bad usage. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sipreply/frame.h>

#define MAX_RESP  16
#define WAIT_MS   300  /* how long a vector's response may take */
#define PROBE_MS  3000 /* how long the probe's 200 may take */
#define READ_SIZE 70000

typedef struct resp {
    unsigned code;
    char reason[128];
    char call_id[128];
} resp;

typedef struct result {
    resp r[MAX_RESP];
    size_t n;
    bool closed; /* TCP: the daemon closed the connection */
} result;

static uint16_t g_port;
static bool g_report;
static bool g_use_udp = true, g_use_tcp = true;
static unsigned g_fails, g_checks, g_probes;
static uint64_t g_rng = 0x5eed5eedULL;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    g_fails++;
}

static uint64_t rnd(void)
{
    /* splitmix64: reproducible from --seed */
    uint64_t z = (g_rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static struct sockaddr_in daemon_addr(void)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons(g_port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* ------------------------------------------------------------------ reading responses */

/* The value of header @p name (or its compact form @p c) in the head @p m[0..len). */
static void header_value(const char *m, size_t len, const char *name, char c, char *out, size_t cap)
{
    out[0] = '\0';
    const char *p = m, *end = m + len;
    size_t nl = strlen(name);
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if (eol - p <= 1)
            return; /* the empty line: end of the head */
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon) {
            size_t kl = (size_t)(colon - p);
            while (kl && (p[kl - 1] == ' ' || p[kl - 1] == '\t'))
                kl--;
            if ((kl == nl && strncasecmp(p, name, nl) == 0) ||
                (kl == 1 && (p[0] | 0x20) == (c | 0x20))) {
                const char *v = colon + 1;
                while (v < eol && (*v == ' ' || *v == '\t'))
                    v++;
                size_t vl = (size_t)(eol - v);
                while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
                    vl--;
                if (vl >= cap)
                    vl = cap - 1;
                memcpy(out, v, vl);
                out[vl] = '\0';
                return;
            }
        }
        p = eol + 1;
    }
}

/* Read one response (status line, Call-ID) from @p m; false if it is not a response. */
static bool read_resp(const char *m, size_t len, resp *r)
{
    memset(r, 0, sizeof(*r));
    if (len < 12 || memcmp(m, "SIP/2.0 ", 8) != 0)
        return false;
    unsigned code = 0;
    for (size_t i = 8; i < 11; i++) {
        if (m[i] < '0' || m[i] > '9')
            return false;
        code = code * 10 + (unsigned)(m[i] - '0');
    }
    r->code = code;
    const char *eol = memchr(m, '\r', len);
    size_t rl = eol && eol > m + 12 ? (size_t)(eol - (m + 12)) : 0;
    if (rl >= sizeof(r->reason))
        rl = sizeof(r->reason) - 1;
    memcpy(r->reason, m + 12, rl);
    r->reason[rl] = '\0';
    header_value(m, len, "Call-ID", 'i', r->call_id, sizeof(r->call_id));
    return true;
}

static void add_resp(result *res, const resp *r)
{
    if (res->n < MAX_RESP)
        res->r[res->n++] = *r;
}

/* Keep only the responses with Call-ID @p cid (the input's; "" for an input without one):
 * the daemon may still be retransmitting an earlier input's final response. */
static void keep_call(result *res, const char *cid)
{
    size_t k = 0;
    for (size_t i = 0; i < res->n; i++) {
        if (strcmp(res->r[i].call_id, cid) == 0)
            res->r[k++] = res->r[i];
    }
    res->n = k;
}

/* keep_call() for an input that may hold several messages (over TCP each one that frames is
 * answered, RFC 3261 18.3): keep the responses whose Call-ID is that of any message in
 * @p buf (every "Call-ID:" or "i:" line, head or not), or "" when it has none. */
static void keep_calls(result *res, const char *buf, size_t len)
{
    char ids[8][128];
    size_t n = 0;
    for (const char *p = buf, *end = buf + len; p < end && n < 8;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        header_value(p, (size_t)(eol - p) + (eol < end), "Call-ID", 'i', ids[n], sizeof(ids[n]));
        if (ids[n][0])
            n++;
        p = eol + 1;
    }
    size_t k = 0;
    for (size_t i = 0; i < res->n; i++) {
        bool ours = n == 0 && res->r[i].call_id[0] == '\0';
        for (size_t j = 0; j < n && !ours; j++)
            ours = strcmp(res->r[i].call_id, ids[j]) == 0;
        if (ours)
            res->r[k++] = res->r[i];
    }
    res->n = k;
}

static void describe(const result *res, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    if (res->n == 0)
        o += (size_t)snprintf(out + o, cap - o, "-");
    for (size_t i = 0; i < res->n && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%u %s", i ? ", " : "", res->r[i].code,
                              res->r[i].reason);
    if (res->closed && o < cap)
        snprintf(out + o, cap - o, " (closed)");
}

/* ------------------------------------------------------------------ the probe */

static int build_options(char *buf, size_t cap, const char *call_id, const char *transport,
                         unsigned local_port)
{
    return snprintf(buf, cap,
                    "OPTIONS sip:127.0.0.1:%u SIP/2.0\r\n"
                    "Via: SIP/2.0/%s 127.0.0.1:%u;branch=z9hG4bK-%u;rport\r\n"
                    "Max-Forwards: 70\r\n"
                    "From: <sip:torture@127.0.0.1>;tag=t%u\r\n"
                    "To: <sip:127.0.0.1:%u>\r\n"
                    "Call-ID: %s\r\n"
                    "CSeq: 1 OPTIONS\r\n"
                    "Accept: application/sdp\r\n"
                    "Content-Length: 0\r\n\r\n",
                    g_port, transport, local_port, g_probes, local_port, g_port, call_id);
}

static unsigned local_port_of(int fd)
{
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    if (getsockname(fd, (struct sockaddr *)&a, &al) != 0)
        return 0;
    return ntohs(a.sin_port);
}

/* ------------------------------------------------------------------ UDP */

static int udp_open(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = daemon_addr();
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        perror("udp socket");
        exit(1);
    }
    int sz = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    return fd;
}

/* Collect datagrams for @p ms (or until a response with Call-ID @p until arrives). Returns
 * true when @p until was seen. ECONNREFUSED (ICMP port unreachable: nobody listens) ends
 * the wait at once. */
static bool udp_collect(int fd, unsigned ms, const char *until, result *res)
{
    static char buf[READ_SIZE];
    uint64_t end = now_ms() + ms;
    for (;;) {
        uint64_t t = now_ms();
        if (t >= end)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int pr = poll(&p, 1, (int)(end - t));
        if (pr <= 0)
            continue;
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0) {
            if (errno == ECONNREFUSED)
                return false;
            continue;
        }
        resp r;
        if (!read_resp(buf, (size_t)n, &r))
            continue;
        if (until && strcmp(r.call_id, until) == 0) {
            if (r.code == 200)
                return true;
            add_resp(res, &r);
            continue;
        }
        add_resp(res, &r);
        if (!until)
            return false; /* the caller only waits for the first response */
    }
}

/* The probe over UDP: an OPTIONS (retransmitted after 500 ms, 1 s) must get its 200. The
 * responses that come before it are the previous input's: they go to @p res. */
static bool udp_probe(int fd, result *res)
{
    char cid[64], msg[1024];
    snprintf(cid, sizeof(cid), "probe-%u-%d@torture", ++g_probes, (int)getpid());
    int len = build_options(msg, sizeof(msg), cid, "UDP", local_port_of(fd));
    uint64_t start = now_ms();
    unsigned wait = 500;
    g_checks++;
    while (now_ms() - start < PROBE_MS) {
        if (send(fd, msg, (size_t)len, 0) < 0 && errno != ECONNREFUSED)
            break;
        if (udp_collect(fd, wait, cid, res))
            return true;
        wait *= 2;
    }
    return false;
}

/* ------------------------------------------------------------------ TCP */

static int tcp_open(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = daemon_addr();
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Send all of @p buf; false if the peer is gone. */
static bool tcp_send_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            return false;
        }
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

/* Read responses on @p fd for @p ms, or until the response with Call-ID @p until (then
 * true), or until the daemon closes the connection (res->closed). With @p settle, stop
 * @p settle ms after a response unless more comes. */
static bool tcp_collect(int fd, unsigned ms, const char *until, result *res, unsigned settle)
{
    static char buf[1 << 18];
    size_t have = 0;
    sr_frame fr;
    memset(&fr, 0, sizeof(fr));
    uint64_t end = now_ms() + ms;
    for (;;) {
        /* frame what is there */
        for (;;) {
            ptrdiff_t fl = sr_frame_stream(buf, have, NULL, &fr, NULL);
            if (fl <= 0)
                break;
            resp r;
            bool seen = fr.kind == SR_FRAME_MESSAGE && read_resp(buf, (size_t)fl, &r);
            memmove(buf, buf + fl, have - (size_t)fl);
            have -= (size_t)fl;
            memset(&fr, 0, sizeof(fr));
            if (!seen)
                continue;
            if (until && strcmp(r.call_id, until) == 0 && r.code == 200)
                return true;
            add_resp(res, &r);
            if (settle && now_ms() + settle < end)
                end = now_ms() + settle;
        }
        uint64_t t = now_ms();
        if (t >= end || have == sizeof(buf))
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)(end - t)) <= 0)
            continue;
        ssize_t n = recv(fd, buf + have, sizeof(buf) - have, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            res->closed = true;
            return false;
        }
        have += (size_t)n;
    }
}

/* The probe over TCP, on a fresh connection. */
static bool tcp_probe(void)
{
    char cid[64], msg[1024];
    result r = {0};
    g_checks++;
    int fd = tcp_open();
    if (fd < 0)
        return false;
    snprintf(cid, sizeof(cid), "probe-%u-%d@torture", ++g_probes, (int)getpid());
    int len = build_options(msg, sizeof(msg), cid, "TCP", local_port_of(fd));
    bool ok = tcp_send_all(fd, msg, (size_t)len) && tcp_collect(fd, PROBE_MS, cid, &r, 0);
    close(fd);
    return ok;
}

/* One input over a new TCP connection, sent in @p chunks pieces. Returns the connection
 * (or -1 if the daemon refused it: res->closed). */
static int tcp_input(const char *buf, size_t len, size_t chunks, result *res)
{
    int fd = tcp_open();
    if (fd < 0) {
        res->closed = true;
        return -1;
    }
    if (chunks < 1)
        chunks = 1;
    size_t step = len / chunks + 1, off = 0;
    bool ok = true;
    while (off < len && ok) {
        size_t n = len - off < step ? len - off : step;
        ok = tcp_send_all(fd, buf + off, n);
        off += n;
    }
    return fd;
}

/* ------------------------------------------------------------------ expectations */

typedef struct expect {
    char file[64];
    char udp[160];
    char tcp[160];
} expect;

/* An expectation: "-" (no response), "CODE" or "CODE Reason phrase" (one response with that
 * code, and that phrase exactly), then for TCP an optional " +close" (the daemon must close
 * the connection). Returns true when @p res satisfies @p want. */
static bool satisfies(const char *want, const result *res, bool tcp, char *why, size_t cap)
{
    char w[160];
    snprintf(w, sizeof(w), "%s", want);
    bool must_close = false;
    char *pc = strstr(w, " +close");
    if (pc) {
        *pc = '\0';
        must_close = true;
    }
    if (tcp && must_close && !res->closed) {
        snprintf(why, cap, "connection left open");
        return false;
    }
    if (strcmp(w, "-") == 0) {
        if (res->n) {
            snprintf(why, cap, "a response came back");
            return false;
        }
        return true;
    }
    /* "CODE [PHRASE]", or several joined by ", ": those responses, in that order */
    size_t want_n = 0;
    for (char *item = w; item; want_n++) {
        char *next = strstr(item, ", ");
        if (next) {
            *next = '\0';
            next += 2;
        }
        char *end;
        unsigned long code = strtoul(item, &end, 10);
        const char *phrase = *end == ' ' ? end + 1 : NULL;
        if (want_n >= res->n) {
            snprintf(why, cap, "%zu response(s), want more", res->n);
            return false;
        }
        const resp *r = &res->r[want_n];
        if (r->code != code) {
            snprintf(why, cap, "code %u", r->code);
            return false;
        }
        if (phrase && strcmp(phrase, r->reason) != 0) {
            snprintf(why, cap, "phrase \"%s\"", r->reason);
            return false;
        }
        item = next;
    }
    if (res->n != want_n) {
        snprintf(why, cap, "%zu responses, want %zu", res->n, want_n);
        return false;
    }
    return true;
}

static size_t load_expects(const char *path, expect *ex, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(2);
    }
    char line[512];
    size_t n = 0;
    while (fgets(line, sizeof(line), f) && n < cap) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *t1 = strchr(line, '\t');
        char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t1 || !t2) {
            fprintf(stderr, "%s: bad line: %s\n", path, line);
            exit(2);
        }
        *t1 = *t2 = '\0';
        char *t3 = strchr(t2 + 1, '\t'); /* the note column */
        if (t3)
            *t3 = '\0';
        if (snprintf(ex[n].file, sizeof(ex[n].file), "%s", line) >= (int)sizeof(ex[n].file) ||
            snprintf(ex[n].udp, sizeof(ex[n].udp), "%s", t1 + 1) >= (int)sizeof(ex[n].udp) ||
            snprintf(ex[n].tcp, sizeof(ex[n].tcp), "%s", t2 + 1) >= (int)sizeof(ex[n].tcp)) {
            fprintf(stderr, "%s: field too long: %s\n", path, line);
            exit(2);
        }
        n++;
    }
    fclose(f);
    return n;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long l = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)l + 1);
    if (!b || fread(b, 1, (size_t)l, f) != (size_t)l) {
        fclose(f);
        free(b);
        return NULL;
    }
    fclose(f);
    b[l] = '\0';
    *len = (size_t)l;
    return b;
}

/* ------------------------------------------------------------------ routing the answer back */

static size_t skip_lws(const char *b, size_t i, size_t len)
{
    for (;;) {
        while (i < len && (b[i] == ' ' || b[i] == '\t'))
            i++;
        /* folding: CRLF followed by white space */
        if (i + 2 < len && b[i] == '\r' && b[i + 1] == '\n' &&
            (b[i + 2] == ' ' || b[i + 2] == '\t'))
            i += 2;
        else
            return i;
    }
}

static size_t skip_token(const char *b, size_t i, size_t len)
{
    while (i < len && b[i] != '/' && b[i] != ' ' && b[i] != '\t' && b[i] != '\r' && b[i] != '\n')
        i++;
    return i;
}

/*
 * A torture vector names documentation hosts (192.0.2.x, example.com) in its top Via, so
 * over UDP its response would go there (RFC 3261 18.2.2). Write @p buf to @p out with the
 * top Via's sent-by host[:port] replaced by 127.0.0.1:@p port, every other byte as it was
 * (folding, separators, parameters, the branch). Returns the new length, or 0 when the top
 * Via cannot be found (then the vector goes unchanged and no answer can come back).
 */
static size_t route_back(const char *b, size_t len, unsigned port, char *out, size_t cap)
{
    size_t i = 0;
    for (;;) {
        /* at a line start: "Via" or "v", white space, ':' */
        size_t n = (len - i >= 3 && strncasecmp(b + i, "via", 3) == 0) ? 3
                   : (len - i >= 1 && (b[i] | 0x20) == 'v')            ? 1
                                                                       : 0;
        if (n) {
            size_t k = i + n;
            while (k < len && (b[k] == ' ' || b[k] == '\t'))
                k++;
            if (k < len && b[k] == ':') {
                i = k + 1;
                break;
            }
        }
        const char *nl = memchr(b + i, '\n', len - i);
        if (!nl || nl + 1 >= b + len || nl[1] == '\r' || nl[1] == '\n')
            return 0; /* end of the head: no Via */
        i = (size_t)(nl + 1 - b);
    }
    /* sent-protocol: name LWS "/" LWS version LWS "/" LWS transport */
    for (int part = 0; part < 3; part++) {
        i = skip_lws(b, i, len);
        size_t e = skip_token(b, i, len);
        if (e == i)
            return 0;
        i = skip_lws(b, e, len);
        if (part < 2) {
            if (i >= len || b[i] != '/')
                return 0;
            i++;
        }
    }
    size_t host = i, end = i;
    while (end < len && !strchr(";,: \t\r\n", b[end]))
        end++;
    if (end == host)
        return 0;
    if (end < len && b[end] == ':') {
        end++;
        while (end < len && b[end] >= '0' && b[end] <= '9')
            end++;
    }
    char sb[32];
    int sl = snprintf(sb, sizeof(sb), "127.0.0.1:%u", port);
    if (sl < 0 || host + (size_t)sl + (len - end) > cap)
        return 0;
    memcpy(out, b, host);
    memcpy(out + host, sb, (size_t)sl);
    memcpy(out + host + (size_t)sl, b + end, len - end);
    return host + (size_t)sl + (len - end);
}

/* Judge @p res against @p want (see torture.tsv), printing ok, XFAIL or FAIL. */
static void judge(const char *what, const char *tp, const char *want, const result *res)
{
    char got[512], why[160];
    describe(res, got, sizeof(got));
    if (g_report) {
        printf("report\t%s\t%s\t%s\n", what, tp, got);
        return;
    }
    if (!want)
        return;
    g_checks++;
    bool tcp = strcmp(tp, "tcp") == 0;
    if (strncmp(want, "xfail:", 6) == 0) {
        if (satisfies(want + 6, res, tcp, why, sizeof(why)))
            fail("%s (%s): got %s: a known deviation is fixed (XPASS): update torture.tsv", what,
                 tp, got);
        else
            printf("XFAIL: %s (%s): got %s, the RFC asks for %s (known deviation)\n", what, tp, got,
                   want + 6);
        return;
    }
    if (satisfies(want, res, tcp, why, sizeof(why)))
        printf("ok: %s (%s): %s\n", what, tp, got);
    else
        fail("%s (%s): got %s, want %s (%s)", what, tp, got, want, why);
}

/* ------------------------------------------------------------------ the phases */

static int g_udp;

/* One UDP input: send, wait for its response(s), probe. */
static void udp_case(const char *what, const char *buf, size_t len, const char *want)
{
    result res = {0};
    char cid[128];
    header_value(buf, len, "Call-ID", 'i', cid, sizeof(cid));
    if (send(g_udp, buf, len, 0) < 0 && errno != EMSGSIZE && errno != ECONNREFUSED)
        fail("%s: udp send: %s", what, strerror(errno));
    /* a response, if one is due, within WAIT_MS; then the probe collects stragglers */
    udp_collect(g_udp, want && strcmp(want, "-") != 0 ? WAIT_MS : 50, NULL, &res);
    if (!udp_probe(g_udp, &res)) {
        fail("%s (udp): no 200 to the OPTIONS after it: daemon not answering", what);
        return;
    }
    keep_call(&res, cid);
    judge(what, "udp", want, &res);
}

/* One input over TCP: send it on a connection of its own, then the probe on another; once
 * the probe's 200 is back the input has been read, and what came back on its connection (a
 * response, the connection closed) is judged. */
static void tcp_case(const char *what, const char *buf, size_t len, size_t chunks, const char *want)
{
    result res = {0};
    int fd = tcp_input(buf, len, chunks, &res);
    bool alive = tcp_probe();
    if (fd >= 0) {
        /* a response is due: it may take a moment; a close is awaited as long */
        bool due = want && strcmp(want, "-") != 0;
        tcp_collect(fd, due ? WAIT_MS : 30, NULL, &res, 30);
        close(fd);
    }
    if (!alive) {
        fail("%s (tcp): no 200 to the OPTIONS after it: daemon not answering", what);
        return;
    }
    keep_calls(&res, buf, len);
    judge(what, "tcp", want, &res);
}

/* RFC 4475 vectors, judged against the expectations. Over UDP each goes from a socket of its
 * own: the vectors share branches (z9hG4bKkdjuw), so with one sent-by they would be taken for
 * retransmissions of each other (RFC 3261 17.2.3). */
static void phase_vectors(const char *dir, const expect *ex, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        size_t len;
        char *buf = NULL;
        if (snprintf(path, sizeof(path), "%s/%s", dir, ex[i].file) < (int)sizeof(path))
            buf = slurp(path, &len);
        if (!buf) {
            fail("%s: cannot read", path);
            continue;
        }
        if (g_use_udp) {
            /* the answer must be routed back to us (over TCP it comes back on the
             * connection, so there the vector goes byte for byte) */
            close(g_udp);
            g_udp = udp_open();
            size_t cap = len + 64, rl = 0;
            char *routed = malloc(cap);
            if (routed)
                rl = route_back(buf, len, local_port_of(g_udp), routed, cap);
            if (rl)
                udp_case(ex[i].file, routed, rl, ex[i].udp);
            else
                fail("%s: no top Via to route the answer back", ex[i].file);
            free(routed);
        }
        if (g_use_tcp)
            tcp_case(ex[i].file, buf, len, 1, ex[i].tcp);
        free(buf);
    }
}

static const char k_invite[] = "INVITE sip:486@127.0.0.1 SIP/2.0\r\n"
                               "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKtorture%u\r\n"
                               "Max-Forwards: 70\r\n"
                               "From: <sip:a@127.0.0.1>;tag=%u\r\n"
                               "To: <sip:486@127.0.0.1>\r\n"
                               "Call-ID: torture-%u\r\n"
                               "CSeq: 1 INVITE\r\n"
                               "Contact: <sip:a@127.0.0.1:5999>\r\n"
                               "Content-Type: application/sdp\r\n"
                               "Content-Length: 21\r\n\r\n"
                               "v=0\r\no=- 1 1 IN IP4 x\r\n";

/* Random garbage, mutated and truncated messages. */
static void phase_garbage(unsigned rounds)
{
    static char buf[4096];
    unsigned bad = g_fails;
    for (unsigned i = 0; i < rounds; i++) {
        size_t len;
        unsigned kind = (unsigned)(rnd() % 4);
        if (kind == 0) {
            /* random bytes */
            len = 1 + rnd() % 1400;
            for (size_t k = 0; k < len; k++)
                buf[k] = (char)rnd();
        } else {
            len = (size_t)snprintf(buf, sizeof(buf), k_invite, i, i, i);
            if (kind == 1) {
                /* flip a few bytes */
                for (unsigned k = 0; k < 1 + rnd() % 8; k++)
                    buf[rnd() % len] = (char)rnd();
            } else if (kind == 2) {
                /* truncated anywhere */
                len = 1 + rnd() % (len - 1);
            } else {
                /* a random byte run inserted into a header */
                size_t at = rnd() % len, run = 1 + rnd() % 64;
                if (len + run < sizeof(buf)) {
                    memmove(buf + at + run, buf + at, len - at);
                    for (size_t k = 0; k < run; k++)
                        buf[at + k] = (char)(rnd() % 96 + 32);
                    len += run;
                }
            }
        }
        char what[64];
        snprintf(what, sizeof(what), "garbage #%u (kind %u, %zu bytes)", i, kind, len);
        size_t chunks = 1 + rnd() % 3;
        if (g_use_udp)
            udp_case(what, buf, len, NULL);
        if (g_use_tcp)
            tcp_case(what, buf, len, chunks, NULL);
    }
    if (g_fails == bad)
        printf("ok: %u garbage, mutated and truncated inputs over udp and tcp: the daemon "
               "answered the OPTIONS after each\n",
               rounds);
}

/* Every valid vector and a valid INVITE cut short at a few points. */
static void phase_truncated(const char *dir, const expect *ex, size_t n)
{
    unsigned bad = g_fails, count = 0;
    char inv[1024];
    size_t il = (size_t)snprintf(inv, sizeof(inv), k_invite, 7u, 7u, 7u);
    for (size_t i = 0; i <= n; i++) {
        char *buf;
        size_t len;
        const char *name;
        if (i < n) {
            char path[4096];
            buf = NULL;
            if (snprintf(path, sizeof(path), "%s/%s", dir, ex[i].file) < (int)sizeof(path))
                buf = slurp(path, &len);
            name = ex[i].file;
        } else {
            buf = malloc(il);
            memcpy(buf, inv, il);
            len = il;
            name = "INVITE";
        }
        if (!buf)
            continue;
        size_t cuts[] = {1, len / 4, len / 2, len - len / 4, len - 1};
        for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
            if (cuts[c] == 0 || cuts[c] >= len)
                continue;
            char what[160];
            if (snprintf(what, sizeof(what), "%s cut at %zu of %zu", name, cuts[c], len) < 0)
                what[0] = '\0';
            if (g_use_udp)
                udp_case(what, buf, cuts[c], NULL);
            if (g_use_tcp)
                tcp_case(what, buf, cuts[c], 1, NULL);
            count++;
        }
        free(buf);
        if (i < n)
            i += 3; /* a quarter of the vectors is enough here */
    }
    if (g_fails == bad)
        printf("ok: %u truncated messages over udp and tcp: the daemon answered the OPTIONS "
               "after each\n",
               count);
}

/* An OPTIONS padded to @p total bytes with one long header field. */
static char *padded_options(size_t total, size_t *len, const char *transport)
{
    char head[1024];
    int hl = snprintf(head, sizeof(head),
                      "OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
                      "Via: SIP/2.0/%s 127.0.0.1:5999;branch=z9hG4bK-big%zu;rport\r\n"
                      "Max-Forwards: 70\r\n"
                      "From: <sip:big@127.0.0.1>;tag=big\r\n"
                      "To: <sip:127.0.0.1>\r\n"
                      "Call-ID: big-%zu@torture\r\n"
                      "CSeq: 1 OPTIONS\r\n"
                      "X-Padding: ",
                      transport, total, total);
    const char tail[] = "\r\nContent-Length: 0\r\n\r\n";
    size_t pad = total - (size_t)hl - (sizeof(tail) - 1);
    char *b = malloc(total);
    memcpy(b, head, (size_t)hl);
    memset(b + hl, 'x', pad);
    memcpy(b + (size_t)hl + pad, tail, sizeof(tail) - 1);
    *len = total;
    return b;
}

/* An OPTIONS over TCP with a text body of @p body bytes. */
static char *big_body_options(size_t body, size_t *len)
{
    char head[1024];
    int hl = snprintf(head, sizeof(head),
                      "OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
                      "Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-body%zu\r\n"
                      "Max-Forwards: 70\r\n"
                      "From: <sip:big@127.0.0.1>;tag=body\r\n"
                      "To: <sip:127.0.0.1>\r\n"
                      "Call-ID: body-%zu@torture\r\n"
                      "CSeq: 1 OPTIONS\r\n"
                      "Content-Type: text/plain\r\n"
                      "Content-Length: %zu\r\n\r\n",
                      body, body, body);
    char *b = malloc((size_t)hl + body);
    memcpy(b, head, (size_t)hl);
    memset(b + hl, 'y', body);
    *len = (size_t)hl + body;
    return b;
}

static void phase_oversized(const char *udp_want, const char *tcp_want, const char *big_want)
{
    size_t len;
    if (g_use_tcp && big_want) {
        char *b = big_body_options(100000, &len);
        tcp_case("TCP message with a 100000-byte body", b, len, 4, big_want);
        free(b);
    }
    /* the largest UDP datagram over IPv4: 65507 bytes */
    if (g_use_udp) {
        char *b = padded_options(65507, &len, "UDP");
        udp_case("oversized datagram (65507 bytes)", b, len, udp_want);
        free(b);
    }
    if (g_use_tcp) {
        /* a TCP header block of 300000 bytes that never ends (no empty line) */
        char *b = padded_options(300000, &len, "TCP");
        tcp_case("oversized TCP header block (300000 bytes, no end)", b, len - 4, 8, tcp_want);
        free(b);
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr,
                "usage: %s PORT VECTOR_DIR EXPECT_TSV [--transport udp|tcp|both] "
                "[--seed N] [--rounds N] [--report]\n",
                argv[0]);
        return 2;
    }
    g_port = (uint16_t)atoi(argv[1]);
    unsigned rounds = 100;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            g_rng = strtoull(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--report") == 0)
            g_report = true;
        else if (strcmp(argv[i], "--transport") == 0 && i + 1 < argc) {
            i++;
            g_use_udp = strcmp(argv[i], "tcp") != 0;
            g_use_tcp = strcmp(argv[i], "udp") != 0;
        } else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    static expect ex[128];
    size_t n = load_expects(argv[3], ex, 128);
    /* the special rows: oversized inputs */
    const char *big_udp = NULL, *big_tcp = NULL, *too_big = NULL;
    size_t nv = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ex[i].file, "@oversized") == 0) {
            big_udp = ex[i].udp;
            big_tcp = ex[i].tcp;
        } else if (strcmp(ex[i].file, "@toobig") == 0) {
            too_big = ex[i].tcp;
        } else {
            ex[nv++] = ex[i];
        }
    }
    g_udp = udp_open();
    if ((g_use_udp && !udp_probe(g_udp, &(result){0})) || (g_use_tcp && !tcp_probe())) {
        fail("the daemon does not answer OPTIONS on 127.0.0.1:%u", g_port);
        return 1;
    }
    printf("torture: 127.0.0.1:%u, %zu vectors, %u garbage rounds, seed 0x%llx\n", g_port, nv,
           rounds, (unsigned long long)g_rng);
    phase_vectors(argv[2], ex, nv);
    phase_oversized(big_udp, big_tcp, too_big);
    phase_truncated(argv[2], ex, nv);
    phase_garbage(rounds);
    close(g_udp);
    printf("torture: %u checks, %u failed, %u probes sent\n", g_checks, g_fails, g_probes);
    return g_fails ? 1 : 0;
}
