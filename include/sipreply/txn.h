/* sipreply: transaction kinds, states and handles (RFC 3261 §17, RFC 6026 Accepted).
 * The state machines live in sr_stack (stack.h); this header names what they expose. */
#ifndef SIPREPLY_TXN_H
#define SIPREPLY_TXN_H

#include <stdint.h>

#include <sipreply/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A transaction handle: a number unique within one sr_stack, never reused, 0 meaning "no
 * transaction" (a stray response or an ACK for a 2xx, which belong to the dialog). A handle
 * of a terminated transaction is simply not found any more (SR_ENOTFOUND), never dangling.
 */
typedef uint64_t sr_txn_id;

/** The four transaction types of RFC 3261 §17. */
typedef enum sr_txn_kind {
    SR_TXN_INVITE_CLIENT = 0, /**< §17.1.1 */
    SR_TXN_NON_INVITE_CLIENT, /**< §17.1.2 */
    SR_TXN_INVITE_SERVER,     /**< §17.2.1 */
    SR_TXN_NON_INVITE_SERVER  /**< §17.2.2 */
} sr_txn_kind;

/**
 * Transaction states. Calling is the INVITE client's first state, Trying the non-INVITE
 * ones'; Accepted is RFC 6026's state after a 2xx (INVITE client and server only); Confirmed
 * is the INVITE server's state after the ACK for a non-2xx final.
 */
typedef enum sr_txn_state {
    SR_TXN_CALLING = 0,
    SR_TXN_TRYING,
    SR_TXN_PROCEEDING,
    SR_TXN_COMPLETED,
    SR_TXN_CONFIRMED,
    SR_TXN_ACCEPTED,
    SR_TXN_TERMINATED
} sr_txn_state;

/** The RFC name of @p s ("Calling", "Proceeding", ...); "?" for an unknown value. Static. */
SR_API const char *sr_txn_state_name(sr_txn_state s);

/** "INVITE client", "non-INVITE server", ...; "?" for an unknown value. Static. */
SR_API const char *sr_txn_kind_name(sr_txn_kind k);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_TXN_H */
