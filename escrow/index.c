/*
 * Bundle INDEX and SHA256SUMS: sha256sum-format text, strict parsing.
 */
#include <stdlib.h>
#include <string.h>

#include "escrow_int.h"
#include "util_int.h"

#include "banned.h"

#define SYMLINK_PREFIX "# symlink "

const char *
sp_escrow_compression_name(sp_escrow_compression c)
{
	switch (c) {
	case SP_ESCROW_ZSTD:
		return "zstd";
	case SP_ESCROW_GZIP:
		return "gzip";
	case SP_ESCROW_NONE:
		return "none";
	}
	return "unknown";
}

int
sp_escrow_compression_parse(
    sp_ctx *ctx, sp_escrow_compression *out, const char *name)
{
	if (strcmp(name, "zstd") == 0)
		*out = SP_ESCROW_ZSTD;
	else if (strcmp(name, "gzip") == 0)
		*out = SP_ESCROW_GZIP;
	else if (strcmp(name, "none") == 0)
		*out = SP_ESCROW_NONE;
	else
		return sp_err_set(ctx, SP_EINVALID,
		    "unknown compression '%s' (zstd, gzip or none)", name);
	return 0;
}

bool
sp_escrow__name_ok(const char *name, size_t len)
{
	if (len == 0 || len > SP_ESCROW_MAX_NAME)
		return false;
	if (memchr(name, '\\', len) != NULL)
		return false;
	return sp_path_is_safe_relative(name, len) &&
	       sp_is_clean_utf8(name, len);
}

int
sp_index_line(
    sp_buf *out, const char *name, const uint8_t sha256[32], bool symlink)
{
	char hex[65];

	sp_hex_encode(hex, sha256, 32);
	return sp_buf_printf(
	    out, "%s%s  %s\n", symlink ? SYMLINK_PREFIX : "", hex, name);
}

static int
name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = memcmp(a, b, n);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

int
sp_index_parse(sp_ctx *ctx, sp_index_entry **out, size_t *n, const char *text,
    size_t len, size_t max_entries)
{
	static const char magic[] = SP_ESCROW_INDEX_MAGIC "\n";
	sp_index_entry *v = NULL;
	size_t cap = 0, count = 0, line = 1, pos;
	int error = 0;

	*out = NULL;
	*n = 0;
	if (len < sizeof(magic) - 1 ||
	    memcmp(text, magic, sizeof(magic) - 1) != 0)
		return sp_err_set(ctx, SP_EPARSE,
		    "INDEX does not start with '" SP_ESCROW_INDEX_MAGIC "'");
	pos = sizeof(magic) - 1;
	while (pos < len) {
		const char *l = text + pos, *nl;
		size_t ll, off = 0;
		sp_index_entry e;

		line++;
		nl = memchr(l, '\n', len - pos);
		if (nl == NULL) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "INDEX line %zu: no final newline", line);
			goto out;
		}
		ll = (size_t)(nl - l);
		pos += ll + 1;
		memset(&e, 0, sizeof(e));
		if (ll >= sizeof(SYMLINK_PREFIX) - 1 &&
		    memcmp(l, SYMLINK_PREFIX, sizeof(SYMLINK_PREFIX) - 1) ==
		        0) {
			e.symlink = true;
			off = sizeof(SYMLINK_PREFIX) - 1;
		}
		if (ll < off + 64 + 3 || l[off + 64] != ' ' ||
		    l[off + 65] != ' ' || !sp_is_lower_hex(l + off, 64, 32) ||
		    sp_hex_decode(e.sha256, 32, l + off, 64) < 0) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "INDEX line %zu is not '<64 lower-case hex>  "
			    "<name>'",
			    line);
			goto out;
		}
		e.name = l + off + 66;
		e.name_len = ll - off - 66;
		if (!sp_escrow__name_ok(e.name, e.name_len) ||
		    (e.name_len == 5 && memcmp(e.name, "INDEX", 5) == 0)) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "INDEX line %zu: invalid member name", line);
			goto out;
		}
		if (count > 0 &&
		    name_cmp(v[count - 1].name, v[count - 1].name_len, e.name,
		        e.name_len) >= 0) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "INDEX line %zu: names are not strictly sorted "
			    "(duplicate or out of order)",
			    line);
			goto out;
		}
		if (count >= max_entries) {
			error = sp_err_set(ctx, SP_ELIMIT,
			    "INDEX lists more than %zu members", max_entries);
			goto out;
		}
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			sp_index_entry *nv;

			if (ncap > max_entries + 1)
				ncap = max_entries + 1;
			if ((nv = realloc(v, ncap * sizeof(*v))) == NULL) {
				error =
				    sp_err_set(ctx, SP_ENOMEM, "out of memory");
				goto out;
			}
			v = nv;
			cap = ncap;
		}
		v[count++] = e;
	}
	*out = v;
	*n = count;
	v = NULL;
out:
	free(v);
	return error;
}

/* ---- SHA256SUMS ---------------------------------------------------------- */

struct sum {
	char hex[65];
	const char *name;
	size_t name_len;
};

static int
sum_cmp(const void *a, const void *b)
{
	const struct sum *x = a, *y = b;

	return name_cmp(x->name, x->name_len, y->name, y->name_len);
}

int
sp_escrow__sums_canonical(
    sp_ctx *ctx, sp_buf *out, const char *text, size_t len, const char *what)
{
	struct sum *v = NULL;
	size_t n = 0, cap = 0, pos = 0, line = 0, i;
	int error = 0;

	while (pos < len) {
		const char *l = text + pos, *nl = memchr(l, '\n', len - pos);
		size_t ll = nl != NULL ? (size_t)(nl - l) : len - pos;
		struct sum s;

		pos += ll + (nl != NULL ? 1 : 0);
		line++;
		if (ll > 0 && l[ll - 1] == '\r')
			ll--;
		if (ll == 0 || l[0] == '#')
			continue;
		if (ll < 67 || !sp_is_lower_hex(l, 64, 32) || l[64] != ' ' ||
		    (l[65] != ' ' && l[65] != '*')) {
			uint8_t raw[32];

			/* Upper-case hex is accepted and normalised. */
			if (ll < 67 || sp_hex_decode(raw, 32, l, 64) < 0 ||
			    l[64] != ' ' || (l[65] != ' ' && l[65] != '*')) {
				error = sp_err_set(ctx, SP_EPARSE,
				    "%s line %zu is not '<sha256>  <name>'",
				    what, line);
				goto out;
			}
			sp_hex_encode(s.hex, raw, 32);
		} else {
			memcpy(s.hex, l, 64);
			s.hex[64] = '\0';
		}
		s.name = l + 66;
		s.name_len = ll - 66;
		if (!sp_escrow__name_ok(s.name, s.name_len)) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "%s line %zu: the name is not a relative path of "
			    "printable UTF-8 without backslash",
			    what, line);
			goto out;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct sum *nv = realloc(v, ncap * sizeof(*v));

			if (nv == NULL) {
				error =
				    sp_err_set(ctx, SP_ENOMEM, "out of memory");
				goto out;
			}
			v = nv;
			cap = ncap;
		}
		v[n++] = s;
	}
	qsort(v, n, sizeof(*v), sum_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0 && sum_cmp(&v[i - 1], &v[i]) == 0) {
			error =
			    sp_err_set(ctx, SP_EPARSE, "%s lists '%.*s' twice",
			        what, (int)v[i].name_len, v[i].name);
			goto out;
		}
		if (sp_buf_printf(out, "%s  %.*s\n", v[i].hex,
		        (int)v[i].name_len, v[i].name) < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
	}
out:
	free(v);
	return error;
}
