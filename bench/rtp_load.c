/*
 * rtp_load: concurrent G.711 RTP streams against an echo (docs/performance.md, "RTP echo").
 *
 * With --sip HOST:PORT it first sets up N calls to sip:USER@HOST (INVITE with an SDP offer of
 * PCMU naming our one RTP socket, the 200's SDP port taken, ACK), --cps per second; with
 * --rtp HOST:PORT every stream goes to that one port instead (SIPp -rtp_echo). Then for
 * --seconds it sends each stream a 172-byte packet (160 bytes of PCMU) every 20 ms, the
 * streams spread evenly over the 20 ms: every millisecond the packets that fell due go out in
 * one sendmmsg, what came back is read (recvmmsg, MSG_DONTWAIT), and it sleeps to the next
 * millisecond (no busy wait: on a core shared with nothing else it uses what the load needs).
 * The payload carries the stream's index and the packet's number in its stream (an echo keeps
 * the payload, not the SSRC or sequence number), so loss, reordering and duplicates are
 * counted per stream. It then waits --drain-ms (500) for stragglers, hangs up (BYE) and prints
 * one JSON line: packets asked and sent (the rate it really kept), received, lost, streams
 * with a loss, its own CPU, the host's UDP receive-buffer drops (/proc/net/snmp RcvbufErrors,
 * all sockets), and the target process's CPU time during the RTP phase (--pid: utime+stime
 * from /proc/PID/stat) per packet echoed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH   1024 /* datagrams per sendmmsg / recvmmsg (the kernel's UIO_MAXIOV) */
#define TICK_US 1000 /* the send clock: what fell due goes out every millisecond */

typedef struct call {
    char callid[48];
    char totag[64];
    struct sockaddr_in media; /* where its RTP goes */
    bool answered;
    uint16_t seq;
    uint32_t ts;
    uint32_t sent;     /* packets sent on it (the next packet's number) */
    uint32_t next;     /* the packet number expected next back (one past the highest) */
    uint64_t received; /* packets back */
} call;

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, (uint16_t)(v >> 16));
    wr16(p + 2, (uint16_t)v);
}

static int rd16(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)rd16(p) << 16 | (uint32_t)rd16(p + 2);
}

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* the host's UDP counters (/proc/net/snmp): datagrams dropped at a full receive buffer,
 * on any socket (the echo's and ours) */
struct snmp_udp {
    unsigned long long rcvbuf_errors;
};

static void snmp_udp(struct snmp_udp *u)
{
    u->rcvbuf_errors = 0;
    FILE *f = fopen("/proc/net/snmp", "r");
    if (!f)
        return;
    char names[1024], vals[1024];
    while (fgets(names, sizeof(names), f)) {
        if (strncmp(names, "Udp: ", 5) != 0 || !fgets(vals, sizeof(vals), f))
            continue;
        /* a line of names, then a line of values in the same order */
        char *sn = NULL, *sv = NULL;
        char *n = strtok_r(names + 5, " \n", &sn), *v = strtok_r(vals + 5, " \n", &sv);
        for (; n && v; n = strtok_r(NULL, " \n", &sn), v = strtok_r(NULL, " \n", &sv))
            if (strcmp(n, "RcvbufErrors") == 0)
                u->rcvbuf_errors = strtoull(v, NULL, 10);
        break;
    }
    fclose(f);
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static double cpu_s(int pid)
{
    if (pid <= 0)
        return 0;
    char path[64], buf[2048];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    /* fields after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt
     * cmajflt utime stime */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int parse_hostport(const char *s, struct sockaddr_in *a)
{
    char h[64];
    const char *c = strrchr(s, ':');
    if (!c || (size_t)(c - s) >= sizeof(h))
        return -1;
    memcpy(h, s, (size_t)(c - s));
    h[c - s] = '\0';
    memset(a, 0, sizeof(*a));
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)atoi(c + 1));
    return inet_pton(AF_INET, h, &a->sin_addr) == 1 ? 0 : -1;
}

static const char *hdr(const char *msg, const char *name, char *out, size_t cap)
{
    const char *p = strcasestr(msg, name);
    if (!p)
        return NULL;
    p += strlen(name);
    size_t n = strcspn(p, "\r\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

static void sip_send(int fd, const struct sockaddr_in *to, const char *method, const char *user,
                     const char *host, uint16_t lport, uint16_t rport, const call *c, int cseq,
                     const char *body)
{
    char m[2048];
    int n =
        snprintf(m, sizeof(m),
                 "%s sip:%s@%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%.12s%s%d\r\n"
                 "Max-Forwards: 70\r\nFrom: <sip:load@127.0.0.1>;tag=rl%.12s\r\n"
                 "To: <sip:%s@%s>%s%s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n"
                 "Contact: <sip:load@127.0.0.1:%u>\r\n%sContent-Length: %zu\r\n\r\n%s",
                 method, user, host, lport, c->callid, method, cseq, c->callid, user, host,
                 c->totag[0] ? ";tag=" : "", c->totag, c->callid, cseq, method, lport,
                 body[0] ? "Content-Type: application/sdp\r\n" : "", strlen(body), body);
    (void)rport;
    sendto(fd, m, (size_t)n, 0, (const struct sockaddr *)to, sizeof(*to));
}

int main(int argc, char **argv)
{
    int ncalls = 100, seconds = 10, pid = 0, cps = 400, drain_ms = 500;
    const char *sip = NULL, *rtp = NULL, *user = "echo";
    static const struct option opts[] = {
        {"sip", 1, 0, 's'},     {"rtp", 1, 0, 'r'},      {"calls", 1, 0, 'n'},
        {"seconds", 1, 0, 't'}, {"pid", 1, 0, 'p'},      {"user", 1, 0, 'u'},
        {"cps", 1, 0, 'c'},     {"drain-ms", 1, 0, 'd'}, {0, 0, 0, 0}};
    for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        switch (o) {
        case 's': sip = optarg; break;
        case 'r': rtp = optarg; break;
        case 'n': ncalls = atoi(optarg); break;
        case 't': seconds = atoi(optarg); break;
        case 'p': pid = atoi(optarg); break;
        case 'u': user = optarg; break;
        case 'c': cps = atoi(optarg); break;
        case 'd': drain_ms = atoi(optarg); break;
        default:
            fprintf(stderr,
                    "usage: rtp_load --sip H:P|--rtp H:P [--calls N] [--seconds S] [--pid PID]\n"
                    "               [--user U] [--cps N] [--drain-ms MS]\n");
            return 2;
        }
    }
    if ((!sip && !rtp) || ncalls < 1 || ncalls > 65535 || seconds < 1 || cps < 1) {
        fprintf(stderr, "rtp_load: --sip or --rtp\n");
        return 2;
    }
    call *calls = calloc((size_t)ncalls, sizeof(*calls));
    int rfd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in me = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
    /* 64 MB each way (FORCE: past net.core.rmem_max when we may; else what the limit gives) */
    int big = 64 << 20;
    if (setsockopt(rfd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) != 0)
        setsockopt(rfd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    if (setsockopt(rfd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) != 0)
        setsockopt(rfd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    if (!calls || bind(rfd, (struct sockaddr *)&me, sizeof(me)) != 0)
        return 1;
    socklen_t sl = sizeof(me);
    getsockname(rfd, (struct sockaddr *)&me, &sl);
    uint16_t rtp_port = ntohs(me.sin_port);
    srand((unsigned)now_us());
    for (int i = 0; i < ncalls; i++) {
        snprintf(calls[i].callid, sizeof(calls[i].callid), "%08x%04x@rtpload", (unsigned)rand(), i);
        calls[i].seq = (uint16_t)rand();
        calls[i].ts = (uint32_t)rand();
    }
    int answered = 0;
    struct sockaddr_in starget;
    int sfd = -1;
    uint16_t sport = 0;
    if (sip) {
        if (parse_hostport(sip, &starget) != 0)
            return 2;
        sfd = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET};
        inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
        bind(sfd, (struct sockaddr *)&sa, sizeof(sa));
        sl = sizeof(sa);
        getsockname(sfd, (struct sockaddr *)&sa, &sl);
        sport = ntohs(sa.sin_port);
        char body[512];
        snprintf(body, sizeof(body),
                 "v=0\r\no=load 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                 "m=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n",
                 rtp_port);
        int sent = 0;
        uint64_t t0 = now_us(), deadline = t0 + 60000000u;
        while (answered < ncalls && now_us() < deadline) {
            /* INVITEs at cps; resent after 2 s unanswered */
            uint64_t due = t0 + (uint64_t)sent * 1000000u / (uint64_t)cps;
            if (sent < ncalls && now_us() >= due) {
                sip_send(sfd, &starget, "INVITE", user, "127.0.0.1", sport, 0, &calls[sent], 1,
                         body);
                sent++;
                continue;
            }
            struct pollfd pf = {.fd = sfd, .events = POLLIN};
            if (poll(&pf, 1, 1) <= 0)
                continue;
            char m[4096];
            ssize_t n = recv(sfd, m, sizeof(m) - 1, 0);
            if (n <= 0)
                continue;
            m[n] = '\0';
            char cid[128], to[256], cseq[64];
            if (strncmp(m, "SIP/2.0 200", 11) != 0 || !hdr(m, "\r\nCall-ID: ", cid, sizeof(cid)) ||
                !hdr(m, "\r\nCSeq: ", cseq, sizeof(cseq)) || !strstr(cseq, "INVITE"))
                continue;
            int idx = (int)strtol(cid + 8, NULL, 16) & 0xffff;
            if (idx >= ncalls || strcmp(calls[idx].callid, cid) != 0 || calls[idx].answered)
                continue;
            const char *mline = strstr(m, "m=audio ");
            if (!mline)
                continue;
            calls[idx].media.sin_family = AF_INET;
            inet_pton(AF_INET, "127.0.0.1", &calls[idx].media.sin_addr);
            calls[idx].media.sin_port = htons((uint16_t)atoi(mline + 8));
            if (hdr(m, "\r\nTo: ", to, sizeof(to)) && strstr(to, "tag="))
                snprintf(calls[idx].totag, sizeof(calls[idx].totag), "%.*s",
                         (int)strcspn(strstr(to, "tag=") + 4, ";\r\n"), strstr(to, "tag=") + 4);
            sip_send(sfd, &starget, "ACK", user, "127.0.0.1", sport, 0, &calls[idx], 1, "");
            calls[idx].answered = true;
            answered++;
        }
    } else {
        struct sockaddr_in t;
        if (parse_hostport(rtp, &t) != 0)
            return 2;
        for (int i = 0; i < ncalls; i++) {
            calls[i].media = t;
            calls[i].answered = true;
        }
        answered = ncalls;
    }
    /* the RTP phase: every TICK_US the packets that fell due, in one sendmmsg (several when
     * more than BATCH), then whatever came back, then sleep to the next tick (no busy wait) */
    int *live = calloc((size_t)(answered ? answered : 1), sizeof(*live));
    if (!live)
        return 1;
    int nlive = 0;
    for (int i = 0; i < ncalls; i++)
        if (calls[i].answered)
            live[nlive++] = i;
    static uint8_t out[BATCH][172];
    static uint8_t in[BATCH][256];
    static struct mmsghdr om[BATCH], im[BATCH];
    static struct iovec oiov[BATCH], iiov[BATCH];
    for (int k = 0; k < BATCH; k++) {
        iiov[k] = (struct iovec){in[k], sizeof(in[k])};
        im[k].msg_hdr.msg_iov = &iiov[k];
        im[k].msg_hdr.msg_iovlen = 1;
        memset(out[k] + 18, 0xff, 172 - 18); /* PCMU silence */
        oiov[k] = (struct iovec){out[k], 172};
        om[k].msg_hdr.msg_iov = &oiov[k];
        om[k].msg_hdr.msg_iovlen = 1;
        om[k].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
    }
    uint64_t sent_pk = 0, recv_pk = 0, late_ticks = 0, send_err = 0, reordered = 0, dup = 0;
    uint64_t stray = 0, rtcp_in = 0;
    struct snmp_udp u0, u1;
    snmp_udp(&u0);
    double c0 = cpu_s(pid), g0 = self_cpu_s();
    uint64_t t0 = now_us(), tend = t0 + (uint64_t)seconds * 1000000u;
    uint64_t per_s = (uint64_t)nlive * 50u, total = per_s * (uint64_t)seconds;
    uint64_t slot = 0; /* packets scheduled so far, over all streams */
    for (uint64_t tick = 1;; tick++) {
        uint64_t now = now_us();
        if (now >= tend + (uint64_t)drain_ms * 1000u)
            break;
        uint64_t due = now < tend ? (now - t0) * per_s / 1000000u : total;
        if (due > slot + per_s * TICK_US / 1000000u * 2)
            late_ticks++; /* more than two ticks' worth behind */
        while (slot < due) {
            int nb = 0;
            while (slot < due && nb < BATCH) {
                int i = live[slot % (uint64_t)nlive];
                slot++;
                call *c = &calls[i];
                uint8_t *p = out[nb];
                p[0] = 0x80;
                p[1] = 0;
                wr16(p + 2, c->seq);
                wr32(p + 4, c->ts);
                wr32(p + 8, 0x10000000u + (uint32_t)i);
                /* the payload: the stream's index and the packet's number in its stream (an
                 * echo keeps the payload, not the header), then silence */
                wr16(p + 12, (uint16_t)i);
                wr32(p + 14, c->sent);
                c->seq++;
                c->ts += 160;
                c->sent++;
                om[nb].msg_hdr.msg_name = &c->media;
                nb++;
            }
            int done = 0;
            while (done < nb) {
                int r = sendmmsg(rfd, om + done, (unsigned)(nb - done), 0);
                if (r <= 0) {
                    send_err += (uint64_t)(nb - done); /* not sent: the stream lacks them */
                    for (int k = done; k < nb; k++)
                        calls[rd16(out[k] + 12)].sent--;
                    break;
                }
                done += r;
            }
            sent_pk += (uint64_t)done;
        }
        for (;;) {
            int r = recvmmsg(rfd, im, BATCH, MSG_DONTWAIT, NULL);
            if (r <= 0)
                break;
            for (int k = 0; k < r; k++) {
                const uint8_t *q = in[k];
                if (im[k].msg_len < 2 || (q[1] >= 200 && q[1] <= 204)) {
                    rtcp_in++;
                    continue;
                }
                int i = im[k].msg_len >= 18 ? rd16(q + 12) : ncalls;
                if (i >= ncalls || !calls[i].answered) {
                    stray++;
                    continue;
                }
                call *c = &calls[i];
                uint32_t n = rd32(q + 14);
                if (n >= c->sent) {
                    stray++;
                    continue;
                }
                if (n < c->next)
                    reordered++; /* or a duplicate: told apart at the end */
                else
                    c->next = n + 1;
                c->received++;
                recv_pk++;
            }
        }
        /* sleep to the next tick */
        uint64_t wake = t0 + tick * TICK_US;
        now = now_us();
        if (wake > now) {
            struct timespec ts = {(time_t)((wake - now) / 1000000u),
                                  (long)((wake - now) % 1000000u) * 1000};
            nanosleep(&ts, NULL);
        } else {
            tick = (now - t0) / TICK_US;
        }
    }
    double c1 = cpu_s(pid), g1 = self_cpu_s();
    snmp_udp(&u1);
    uint64_t lossy = 0, lost = 0;
    for (int k = 0; k < nlive; k++) {
        const call *c = &calls[live[k]];
        if (c->received > c->sent)
            dup += c->received - c->sent;
        else if (c->received < c->sent) {
            lost += c->sent - c->received;
            lossy++;
        }
    }
    if (sip)
        for (int i = 0; i < ncalls; i++)
            if (calls[i].answered)
                sip_send(sfd, &starget, "BYE", user, "127.0.0.1", sport, 0, &calls[i], 2, "");
    double cpu = c1 - c0, span = seconds + drain_ms / 1000.0;
    printf(
        "{\"streams\": %d, \"seconds\": %d, \"asked\": %llu, \"sent\": %llu, "
        "\"send_errors\": %llu, \"received\": %llu, \"lost\": %llu, \"streams_with_loss\": %llu, "
        "\"reordered\": %llu, \"duplicates\": %llu, \"stray\": %llu, \"rtcp\": %llu, "
        "\"loss_pct\": %.3f, \"sent_per_s\": %.0f, \"asked_per_s\": %llu, \"gen_late_ticks\": "
        "%llu, "
        "\"gen_cpu_pct\": %.1f, \"udp_rcvbuf_errors\": %llu, \"target_cpu_s\": %.2f, "
        "\"target_cpu_pct\": %.1f, \"target_us_per_echoed_packet\": %.2f}\n",
        nlive, seconds, (unsigned long long)total, (unsigned long long)sent_pk,
        (unsigned long long)send_err, (unsigned long long)recv_pk, (unsigned long long)lost,
        (unsigned long long)lossy, (unsigned long long)reordered, (unsigned long long)dup,
        (unsigned long long)stray, (unsigned long long)rtcp_in,
        sent_pk ? 100.0 * (double)lost / (double)sent_pk : 0, (double)sent_pk / seconds,
        (unsigned long long)per_s, (unsigned long long)late_ticks, 100.0 * (g1 - g0) / span,
        (unsigned long long)(u1.rcvbuf_errors - u0.rcvbuf_errors), cpu, 100.0 * cpu / span,
        recv_pk ? cpu * 1e6 / (double)recv_pk : 0);
    free(live);
    free(calls);
    return 0;
}
