/*
 * sp_buf: bounded growable buffer.
 */
#include "srcproof/buf.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

void
sp_buf_init(sp_buf *buf, size_t max)
{
	buf->ptr = NULL;
	buf->size = 0;
	buf->asize = 0;
	buf->max = max;
}

int
sp_buf_reserve(sp_buf *buf, size_t extra)
{
	size_t need, nsize;
	char *p;

	if (__builtin_add_overflow(buf->size, extra, &need) || need > buf->max)
		return SP_ELIMIT;
	if (__builtin_add_overflow(need, 1, &need))
		return SP_ELIMIT;
	if (need <= buf->asize)
		return 0;
	nsize = buf->asize < 64 ? 64 : buf->asize;
	while (nsize < need) {
		if (__builtin_mul_overflow(nsize, 2, &nsize)) {
			nsize = need;
			break;
		}
	}
	if (nsize > buf->max + 1)
		nsize = buf->max + 1;
	p = realloc(buf->ptr, nsize);
	if (p == NULL)
		return SP_ENOMEM;
	buf->ptr = p;
	buf->asize = nsize;
	return 0;
}

int
sp_buf_put(sp_buf *buf, const void *data, size_t len)
{
	int error;

	if ((error = sp_buf_reserve(buf, len)) < 0)
		return error;
	if (len > 0)
		memcpy(buf->ptr + buf->size, data, len);
	buf->size += len;
	buf->ptr[buf->size] = '\0';
	return 0;
}

int
sp_buf_puts(sp_buf *buf, const char *s)
{
	return sp_buf_put(buf, s, strlen(s));
}

int
sp_buf_putc(sp_buf *buf, char c)
{
	return sp_buf_put(buf, &c, 1);
}

int
sp_buf_printf(sp_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int n, error;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return SP_ERROR;
	if ((error = sp_buf_reserve(buf, (size_t)n)) < 0)
		return error;
	va_start(ap, fmt);
	n = vsnprintf(buf->ptr + buf->size, buf->asize - buf->size, fmt, ap);
	va_end(ap);
	if (n < 0)
		return SP_ERROR;
	buf->size += (size_t)n;
	return 0;
}

void
sp_buf_clear(sp_buf *buf)
{
	buf->size = 0;
	if (buf->ptr != NULL)
		buf->ptr[0] = '\0';
}

void
sp_buf_dispose(sp_buf *buf)
{
	free(buf->ptr);
	buf->ptr = NULL;
	buf->size = 0;
	buf->asize = 0;
}

void
sp_buf_dispose_secret(sp_buf *buf)
{
	if (buf->ptr != NULL)
		OPENSSL_cleanse(buf->ptr, buf->asize);
	sp_buf_dispose(buf);
}

char *
sp_buf_detach(sp_buf *buf)
{
	char *p = buf->ptr;

	if (p == NULL)
		p = calloc(1, 1);
	buf->ptr = NULL;
	buf->size = 0;
	buf->asize = 0;
	return p;
}
