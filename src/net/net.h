/* sipreply network shell: an epoll loop any program drives through a handler table — UDP
 * (recvmmsg/sendmmsg, GSO), TCP framed by the core, signals, /metrics, the one clock. */
#ifndef SN_NET_H
#define SN_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipreply/sipreply.h"

typedef struct sn_opts {
    size_t max_conns;       /**< open TCP connections (default 1024) */
    size_t max_conn_buffer; /**< bytes buffered per connection, each way (default 262144) */
    uint32_t idle_ms;       /**< close a TCP connection idle this long (default 120000) */
    uint32_t shutdown_ms;   /**< SIGTERM: longest wait for sequences in flight (5000) */
    /** A TCP message must arrive complete within this many ms of its first byte, and a new
     *  connection's first message within this many ms of the accept (default 20000): a peer
     *  trickling bytes no longer holds a slot for ever (slowloris). */
    uint32_t message_ms;
    /** TCP connections from one IP address (default 256) */
    size_t max_conns_per_source;
    /** Reflection budget (UDP): bytes we may send to an IP address that has shown no sign
     *  of life (an ACK or PRACK proving it receives our responses) beyond reflection_ratio
     *  times the bytes of the new requests it sent; over it, what goes to that address is
     *  dropped until it shows life or reflection_window_ms pass. 0: off (default 2048). */
    size_t reflection_budget;
    unsigned reflection_ratio;     /**< see reflection_budget (default 4) */
    uint32_t reflection_window_ms; /**< see reflection_budget (default 64000) */
    /** Send runs of equal-size UDP datagrams to one destination as one UDP GSO send
     * (UDP_SEGMENT, Linux 4.18+; off by default: a capture on the sending host then shows
     * the run as one large datagram). Falls back to one datagram per message where the kernel
     * refuses. */
    bool udp_gso;
    /** Coalesce paced UDP (0: off, the default): while datagrams arrive on the loop's one UDP
     *  listener at more than one per udp_hold_us / 2 microseconds, the loop sleeps this long
     *  before each read instead of waking for every datagram, and answers what gathered in
     *  one go: fewer wake-ups and system calls per call, each answer up to udp_hold_us (plus
     *  the kernel's timer slack) later. At most 1000. The same hold applies to media sockets
     *  (sn_media_open): after a turn that found several of them ready, the loop sleeps this
     *  long before it waits again, so one wake-up serves many streams (each echo up to
     *  udp_hold_us later). */
    uint32_t udp_hold_us;
    /** Report ICMP errors for datagrams sent (IP_RECVERR: a port or host unreachable) to the
     *  handler's transport_error, with the destination of the datagram (off by default; a
     *  client such as `sipreply probe` turns it on, RFC 3261 §18.4). */
    bool udp_errors;
} sn_opts;

void sn_opts_default(sn_opts *o);

/** Our address as a message reached it (a wildcard listener: the datagram's destination). */
typedef struct sn_local {
    char host[SR_ADDR_HOST_MAX]; /**< "127.0.0.1" or "[::1]" */
    uint16_t port;
} sn_local;

/** What a message received says about its source (sn_sign; the reflection budget). */
enum {
    SN_SIGN_REQUEST = 1, /**< a new request: its bytes earn credit */
    SN_SIGN_ALIVE        /**< proof the source receives what we send */
};

/**
 * What the loop calls. Every member but @c receive may be NULL. @p user is handed to each;
 * @p now_ms is the loop turn's one clock read (sn_now_ms). Calls happen on the loop's thread,
 * one at a time; the handler may call sn_send and sn_sign from inside any of them.
 */
typedef struct sn_handler {
    void *user;
    /** One UDP datagram or one framed TCP message from @p src (transport and connection id
     *  inside: hand it back to sn_send to answer), received on @p local. The bytes and the
     *  addresses live during the call only. */
    void (*receive)(void *user, const char *data, size_t len, const sr_addr *src,
                    const sn_local *local, uint64_t now_ms);
    /** Does this datagram (an "ACK ...") prove that its source, which owes a sign of life
     *  under the reflection budget, receives what we sent? */
    bool (*proves_alive)(void *user, const char *data, size_t len);
    /** The earliest time the handler wants @c timer called (UINT64_MAX: none). */
    uint64_t (*next_deadline)(void *user);
    /** Run what is due by @p now_ms. */
    void (*timer)(void *user, uint64_t now_ms);
    /** A connection to @p peer failed (write error, refused reconnect). */
    void (*transport_error)(void *user, const sr_addr *peer, uint64_t now_ms);
    /** SIGTERM/SIGINT: listeners are closed; finish what runs, take nothing new. */
    void (*drain)(void *user);
    /** While draining: work still in flight (the loop exits once 0 and written). */
    size_t (*pending)(void *user);
    /** Drain out of time (sn_opts.shutdown_ms): end what still runs now. */
    void (*abort)(void *user, uint64_t now_ms);
    /** GET /metrics: append the program's counters (Prometheus text); the loop's own
     *  (sn_loop_metrics) follow. 0 or SR_ENOMEM. */
    int (*metrics)(void *user, sr_buf *out);
    void (*reload)(void *user); /**< SIGHUP */
    void (*report)(void *user); /**< SIGUSR1 */
    /** A notice for the log */
    void (*warn)(void *user, const char *msg);
    /** A datagram on a media socket (sn_media_open): @p sock_user is the pointer given to
     *  sn_media_open, @p rtcp says which of the pair (RTP on the even port, RTCP on the next).
     *  The bytes and the address live during the call only. */
    void (*media_receive)(void *user, void *sock_user, bool rtcp, const uint8_t *data, size_t len,
                          const sr_addr *src, uint64_t now_ms);
} sn_handler;

typedef struct sn_loop sn_loop;

/** Monotonic milliseconds. */
uint64_t sn_now_ms(void);

/**
 * Fill @p buf with @p n bytes from the kernel's CSPRNG: getrandom(2), or /dev/urandom where
 * the kernel lacks the system call. 0, or -1 (errno set) when neither is available.
 */
int sn_random(void *buf, size_t n);

/** Create the loop driving @p h (copied; signals blocked and routed to it). 0 or -1 with
 * @p err. */
int sn_loop_new(sn_loop **out, const sn_opts *o, const sn_handler *h, char *err, size_t errlen);
void sn_loop_free(sn_loop *l);

/** Send @p len bytes to @p to (an address handed to the handler, or one with the same
 * transport): UDP batched until the loop turn ends, TCP on the connection of
 * @p to->conn_id, else on a connection opened (or one already open) to the top Via for a
 * response (RFC 3261 §18.2.2), to @p to itself for a request (§18.1.1). Never blocks; what
 * cannot go is dropped (the transaction layer retransmits). */
void sn_send(sn_loop *l, const char *data, size_t len, const sr_addr *to);

/** During @c receive: what the message says about its source (SN_SIGN_*), for the
 * reflection budget. */
void sn_sign(sn_loop *l, const sr_addr *src, int sign);

/** Most addresses sn_trust() takes. */
#define SN_TRUST_MAX 64

/**
 * Exempt the IP address of @p peer (an address literal) from the reflection budget: a peer
 * the program chose itself to send requests to (a registrar of its configuration), not one
 * a request's source made it answer. Until its first response such a peer shows no sign of
 * life, and a burst of our own requests (thousands of REGISTERs) would be dropped as a
 * reflection. 0, or -1 (not an address literal, or SN_TRUST_MAX addresses already).
 */
int sn_trust(sn_loop *l, const sr_addr *peer);

/** Append the loop's counters (TCP closures and reconnections, reflection budget drops) in
 * Prometheus text format. 0 or SR_ENOMEM. */
int sn_loop_metrics(const sn_loop *l, sr_buf *out);

/**
 * Listen on @p spec: "udp:HOST:PORT" or "tcp:HOST:PORT" (IPv6 as "udp:[::1]:5060"; port 0
 * picks a free one). @p bound receives the effective spec. 0 or -1 with @p err.
 */
int sn_listen(sn_loop *l, const char *spec, char *bound, size_t boundlen, char *err, size_t errlen);

/**
 * Make the listeners those of @p specs (as given to sn_listen; SIGHUP with a new `listen`):
 * open each spec not open yet, then close each listener whose spec is not in the list. A
 * spec already open is kept as it is (port 0 keeps the port it got). Connections already
 * accepted stay open. All or nothing: when a new listener cannot be opened, those opened by
 * this call are closed again, nothing is closed, and -1 is returned with @p err. On success
 * @p changes receives what changed ("opened udp:..., closed tcp:...", "" when nothing did).
 */
int sn_listen_set(sn_loop *l, const char *const *specs, size_t n, char *changes, size_t changeslen,
                  char *err, size_t errlen);

/** Serve GET /metrics on HOST:PORT (Prometheus text). 0 or -1 with @p err. */
int sn_metrics_listen(sn_loop *l, const char *hostport, char *bound, size_t boundlen, char *err,
                      size_t errlen);

/**
 * The addresses the loop listens on, one line each: "udp HOST PORT", "tcp HOST PORT" and
 * "metrics HOST PORT" (IPv6 hosts without brackets), with the ports the kernel gave (port 0
 * resolved), into @p out ("" when there is none; cut at @p cap). For --port-file.
 */
void sn_listeners(const sn_loop *l, char *out, size_t cap);

/** Run until SIGTERM/SIGINT and the drain that follows. Returns the exit status (0). */
int sn_loop_run(sn_loop *l);

/* ------------------------------------------------------------------ DNS (resolve.c)
 * RFC 3263 §4 server location through c-ares, driven by the loop: the resolver's sockets are
 * watched by the loop's epoll set and its timeouts are part of the loop's deadline, so no
 * lookup ever blocks the loop. */

#define SN_TARGETS_MAX  32  /**< targets one resolution returns at most */
#define SN_DNS_NAME_MAX 256 /**< a domain name's text with its NUL (RFC 1035 §2.3.4: 253) */

/** One place to send a request to, in failover order (RFC 3263 §4.3). */
typedef struct sn_target {
    /** transport, address literal ("192.0.2.1", "[2001:db8::1]", as sn_send takes it), port;
     *  conn_id 0 */
    sr_addr addr;
    /** UDP or TCP: the shell can send there. TLS and SCTP targets are listed where RFC 3263
     *  puts them, with supported false: the shell does not build those transports. */
    bool supported;
    /** The domain name whose A or AAAA record gave the address ("" for a numeric host) */
    char name[SN_DNS_NAME_MAX];
} sn_target;

/** An ordered target list: try t[0] first, then t[1]... (RFC 3263 §4.3). */
typedef struct sn_targets {
    size_t n;
    sn_target t[SN_TARGETS_MAX];
} sn_targets;

/**
 * Copy the targets of @p t the shell can send to (supported) into @p out, in order, at most
 * @p cap: the server list a UAC walks on failure (RFC 3263 §4.3). Returns how many.
 */
size_t sn_targets_usable(const sn_targets *t, sr_addr *out, size_t cap);

/** A uniformly distributed 32-bit number (the RFC 2782 weighted selection draws them). */
typedef uint32_t (*sn_random_cb)(void *user);

/** One SRV record (RFC 2782), for sn_srv_order. */
typedef struct sn_srv {
    uint16_t priority, weight, port;
    const char *target; /**< not owned */
} sn_srv;

/**
 * Order @p recs[0..n) in place as RFC 2782 "Usage rules" say: by ascending priority; within
 * one priority, repeatedly pick among the records left with probability proportional to their
 * weight. Before the draws, the records of one priority are laid out weight-0 first (RFC 2782:
 * they are then picked only by a draw of 0), then by target and port, so given draws give
 * one order whatever order the answer came in. Each pick draws one number from @p rnd (with
 * @p user): a draw r picks the first record whose running weight sum reaches r % (sum + 1),
 * sum being the weights of the records left. The last record of a priority takes no draw.
 */
void sn_srv_order(sn_srv *recs, size_t n, sn_random_cb rnd, void *user);

/** One NAPTR record (RFC 3403 §4.1), for sn_naptr_select. */
typedef struct sn_naptr {
    uint16_t order, preference;
    const char *flags, *service, *regexp, *replacement; /**< not owned */
    sr_transport transport;                             /**< set by sn_naptr_select */
} sn_naptr;

/**
 * Keep the NAPTR records a SIP client can use and order them (RFC 3263 §4.1): flags "S"
 * (case-insensitive), an empty regexp, a non-empty replacement, and a service SIP+D2U
 * (UDP), SIP+D2T (TCP) or SIPS+D2T (TLS) — for a SIPS URI (@p sips) only SIPS+D2T; other
 * services (SCTP, RFC 7118 WebSocket...) are dropped. Kept records are moved to the front,
 * sorted by order then preference (stably: equal ones keep the answer's order), with their
 * transport set; a record repeating the replacement and service of one kept is dropped. Returns how many were kept.
 */
size_t sn_naptr_select(sn_naptr *recs, size_t n, bool sips);

typedef struct sn_resolver_opts {
    /** DNS servers, "IP[:PORT],..." ("[::1]:53" for IPv6; c-ares's CSV form). NULL: the
     *  system's (/etc/resolv.conf). */
    const char *servers;
    uint32_t timeout_ms; /**< the first try's timeout; c-ares doubles it per round (2000) */
    unsigned tries;      /**< tries per server (2) */
    size_t max_pending;  /**< resolutions not yet called back, at most (256) */
    /** Draws for the RFC 2782 weighted selection; NULL: the kernel's CSPRNG (sn_random). */
    sn_random_cb random;
    void *random_user;
} sn_resolver_opts;

void sn_resolver_opts_default(sn_resolver_opts *o);

typedef struct sn_resolver sn_resolver;
typedef struct sn_resolve sn_resolve;

/**
 * The outcome of one resolution, called from the loop (never from inside the call that
 * started it). @p status is 0 with @p targets->n >= 1, or SR_ENOTFOUND (no address: NXDOMAIN,
 * no records, or SRV saying the service is not offered), SR_ETIMEDOUT (nothing found and a
 * query went unanswered), SR_EIO (nothing found and a server failed or refused), SR_ENOMEM.
 * @p targets lives during the call only.
 */
typedef void (*sn_resolve_cb)(void *user, int status, const sn_targets *targets);

/**
 * Create the resolver of loop @p l (one per loop; its sockets join the loop's). Free it with
 * sn_resolver_free before the loop. 0, or -1 with @p err.
 */
int sn_resolver_new(sn_resolver **out, sn_loop *l, const sn_resolver_opts *o, char *err,
                    size_t errlen);

/** Stop every resolution in flight (no callback is called) and free the resolver. */
void sn_resolver_free(sn_resolver *r);

/**
 * Resolve the SIP or SIPS URI @p uri[0..len) into its ordered targets (RFC 3263 §4): a
 * numeric host (or maddr) as it is; a port given: A/AAAA only; a transport given: SRV for it;
 * otherwise NAPTR, then SRV (weighted, sn_srv_order), then A and AAAA for each SRV target
 * (IPv4 addresses first); no NAPTR: SRV for _sip._udp, _sip._tcp and _sips._tcp (a SIPS
 * URI: _sips._tcp only); NAPTR offering TLS only: those, then SRV for _sip._udp and
 * _sip._tcp; no SRV: A/AAAA at port 5060 (5061 for TLS) with the transport the URI gives,
 * else UDP (SIP) or TLS (SIPS). @p cb gets the result with @p user on a later loop turn.
 * @p handle (optional) receives a handle for sn_resolve_cancel, valid until the callback.
 * Returns 0, or (and then @p cb is never called) SR_EBADMSG (not a URI), SR_EUNSUPPORTED (not
 * sip:/sips:, or a transport parameter other than udp, tcp, tls, sctp), SR_ENOSPC
 * (max_pending resolutions not yet called back), SR_ENOMEM, SR_EINVAL.
 */
int sn_resolve_uri(sn_resolver *r, const char *uri, size_t len, sn_resolve_cb cb, void *user,
                   sn_resolve **handle);

/**
 * Resolve host name @p host (NUL-terminated; an address literal is taken as it is) with
 * A/AAAA only into targets at @p port over @p tp (RFC 3263 §4.2 with a port, as for a Via
 * sent-by, RFC 3263 §5). Same callback and returns as sn_resolve_uri.
 */
int sn_resolve_host(sn_resolver *r, const char *host, uint16_t port, sr_transport tp,
                    sn_resolve_cb cb, void *user, sn_resolve **handle);

/** Give up resolution @p q: its callback will not be called. */
void sn_resolve_cancel(sn_resolve *q);

/**
 * The local address the kernel would send from to reach @p to (an address literal; a UDP
 * socket connected, nothing sent), as sr_addr host text ("192.0.2.1", "[::1]") into @p host:
 * a UAC's Via sent-by. 0, or -1 (a name, no route).
 */
int sn_local_addr_for(const sr_addr *to, char *host, size_t cap);

/* ------------------------------------------------------------------ media (media.c)
 * RTP/RTCP socket pairs (RFC 3550 §11: RTP on an even port, RTCP on the next), watched by the
 * loop; what arrives goes to the handler's media_receive. */

typedef struct sn_media_sock sn_media_sock;

/**
 * Open an RTP/RTCP pair of UDP sockets on @p host (an address literal, IPv6 without brackets
 * or with) at an even port in [@p port_min, @p port_max] (the next pair each call, wrapping;
 * pairs in use are skipped); @p port_min 0: ports the kernel picks (an even one with its odd
 * neighbour free). @p sock_user is handed to media_receive. 0 with *@p out and *@p port, or -1
 * with @p err (no pair free, a bad address).
 */
int sn_media_open(sn_loop *l, const char *host, uint16_t port_min, uint16_t port_max,
                  void *sock_user, sn_media_sock **out, uint16_t *port, char *err, size_t errlen);

/** Close the pair (its pending events are dropped; the memory goes at the end of the turn). */
void sn_media_close(sn_loop *l, sn_media_sock *s);

/** Send @p len bytes from the RTP (or RTCP) socket of @p s to @p host:@p port (an address
 *  literal), at once, never blocking: what the kernel does not take is dropped. 0 or -1. */
int sn_media_send(sn_loop *l, sn_media_sock *s, bool rtcp, const uint8_t *data, size_t len,
                  const char *host, uint16_t port);

/** Media sockets open (pairs). */
size_t sn_media_count(const sn_loop *l);

/** Make sn_loop_run return at the end of the current turn (for programs that run the loop
 *  for one job, such as a lookup). */
void sn_loop_stop(sn_loop *l);

/** The errno of the failure the last transport_error call reported (ECONNREFUSED,
 *  ECONNRESET, ...), for a message to a user; 0 before any. */
int sn_loop_last_error(const sn_loop *l);

#endif /* SN_NET_H */
