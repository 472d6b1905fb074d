/*
 * rtp_load: concurrent G.711 RTP streams against an echo (docs/performance.md, "RTP echo").
 *
 * With --sip HOST:PORT it first sets up N calls to sip:USER@HOST (INVITE with an SDP offer of
 * PCMU naming our one RTP socket, the 200's SDP port taken, ACK), a few hundred per second;
 * with --rtp HOST:PORT every stream goes to that one port instead (SIPp -rtp_echo). Then for
 * --seconds it sends each stream a 20 ms packet of 160 bytes every 20 ms, the streams spread
 * evenly over the 20 ms (sendmmsg batches), reads what comes back (recvmmsg) and tells the
 * streams apart by the payload's first 2 bytes, the stream's index (an echo keeps the payload,
 * not the SSRC). It then waits
 * 500 ms for stragglers, hangs up (BYE) and prints one JSON line: streams, packets sent and
 * received, loss, and the target process's CPU time during the RTP phase (--pid: utime+stime
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

typedef struct call {
    char callid[48];
    char totag[64];
    struct sockaddr_in media; /* where its RTP goes */
    bool answered;
    uint16_t seq;
    uint32_t ts;
    uint64_t received;
} call;

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
    int ncalls = 100, seconds = 10, pid = 0, cps = 400;
    const char *sip = NULL, *rtp = NULL, *user = "echo";
    static const struct option opts[] = {
        {"sip", 1, 0, 's'}, {"rtp", 1, 0, 'r'},  {"calls", 1, 0, 'n'}, {"seconds", 1, 0, 't'},
        {"pid", 1, 0, 'p'}, {"user", 1, 0, 'u'}, {"cps", 1, 0, 'c'},   {0, 0, 0, 0}};
    for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        switch (o) {
        case 's': sip = optarg; break;
        case 'r': rtp = optarg; break;
        case 'n': ncalls = atoi(optarg); break;
        case 't': seconds = atoi(optarg); break;
        case 'p': pid = atoi(optarg); break;
        case 'u': user = optarg; break;
        case 'c': cps = atoi(optarg); break;
        default:
            fprintf(stderr,
                    "usage: rtp_load --sip H:P|--rtp H:P [--calls N] [--seconds S] [--pid PID]\n");
            return 2;
        }
    }
    if ((!sip && !rtp) || ncalls < 1) {
        fprintf(stderr, "rtp_load: --sip or --rtp\n");
        return 2;
    }
    call *calls = calloc((size_t)ncalls, sizeof(*calls));
    int rfd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in me = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
    int big = 16 << 20;
    setsockopt(rfd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
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
    /* the RTP phase */
    static uint8_t out[BATCH][172];
    static uint8_t in[BATCH][2048];
    struct mmsghdr om[BATCH], im[BATCH];
    struct iovec oiov[BATCH], iiov[BATCH];
    for (int k = 0; k < BATCH; k++) {
        iiov[k] = (struct iovec){in[k], sizeof(in[k])};
        memset(&im[k], 0, sizeof(im[k]));
        im[k].msg_hdr.msg_iov = &iiov[k];
        im[k].msg_hdr.msg_iovlen = 1;
    }
    uint64_t sent_pk = 0, recv_pk = 0, late = 0;
    double c0 = cpu_s(pid);
    uint64_t t0 = now_us(), tend = t0 + (uint64_t)seconds * 1000000u;
    uint64_t slot = 0; /* packets scheduled so far, over all streams */
    uint64_t per_s = (uint64_t)answered * 50u;
    for (;;) {
        uint64_t now = now_us();
        if (now >= tend + 500000u)
            break;
        uint64_t due = now < tend ? (now - t0) * per_s / 1000000u : slot;
        if (due > slot + (uint64_t)answered)
            late++;
        int nb = 0;
        while (slot < due && nb < BATCH) {
            int i = (int)(slot % (uint64_t)ncalls);
            slot++;
            if (!calls[i].answered)
                continue;
            uint8_t *p = out[nb];
            p[0] = 0x80;
            p[1] = 0;
            p[2] = (uint8_t)(calls[i].seq >> 8);
            p[3] = (uint8_t)calls[i].seq;
            uint32_t ts = calls[i].ts, ss = 0x10000000u + (uint32_t)i;
            p[4] = (uint8_t)(ts >> 24);
            p[5] = (uint8_t)(ts >> 16);
            p[6] = (uint8_t)(ts >> 8);
            p[7] = (uint8_t)ts;
            p[8] = (uint8_t)(ss >> 24);
            p[9] = (uint8_t)(ss >> 16);
            p[10] = (uint8_t)(ss >> 8);
            p[11] = (uint8_t)ss;
            memset(p + 12, 0xff, 160);
            /* the stream's index in the payload: an echo keeps the payload */
            p[12] = (uint8_t)(i >> 8);
            p[13] = (uint8_t)i;
            calls[i].seq++;
            calls[i].ts += 160;
            oiov[nb] = (struct iovec){p, 172};
            memset(&om[nb], 0, sizeof(om[nb]));
            om[nb].msg_hdr.msg_iov = &oiov[nb];
            om[nb].msg_hdr.msg_iovlen = 1;
            om[nb].msg_hdr.msg_name = &calls[i].media;
            om[nb].msg_hdr.msg_namelen = sizeof(calls[i].media);
            nb++;
        }
        if (nb) {
            int r = sendmmsg(rfd, om, (unsigned)nb, 0);
            if (r > 0)
                sent_pk += (uint64_t)r;
        }
        for (;;) {
            int r = recvmmsg(rfd, im, BATCH, MSG_DONTWAIT, NULL);
            if (r <= 0)
                break;
            for (int k = 0; k < r; k++) {
                if (im[k].msg_len < 14 || in[k][1] >= 200)
                    continue; /* RTCP */
                int i = in[k][12] << 8 | in[k][13];
                if (i < ncalls) {
                    calls[i].received++;
                    recv_pk++;
                }
            }
        }
        if (!nb) {
            struct pollfd pf = {.fd = rfd, .events = POLLIN};
            poll(&pf, 1, 1);
        }
    }
    double c1 = cpu_s(pid);
    uint64_t streams_lossless = 0;
    for (int i = 0; i < ncalls; i++)
        if (calls[i].answered && calls[i].received * 1u >= (uint64_t)(sent_pk / (uint64_t)answered))
            streams_lossless++;
    if (sip)
        for (int i = 0; i < ncalls; i++)
            if (calls[i].answered)
                sip_send(sfd, &starget, "BYE", user, "127.0.0.1", sport, 0, &calls[i], 2, "");
    double cpu = c1 - c0;
    printf("{\"streams\": %d, \"seconds\": %d, \"sent\": %llu, \"received\": %llu, "
           "\"loss_pct\": %.3f, \"packets_per_s_each_way\": %.0f, \"target_cpu_s\": %.2f, "
           "\"target_cpu_pct\": %.1f, \"target_us_per_echoed_packet\": %.2f, \"gen_late\": %llu}\n",
           answered, seconds, (unsigned long long)sent_pk, (unsigned long long)recv_pk,
           sent_pk ? 100.0 * (double)(sent_pk - (recv_pk < sent_pk ? recv_pk : sent_pk)) /
                         (double)sent_pk
                   : 0,
           (double)sent_pk / seconds, cpu, 100.0 * cpu / (seconds + 0.5),
           recv_pk ? cpu * 1e6 / (double)recv_pk : 0, (unsigned long long)late);
    (void)streams_lossless;
    return 0;
}
