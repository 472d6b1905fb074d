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

#endif /* SIPREPLY_H */
