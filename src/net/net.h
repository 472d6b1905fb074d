/* sipreplyd: the network shell — the only code with sockets and a clock. An epoll loop that
 * feeds datagrams and framed stream messages to the engine, sends what it produces (UDP
 * batched with recvmmsg/sendmmsg, TCP on the request's connection), runs the engine's timers,
 * answers signals and serves /metrics. */
#ifndef SIPREPLYD_NET_H
#define SIPREPLYD_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipreply/sipreply.h"

struct sd_engine;

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
} sn_opts;

void sn_opts_default(sn_opts *o);

typedef struct sn_hooks {
    void (*reload)(void *user); /**< SIGHUP */
    void (*report)(void *user); /**< SIGUSR1 */
    /** A notice for the log (NULL: none) */
    void (*warn)(void *user, const char *msg);
    void *user;
} sn_hooks;

typedef struct sn_loop sn_loop;

/** Monotonic milliseconds. */
uint64_t sn_now_ms(void);

/**
 * Fill @p buf with @p n bytes from the kernel's CSPRNG: getrandom(2), or /dev/urandom where
 * the kernel lacks the system call. 0, or -1 (errno set) when neither is available.
 */
int sn_random(void *buf, size_t n);

/** Create the loop (signals blocked and routed to it). 0 or -1 with @p err. */
int sn_loop_new(sn_loop **out, const sn_opts *o, const sn_hooks *h, char *err, size_t errlen);
void sn_loop_free(sn_loop *l);

/** The engine the loop drives (set before sn_loop_run). */
void sn_loop_set_engine(sn_loop *l, struct sd_engine *e);

/** The engine's send callback: @p user is the loop. */
void sn_send(const char *data, size_t len, const sr_addr *to, void *user);

/** The engine's sign callback (sd_engine_opts.sign): @p user is the loop. */
void sn_sign(const sr_addr *src, int sign, void *user);

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

#endif /* SIPREPLYD_NET_H */
