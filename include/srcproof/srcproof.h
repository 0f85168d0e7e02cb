/*
 * srcproof: umbrella header. Include this for the whole public API, or
 * only the module headers you use.
 */
#ifndef SRCPROOF_H
#define SRCPROOF_H

#include "buf.h"
#include "ctx.h"
#include "error.h"
#include "util.h"

#define SRCPROOF_VERSION_STRING "0.1.0"

#include "base64.h"
#include "compare.h"
#include "escrow.h"
#include "manifest.h"
#include "rebuild.h"
#include "recipe.h"
#include "release.h"
#include "review.h"
#include "sign.h"
#include "tlog.h"
#include "verify.h"

#endif
