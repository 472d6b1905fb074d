/*
 * loadgen: a SIP UDP load generator for benchmarking sipreplyd and its peers (bench/load.sh,
 * docs/performance.md "sipreplyd under load").
 *
 * It plays a UAC at a fixed offered rate (calls per second, sent in small paced batches with
 * sendmmsg, or with --paced one request per send(2) at its own time, evenly spaced), reads the answers with recvmmsg, ACKs every final response to an INVITE
 * (again when the final is retransmitted) and counts per call: answered in time, late, lost,
 * unexpected codes, provisionals seen, and the latency from the request to its final
 * response. One JSON object on stdout summarises a run.
 *
 * It also has a tiny stateless responder (--serve), the "null server" used to check that the
 * generator itself is not the bottleneck, and a --selftest that runs the generator against
 * that responder (and against a socket that never answers) in one process tree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sipreply/msg.h>
#include <sipreply/parse.h>
#include <sipreply/str.h>

#define LG_BATCH      64   /* datagrams per sendmmsg / recvmmsg */
#define LG_DGRAM      4096 /* receive buffer per datagram */
#define LG_IDX_DIGITS 10   /* the call index, zero-padded, in Call-ID, branch and From tag */
#define LG_MAX_HDRS   48

enum scenario { SC_INVITE_486, SC_INVITE_180_486, SC_OPTIONS };

static const char *const scenario_names[] = {"invite-486", "invite-180-486", "options"};

/* Per-call flags. */
enum {
    CF_SENT = 1u << 0,
    CF_FINAL = 1u << 1, /* a final response arrived (in time or late) */
    CF_LATE = 1u << 2,  /* ... after the timeout */
    CF_100 = 1u << 3,
    CF_180 = 1u << 4,
    CF_183 = 1u << 5,
};

typedef struct call {
    uint64_t sent_ns; /* since the start of the run */
    uint32_t lat_us;  /* request to first final response */
    uint16_t final;   /* first final status code */
    uint8_t flags;
} call;

typedef struct lg_cfg {
    enum scenario sc;
    double rate;         /* offered calls per second */
    uint64_t calls;      /* calls to place */
    uint32_t timeout_ms; /* a final later than this after the request is late; none: lost */
    uint32_t tick_us;    /* pacing period: the calls due are sent together every tick */
    uint32_t linger_ms;  /* after the last final, keep reading (and re-ACKing) this long */
    bool rx_on_tick;     /* read answers only once per tick (fewer wake-ups, coarser latency) */
    bool gso;            /* send each batch of requests as one UDP GSO super-datagram */
    const char *user;    /* Request-URI user */
    const char *host;    /* Request-URI host (default: the target address) */
    bool quiet;
    bool paced;       /* one request per send(2) at its own time (i / rate), ACKs one by one */
    uint32_t spin_us; /* --paced: wait the last this many µs before a send on the clock */
    uint32_t group;   /* --paced: calls sent back to back (each in its own send) per due time */
    bool sdp;         /* the INVITE carries SIPp's uac SDP offer (application/sdp) */
} lg_cfg;

typedef struct lg_result {
    uint64_t sent, answered, late, lost, unexpected, missing_prov, send_errors;
    uint64_t final_retrans, acks, prov_100, prov_180, prov_183, prov_other;
    uint64_t bad, stray, rx_drops;
    uint64_t codes[600];                         /* first final responses by code - 100 */
    uint64_t lat_p50, lat_p90, lat_p99, lat_max; /* microseconds, over calls answered */
    double send_seconds;                         /* first to last request sent */
    double max_lag_ms;                           /* worst delay of a send behind schedule */
    double gap_p1_us, gap_p50_us, gap_p99_us;    /* time between successive requests sent */
    uint64_t slipped;     /* --paced: sends more than one period late (the schedule moved on) */
    double wall_s, cpu_s; /* the run's duration and the generator's own CPU time in it */
} lg_result;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ addresses and sockets */

static int parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *sl)
{
    char host[256];
    const char *port;
    if (s[0] == '[') {
        const char *e = strchr(s, ']');
        if (!e || e[1] != ':' || (size_t)(e - s - 1) >= sizeof host)
            return -1;
        memcpy(host, s + 1, (size_t)(e - s - 1));
        host[e - s - 1] = '\0';
        port = e + 2;
    } else {
        const char *c = strrchr(s, ':');
        if (!c || (size_t)(c - s) >= sizeof host)
            return -1;
        memcpy(host, s, (size_t)(c - s));
        host[c - s] = '\0';
        port = c + 1;
    }
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
        return -1;
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *sl = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

/* "HOST:PORT" (IPv6 in brackets) of an address. */
static void format_hostport(const struct sockaddr_storage *ss, char *host, size_t hcap, char *hp,
                            size_t cap)
{
    char h[INET6_ADDRSTRLEN], p[16];
    getnameinfo((const struct sockaddr *)ss,
                ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                          : sizeof(struct sockaddr_in),
                h, sizeof h, p, sizeof p, NI_NUMERICHOST | NI_NUMERICSERV);
    if (ss->ss_family == AF_INET6) {
        snprintf(host, hcap, "[%s]", h);
        snprintf(hp, cap, "[%s]:%s", h, p);
    } else {
        snprintf(host, hcap, "%s", h);
        snprintf(hp, cap, "%s:%s", h, p);
    }
}

/* Big socket buffers, so a burst is queued rather than dropped by the generator itself
 * (SO_*BUFFORCE as root, the capped SO_*BUF otherwise), and a drop counter (SO_RXQ_OVFL). */
static void tune_socket(int fd)
{
    int sz = 32 << 20, one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) != 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) != 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    (void)setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
}

static int udp_socket(int family)
{
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0)
        tune_socket(fd);
    return fd;
}

/* ------------------------------------------------------------------ reading responses */

typedef struct resp {
    sr_start_line sl;
    sr_str call_id, cseq, to, via0;
    sr_header hdrs[LG_MAX_HDRS];
    size_t nh;
} resp;

/* The start line and the headers we need; -1 when the datagram is not a SIP message. */
static int read_msg(resp *r, const char *buf, size_t len)
{
    r->nh = LG_MAX_HDRS;
    if (sr_parse_head(buf, len, 0, &r->sl, r->hdrs, &r->nh, NULL) <= 0)
        return -1;
    r->call_id = r->cseq = r->to = r->via0 = SR_STR_NULL;
    for (size_t i = 0; i < r->nh; i++) {
        const sr_header *h = &r->hdrs[i];
        switch (h->id) {
        case SR_HDR_CALL_ID: r->call_id = h->value; break;
        case SR_HDR_CSEQ: r->cseq = h->value; break;
        case SR_HDR_TO: r->to = h->value; break;
        case SR_HDR_VIA:
            if (!r->via0.p)
                r->via0 = h->value;
            break;
        default: break;
        }
    }
    return 0;
}

/* The call index in a Call-ID "<run>-<index>@loadgen" of this run; -1 for another. */
static int64_t call_index(sr_str cid, const char *run, size_t runlen)
{
    if (cid.len != runlen + 1 + LG_IDX_DIGITS + 8 || memcmp(cid.p, run, runlen) != 0 ||
        cid.p[runlen] != '-')
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < LG_IDX_DIGITS; i++) {
        char c = cid.p[runlen + 1 + i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

/* ------------------------------------------------------------------ building requests */

typedef struct tmpl {
    char text[1024];
    size_t len;
    size_t idx_at[3]; /* offsets of the three zero-padded call-index fields */
} tmpl;

static void put_index(char *p, uint64_t v)
{
    for (int i = LG_IDX_DIGITS - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

/*
 * The request template of a run: fields "@@@@@@@@@@" are replaced by the call index. The
 * branch, From tag and Call-ID are unique per call (and per run, through @p run).
 */
static int make_template(tmpl *t, const char *method, const char *ruri, const char *to_uri,
                         const char *local, const char *lhost, const char *run, bool sdp)
{
    const char *mark = "@@@@@@@@@@";
    /* SIPp's uac scenario's offer (bench/sipp/invite-486.xml), so that --paced --sdp sends
     * what the paced row's SIPp sends, body included */
    char body[256] = "";
    int bl = 0;
    if (sdp) {
        bl = snprintf(body, sizeof body,
                      "v=0\r\n"
                      "o=user1 53655765 2353687637 IN IP4 %s\r\n"
                      "s=-\r\n"
                      "c=IN IP4 %s\r\n"
                      "t=0 0\r\n"
                      "m=audio 6000 RTP/AVP 0\r\n"
                      "a=rtpmap:0 PCMU/8000\r\n",
                      lhost, lhost);
        if (bl < 0 || (size_t)bl >= sizeof body)
            return -1;
    }
    int n = snprintf(t->text, sizeof t->text,
                     "%s %s SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP %s;branch=z9hG4bK%s-%s;rport\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: <sip:loadgen@%s>;tag=%s-%s\r\n"
                     "To: <%s>\r\n"
                     "Call-ID: %s-%s@loadgen\r\n"
                     "CSeq: 1 %s\r\n"
                     "Contact: <sip:loadgen@%s>\r\n"
                     "User-Agent: sipreply-loadgen\r\n"
                     "%s"
                     "Content-Length: %d\r\n\r\n%s",
                     method, ruri, local, run, mark, local, run, mark, to_uri, run, mark, method,
                     local, sdp ? "Content-Type: application/sdp\r\n" : "", bl, body);
    if (n < 0 || (size_t)n >= sizeof t->text)
        return -1;
    t->len = (size_t)n;
    size_t k = 0;
    for (char *p = t->text; k < 3 && (p = strstr(p, mark)) != NULL; p += LG_IDX_DIGITS)
        t->idx_at[k++] = (size_t)(p - t->text);
    return k == 3 ? 0 : -1;
}

static size_t fill_request(const tmpl *t, uint64_t idx, char *out)
{
    memcpy(out, t->text, t->len);
    for (int k = 0; k < 3; k++)
        put_index(out + t->idx_at[k], idx);
    return t->len;
}

typedef struct lg_ctx {
    lg_cfg cfg;
    int fd;
    char run[24];
    size_t runlen;
    char ruri[300], to_uri[300], local[80], lhost[80];
    tmpl req;
    call *calls;
    lg_result res;
    uint64_t t0, last_send;
    /* ACK queue */
    char ack_buf[LG_BATCH][1400];
    struct iovec ack_iov[LG_BATCH];
    struct mmsghdr ack_msg[LG_BATCH];
    unsigned n_ack;
} lg_ctx;

static void send_batch(lg_ctx *c, struct mmsghdr *msgs, unsigned n, uint64_t *errors)
{
    unsigned done = 0;
    int retries = 0;
    while (done < n) {
        int r = sendmmsg(c->fd, msgs + done, n - done, 0);
        if (r > 0) {
            done += (unsigned)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        /* ECONNREFUSED (an ICMP error for an earlier datagram), ENOBUFS...: the first
         * datagram is counted as not sent; try the rest. */
        if (++retries > 3 * LG_BATCH) {
            *errors += n - done;
            return;
        }
        (*errors)++;
        done++;
    }
}

static void flush_acks(lg_ctx *c)
{
    if (c->n_ack == 0)
        return;
    uint64_t err = 0;
    if (c->cfg.paced) {
        /* one send(2) per ACK, as a UA such as SIPp sends them */
        for (unsigned i = 0; i < c->n_ack; i++)
            if (send(c->fd, c->ack_iov[i].iov_base, c->ack_iov[i].iov_len, 0) < 0)
                err++;
    } else {
        send_batch(c, c->ack_msg, c->n_ack, &err);
    }
    c->res.acks += c->n_ack - err;
    c->res.send_errors += err;
    c->n_ack = 0;
}

/*
 * The ACK of a non-2xx final response (RFC 3261 §17.1.1.3): the INVITE's Request-URI, top
 * Via (same branch), From, Call-ID, CSeq number, and the To of the response (with its tag).
 * For an unexpected 2xx it is sent with a new branch (§13.2.2.4), to stop retransmissions.
 */
static void queue_ack(lg_ctx *c, uint64_t idx, const resp *r)
{
    if (c->n_ack == LG_BATCH)
        flush_acks(c);
    char *b = c->ack_buf[c->n_ack];
    char id[LG_IDX_DIGITS + 1];
    put_index(id, idx);
    id[LG_IDX_DIGITS] = '\0';
    bool ok2xx = r->sl.status >= 200 && r->sl.status < 300;
    int to_len = r->to.len > 600 ? 600 : (int)r->to.len;
    int n = snprintf(b, sizeof c->ack_buf[0],
                     "ACK %s SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP %s;branch=z9hG4bK%s-%s%s;rport\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: <sip:loadgen@%s>;tag=%s-%s\r\n"
                     "To: %.*s\r\n"
                     "Call-ID: %s-%s@loadgen\r\n"
                     "CSeq: 1 ACK\r\n"
                     "Content-Length: 0\r\n\r\n",
                     c->ruri, c->local, c->run, id, ok2xx ? "-ack" : "", c->lhost, c->run, id,
                     to_len, r->to.p, c->run, id);
    if (n < 0 || (size_t)n >= sizeof c->ack_buf[0])
        return;
    c->ack_iov[c->n_ack].iov_base = b;
    c->ack_iov[c->n_ack].iov_len = (size_t)n;
    memset(&c->ack_msg[c->n_ack], 0, sizeof c->ack_msg[0]);
    c->ack_msg[c->n_ack].msg_hdr.msg_iov = &c->ack_iov[c->n_ack];
    c->ack_msg[c->n_ack].msg_hdr.msg_iovlen = 1;
    c->n_ack++;
}

static unsigned expected_final(enum scenario sc)
{
    return sc == SC_OPTIONS ? 200 : 486;
}

static void on_response(lg_ctx *c, const char *buf, size_t len, uint64_t t)
{
    resp r;
    if (read_msg(&r, buf, len) != 0) {
        c->res.bad++;
        return;
    }
    if (r.sl.is_request) {
        c->res.stray++;
        return;
    }
    int64_t idx = call_index(r.call_id, c->run, c->runlen);
    if (idx < 0 || (uint64_t)idx >= c->cfg.calls || !(c->calls[idx].flags & CF_SENT)) {
        c->res.stray++;
        return;
    }
    sr_cseq cs;
    if (sr_cseq_parse(&cs, r.cseq, NULL) != 0) {
        c->res.bad++;
        return;
    }
    call *k = &c->calls[idx];
    unsigned st = r.sl.status;
    bool invite = c->cfg.sc != SC_OPTIONS;
    if (cs.method_id != (invite ? SR_METHOD_INVITE : SR_METHOD_OPTIONS)) {
        c->res.stray++;
        return;
    }
    if (st < 200) {
        if (k->flags & CF_FINAL) {
            return; /* a provisional overtaken by the final: nothing to do */
        }
        if (st == 100) {
            c->res.prov_100 += !(k->flags & CF_100);
            k->flags |= CF_100;
        } else if (st == 180) {
            c->res.prov_180 += !(k->flags & CF_180);
            k->flags |= CF_180;
        } else if (st == 183) {
            c->res.prov_183 += !(k->flags & CF_183);
            k->flags |= CF_183;
        } else {
            c->res.prov_other++;
        }
        return;
    }
    if (k->flags & CF_FINAL) {
        c->res.final_retrans++;
    } else {
        k->flags |= CF_FINAL;
        k->final = (uint16_t)(st > 65535 ? 65535 : st);
        uint64_t lat = t > k->sent_ns ? t - k->sent_ns : 0;
        k->lat_us = (uint32_t)(lat / 1000 > UINT32_MAX ? UINT32_MAX : lat / 1000);
        if (lat > (uint64_t)c->cfg.timeout_ms * 1000000u)
            k->flags |= CF_LATE;
    }
    if (invite)
        queue_ack(c, (uint64_t)idx, &r);
}

static void drain(lg_ctx *c)
{
    static char bufs[LG_BATCH][LG_DGRAM];
    struct iovec iov[LG_BATCH];
    struct mmsghdr msgs[LG_BATCH];
    char ctl[LG_BATCH][CMSG_SPACE(sizeof(uint32_t))];
    for (;;) {
        for (unsigned i = 0; i < LG_BATCH; i++) {
            iov[i].iov_base = bufs[i];
            iov[i].iov_len = LG_DGRAM;
            memset(&msgs[i], 0, sizeof msgs[i]);
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_control = ctl[i];
            msgs[i].msg_hdr.msg_controllen = sizeof ctl[i];
        }
        int n = recvmmsg(c->fd, msgs, LG_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            break; /* EAGAIN, or ECONNREFUSED from an ICMP error: nothing to read */
        }
        uint64_t t = now_ns() - c->t0;
        for (int i = 0; i < n; i++) {
            struct msghdr *h = &msgs[i].msg_hdr;
            for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm; cm = CMSG_NXTHDR(h, cm)) {
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
                    uint32_t d;
                    memcpy(&d, CMSG_DATA(cm), sizeof d);
                    c->res.rx_drops = d; /* cumulative count of the socket */
                }
            }
            on_response(c, bufs[i], msgs[i].msg_len, t);
        }
        flush_acks(c);
        if (n < LG_BATCH)
            break;
    }
}

/*
 * A batch of requests (all of the template's length) in one sendmsg with UDP_SEGMENT: the
 * kernel cuts it into datagrams of gso_size bytes, so the receiver sees ordinary datagrams
 * while the sender crosses the IP stack once per batch. Returns false when the kernel refuses
 * (no UDP GSO): the caller falls back to sendmmsg.
 */
static bool send_gso(lg_ctx *c, struct iovec *iov, unsigned n)
{
#ifdef UDP_SEGMENT
    union {
        char buf[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {0};
    mh.msg_iov = iov;
    mh.msg_iovlen = n;
    mh.msg_control = u.buf;
    mh.msg_controllen = sizeof u.buf;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_UDP;
    cm->cmsg_type = UDP_SEGMENT;
    cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    uint16_t seg = (uint16_t)iov[0].iov_len;
    memcpy(CMSG_DATA(cm), &seg, sizeof seg);
    for (;;) {
        ssize_t r = sendmsg(c->fd, &mh, 0);
        if (r >= 0)
            return true;
        if (errno == EINTR)
            continue;
        if (errno == ECONNREFUSED || errno == ENOBUFS || errno == EAGAIN) {
            c->res.send_errors += n; /* counted as not sent, like sendmmsg's failures */
            c->res.sent -= n;
            return true;
        }
        return false;
    }
#else
    (void)c;
    (void)iov;
    (void)n;
    return false;
#endif
}

static void send_calls(lg_ctx *c, uint64_t from, uint64_t to)
{
    static char bufs[LG_BATCH][1024];
    struct iovec iov[LG_BATCH];
    struct mmsghdr msgs[LG_BATCH];
    while (from < to) {
        unsigned n = (unsigned)(to - from < LG_BATCH ? to - from : LG_BATCH);
        uint64_t t = now_ns() - c->t0;
        for (unsigned i = 0; i < n; i++) {
            iov[i].iov_base = bufs[i];
            iov[i].iov_len = fill_request(&c->req, from + i, bufs[i]);
            memset(&msgs[i], 0, sizeof msgs[i]);
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            c->calls[from + i].sent_ns = t;
            c->calls[from + i].flags |= CF_SENT;
        }
        uint64_t err = 0;
        if (c->cfg.gso && n > 1) {
            c->res.sent += n;
            if (send_gso(c, iov, n)) {
                from += n;
                c->last_send = t;
                continue;
            }
            c->res.sent -= n;
            c->cfg.gso = false; /* not supported here: sendmmsg from now on */
        }
        send_batch(c, msgs, n, &err);
        c->res.send_errors += err;
        c->res.sent += n - err;
        from += n;
        c->last_send = t;
    }
}

static bool all_final(const lg_ctx *c);

/* --paced: call @p idx alone, in its own send(2) (no sendmmsg, no GSO). */
static void send_one(lg_ctx *c, uint64_t idx, uint64_t t)
{
    static char buf[1024];
    size_t len = fill_request(&c->req, idx, buf);
    c->calls[idx].sent_ns = t;
    c->calls[idx].flags |= CF_SENT;
    if (send(c->fd, buf, len, 0) < 0)
        c->res.send_errors++;
    else
        c->res.sent++;
    c->last_send = t;
}

/*
 * --paced: call i is due at i / rate seconds and leaves alone, in its own send(2). With
 * --group N the calls leave N at a time, back to back but each in its own send(2), every
 * N / rate seconds: what one SIPp instance does (at 5,000 calls/s it was seen to send
 * about 20 INVITEs back to back every 4 ms here; docs/performance.md). The loop sleeps in ppoll (woken
 * by an answer, which it ACKs at once, also one send(2) per ACK) until spin_us before the
 * next call is due, then watches the clock. A send that comes late does not let the calls
 * behind it bunch up: the next group leaves no sooner than half a group period later, so
 * the arrivals stay spaced and the rate achieved (in the JSON, with the gaps between sends
 * and the groups more than a group period late) tells what the machine allowed.
 */
static void run_paced(lg_ctx *c, uint64_t *first_send)
{
    const lg_cfg *cfg = &c->cfg;
    const double period = 1e9 / cfg->rate;
    const uint32_t group = cfg->group ? cfg->group : 1;
    const double gperiod = period * group;
    const uint64_t wait = (uint64_t)cfg->timeout_ms * 1000000u;
    const uint64_t spin = (uint64_t)cfg->spin_us * 1000u;
    uint64_t next = 0;
    double due = 0; /* ns since t0 at which call `next` leaves */
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); /* wake on time, not 50 µs late */
    for (;;) {
        uint64_t t = now_ns() - c->t0;
        if (next < cfg->calls && (double)t >= due) {
            double lag = ((double)t - (double)next * period) / 1e6;
            if (lag > c->res.max_lag_ms)
                c->res.max_lag_ms = lag;
            if ((double)t - due > gperiod)
                c->res.slipped++;
            if (*first_send == UINT64_MAX)
                *first_send = t;
            uint64_t tg = t; /* the group's first send */
            for (uint32_t k = 0; k < group && next < cfg->calls; k++) {
                send_one(c, next, k ? now_ns() - c->t0 : t);
                next++;
            }
            double sched = (double)next * period, soonest = (double)tg + gperiod / 2;
            due = sched > soonest ? sched : soonest;
        }
        drain(c);
        t = now_ns() - c->t0;
        if (next >= cfg->calls) {
            if (t > c->last_send + wait + 20000000u || all_final(c))
                break;
        }
        uint64_t wake = next < cfg->calls ? (uint64_t)due : t + 2000000u;
        if (wake <= t)
            continue;
        if (next < cfg->calls && wake - t <= spin)
            continue; /* on the clock until the call is due */
        uint64_t sleep = wake - t - (next < cfg->calls ? spin : 0);
        struct timespec ts = {(time_t)(sleep / 1000000000u), (long)(sleep % 1000000000u)};
        struct pollfd pfd = {c->fd, POLLIN, 0};
        (void)ppoll(&pfd, 1, &ts, NULL);
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void summarise(lg_ctx *c)
{
    lg_result *r = &c->res;
    uint32_t *lat = malloc((c->cfg.calls ? c->cfg.calls : 1) * sizeof *lat);
    size_t nl = 0;
    unsigned want = expected_final(c->cfg.sc);
    for (uint64_t i = 0; i < c->cfg.calls; i++) {
        const call *k = &c->calls[i];
        if (!(k->flags & CF_SENT))
            continue;
        if (!(k->flags & CF_FINAL)) {
            r->lost++;
            continue;
        }
        if (k->flags & CF_LATE) {
            r->late++;
        } else {
            r->answered++;
        }
        if (k->final != want)
            r->unexpected++;
        if (k->final >= 100 && k->final < 700)
            r->codes[k->final - 100]++;
        if (c->cfg.sc == SC_INVITE_180_486 && !(k->flags & CF_180))
            r->missing_prov++;
        if (lat)
            lat[nl++] = k->lat_us;
    }
    if (lat && nl) {
        qsort(lat, nl, sizeof *lat, cmp_u32);
        r->lat_p50 = lat[(nl - 1) * 50 / 100];
        r->lat_p90 = lat[(nl - 1) * 90 / 100];
        r->lat_p99 = lat[(nl - 1) * 99 / 100];
        r->lat_max = lat[nl - 1];
    }
    free(lat);
    /* the gaps between successive requests, in the order they were sent (the indices) */
    uint64_t *gap = c->cfg.calls > 1 ? malloc((c->cfg.calls - 1) * sizeof *gap) : NULL;
    size_t ng = 0;
    for (uint64_t i = 1; gap && i < c->cfg.calls; i++) {
        const call *a = &c->calls[i - 1], *b = &c->calls[i];
        if ((a->flags & CF_SENT) && (b->flags & CF_SENT))
            gap[ng++] = b->sent_ns >= a->sent_ns ? b->sent_ns - a->sent_ns : 0;
    }
    if (gap && ng) {
        qsort(gap, ng, sizeof *gap, cmp_u64);
        r->gap_p1_us = (double)gap[(ng - 1) / 100] / 1e3;
        r->gap_p50_us = (double)gap[(ng - 1) / 2] / 1e3;
        r->gap_p99_us = (double)gap[(ng - 1) * 99 / 100] / 1e3;
    }
    free(gap);
}

static bool all_final(const lg_ctx *c)
{
    for (uint64_t i = 0; i < c->cfg.calls; i++)
        if ((c->calls[i].flags & (CF_SENT | CF_FINAL)) == CF_SENT)
            return false;
    return true;
}

/* One run over @p fd, connected to the target. */
static int lg_run(const lg_cfg *cfg, int fd, lg_result *out)
{
    lg_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    c->cfg = *cfg;
    c->fd = fd;
    c->calls = calloc(cfg->calls ? cfg->calls : 1, sizeof *c->calls);
    if (!c->calls) {
        free(c);
        return -1;
    }
    struct sockaddr_storage la, ra;
    socklen_t ll = sizeof la, rl = sizeof ra;
    char rhost[80], rhp[80];
    if (getsockname(fd, (struct sockaddr *)&la, &ll) != 0 ||
        getpeername(fd, (struct sockaddr *)&ra, &rl) != 0) {
        free(c->calls);
        free(c);
        return -1;
    }
    format_hostport(&la, c->lhost, sizeof c->lhost, c->local, sizeof c->local);
    format_hostport(&ra, rhost, sizeof rhost, rhp, sizeof rhp);
    const char *host = cfg->host ? cfg->host : rhp;
    snprintf(c->ruri, sizeof c->ruri, "sip:%s@%s", cfg->user, host);
    snprintf(c->to_uri, sizeof c->to_uri, "sip:%s@%s", cfg->user, host);
    uint64_t seed = now_ns() ^ ((uint64_t)getpid() << 32);
    c->runlen = (size_t)snprintf(c->run, sizeof c->run, "%08x", (unsigned)(seed ^ (seed >> 29)));
    if (make_template(&c->req, cfg->sc == SC_OPTIONS ? "OPTIONS" : "INVITE", c->ruri, c->to_uri,
                      c->local, c->lhost, c->run, cfg->sc != SC_OPTIONS && cfg->sdp) != 0) {
        free(c->calls);
        free(c);
        return -1;
    }

    uint64_t tick = (uint64_t)cfg->tick_us * 1000u;
    uint64_t wait = (uint64_t)cfg->timeout_ms * 1000000u;
    uint64_t next = 0; /* next call index to send */
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    c->t0 = now_ns();
    uint64_t first_send = UINT64_MAX;
    if (cfg->paced)
        run_paced(c, &first_send);
    for (; !cfg->paced;) {
        uint64_t t = now_ns() - c->t0;
        if (next < cfg->calls) {
            /* Calls due by now: the schedule is call i at i / rate seconds. */
            uint64_t due = (uint64_t)((double)t * cfg->rate / 1e9) + 1;
            if (due > cfg->calls)
                due = cfg->calls;
            if (due > next) {
                double sched_ns = (double)next * 1e9 / cfg->rate;
                double lag = ((double)t - sched_ns) / 1e6;
                if (lag > c->res.max_lag_ms)
                    c->res.max_lag_ms = lag;
                if (first_send == UINT64_MAX)
                    first_send = t;
                send_calls(c, next, due);
                next = due;
            }
        }
        drain(c);
        t = now_ns() - c->t0;
        if (next >= cfg->calls) {
            if (t > c->last_send + wait + 20000000u || all_final(c))
                break;
        }
        /* Sleep until the next tick (or until an answer arrives). */
        uint64_t wake = (t / tick + 1) * tick;
        if (next >= cfg->calls)
            wake = t + 2000000u; /* draining: look at the clock every 2 ms */
        struct timespec ts = {(time_t)((wake - t) / 1000000000u), (long)((wake - t) % 1000000000u)};
        struct pollfd pfd = {fd, cfg->rx_on_tick ? 0 : POLLIN, 0};
        (void)ppoll(&pfd, 1, &ts, NULL);
    }
    for (uint64_t end = now_ns() + (uint64_t)cfg->linger_ms * 1000000u; now_ns() < end;) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, 10) > 0)
            drain(c);
    }
    getrusage(RUSAGE_SELF, &ru1);
    c->res.wall_s = (double)(now_ns() - c->t0) / 1e9;
    c->res.cpu_s = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                   (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                   (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
                   (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    c->res.send_seconds =
        (double)(c->last_send - (first_send == UINT64_MAX ? 0 : first_send)) / 1e9;
    summarise(c);
    *out = c->res;
    free(c->calls);
    free(c);
    return 0;
}

static void print_json(FILE *f, const lg_cfg *cfg, const char *target, const lg_result *r)
{
    double achieved = r->send_seconds > 0 ? (double)(r->sent - 1) / r->send_seconds : 0;
    fprintf(f,
            "{\"scenario\":\"%s\",\"target\":\"%s\",\"rate\":%.0f,\"calls\":%llu,"
            "\"timeout_ms\":%u,\"sent\":%llu,\"answered\":%llu,\"late\":%llu,\"lost\":%llu,"
            "\"unexpected\":%llu,\"missing_prov\":%llu,\"send_errors\":%llu,"
            "\"final_retrans\":%llu,\"acks\":%llu,\"prov_100\":%llu,\"prov_180\":%llu,"
            "\"prov_183\":%llu,\"prov_other\":%llu,\"bad\":%llu,\"stray\":%llu,"
            "\"rx_drops\":%llu,\"send_seconds\":%.3f,\"achieved_rate\":%.0f,"
            "\"max_lag_ms\":%.1f,\"lat_p50_us\":%llu,\"lat_p90_us\":%llu,"
            "\"lat_p99_us\":%llu,\"lat_max_us\":%llu,\"wall_s\":%.3f,\"gen_cpu_s\":%.3f,"
            "\"paced\":%s,\"gap_p1_us\":%.1f,\"gap_p50_us\":%.1f,\"gap_p99_us\":%.1f,"
            "\"slipped\":%llu,\"finals\":{",
            scenario_names[cfg->sc], target, cfg->rate, (unsigned long long)cfg->calls,
            cfg->timeout_ms, (unsigned long long)r->sent, (unsigned long long)r->answered,
            (unsigned long long)r->late, (unsigned long long)r->lost,
            (unsigned long long)r->unexpected, (unsigned long long)r->missing_prov,
            (unsigned long long)r->send_errors, (unsigned long long)r->final_retrans,
            (unsigned long long)r->acks, (unsigned long long)r->prov_100,
            (unsigned long long)r->prov_180, (unsigned long long)r->prov_183,
            (unsigned long long)r->prov_other, (unsigned long long)r->bad,
            (unsigned long long)r->stray, (unsigned long long)r->rx_drops, r->send_seconds,
            achieved, r->max_lag_ms, (unsigned long long)r->lat_p50, (unsigned long long)r->lat_p90,
            (unsigned long long)r->lat_p99, (unsigned long long)r->lat_max, r->wall_s, r->cpu_s,
            cfg->paced ? "true" : "false", r->gap_p1_us, r->gap_p50_us, r->gap_p99_us,
            (unsigned long long)r->slipped);
    const char *sep = "";
    for (unsigned i = 0; i < 600; i++) {
        if (r->codes[i]) {
            fprintf(f, "%s\"%u\":%llu", sep, i + 100, (unsigned long long)r->codes[i]);
            sep = ",";
        }
    }
    fprintf(f, "}}\n");
}

/* ------------------------------------------------------------------ the null server */

static volatile sig_atomic_t serve_stop;

static void on_term(int sig)
{
    (void)sig;
    serve_stop = 1;
}

/* Append @p s (length @p n) at *@p p if it fits before @p end. */
static bool put(char **p, const char *end, const char *s, size_t n)
{
    if ((size_t)(end - *p) < n)
        return false;
    memcpy(*p, s, n);
    *p += n;
    return true;
}

static bool put_c(char **p, const char *end, const char *s)
{
    return put(p, end, s, strlen(s));
}

/* A stateless response to @p r with @p code: its Vias, From, To (with a tag), Call-ID, CSeq. */
static size_t make_response(const resp *r, const char *status_line, char *out, size_t cap)
{
    char *p = out;
    const char *end = out + cap;
    bool ok = put_c(&p, end, status_line);
    bool to_tag = false;
    for (size_t i = 0; ok && i < r->nh; i++) {
        const sr_header *h = &r->hdrs[i];
        const char *name = NULL;
        switch (h->id) {
        case SR_HDR_VIA: name = "Via: "; break;
        case SR_HDR_FROM: name = "From: "; break;
        case SR_HDR_TO: name = "To: "; break;
        case SR_HDR_CALL_ID: name = "Call-ID: "; break;
        case SR_HDR_CSEQ: name = "CSeq: "; break;
        default: continue;
        }
        ok = put_c(&p, end, name) && put(&p, end, h->value.p, h->value.len);
        if (ok && h->id == SR_HDR_TO && !to_tag) {
            sr_nameaddr na;
            if (sr_nameaddr_parse(&na, h->value, NULL) == 0 && na.tag.p == NULL)
                ok = put_c(&p, end, ";tag=nullsrv");
            to_tag = true;
        }
        ok = ok && put_c(&p, end, "\r\n");
    }
    ok = ok && put_c(&p, end, "Content-Length: 0\r\n\r\n");
    return ok ? (size_t)(p - out) : 0;
}

/*
 * Answer every request on @p fd until SIGTERM: INVITE → 486 (180 first when the
 * Request-URI user starts with "180"), OPTIONS → 200, ACK → nothing, others → 501.
 * Stateless and as cheap as we can make it: the generator's own ceiling is measured with it.
 */
static int serve(int fd)
{
    static char in[LG_BATCH][LG_DGRAM];
    static char out[2 * LG_BATCH][LG_DGRAM];
    struct iovec iin[LG_BATCH], iout[2 * LG_BATCH];
    struct mmsghdr min[LG_BATCH], mout[2 * LG_BATCH];
    struct sockaddr_storage from[LG_BATCH];
    struct sigaction sa = {0};
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    while (!serve_stop) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, 100) <= 0)
            continue;
        for (unsigned i = 0; i < LG_BATCH; i++) {
            iin[i].iov_base = in[i];
            iin[i].iov_len = LG_DGRAM;
            memset(&min[i], 0, sizeof min[i]);
            min[i].msg_hdr.msg_iov = &iin[i];
            min[i].msg_hdr.msg_iovlen = 1;
            min[i].msg_hdr.msg_name = &from[i];
            min[i].msg_hdr.msg_namelen = sizeof from[i];
        }
        int n = recvmmsg(fd, min, LG_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            continue;
        unsigned no = 0;
        for (int i = 0; i < n; i++) {
            resp r;
            if (read_msg(&r, in[i], min[i].msg_len) != 0 || !r.sl.is_request ||
                r.sl.method_id == SR_METHOD_ACK)
                continue;
            const char *lines[2] = {NULL, NULL};
            if (r.sl.method_id == SR_METHOD_INVITE) {
                sr_str u = r.sl.uri;
                bool ring = u.len > 7 && memcmp(u.p, "sip:180", 7) == 0;
                lines[0] = ring ? "SIP/2.0 180 Ringing\r\n" : "SIP/2.0 486 Busy Here\r\n";
                lines[1] = ring ? "SIP/2.0 486 Busy Here\r\n" : NULL;
            } else if (r.sl.method_id == SR_METHOD_OPTIONS) {
                lines[0] = "SIP/2.0 200 OK\r\n";
            } else {
                lines[0] = "SIP/2.0 501 Not Implemented\r\n";
            }
            for (int k = 0; k < 2 && lines[k]; k++) {
                size_t len = make_response(&r, lines[k], out[no], LG_DGRAM);
                if (len == 0)
                    continue;
                iout[no].iov_base = out[no];
                iout[no].iov_len = len;
                memset(&mout[no], 0, sizeof mout[no]);
                mout[no].msg_hdr.msg_iov = &iout[no];
                mout[no].msg_hdr.msg_iovlen = 1;
                mout[no].msg_hdr.msg_name = &from[i];
                mout[no].msg_hdr.msg_namelen = min[i].msg_hdr.msg_namelen;
                no++;
            }
        }
        for (unsigned done = 0; done < no;) {
            int r = sendmmsg(fd, mout + done, no - done, 0);
            if (r <= 0) {
                if (r < 0 && errno == EINTR)
                    continue;
                done++; /* drop the datagram the kernel refused */
                continue;
            }
            done += (unsigned)r;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ self-test */

static int bind_any(int family, struct sockaddr_storage *ss, socklen_t *sl)
{
    int fd = udp_socket(family);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    *sl = sizeof *ss;
    getsockname(fd, (struct sockaddr *)ss, sl);
    return fd;
}

static int connected_client(const struct sockaddr_storage *to, socklen_t tl)
{
    int fd = udp_socket(to->ss_family);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        connect(fd, (const struct sockaddr *)to, tl) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int check(bool ok, const char *what, const lg_cfg *cfg, const lg_result *r)
{
    fprintf(stderr, "selftest: %-60s %s\n", what, ok ? "ok" : "FAILED");
    if (!ok)
        print_json(stderr, cfg, "selftest", r);
    return ok ? 0 : 1;
}

/* The generator against its null server (each scenario, every call answered as expected),
 * then against a socket that never answers (every call lost), then a scenario expecting a
 * 180 the server does not send (every call counted as missing it). */
static int selftest(void)
{
    struct sockaddr_storage srv, hole;
    socklen_t sl, hl;
    int sfd = bind_any(AF_INET, &srv, &sl);
    int hfd = bind_any(AF_INET, &hole, &hl);
    if (sfd < 0 || hfd < 0) {
        perror("selftest: socket");
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("selftest: fork");
        return 1;
    }
    if (pid == 0) {
        close(hfd);
        _exit(serve(sfd));
    }
    close(sfd);
    int fails = 0;
    const struct {
        enum scenario sc;
        const char *user;
    } cases[] = {{SC_INVITE_486, "486"}, {SC_INVITE_180_486, "180486"}, {SC_OPTIONS, "200"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lg_cfg cfg = {.sc = cases[i].sc,
                      .rate = 4000,
                      .calls = 400,
                      .timeout_ms = 10000,
                      .tick_us = 1000,
                      .gso = (i == 1),
                      .user = cases[i].user,
                      .quiet = true};
        lg_result r = {0};
        int fd = connected_client(&srv, sl);
        bool ok = fd >= 0 && lg_run(&cfg, fd, &r) == 0;
        bool inv = cases[i].sc != SC_OPTIONS;
        ok = ok && r.sent == 400 && r.answered == 400 && r.lost == 0 && r.late == 0 &&
             r.unexpected == 0 && r.missing_prov == 0 && r.bad == 0 && r.stray == 0 &&
             r.acks == (inv ? 400u : 0u) &&
             r.prov_180 == (cases[i].sc == SC_INVITE_180_486 ? 400u : 0u) &&
             r.lat_p50 <= r.lat_p99 && r.lat_p99 <= r.lat_max;
        char what[96];
        snprintf(what, sizeof what, "%s: 400 calls answered, ACKed, no loss",
                 scenario_names[cases[i].sc]);
        fails += check(ok, what, &cfg, &r);
        if (fd >= 0)
            close(fd);
    }
    {
        lg_cfg cfg = {.sc = SC_INVITE_180_486,
                      .rate = 4000,
                      .calls = 100,
                      .timeout_ms = 10000,
                      .tick_us = 1000,
                      .rx_on_tick = true,
                      .gso = true,
                      .user = "486",
                      .quiet = true};
        lg_result r = {0};
        int fd = connected_client(&srv, sl);
        bool ok = fd >= 0 && lg_run(&cfg, fd, &r) == 0;
        ok = ok && r.answered == 100 && r.missing_prov == 100 && r.prov_180 == 0;
        fails += check(ok, "invite-180-486 against a server without 180: missing_prov", &cfg, &r);
        if (fd >= 0)
            close(fd);
    }
    {
        lg_cfg cfg = {.sc = SC_INVITE_486,
                      .rate = 2000,
                      .calls = 50,
                      .timeout_ms = 200,
                      .tick_us = 1000,
                      .user = "486",
                      .quiet = true};
        lg_result r = {0};
        int fd = connected_client(&hole, hl);
        bool ok = fd >= 0 && lg_run(&cfg, fd, &r) == 0;
        ok = ok && r.sent == 50 && r.lost == 50 && r.answered == 0 && r.acks == 0;
        fails += check(ok, "a server that never answers: every call lost", &cfg, &r);
        if (fd >= 0)
            close(fd);
    }
    {
        /* --paced with SIPp's SDP: one request per send, never two within half a period */
        lg_cfg cfg = {.sc = SC_INVITE_486,
                      .rate = 4000,
                      .calls = 400,
                      .timeout_ms = 10000,
                      .tick_us = 1000,
                      .user = "486",
                      .quiet = true,
                      .paced = true,
                      .sdp = true};
        lg_result r = {0};
        int fd = connected_client(&srv, sl);
        bool ok = fd >= 0 && lg_run(&cfg, fd, &r) == 0;
        ok = ok && r.sent == 400 && r.answered == 400 && r.lost == 0 && r.acks == 400 &&
             r.unexpected == 0 && r.bad == 0 && r.stray == 0 && r.gap_p1_us >= 125.0;
        fails += check(ok, "invite-486 --paced --sdp: 400 calls answered, spaced", &cfg, &r);
        if (fd >= 0)
            close(fd);
    }
    kill(pid, SIGTERM);
    int st = 0;
    waitpid(pid, &st, 0);
    close(hfd);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "selftest: null server did not exit cleanly\n");
        fails++;
    }
    fprintf(stderr, "selftest: %s\n", fails ? "FAILED" : "passed");
    return fails ? 1 : 0;
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: loadgen --target HOST:PORT [options]   place calls, print one JSON line\n"
            "       loadgen --serve HOST:PORT                  null stateless responder\n"
            "       loadgen --selftest                         check the generator\n"
            "options:\n"
            "  -s, --scenario NAME   invite-486 (default), invite-180-486, options\n"
            "  -r, --rate N          offered calls per second (default 1000)\n"
            "  -d, --duration S      seconds of offered load (default 5)\n"
            "  -n, --calls N         number of calls (overrides --duration)\n"
            "      --timeout MS      a final response later than this is late, none is lost\n"
            "                        (default 500, RFC 3261 T1)\n"
            "      --tick US         pacing period in microseconds (default 1000)\n"
            "      --rx-on-tick      read answers once per tick instead of as they come: fewer\n"
            "                        wake-ups at high rates, latency rounded up to the tick\n"
            "      --gso             send each batch of requests as one UDP GSO send (cheaper\n"
            "                        for the generator; the server still sees datagrams)\n"
            "      --paced           one request per send(2) at its own time (call i at i / rate\n"
            "                        s, no batching, no GSO), ACKs one per send(2), as\n"
            "                        SIPp sends them; the JSON gives the gaps between\n"
            "                        sends (gap_p1/p50/p99_us) and the sends that came late\n"
            "      --spin US         with --paced: watch the clock the last US before a send\n"
            "                        instead of sleeping (steadier gaps; default 0)\n"
            "      --group N         with --paced: N calls back to back (each in its own send)\n"
            "                        every N / rate s, as a SIPp instance sends (default 1)\n"
            "      --sdp             the INVITE carries an SDP offer (as SIPp's uac scenario)\n"
            "      --linger MS       read on this long after the run (retransmitted finals are\n"
            "                        counted and ACKed again; default 0)\n"
            "  -u, --user USER       Request-URI user (default 486; 200 for options)\n"
            "      --host HOST       Request-URI host (default the target)\n"
            "      --bind HOST:PORT  local address (default an ephemeral port)\n"
            "      --cpu N           pin to CPU N\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"target", required_argument, NULL, 'T'}, {"serve", required_argument, NULL, 'S'},
        {"selftest", no_argument, NULL, 'X'},     {"scenario", required_argument, NULL, 's'},
        {"rate", required_argument, NULL, 'r'},   {"duration", required_argument, NULL, 'd'},
        {"calls", required_argument, NULL, 'n'},  {"timeout", required_argument, NULL, 't'},
        {"tick", required_argument, NULL, 'k'},   {"linger", required_argument, NULL, 'L'},
        {"rx-on-tick", no_argument, NULL, 'R'},   {"gso", no_argument, NULL, 'G'},
        {"user", required_argument, NULL, 'u'},   {"host", required_argument, NULL, 'H'},
        {"bind", required_argument, NULL, 'b'},   {"cpu", required_argument, NULL, 'c'},
        {"paced", no_argument, NULL, 'P'},        {"spin", required_argument, NULL, 'w'},
        {"sdp", no_argument, NULL, 'D'},          {"group", required_argument, NULL, 'g'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    lg_cfg cfg = {.sc = SC_INVITE_486, .rate = 1000, .timeout_ms = 500, .tick_us = 1000};
    const char *target = NULL, *serve_at = NULL, *bind_at = NULL;
    double duration = 5;
    int cpu = -1, o;
    while ((o = getopt_long(argc, argv, "s:r:d:n:u:h", opts, NULL)) != -1) {
        switch (o) {
        case 'T': target = optarg; break;
        case 'S': serve_at = optarg; break;
        case 'X': return selftest();
        case 's': {
            int found = -1;
            for (int i = 0; i < 3; i++)
                if (strcmp(optarg, scenario_names[i]) == 0)
                    found = i;
            if (found < 0) {
                fprintf(stderr, "loadgen: unknown scenario '%s'\n", optarg);
                return 2;
            }
            cfg.sc = (enum scenario)found;
            break;
        }
        case 'r': cfg.rate = strtod(optarg, NULL); break;
        case 'd': duration = strtod(optarg, NULL); break;
        case 'n': cfg.calls = strtoull(optarg, NULL, 10); break;
        case 't': cfg.timeout_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'R': cfg.rx_on_tick = true; break;
        case 'G': cfg.gso = true; break;
        case 'P': cfg.paced = true; break;
        case 'w': cfg.spin_us = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'D': cfg.sdp = true; break;
        case 'g': cfg.group = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'L': cfg.linger_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'k': cfg.tick_us = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'u': cfg.user = optarg; break;
        case 'H': cfg.host = optarg; break;
        case 'b': bind_at = optarg; break;
        case 'c': cpu = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0)
            perror("loadgen: sched_setaffinity");
    }
    struct sockaddr_storage ss;
    socklen_t sl;
    if (serve_at) {
        if (parse_hostport(serve_at, &ss, &sl) != 0) {
            fprintf(stderr, "loadgen: bad address '%s'\n", serve_at);
            return 2;
        }
        int fd = udp_socket(ss.ss_family);
        if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) != 0) {
            perror("loadgen: bind");
            return 1;
        }
        return serve(fd);
    }
    if (!target || parse_hostport(target, &ss, &sl) != 0 || cfg.rate <= 0 || cfg.tick_us == 0) {
        usage(stderr);
        return 2;
    }
    if (cfg.calls == 0)
        cfg.calls = (uint64_t)(cfg.rate * duration + 0.5);
    if (cfg.calls == 0 || cfg.calls > 100000000u) {
        fprintf(stderr, "loadgen: between 1 and 10^8 calls\n");
        return 2;
    }
    if (!cfg.user)
        cfg.user = cfg.sc == SC_OPTIONS ? "200" : "486";
    int fd = udp_socket(ss.ss_family);
    if (fd < 0) {
        perror("loadgen: socket");
        return 1;
    }
    if (bind_at) {
        struct sockaddr_storage bs;
        socklen_t bl;
        if (parse_hostport(bind_at, &bs, &bl) != 0 || bind(fd, (struct sockaddr *)&bs, bl) != 0) {
            fprintf(stderr, "loadgen: cannot bind '%s'\n", bind_at);
            return 1;
        }
    }
    if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
        perror("loadgen: connect");
        return 1;
    }
    lg_result r = {0};
    if (lg_run(&cfg, fd, &r) != 0) {
        fprintf(stderr, "loadgen: run failed\n");
        return 1;
    }
    close(fd);
    print_json(stdout, &cfg, target, &r);
    return 0;
}
