/* sipreply network shell: the loop's state and the functions its files share (loop.c,
 * addr.c, udp.c, reflect.c, tcp.c, http.c). Not installed; nothing outside src/net uses it. */
#ifndef SN_INTERNAL_H
#define SN_INTERNAL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "hold.h"
#include "net.h"

#define MAX_LISTENERS 16
#define UDP_BATCH     32
#define UDP_BUF       65536
#define OUT_BATCH     64
#define SN_PEER_CACHE 2 /* peers remembered as sources, and as destinations (sn_loop) */
/* The loop blocks in recvmmsg on its one busy UDP listener (sn__udp_wait) rather than in
 * epoll_wait: it waits there at most UDP_WAIT_MS (SO_RCVTIMEO, rounded up by the kernel to
 * its tick), looks at every other descriptor through epoll at least every UDP_POLL_MS of the
 * clock or UDP_POLL_N datagrams, and waits so only while the handler's next deadline is at
 * least UDP_WAIT_GUARD_MS away (a tick of even a HZ=100 kernel: timers are not delayed). */
#define UDP_WAIT_MS       2
#define UDP_POLL_MS       2
#define UDP_POLL_N        64
#define UDP_WAIT_GUARD_MS 25
#define OUT_BYTES         (256 * 1024)
#define METRICS_MAX       16
#define METRICS_OUT       (4u << 20) /* the largest /metrics response */
#define METRICS_MS        5000       /* a scraper has this long to ask and read */
#define REFL_WAYS         4
#define REFL_BUCKETS      2048 /* 8,192 sources with a reflection budget, ~48 bytes each */

enum { W_SIGNAL = 1, W_UDP, W_TCP_LSN, W_CONN, W_METRICS_LSN, W_METRICS_CONN, W_DNS, W_MEDIA };

typedef struct watch {
    int kind;
    void *obj; /* the lsn, conn or mconn this watch is part of */
} watch;

typedef struct lsn {
    watch w;
    int fd;         /* -1: closed (the slot stays: its index is a UDP route, sr_addr.conn_id) */
    char spec[128]; /* as given to sn_listen, for sn_listen_set */
    sr_transport tp;
    int family;
    size_t index;
    sn_local local;
    bool wildcard; /* bound to 0.0.0.0 or [::]: our address comes from IP_PKTINFO */
} lsn;

typedef struct conn {
    watch w;
    int fd;
    uint64_t id;
    sn_local local;
    sr_addr peer;
    struct sockaddr_storage peer_ss; /* the peer in binary (per-source cap, reuse) */
    char *rbuf;
    size_t rlen, rcap;
    sr_frame fr;
    char *wbuf;
    size_t wlen, wcap;
    uint64_t last;      /* the last complete message either way (or the accept/connect) */
    uint64_t msg_start; /* when the message being read began (0: none; sn_opts.message_ms) */
    bool connecting;
    bool in_use;
} conn;

/* Closures of TCP connections the shell decides, counted in /metrics by reason. */
enum { TC_IDLE, TC_MESSAGE, TC_PER_SOURCE, TC_EVICTED, TC_FULL, TC__COUNT };

/* One source address's reflection budget (sn_opts.reflection_budget). */
typedef struct refl {
    uint8_t ip[16]; /* IPv6, or IPv4 as ::ffff:a.b.c.d */
    int64_t owed;   /* bytes sent minus credit for requests since the last sign of life */
    uint64_t since; /* when this period without a sign of life began; 0: slot free */
    uint64_t used;  /* last touched: the bucket's least recent goes first */
    bool logged;    /* over budget in this period, and said so */
} refl;

/* A /metrics client: its request read into buf, then its response written from out as the
 * socket takes it (never blocking the loop), closed when written or after METRICS_MS. */
typedef struct mconn {
    watch w;
    int fd;
    char buf[2048];
    size_t len;
    sr_buf out;     /* the response (empty: still reading the request) */
    size_t out_off; /* written so far */
    uint64_t started;
    bool in_use;
} mconn;

struct sn_loop {
    int ep;
    watch sigw;
    int sigfd;
    sn_opts o;
    sn_handler h;
    lsn lsns[MAX_LISTENERS];
    size_t n_lsns;
    conn *conns;
    size_t n_conns;
    uint64_t conn_serial;
    lsn metrics;
    bool have_metrics;
    mconn mconns[METRICS_MAX];
    /* UDP input batch */
    struct mmsghdr in[UDP_BATCH];
    struct iovec in_iov[UDP_BATCH];
    struct sockaddr_storage in_addr[UDP_BATCH];
    struct {
        _Alignas(struct cmsghdr) char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    } in_ctl[UDP_BATCH];
    char *in_buf;
    const lsn *in_for;       /* the listener the input headers are set up for */
    size_t in_used;          /* headers the last recvmmsg filled (to set up again) */
    bool udp_busy;           /* the last UDP read found datagrams (the loop may wait in recvmmsg) */
    uint64_t udp_rx, udp_tx; /* datagrams read and queued to send on UDP listeners, so far */
    sn_hold hold;            /* when the UDP hold is skipped (hold.h) */
    /* UDP output batch, one socket at a time */
    int out_fd;
    struct mmsghdr out[OUT_BATCH];
    struct iovec out_iov[OUT_BATCH];
    struct sockaddr_storage out_addr[OUT_BATCH];
    size_t out_n, out_used;
    char *out_buf;
    /* UDP GSO (sn_opts.udp_gso): the sendmmsg entries after runs of equal-size datagrams to
     * one destination are merged, each with its UDP_SEGMENT control message */
    bool gso;
    struct mmsghdr gso_msgs[OUT_BATCH];
    size_t gso_first[OUT_BATCH]; /* the datagram each entry starts at */
    size_t gso_count[OUT_BATCH]; /* datagrams in it */
    struct {
        _Alignas(struct cmsghdr) char buf[CMSG_SPACE(sizeof(uint16_t))];
    } gso_ctl[OUT_BATCH];
    /* The last peers seen and the last ones sent to, kept as both sockaddr and text: a load
     * of datagrams mostly comes from and goes to a few peers (a proxy: its caller and its
     * next hop, in turns), and sr_addr carries the address as text (formatted for each
     * datagram received, parsed for each sent). A miss replaces the entries in turn. */
    struct {
        struct sockaddr_storage ss;
        char host[SR_ADDR_HOST_MAX];
        uint16_t port;
        bool valid;
    } rx[SN_PEER_CACHE];
    struct {
        struct sockaddr_storage ss;
        socklen_t sl;
        char host[SR_ADDR_HOST_MAX];
        uint16_t port;
        bool valid;
    } tx[SN_PEER_CACHE];
    unsigned rx_next, tx_next; /* the entry the next miss replaces */
    bool stopping;
    uint64_t stop_deadline;
    uint64_t now;    /* the clock, read once per loop turn (sn__clock) */
    uint64_t now_us; /* the same reading in microseconds */
    uint64_t tcp_closed[TC__COUNT];
    uint64_t tcp_reconnects, tcp_reused;
    int last_error; /* the errno of the last transport_error (sn_loop_last_error) */
    /* reflection budget: a fixed table of sources, a one-entry cache of the last one, the
     * source of the datagram being received (for the handler's signs) */
    refl *refl;
    refl *refl_last;
    uint8_t refl_key[16];
    const struct sockaddr_storage *rx_cur;
    size_t rx_cur_len;
    uint64_t refl_dropped, refl_dropped_bytes, refl_limited;
    uint8_t refl_trusted[SN_TRUST_MAX][16]; /* sn_trust: peers the program chose (no budget) */
    size_t n_refl_trusted;
    sn_resolver *dns;         /* resolve.c: its sockets are in the epoll set (W_DNS) */
    size_t dns_parked;        /* messages waiting for their destination's name (send_dns.c) */
    uint64_t dns_send_failed; /* messages dropped: their destination's name did not resolve */
    bool quit;                /* sn_loop_stop: return at the end of this turn */
    /* media.c: open RTP/RTCP pairs, closed ones freed at the end of the turn, the next port */
    struct sn_media_sock *media, *media_dead;
    size_t n_media;
    uint32_t media_next;
    /* media_tx.c: the sends of this turn, submitted together (io_uring) */
    struct sn_media_tx *media_tx;
    bool media_tx_off;        /* no ring: sendto */
    uint64_t media_tx_failed; /* sends the kernel refused (a full buffer, unreachable) */
};

/* loop.c */
int sn__set_nonblock(int fd);
int sn__ep_add(sn_loop *l, int fd, uint32_t events, watch *w);
int sn__ep_mod(sn_loop *l, int fd, uint32_t events, watch *w);

/* addr.c: binary ⇄ text at the edge (sr_addr, sn_local, logs), listeners */
void sn__addr_text(const struct sockaddr_storage *ss, char *host, size_t cap, uint16_t *port);
/* 0: an address literal; SN_ADDR_NAME: a host name, left to the caller (resolved now, blocking,
 * only when @p resolve: listeners at setup); -1: invalid */
#define SN_ADDR_NAME 1
int sn__text_addr(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *sl,
                  bool resolve);
bool sn__same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b,
                   bool with_port);
void sn__rx_text(sn_loop *l, const struct sockaddr_storage *ss, char *host, uint16_t *port);
int sn__tx_addr(sn_loop *l, const char *host, uint16_t port, struct sockaddr_storage *ss,
                socklen_t *sl);
int sn__open_listener(lsn *ls, sr_transport tp, const char *hostport, char *bound, size_t boundlen,
                      char *err, size_t errlen);

/* udp.c */
void sn__udp_readable(sn_loop *l, lsn *ls);
/* Block in recvmmsg on @p ls (blocking socket, SO_RCVTIMEO UDP_WAIT_MS) for the first
 * datagram, take what else is there, hand them over and send the answers; the loop's clock is
 * read once it returns. Datagrams read; 0: none came in time; -1: interrupted. */
int sn__udp_wait(sn_loop *l, lsn *ls);
void sn__udp_send(sn_loop *l, const char *data, size_t len, const sr_addr *to);
void sn__udp_flush(sn_loop *l);

/* reflect.c */
refl *sn__refl_get(sn_loop *l, const struct sockaddr_storage *ss, bool create);
void sn__refl_alive(sn_loop *l, refl *r);
bool sn__refl_allow(sn_loop *l, const struct sockaddr_storage *ss, size_t len);

/* tcp.c */
void sn__tcp_accept(sn_loop *l, lsn *ls);
void sn__tcp_send(sn_loop *l, const char *data, size_t len, const sr_addr *to);
void sn__conn_event(sn_loop *l, conn *c, uint32_t events);
void sn__conn_close(sn_loop *l, conn *c);
void sn__conn_flush(sn_loop *l, conn *c); /* best effort, at exit */
/* loop.c: read the clock into l->now (ms) and l->now_us */
void sn__clock(sn_loop *l);
void sn__tcp_sweep(sn_loop *l, uint64_t now);
bool sn__tcp_writes_pending(const sn_loop *l);

/* resolve.c: the resolver's part of each loop turn */
uint64_t sn__dns_deadline(sn_loop *l); /* UINT64_MAX: nothing; 0: results to deliver */
void sn__dns_timer(sn_loop *l, uint64_t now);
void sn__dns_event(sn_loop *l, watch *w, uint32_t events);
/* the shell's own resolution: its callback runs (with a failure) even when the resolver is
 * freed, so what it holds is released */
void sn__resolve_keep(sn_resolve *q);

/* send_dns.c: send @p data to @p to, whose host is a name, once it resolves */
void sn__send_by_name(sn_loop *l, const char *data, size_t len, const sr_addr *to);

/* media.c */
void sn__media_event(sn_loop *l, watch *w);
void sn__media_reap(sn_loop *l); /* free the pairs closed this turn */
void sn__media_free_all(sn_loop *l);
/* media_tx.c: queue a datagram on @p fd for the end of the turn: 0, or -1 (send it now) */
typedef struct sn_media_tx sn_media_tx;
int sn__media_queue(sn_loop *l, int fd, const uint8_t *data, size_t len,
                    const struct sockaddr_storage *to, socklen_t tl);
void sn__media_flush(sn_loop *l); /* submit what is queued (end of turn, before a close) */
void sn__media_tx_free(sn_loop *l);
/* media_tx.c: one datagram from each of @p n descriptors (n <= SN_MEDIA_RX_MAX), read in one
 * system call: slot i has fd[i]'s (res < 0: none). -1: no ring (read them one by one). */
#define SN_MEDIA_RX_MAX 256
/* loop.c: events per epoll_wait (a busy media turn reads that many sockets at once) */
#define LOOP_EVENTS SN_MEDIA_RX_MAX
typedef struct sn_media_rx {
    uint8_t buf[1536];
    struct sockaddr_storage from;
    struct msghdr msg;
    struct iovec iov;
    int res; /* bytes, or -errno */
} sn_media_rx;
int sn__media_recv(sn_loop *l, const int *fd, int n, sn_media_rx **slots);
/* media.c: the media watches of one epoll batch (the loop hands them over together) */
void sn__media_events(sn_loop *l, watch **w, int n);

/* http.c */
void sn__http_accept(sn_loop *l);
void sn__http_event(sn_loop *l, mconn *m, uint32_t events);
void sn__http_close(mconn *m);
void sn__http_sweep(sn_loop *l, uint64_t now);

#endif /* SN_INTERNAL_H */
