/* sipreply network shell: when the UDP hold is not worth its wake-up (hold.h). */
#include "hold.h"

void sn_hold_init(sn_hold *h, uint32_t hold_us)
{
    *h = (sn_hold){.hold_us = hold_us};
}

bool sn_hold_before(sn_hold *h)
{
    if (h->quiet && h->score > 0) {
        h->skipped++;
        return false;
    }
    return true;
}

void sn_hold_after(sn_hold *h, uint64_t now_us, unsigned got, unsigned sent)
{
    if (got == 0)
        return;
    if (h->quiet && h->seen) {
        /* what followed the last quiet read: a silence longer than a hold and a half (a
         * hold there would have slept through it and found nothing), or datagrams soon
         * (a hold would have gathered them: waiting for the first costs a wake-up more) */
        uint64_t gap = now_us >= h->last_us ? now_us - h->last_us : 0;
        if (gap * 2 >= (uint64_t)h->hold_us * 3) {
            if (h->score < SN_HOLD_SCORE_MAX)
                h->score++;
        } else if (h->score > SN_HOLD_SCORE_MIN) {
            h->score--;
        }
    }
    h->quiet = sent == 0;
    h->last_us = now_us;
    h->seen = true;
}
