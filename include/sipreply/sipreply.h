/* sipreply: the whole public API in one include.
 * Each module also has its own self-contained header. */
#ifndef SIPREPLY_H
#define SIPREPLY_H

#include <sipreply/export.h>
#include <sipreply/version.h>
#include <sipreply/error.h>
#include <sipreply/alloc.h>
#include <sipreply/str.h>
#include <sipreply/uri.h>
#include <sipreply/frame.h>
#include <sipreply/msg.h>
#include <sipreply/parse.h>
#include <sipreply/print.h>
#include <sipreply/build.h>
#include <sipreply/uac.h>
#include <sipreply/uas.h>
#include <sipreply/lint.h>
#include <sipreply/status.h>
#include <sipreply/txn.h>
#include <sipreply/prack.h>
#include <sipreply/stack.h>
#include <sipreply/auth.h>
#include <sipreply/registrar.h>
#include <sipreply/proxy.h>
#include <sipreply/capture.h>
#include <sipreply/sdp.h>
#include <sipreply/rtp.h>
#include <sipreply/dialog.h>
#include <sipreply/dtmf.h>

#endif /* SIPREPLY_H */
