/*
 * The strict reader of a bundle's binaries/SHA256SUMS (docs/spec/bundle.md
 * section 2.2), for the rebuild driver.
 */
#include <stdlib.h>
#include <string.h>

#include "rebuild_int.h"
#include "util_int.h"

#include "banned.h"

void
rb_sums_free(rb_sum *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* Decode sha256sum's escapes of a name; @p out holds at least len + 1. */
static int
unescape(char *out, const char *s, size_t len, bool escaped, size_t *outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (!escaped || s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		if (i + 1 >= len)
			return -1;
		switch (s[++i]) {
		case '\\':
			out[o++] = '\\';
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		default:
			return -1;
		}
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}

static int
name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

int
rb_sums_parse(
    sp_ctx *ctx, rb_sum **out, size_t *n, const char *data, size_t len)
{
	rb_sum *v = NULL;
	size_t count = 0, cap = 0, pos = 0, line = 0, prevlen = 0;
	const char *prev = NULL;
	int error = 0;

	*out = NULL;
	*n = 0;
	if (len > RB_SUMS_MAX_SIZE)
		return sp_err_set(ctx, SP_ELIMIT,
		    "SHA256SUMS is larger than %zu bytes", RB_SUMS_MAX_SIZE);
	while (pos < len) {
		const char *l = data + pos, *nl, *name;
		size_t llen, nlen, dlen;
		bool escaped = false;
		char *dec;

		line++;
		nl = memchr(l, '\n', len - pos);
		if (nl == NULL) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "SHA256SUMS line %zu has no final newline", line);
			goto out;
		}
		llen = (size_t)(nl - l);
		pos += llen + 1;
		if (llen > 0 && l[0] == '\\') {
			escaped = true;
			l++;
			llen--;
		}
		if (llen < 67 || !sp_is_lower_hex(l, 64, 32) || l[64] != ' ' ||
		    l[65] != ' ') {
			error = sp_err_set(ctx, SP_EPARSE,
			    "SHA256SUMS line %zu is not 'SHA256  NAME'", line);
			goto out;
		}
		name = l + 66;
		nlen = llen - 66;
		if (count >= RB_SUMS_MAX_ENTRIES) {
			error = sp_err_set(ctx, SP_ELIMIT,
			    "SHA256SUMS has more than %d lines",
			    RB_SUMS_MAX_ENTRIES);
			goto out;
		}
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			rb_sum *nv = realloc(v, ncap * sizeof(*v));

			if (nv == NULL) {
				error =
				    sp_err_set(ctx, SP_ENOMEM, "out of memory");
				goto out;
			}
			v = nv;
			cap = ncap;
		}
		if ((dec = sp_malloc(ctx, nlen + 1)) == NULL) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		memset(&v[count], 0, sizeof(v[count]));
		v[count].name = dec;
		memcpy(v[count].hex, l, 64);
		v[count].hex[64] = '\0';
		count++;
		if (unescape(dec, name, nlen, escaped, &dlen) < 0 ||
		    (escaped && memchr(name, '\\', nlen) == NULL &&
		        strpbrk(dec, "\n\r") == NULL) ||
		    (!escaped && (memchr(name, '\\', nlen) != NULL ||
		                     memchr(name, '\r', nlen) != NULL))) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "SHA256SUMS line %zu: bad escaping of the name",
			    line);
			goto out;
		}
		if (dlen != strlen(dec) ||
		    !sp_path_is_safe_relative(dec, dlen)) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "SHA256SUMS line %zu: the name is not a safe "
			    "relative path",
			    line);
			goto out;
		}
		if (prev != NULL && name_cmp(prev, prevlen, dec, dlen) >= 0) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "SHA256SUMS line %zu: names are not sorted and "
			    "unique",
			    line);
			goto out;
		}
		prev = dec;
		prevlen = dlen;
	}
	*out = v;
	*n = count;
	v = NULL;
	count = 0;
out:
	rb_sums_free(v, count);
	return error;
}
