/*
 * Strict base64 (RFC 4648 section 4): canonical encoding only.
 */
#include "srcproof/base64.h"

#include <stdbool.h>

#include "srcproof/error.h"

#include "banned.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
sp_base64_encode(sp_buf *out, const void *in, size_t len)
{
	const uint8_t *p = in;
	size_t i, olen;
	char *o;
	int error;

	if (len > (SIZE_MAX - 2) / 4 * 3)
		return SP_ELIMIT;
	olen = (len + 2) / 3 * 4;
	if ((error = sp_buf_reserve(out, olen)) < 0)
		return error;
	o = out->ptr + out->size;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v =
		    (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = '=';
	}
	out->size += olen;
	out->ptr[out->size] = '\0';
	return 0;
}

static int
value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
sp_base64_decode(sp_buf *out, const char *in, size_t len)
{
	size_t i, pad = 0, olen;
	uint8_t *o;
	int error;

	if (len % 4 != 0)
		return SP_EPARSE;
	if (len == 0)
		return sp_buf_put(out, "", 0);
	if (in[len - 1] == '=')
		pad = in[len - 2] == '=' ? 2 : 1;
	olen = len / 4 * 3 - pad;
	if ((error = sp_buf_reserve(out, olen)) < 0)
		return error;
	o = (uint8_t *)out->ptr + out->size;
	for (i = 0; i < len; i += 4) {
		int a = value(in[i]), b = value(in[i + 1]);
		int c = value(in[i + 2]), d = value(in[i + 3]);
		bool last = i + 4 == len;
		uint32_t v;

		if (a < 0 || b < 0)
			return SP_EPARSE;
		if (last && pad == 2) {
			if (in[i + 2] != '=' || (b & 15) != 0)
				return SP_EPARSE;
			*o++ = (uint8_t)(a << 2 | b >> 4);
			break;
		}
		if (c < 0)
			return SP_EPARSE;
		if (last && pad == 1) {
			if ((c & 3) != 0)
				return SP_EPARSE;
			v = (uint32_t)a << 18 | (uint32_t)b << 12 |
			    (uint32_t)c << 6;
			*o++ = (uint8_t)(v >> 16);
			*o++ = (uint8_t)(v >> 8);
			break;
		}
		if (d < 0)
			return SP_EPARSE;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 |
		    (uint32_t)d;
		*o++ = (uint8_t)(v >> 16);
		*o++ = (uint8_t)(v >> 8);
		*o++ = (uint8_t)v;
	}
	out->size += olen;
	out->ptr[out->size] = '\0';
	return 0;
}
