/* sipreplyd: the embedded default configuration, "dial a code" (DESIGN.md). The same engine
 * as `-c FILE` runs it; `sipreplyd --print-default` prints it. */
#include "config.h"

const char sd_default_config[] =
    "# sipreplyd embedded default: dial a code (sipreplyd --print-default)\n"
    "# sip:486@host gets 486 Busy Here, with what the code requires; a provisional code\n"
    "# is sent (reliably when the request supports 100rel), then 200 a second later.\n"
    "listen: [udp:127.0.0.1:5060, tcp:127.0.0.1:5060]\n"
    "retry-after: 30        # Retry-After of 503 (and where a code may carry one)\n"
    "min-expires: 60        # Min-Expires of 423\n"
    "min-se: 90             # Min-SE of 422\n"
    "rules:\n"
    "  - name: register\n"
    "    match: {method: REGISTER}\n"
    "    register: {min-expires: 60, max-expires: 3600}\n"
    "  - name: dial-a-code\n"
    "    match: {user-regex: \"^([1-6][0-9][0-9])$\"}\n"
    "    respond:\n"
    "      - {code: $1, reliable: auto, unregistered: true}\n"
    "      - {code: 200, delay: 1s}   # only after a provisional code\n"
    "  - name: options     # OPTIONS sip:486@host gets what an INVITE would: 486\n"
    "    match: {method: OPTIONS}\n"
    "    respond: 200       # with Allow, Accept, Supported\n"
    "  - name: in-dialog\n"
    "    match: {method: [BYE, UPDATE, INFO, NOTIFY]}\n"
    "    respond: 200\n"
    "default: 404\n";
