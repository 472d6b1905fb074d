/* test_busy.c with sn_opts.udp_hold_us set: while UDP is busy the loop also sleeps before
 * each read to let datagrams gather (docs/architecture.md), and must still serve TCP,
 * /metrics, a timer, SIGHUP and the drain. */
#define BUSY_HOLD_US 200
#include "test_busy.c"
