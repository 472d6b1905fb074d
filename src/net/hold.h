/* sipreply network shell: when the UDP hold (sn_opts.udp_hold_us) is not worth its wake-up.
 *
 * While UDP is busy the loop sleeps one hold before each read so that one wake-up serves the
 * datagrams that gathered. Bursty peers (SIPp sends its calls about 20 at a time every few
 * milliseconds) make one of those holds empty each burst: the read after the answers' ACKs
 * finds nothing, and the loop then wakes once more for the next burst. This learns, from the
 * reads' outcomes alone (no timing of its own), when a read that answered nothing is followed
 * by a silence longer than a hold; while that keeps being so, the loop waits for the next
 * datagram instead of sleeping a hold first (one wake-up fewer per burst). Pure logic: the
 * loop gives it each read's time, datagrams and sends (tests/net/test_hold.c drives it in
 * simulated time). */
#ifndef SN_HOLD_H
#define SN_HOLD_H

#include <stdbool.h>
#include <stdint.h>

/* the evidence kept: how many more quiet-then-silent reads than quiet-then-busy ones */
#define SN_HOLD_SCORE_MAX 3
#define SN_HOLD_SCORE_MIN (-3)

typedef struct sn_hold {
    uint32_t hold_us; /* the hold (sn_opts.udp_hold_us) */
    int score;        /* > 0: after a quiet read, the next datagram came more than 1.5 holds
                       * later, lately more often than not */
    bool quiet;       /* the last read found datagrams and sent nothing */
    bool seen;        /* last_us is set */
    uint64_t last_us; /* when the last read that found datagrams returned */
    uint64_t skipped; /* holds skipped so far (for tests and figures) */
} sn_hold;

void sn_hold_init(sn_hold *h, uint32_t hold_us);

/* Before a read the loop would hold for: true to sleep the hold first, false to wait for the
 * next datagram at once (the last read answered nothing, and such reads have lately been
 * followed by a silence longer than a hold, which a hold would only have slept through). */
bool sn_hold_before(sn_hold *h);

/* After a read (or a loop turn's reads) that found @p got datagrams, returning at @p now_us
 * (a monotonic clock in microseconds), having sent @p sent datagrams while handling them. A
 * read that found nothing teaches nothing. */
void sn_hold_after(sn_hold *h, uint64_t now_us, unsigned got, unsigned sent);

#endif
