/*
 * hex, constant-time compare, wiping, escaping of untrusted text, path checks.
 */
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srcproof/util.h"

#include "banned.h"

void
sp_hex_encode(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
sp_hex_decode(uint8_t *out, size_t outlen, const char *in, size_t inlen)
{
	size_t i;

	if (outlen > SIZE_MAX / 2 || inlen != 2 * outlen)
		return SP_EPARSE;
	for (i = 0; i < outlen; i++) {
		int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return SP_EPARSE;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

bool
sp_is_lower_hex(const char *s, size_t len, size_t n)
{
	size_t i;

	if (n > SIZE_MAX / 2 || len != 2 * n)
		return false;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

bool
sp_ct_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void
sp_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

/*
 * Length of the valid UTF-8 sequence at s (at most len bytes), its code
 * point in *cp, or 0 when the bytes there are not one (RFC 3629: no
 * overlongs, surrogates or values above U+10FFFF).
 */
static size_t
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		*cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		*cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		*cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && *cp < 0x800) || (n == 4 && *cp < 0x10000) ||
	    *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Length of the valid, printable UTF-8 sequence at s (at most len bytes), or
 * 0 when the bytes there are not one: utf8_decode's rules, and no C0 or C1
 * controls.
 */
static size_t
utf8_seq(const unsigned char *s, size_t len)
{
	uint32_t cp;
	size_t n = utf8_decode(s, len, &cp);

	if (n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
		return 0;
	/* Bidirectional overrides and isolates can reorder what is shown. */
	if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return 0;
	return n;
}

bool
sp_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_decode(p + i, len - i, &cp)) == 0)
			return false;
		i += n;
	}
	return true;
}

bool
sp_is_clean_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_seq(p + i, len - i)) == 0)
			return false;
		i += n;
	}
	return true;
}

static int
escape_common(sp_buf *out, const char *s, size_t len, bool html)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	int error;

	while (i < len) {
		const char *rep = NULL;
		unsigned char c = p[i];

		if (c == '\\')
			rep = "\\\\";
		else if (c == '\n')
			rep = "\\n";
		else if (c == '\t')
			rep = "\\t";
		else if (c == '\r')
			rep = "\\r";
		else if (html && c == '&')
			rep = "&amp;";
		else if (html && c == '<')
			rep = "&lt;";
		else if (html && c == '>')
			rep = "&gt;";
		else if (html && c == '"')
			rep = "&quot;";
		else if (html && c == '\'')
			rep = "&#39;";
		if (rep != NULL) {
			if ((error = sp_buf_puts(out, rep)) < 0)
				return error;
			i++;
			continue;
		}
		if ((n = utf8_seq(p + i, len - i)) > 0) {
			if ((error = sp_buf_put(out, p + i, n)) < 0)
				return error;
			i += n;
			continue;
		}
		if ((error = sp_buf_printf(out, "\\x%02x", c)) < 0)
			return error;
		i++;
	}
	if (out->ptr == NULL)
		return sp_buf_put(out, "", 0);
	return 0;
}

int
sp_escape_terminal(sp_buf *out, const char *s, size_t len)
{
	return escape_common(out, s, len, false);
}

int
sp_escape_html(sp_buf *out, const char *s, size_t len)
{
	return escape_common(out, s, len, true);
}

char *
sp_path_join(const char *dir, const char *name)
{
	size_t ld = strlen(dir), ln = strlen(name);
	char *s;

	if (ld > SIZE_MAX - ln - 2 || (s = malloc(ld + ln + 2)) == NULL)
		return NULL;
	memcpy(s, dir, ld);
	s[ld] = '/';
	memcpy(s + ld + 1, name, ln + 1);
	return s;
}

bool
sp_path_is_safe_relative(const char *path, size_t len)
{
	size_t i, start = 0;

	if (len == 0 || path[0] == '/' || path[len - 1] == '/')
		return false;
	if (memchr(path, '\0', len) != NULL)
		return false;
	for (i = 0; i <= len; i++) {
		if (i == len || path[i] == '/') {
			size_t clen = i - start;

			if (clen == 0)
				return false;
			if (clen == 1 && path[start] == '.')
				return false;
			if (clen == 2 && path[start] == '.' &&
			    path[start + 1] == '.')
				return false;
			start = i + 1;
		}
	}
	return true;
}
