/*
 * sp_buf: a growable byte buffer with a maximum size.
 *
 * ptr is always NUL-terminated once anything was added (or NULL when empty
 * and never grown); size excludes the NUL. Growth is overflow-checked and
 * never exceeds max. Functions return 0, SP_ENOMEM or SP_ELIMIT; use
 * sp_err_buf() to turn that into a message.
 */
#ifndef SRCPROOF_BUF_H
#define SRCPROOF_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"

/** Default maximum size of a buffer: 1 GiB. */
#define SP_BUF_DEFAULT_MAX ((size_t)1 << 30)

typedef struct sp_buf {
	char *ptr;    /**< contents, NUL-terminated, or NULL */
	size_t size;  /**< bytes used, NUL excluded */
	size_t asize; /**< bytes allocated */
	size_t max;   /**< maximum size */
} sp_buf;

#define SP_BUF_INIT                                                            \
	{                                                                      \
		NULL, 0, 0, SP_BUF_DEFAULT_MAX                                 \
	}

/** Initialise an empty buffer holding at most @p max bytes. */
void sp_buf_init(sp_buf *buf, size_t max);

/** Make room for @p extra more bytes (plus the NUL). */
int sp_buf_reserve(sp_buf *buf, size_t extra) SP_WUR;

/** Append @p len bytes. */
int sp_buf_put(sp_buf *buf, const void *data, size_t len) SP_WUR;

/** Append a NUL-terminated string. */
int sp_buf_puts(sp_buf *buf, const char *s) SP_WUR;

/** Append one byte. */
int sp_buf_putc(sp_buf *buf, char c) SP_WUR;

/** Append formatted text. */
int sp_buf_printf(sp_buf *buf, const char *fmt, ...) SP_PRINTF(2, 3) SP_WUR;

/** Empty the buffer, keeping its allocation. */
void sp_buf_clear(sp_buf *buf);

/** Free the contents; the buffer stays usable (empty). */
void sp_buf_dispose(sp_buf *buf);

/** Wipe the contents (OPENSSL_cleanse) then free them: for secrets. */
void sp_buf_dispose_secret(sp_buf *buf);

/**
 * Take ownership of the contents (free() them); the buffer becomes empty.
 * Never returns NULL: an empty buffer yields an allocated "".
 */
char *sp_buf_detach(sp_buf *buf);

#endif
