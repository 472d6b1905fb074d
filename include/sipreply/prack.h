/* sipreply: reliable provisional responses (RFC 3262) as the stack exposes them.
 * The UAS and UAC machinery runs inside sr_stack (stack.h); these are its knobs. */
#ifndef SIPREPLY_PRACK_H
#define SIPREPLY_PRACK_H

#include <stdbool.h>
#include <stdint.h>

#include <sipreply/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Flags of sr_stack_send_response(). */
enum {
    /**
     * Send this 101-199 reliably (RFC 3262 §3): the stack adds "Require: 100rel" and an RSeq
     * (random start below 2^31, +1 per reliable 1xx of the transaction) and retransmits it
     * at T1, doubling, until a matching PRACK, for at most 64·T1 (then SR_EV_PRACK_TIMEOUT).
     */
    SR_SEND_100REL = 1u << 0,
    /**
     * A 2xx to an INVITE whose retransmission the stack takes on for the UAS core (RFC 3261
     * §13.3.1.4): the 2xx goes out again at T1, doubling up to T2, on every transport, until
     * the ACK arrives — matched by dialog: Call-ID, From tag, To tag (the 2xx's) and CSeq
     * number, whatever its branch; it is then passed to the TU as SR_EV_REQUEST with
     * related = the INVITE — or until 64·T1 after the first 2xx: then SR_EV_2XX_TIMEOUT (the
     * TU may end the dialog with a BYE, §13.3.1.4). Timers are in sr_stack_next_deadline().
     */
    SR_SEND_RETX_2XX = 1u << 1,
};

/** The largest first RSeq the stack picks (RFC 3262 §3: below 2^31). */
#define SR_RSEQ_START_MAX 0x7fffffffu

/** How many early dialogs (To tags) of one INVITE the UAC side PRACKs; more are ignored. */
#define SR_PRACK_MAX_DIALOGS 8

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_PRACK_H */
