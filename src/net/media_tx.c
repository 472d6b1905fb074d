/* sipreply network shell: the media sends of one loop turn, batched. One socket per call
 * means sendmmsg cannot batch them (it sends on one socket), so each echo used to cost a
 * sendto of its own, and a system call costs more than the echo's own work on a virtual
 * machine. With io_uring (liburing) a send is copied into a slot and queued as a sendmsg;
 * the loop submits them all in one io_uring_enter at the end of the turn (sn__media_flush),
 * and before a socket with queued sends is closed. MSG_DONTWAIT keeps a send that the kernel
 * cannot take at once what it was with sendto: dropped, never retried later from a slot that
 * is reused. Without io_uring (not built, or the kernel refuses a ring) sends go out at once
 * with sendto, as before. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef SN_HAVE_URING
#include <liburing.h>

#define TX_SLOTS 256u  /* sends queued per turn at most (then submitted, and queued again) */
#define TX_BYTES 1500u /* a slot's payload (SR_RTP_MAX_PACKET); larger ones go out at once */
#define RING_SQ  512u  /* submission entries: the sends and the reads of a turn */

struct sn_media_tx {
    struct io_uring ring;
    bool skip_ok; /* IORING_FEAT_CQE_SKIP: only failed sends post a completion */
    unsigned n;   /* queued since the last submit */
    struct msghdr msg[TX_SLOTS];
    struct iovec iov[TX_SLOTS];
    struct sockaddr_storage to[TX_SLOTS];
    uint8_t buf[TX_SLOTS][TX_BYTES];
    sn_media_rx rx[SN_MEDIA_RX_MAX];
};

#define RX_TAG 0x52580000u /* user_data of a read: RX_TAG | slot (a send's is 0) */

/* the ring, made on the first send; NULL (and never tried again) when the kernel refuses */
static sn_media_tx *tx_get(sn_loop *l)
{
    if (l->media_tx || l->media_tx_off)
        return l->media_tx;
    sn_media_tx *t = calloc(1, sizeof(*t));
    /* SUBMIT_ALL (Linux 5.18): a send that fails does not leave the ones after it queued */
    if (!t || (io_uring_queue_init(RING_SQ, &t->ring, IORING_SETUP_SUBMIT_ALL) != 0 &&
               io_uring_queue_init(RING_SQ, &t->ring, 0) != 0)) {
        free(t);
        l->media_tx_off = true;
        return NULL;
    }
    t->skip_ok = (t->ring.features & IORING_FEAT_CQE_SKIP) != 0;
    for (unsigned i = 0; i < TX_SLOTS; i++) {
        t->msg[i].msg_iov = &t->iov[i];
        t->msg[i].msg_iovlen = 1;
        t->msg[i].msg_name = &t->to[i];
    }
    for (unsigned i = 0; i < SN_MEDIA_RX_MAX; i++) {
        sn_media_rx *r = &t->rx[i];
        r->iov = (struct iovec){r->buf, sizeof(r->buf)};
        r->msg.msg_iov = &r->iov;
        r->msg.msg_iovlen = 1;
        r->msg.msg_name = &r->from;
    }
    l->media_tx = t;
    return t;
}

/* the completions: reads into their slots, failed sends (all sends without CQE_SKIP) */
static void reap(sn_loop *l, sn_media_tx *t)
{
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    io_uring_for_each_cqe(&t->ring, head, cqe)
    {
        uint64_t tag = io_uring_cqe_get_data64(cqe);
        if ((tag & 0xffff0000u) == RX_TAG && (tag & 0xffffu) < SN_MEDIA_RX_MAX)
            t->rx[tag & 0xffffu].res = cqe->res;
        else if (cqe->res < 0)
            l->media_tx_failed++;
        n++;
    }
    io_uring_cq_advance(&t->ring, n);
}

void sn__media_flush(sn_loop *l)
{
    sn_media_tx *t = l->media_tx;
    if (!t || !t->n)
        return;
    /* the sends run in this call (non-blocking UDP: none waits), so the slots are free again */
    for (int tries = 0; io_uring_sq_ready(&t->ring) && tries < 4; tries++)
        if (io_uring_submit(&t->ring) < 0)
            break;
    unsigned left = io_uring_sq_ready(&t->ring);
    if (left) {
        /* the kernel took none of them (out of memory): a ring is not to be trusted again */
        l->media_tx_failed += left;
        l->media_tx = NULL;
        l->media_tx_off = true;
        io_uring_queue_exit(&t->ring);
        free(t);
        return;
    }
    t->n = 0;
    reap(l, t);
}

int sn__media_queue(sn_loop *l, int fd, const uint8_t *data, size_t len,
                    const struct sockaddr_storage *to, socklen_t tl)
{
    sn_media_tx *t = len <= TX_BYTES ? tx_get(l) : NULL;
    if (!t) {
        sn__media_flush(l); /* what is queued goes first */
        return -1;
    }
    if (t->n == TX_SLOTS)
        sn__media_flush(l);
    struct io_uring_sqe *sqe = io_uring_get_sqe(&t->ring);
    if (!sqe) {
        sn__media_flush(l);
        if (!(sqe = io_uring_get_sqe(&t->ring)))
            return -1;
    }
    unsigned i = t->n++;
    memcpy(t->buf[i], data, len);
    t->iov[i] = (struct iovec){t->buf[i], len};
    memcpy(&t->to[i], to, tl);
    t->msg[i].msg_namelen = tl;
    io_uring_prep_sendmsg(sqe, fd, &t->msg[i], MSG_DONTWAIT);
    io_uring_sqe_set_data64(sqe, 0);
    if (t->skip_ok)
        io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
    return 0;
}

int sn__media_recv(sn_loop *l, const int *fd, int n, sn_media_rx **slots)
{
    sn_media_tx *t = n <= (int)SN_MEDIA_RX_MAX ? tx_get(l) : NULL;
    if (!t)
        return -1;
    for (int i = 0; i < n; i++) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(&t->ring);
        if (!sqe) {
            sn__media_flush(l); /* queued sends: the ring is full */
            if (!l->media_tx || !(sqe = io_uring_get_sqe(&t->ring)))
                return -1; /* (none of ours was queued: the flush submitted sends only) */
        }
        sn_media_rx *r = &t->rx[i];
        r->msg.msg_namelen = sizeof(r->from);
        r->res = -EAGAIN;
        /* MSG_DONTWAIT: done in the submitting call, data or EAGAIN, never later */
        io_uring_prep_recvmsg(sqe, fd[i], &r->msg, MSG_DONTWAIT);
        io_uring_sqe_set_data64(sqe, RX_TAG | (unsigned)i);
        t->n++; /* counted with the sends: the flush submits them */
    }
    sn__media_flush(l);
    if (!l->media_tx) {
        /* the ring failed under the reads: none of them ran */
        return -1;
    }
    *slots = t->rx;
    return 0;
}

void sn__media_tx_free(sn_loop *l)
{
    sn_media_tx *t = l->media_tx;
    if (!t)
        return;
    sn__media_flush(l);
    io_uring_queue_exit(&t->ring);
    free(t);
    l->media_tx = NULL;
}

#else /* no liburing: every send at once */

void sn__media_flush(sn_loop *l)
{
    (void)l;
}

int sn__media_queue(sn_loop *l, int fd, const uint8_t *data, size_t len,
                    const struct sockaddr_storage *to, socklen_t tl)
{
    (void)l;
    (void)fd;
    (void)data;
    (void)len;
    (void)to;
    (void)tl;
    return -1;
}

int sn__media_recv(sn_loop *l, const int *fd, int n, sn_media_rx **slots)
{
    (void)l;
    (void)fd;
    (void)n;
    (void)slots;
    return -1;
}

void sn__media_tx_free(sn_loop *l)
{
    (void)l;
}

#endif
