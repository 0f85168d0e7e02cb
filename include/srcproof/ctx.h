/*
 * The caller-owned context: last error, log and progress callbacks, and the
 * OpenSSL library context. No srcproof function keeps global mutable state.
 */
#ifndef SRCPROOF_CTX_H
#define SRCPROOF_CTX_H

#include <stdarg.h>
#include <stdint.h>

#include "error.h"

#if defined(__GNUC__)
#define SP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define SP_WUR __attribute__((warn_unused_result))
#else
#define SP_PRINTF(f, a)
#define SP_WUR
#endif

/** Maximum length of an error or hint message, NUL included. */
#define SP_ERRMSG_MAX 512

typedef struct sp_ctx sp_ctx;

/** Log levels for the log callback. */
typedef enum sp_log_level {
	SP_LOG_DEBUG = 0,
	SP_LOG_INFO = 1,
	SP_LOG_WARN = 2,
} sp_log_level;

/**
 * Log callback. @p msg is trusted text written by srcproof; untrusted parts
 * are already escaped.
 */
typedef void (*sp_log_cb)(sp_log_level level, const char *msg, void *payload);

/**
 * Progress callback: @p done of @p total units (files, bytes); total is 0
 * when unknown.
 */
typedef void (*sp_progress_cb)(const char *what, uint64_t done_files,
    uint64_t done_bytes, uint64_t total_files, void *payload);

/**
 * Create a context.
 * @param out receives the context, owned by the caller (sp_ctx_free)
 * @return 0 or SP_ENOMEM
 */
int sp_ctx_new(sp_ctx **out);

/** Free a context; NULL is a no-op. */
void sp_ctx_free(sp_ctx *ctx);

/**
 * Record an error in @p ctx and return @p code, so that callers can write
 * `return sp_err_set(ctx, SP_EPARSE, "...")`. Clears the hint.
 */
int sp_err_set(sp_ctx *ctx, int code, const char *fmt, ...) SP_PRINTF(3, 4);

/** Same as sp_err_set with a va_list. */
int sp_err_vset(sp_ctx *ctx, int code, const char *fmt, va_list ap);

/** Attach a hint (the next step for the user) to the current error. */
void sp_err_hint(sp_ctx *ctx, const char *fmt, ...) SP_PRINTF(2, 3);

/**
 * Record an error for a code returned by sp_buf_* (SP_ENOMEM or SP_ELIMIT),
 * naming @p what. Returns @p code.
 */
int sp_err_buf(sp_ctx *ctx, int code, const char *what);

/** Clear the last error. */
void sp_err_clear(sp_ctx *ctx);

/** Last error code (0 when none). */
int sp_ctx_errcode(const sp_ctx *ctx);

/** Last error message, "" when none. Borrowed from @p ctx. */
const char *sp_ctx_errmsg(const sp_ctx *ctx);

/** Hint for the last error, "" when none. Borrowed from @p ctx. */
const char *sp_ctx_errhint(const sp_ctx *ctx);

/** Install a log callback (NULL to silence). */
void sp_ctx_set_log(sp_ctx *ctx, sp_log_cb cb, void *payload);

/** Emit a log line through the callback, if any. */
void sp_log(sp_ctx *ctx, sp_log_level level, const char *fmt, ...)
    SP_PRINTF(3, 4);

/** Install a progress callback (NULL for none). */
void sp_ctx_set_progress(sp_ctx *ctx, sp_progress_cb cb, void *payload);

/** Report progress through the callback, if any. */
void sp_progress(sp_ctx *ctx, const char *what, uint64_t done_files,
    uint64_t done_bytes, uint64_t total_files);

/**
 * The OpenSSL library context to use for every EVP fetch (borrowed; NULL
 * means OpenSSL's default context).
 */
struct ossl_lib_ctx_st *sp_ctx_libctx(const sp_ctx *ctx);

/**
 * Fail the Nth allocation made through sp_malloc from now on (0 disables).
 * For tests of out-of-memory paths.
 */
void sp_ctx_fail_alloc_after(sp_ctx *ctx, unsigned long n);

#endif
