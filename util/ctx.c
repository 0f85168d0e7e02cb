/*
 * The caller-owned context and its error slot.
 */
#include "srcproof/ctx.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util_int.h"

#include "banned.h"

struct sp_ctx {
	int code;
	char msg[SP_ERRMSG_MAX];
	char hint[SP_ERRMSG_MAX];
	sp_log_cb log_cb;
	void *log_payload;
	sp_progress_cb progress_cb;
	void *progress_payload;
	unsigned long fail_alloc_after;
};

int
sp_ctx_new(sp_ctx **out)
{
	sp_ctx *ctx;

	*out = NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return SP_ENOMEM;
	*out = ctx;
	return 0;
}

void
sp_ctx_free(sp_ctx *ctx)
{
	free(ctx);
}

int
sp_err_vset(sp_ctx *ctx, int code, const char *fmt, va_list ap)
{
	if (ctx == NULL)
		return code;
	ctx->code = code;
	ctx->hint[0] = '\0';
	if (vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap) < 0)
		snprintf(ctx->msg, sizeof(ctx->msg), "%s", "unknown error");
	return code;
}

int
sp_err_set(sp_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = sp_err_vset(ctx, code, fmt, ap);
	va_end(ap);
	return code;
}

void
sp_err_hint(sp_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx == NULL)
		return;
	va_start(ap, fmt);
	if (vsnprintf(ctx->hint, sizeof(ctx->hint), fmt, ap) < 0)
		ctx->hint[0] = '\0';
	va_end(ap);
}

int
sp_err_buf(sp_ctx *ctx, int code, const char *what)
{
	if (code == SP_ELIMIT)
		return sp_err_set(ctx, code, "%s exceeds its size limit", what);
	return sp_err_set(ctx, code, "out of memory while building %s", what);
}

void
sp_err_clear(sp_ctx *ctx)
{
	if (ctx == NULL)
		return;
	ctx->code = 0;
	ctx->msg[0] = '\0';
	ctx->hint[0] = '\0';
}

int
sp_ctx_errcode(const sp_ctx *ctx)
{
	return ctx ? ctx->code : 0;
}

const char *
sp_ctx_errmsg(const sp_ctx *ctx)
{
	return ctx ? ctx->msg : "";
}

const char *
sp_ctx_errhint(const sp_ctx *ctx)
{
	return ctx ? ctx->hint : "";
}

void
sp_ctx_set_log(sp_ctx *ctx, sp_log_cb cb, void *payload)
{
	ctx->log_cb = cb;
	ctx->log_payload = payload;
}

void
sp_log(sp_ctx *ctx, sp_log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (ctx == NULL || ctx->log_cb == NULL)
		return;
	va_start(ap, fmt);
	if (vsnprintf(line, sizeof(line), fmt, ap) < 0)
		line[0] = '\0';
	va_end(ap);
	ctx->log_cb(level, line, ctx->log_payload);
}

void
sp_ctx_set_progress(sp_ctx *ctx, sp_progress_cb cb, void *payload)
{
	ctx->progress_cb = cb;
	ctx->progress_payload = payload;
}

void
sp_progress(sp_ctx *ctx, const char *what, uint64_t done_files,
    uint64_t done_bytes, uint64_t total_files)
{
	if (ctx == NULL || ctx->progress_cb == NULL)
		return;
	ctx->progress_cb(
	    what, done_files, done_bytes, total_files, ctx->progress_payload);
}

struct ossl_lib_ctx_st *
sp_ctx_libctx(const sp_ctx *ctx)
{
	(void)ctx;
	return NULL;
}

void
sp_ctx_fail_alloc_after(sp_ctx *ctx, unsigned long n)
{
	ctx->fail_alloc_after = n;
}

void *
sp_malloc(sp_ctx *ctx, size_t n)
{
	if (ctx != NULL && ctx->fail_alloc_after > 0) {
		if (--ctx->fail_alloc_after == 0)
			return NULL;
	}
	return malloc(n == 0 ? 1 : n);
}

void *
sp_calloc(sp_ctx *ctx, size_t count, size_t n)
{
	size_t total;

	if (__builtin_mul_overflow(count, n, &total))
		return NULL;
	if (ctx != NULL && ctx->fail_alloc_after > 0) {
		if (--ctx->fail_alloc_after == 0)
			return NULL;
	}
	return calloc(1, total == 0 ? 1 : total);
}

const char *
sp_error_name(int code)
{
	switch (code) {
	case SP_OK:
		return "ok";
	case SP_ENOMEM:
		return "nomem";
	case SP_EINVALID:
		return "invalid";
	case SP_ENOTFOUND:
		return "notfound";
	case SP_EPARSE:
		return "parse";
	case SP_EVERIFY:
		return "verify";
	case SP_EIO:
		return "io";
	case SP_EEXISTS:
		return "exists";
	case SP_ELIMIT:
		return "limit";
	case SP_EUNSUPPORTED:
		return "unsupported";
	case SP_EUNSAFE:
		return "unsafe";
	default:
		return "error";
	}
}
