/*
 * srcproof: umbrella header. Include this, or the module headers you use.
 */
#ifndef SRCPROOF_H
#define SRCPROOF_H

#include "buf.h"
#include "ctx.h"
#include "error.h"
#include "util.h"

#define SRCPROOF_VERSION_STRING "0.1.0"

#endif
