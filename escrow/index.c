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
	if (memchr(name, '\0', len) != NULL)
		return false;
	return sp_path_is_safe_relative(name, len) && sp_utf8_valid(name, len);
}

/* Does @p name need sha256sum's escaped form? */
static bool
needs_escape(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (name[i] == '\\' || name[i] == '\n' || name[i] == '\r')
			return true;
	}
	return false;
}

/* Append @p name, escaped as sha256sum does when @p esc. */
static int
put_name(sp_buf *out, const char *name, size_t len, bool esc)
{
	size_t i;

	if (!esc)
		return sp_buf_put(out, name, len);
	for (i = 0; i < len; i++) {
		int r;

		switch (name[i]) {
		case '\\':
			r = sp_buf_put(out, "\\\\", 2);
			break;
		case '\n':
			r = sp_buf_put(out, "\\n", 2);
			break;
		case '\r':
			r = sp_buf_put(out, "\\r", 2);
			break;
		default:
			r = sp_buf_putc(out, name[i]);
			break;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* Unescape @p len bytes into @p out (appended). -1 on a bad escape. */
static int
get_name(sp_buf *out, const char *s, size_t len, bool esc)
{
	size_t i;

	if (!esc)
		return sp_buf_put(out, s, len) < 0 ? SP_ENOMEM : 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '\r' || c == '\n')
			return -1; /* written as an escape, never raw */
		if (c == '\\') {
			if (++i == len)
				return -1;
			c = s[i] == '\\'  ? '\\'
			    : s[i] == 'n' ? '\n'
			    : s[i] == 'r' ? '\r'
			                  : 0;
			if (c == 0)
				return -1;
		}
		if (sp_buf_putc(out, c) < 0)
			return SP_ENOMEM;
	}
	return 0;
}

int
sp_index_line(
    sp_buf *out, const char *name, const uint8_t sha256[32], bool symlink)
{
	size_t len = strlen(name);
	bool esc = needs_escape(name, len);
	char hex[65];

	sp_hex_encode(hex, sha256, 32);
	if (sp_buf_printf(out, "%s%s%s  ", symlink ? SYMLINK_PREFIX : "",
	        esc ? "\\" : "", hex) < 0 ||
	    put_name(out, name, len, esc) < 0 || sp_buf_putc(out, '\n') < 0)
		return SP_ENOMEM;
	return 0;
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
sp_index_parse(sp_ctx *ctx, sp_index_entry **out, size_t *n, char **arena_out,
    const char *text, size_t len, size_t max_entries)
{
	static const char magic[] = SP_ESCROW_INDEX_MAGIC "\n";
	sp_index_entry *v = NULL;
	sp_buf arena = SP_BUF_INIT;
	size_t cap = 0, count = 0, line = 1, pos, i;
	int error = 0;

	*out = NULL;
	*n = 0;
	*arena_out = NULL;
	if (len < sizeof(magic) - 1 ||
	    memcmp(text, magic, sizeof(magic) - 1) != 0)
		return sp_err_set(ctx, SP_EPARSE,
		    "INDEX does not start with '" SP_ESCROW_INDEX_MAGIC "'");
	pos = sizeof(magic) - 1;
	while (pos < len) {
		const char *l = text + pos, *nl;
		size_t ll, off = 0, start;
		sp_index_entry e;
		bool esc = false;

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
		if (off < ll && l[off] == '\\') {
			esc = true;
			off++;
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
		start = arena.size;
		if ((error = get_name(
		         &arena, l + off + 66, ll - off - 66, esc)) < 0) {
			error =
			    error == SP_ENOMEM
			        ? sp_err_set(ctx, SP_ENOMEM, "out of memory")
			        : sp_err_set(ctx, SP_EPARSE,
			              "INDEX line %zu: bad escape in the name",
			              line);
			goto out;
		}
		e.name_len = arena.size - start;
		if (!sp_escrow__name_ok(arena.ptr + start, e.name_len) ||
		    needs_escape(arena.ptr + start, e.name_len) != esc ||
		    (e.name_len == 5 &&
		        memcmp(arena.ptr + start, "INDEX", 5) == 0)) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "INDEX line %zu: invalid member name", line);
			goto out;
		}
		if (count > 0 && name_cmp(arena.ptr + (size_t)v[count - 1].name,
		                     v[count - 1].name_len, arena.ptr + start,
		                     e.name_len) >= 0) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "INDEX line %zu: names are not strictly sorted "
			    "(duplicate or out of order)",
			    line);
			goto out;
		}
		if (sp_buf_putc(&arena, '\0') < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		/* An offset until the arena stops moving. */
		e.name = (const char *)(uintptr_t)start;
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
	if (arena.ptr == NULL && sp_buf_putc(&arena, '\0') < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < count; i++)
		v[i].name = arena.ptr + (size_t)(uintptr_t)v[i].name;
	*out = v;
	*n = count;
	*arena_out = sp_buf_detach(&arena);
	v = NULL;
out:
	free(v);
	sp_buf_dispose(&arena);
	return error;
}

/* ---- SHA256SUMS ---------------------------------------------------------- */

struct sum {
	char hex[65];
	size_t name_off;  /* into the arena while it grows */
	const char *name; /* set once the arena is complete */
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
	sp_buf arena = SP_BUF_INIT;
	size_t n = 0, cap = 0, pos = 0, line = 0, i;
	int error = 0;

	while (pos < len) {
		const char *l = text + pos, *nl = memchr(l, '\n', len - pos);
		size_t ll = nl != NULL ? (size_t)(nl - l) : len - pos, off = 0;
		uint8_t raw[32];
		struct sum s;
		bool esc = false;

		pos += ll + (nl != NULL ? 1 : 0);
		line++;
		if (ll > 0 && l[ll - 1] == '\r')
			ll--;
		if (ll == 0 || l[0] == '#')
			continue;
		if (l[0] == '\\') {
			esc = true;
			off = 1;
		}
		/* Upper-case hex is accepted and normalised; " *" (binary
		 * mode) too. */
		if (ll < off + 67 || sp_hex_decode(raw, 32, l + off, 64) < 0 ||
		    l[off + 64] != ' ' ||
		    (l[off + 65] != ' ' && l[off + 65] != '*')) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "%s line %zu is not '<sha256>  <name>'", what,
			    line);
			goto out;
		}
		sp_hex_encode(s.hex, raw, 32);
		s.name_off = arena.size;
		if ((error = get_name(
		         &arena, l + off + 66, ll - off - 66, esc)) < 0) {
			error =
			    error == SP_ENOMEM
			        ? sp_err_set(ctx, SP_ENOMEM, "out of memory")
			        : sp_err_set(ctx, SP_EPARSE,
			              "%s line %zu: bad escape in the name",
			              what, line);
			goto out;
		}
		s.name_len = arena.size - s.name_off;
		if (!sp_escrow__name_ok(arena.ptr + s.name_off, s.name_len)) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "%s line %zu: the name is not a relative path of "
			    "UTF-8",
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
	for (i = 0; i < n; i++)
		v[i].name = arena.ptr + v[i].name_off;
	if (n > 0)
		qsort(v, n, sizeof(*v), sum_cmp);
	for (i = 0; i < n; i++) {
		const char *name = v[i].name;
		bool esc = needs_escape(name, v[i].name_len);

		if (i > 0 && sum_cmp(&v[i - 1], &v[i]) == 0) {
			error =
			    sp_err_set(ctx, SP_EPARSE, "%s lists '%.*s' twice",
			        what, (int)v[i].name_len, name);
			goto out;
		}
		if (sp_buf_printf(out, "%s%s  ", esc ? "\\" : "", v[i].hex) <
		        0 ||
		    put_name(out, name, v[i].name_len, esc) < 0 ||
		    sp_buf_putc(out, '\n') < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
	}
out:
	free(v);
	sp_buf_dispose(&arena);
	return error;
}
