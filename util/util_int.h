/*
 * Internal helpers shared by the modules (not part of the public API).
 */
#ifndef SP_UTIL_INT_H
#define SP_UTIL_INT_H

#include <assert.h>
#include <stddef.h>

#include "srcproof/ctx.h"

/** Allocation through the context, so tests can fail the Nth one. */
void *sp_malloc(sp_ctx *ctx, size_t n);
void *sp_calloc(sp_ctx *ctx, size_t count, size_t n);

/** API misuse: assert in debug builds, SP_EINVALID otherwise. */
#ifdef NDEBUG
#define SP_ASSERT_ARG(ctx, cond)                                               \
	do {                                                                   \
		if (!(cond))                                                   \
			return sp_err_set((ctx), SP_EINVALID,                  \
			    "invalid argument: %s", #cond);                    \
	} while (0)
#else
#define SP_ASSERT_ARG(ctx, cond) assert(cond)
#endif

#define SP_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
