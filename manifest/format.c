/*
 * The canonical manifest format (docs/spec/manifest.md): serializer and a
 * strict parser that accepts only what the serializer writes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_int.h"
#include "srcproof/util.h"
#include "util_int.h"

#include "banned.h"

#define SWHID_PREFIX "swh:1:dir:"

/* ---- escaping ---------------------------------------------------------------
 */

static bool
needs_sum_escape(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\' || s[i] == '\n' || s[i] == '\r')
			return true;
	}
	return false;
}

/*
 * Escape for a sha256sum line (coreutils 9.1 output): \\, \n, \r. For `# `
 * lines (@p field) also a space, as \040.
 */
static int
put_escaped(sp_buf *out, const char *s, size_t len, bool field)
{
	size_t i, start = 0;
	int error;

	for (i = 0; i < len; i++) {
		const char *esc = NULL;

		switch (s[i]) {
		case '\\':
			esc = "\\\\";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case ' ':
			esc = field ? "\\040" : NULL;
			break;
		default:
			break;
		}
		if (esc == NULL)
			continue;
		if ((error = sp_buf_put(out, s + start, i - start)) < 0 ||
		    (error = sp_buf_puts(out, esc)) < 0)
			return error;
		start = i + 1;
	}
	return sp_buf_put(out, s + start, len - start);
}

/*
 * Undo put_escaped into @p out (which holds at least @p len bytes).
 * @return the unescaped length, or (size_t)-1 on a bad escape
 */
static size_t
unescape(char *out, const char *s, size_t len, bool field)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		if (i + 1 >= len)
			return (size_t)-1;
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
		case '0':
			if (!field || len - i < 3 || s[i + 1] != '4' ||
			    s[i + 2] != '0')
				return (size_t)-1;
			out[o++] = ' ';
			i += 2;
			break;
		default:
			return (size_t)-1;
		}
	}
	return o;
}

/* ---- serializer -------------------------------------------------------------
 */

/*
 * Where serialized bytes go: the buffer alone, or, with a digest context
 * @p md, handed on every FLUSH_AT bytes to be hashed and, with @p w,
 * written (a large manifest never sits whole in memory).
 */
struct sink {
	sp_ctx *ctx;
	sp_buf *buf;
	EVP_MD_CTX *md; /**< NULL: everything stays in buf */
	sp_atomic *w;   /**< NULL: hashed only */
	uint64_t flushed;
};

#define FLUSH_AT (64 * 1024)

/* Hand the buffered bytes on: counted, hashed and, with a file, written. */
static int
flush_out(struct sink *sk)
{
	int error;

	/* The same cap as a manifest serialized in memory, and parsed. */
	sk->flushed += sk->buf->size;
	if (sk->flushed > SP_MANIFEST_MAX_SIZE)
		return sp_err_buf(sk->ctx, SP_ELIMIT, "manifest");
	if (EVP_DigestUpdate(sk->md, sk->buf->ptr, sk->buf->size) != 1)
		return sp_err_set(sk->ctx, SP_ERROR, "SHA-256 failed");
	if (sk->w != NULL &&
	    (error = sp_atomic_write(sk->w, sk->buf->ptr, sk->buf->size)) < 0)
		return error;
	sp_buf_clear(sk->buf);
	return 0;
}

static int
serialize(sp_ctx *ctx, const sp_manifest *m, struct sink *sk)
{
	char hex[SP_SHA256_HEX_LEN + 1];
	sp_buf *out = sk->buf;
	size_t i;
	int error = 0;

#define PUT(expr)                                                              \
	do {                                                                   \
		if ((error = (expr)) < 0)                                      \
			goto out;                                              \
	} while (0)
#define LINE_DONE()                                                            \
	do {                                                                   \
		if (sk->md != NULL && out->size >= FLUSH_AT &&                 \
		    (error = flush_out(sk)) < 0)                               \
			return error;                                          \
	} while (0)

	PUT(sp_buf_puts(out, SP_MANIFEST_MAGIC "\n"));
	if (m->product != NULL)
		PUT(sp_buf_printf(out, "# product: %s\n", m->product));
	if (m->release != NULL)
		PUT(sp_buf_printf(out, "# release: %s\n", m->release));
	PUT(sp_buf_printf(out,
	    "# kind: %s\n# files: %llu\n# symlinks: %llu\n# bytes: %llu\n"
	    "# git-tree: %s\n# swhid: %s\n",
	    sp_manifest_kind_name(m->kind), (unsigned long long)m->files,
	    (unsigned long long)m->symlinks, (unsigned long long)m->bytes,
	    m->git_tree, m->swhid));
	if (m->has_previous)
		PUT(sp_buf_printf(out, "# previous: sha256:%s\n", m->previous));
	for (i = 0; i < m->n; i++) {
		const sp_manifest_entry *e = &m->entries[i];

		if (e->type == SP_MANIFEST_EXECUTABLE) {
			PUT(sp_buf_puts(out, "# exec: "));
			PUT(put_escaped(out, e->path, e->path_len, true));
			PUT(sp_buf_putc(out, '\n'));
		} else if (e->type == SP_MANIFEST_SYMLINK) {
			PUT(sp_buf_puts(out, "# symlink: "));
			PUT(put_escaped(out, e->path, e->path_len, true));
			PUT(sp_buf_puts(out, " -> "));
			PUT(put_escaped(
			    out, e->link_target, strlen(e->link_target), true));
			PUT(sp_buf_putc(out, '\n'));
		}
		LINE_DONE();
	}
	for (i = 0; i < m->n; i++) {
		const sp_manifest_entry *e = &m->entries[i];
		bool esc;

		if (e->type == SP_MANIFEST_SYMLINK)
			continue;
		esc = needs_sum_escape(e->path, e->path_len);
		sp_hex_encode(hex, e->sha256, SP_SHA256_LEN);
		if (esc)
			PUT(sp_buf_putc(out, '\\'));
		PUT(sp_buf_put(out, hex, SP_SHA256_HEX_LEN));
		PUT(sp_buf_puts(out, "  "));
		PUT(put_escaped(out, e->path, e->path_len, false));
		PUT(sp_buf_putc(out, '\n'));
		LINE_DONE();
	}
	if (sk->md != NULL && out->size > 0)
		return flush_out(sk);
#undef LINE_DONE
#undef PUT
out:
	if (error < 0)
		return sp_err_buf(ctx, error, "manifest");
	return 0;
}

int
sp_manifest_serialize(sp_ctx *ctx, const sp_manifest *m, sp_buf *out)
{
	struct sink sk = {.ctx = ctx, .buf = out};

	SP_ASSERT_ARG(ctx, m != NULL && out != NULL);
	return serialize(ctx, m, &sk);
}

/*
 * Serialize @p m in pieces: to @p path atomically when it is not NULL, and
 * into @p digest (its SHA-256) when that is not NULL.
 */
static int
stream(sp_ctx *ctx, const sp_manifest *m, const char *path, unsigned flags,
    uint8_t digest[SP_SHA256_LEN])
{
	struct sink sk = {.ctx = ctx};
	sp_buf b;
	int error;

	/* A line is at most a few path lengths: room for one past FLUSH_AT. */
	sp_buf_init(&b, FLUSH_AT + 8 * SP_MANIFEST_MAX_PATH + 4096);
	sk.buf = &b;
	if ((sk.md = EVP_MD_CTX_new()) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestInit_ex(sk.md, EVP_sha256(), NULL) != 1) {
		error = sp_err_set(ctx, SP_ERROR, "SHA-256 failed");
		goto out;
	}
	if (path != NULL &&
	    (error = sp_atomic_open(ctx, &sk.w, path, 0644, flags)) < 0)
		goto out;
	if ((error = serialize(ctx, m, &sk)) < 0) {
		sp_atomic_abort(sk.w);
		goto out;
	}
	if (sk.w != NULL && (error = sp_atomic_commit(sk.w)) < 0)
		goto out;
	if (digest != NULL && EVP_DigestFinal_ex(sk.md, digest, NULL) != 1)
		error = sp_err_set(ctx, SP_ERROR, "SHA-256 failed");
out:
	EVP_MD_CTX_free(sk.md);
	sp_buf_dispose(&b);
	return error;
}

int
sp_manifest_write(sp_ctx *ctx, const sp_manifest *m, const char *path,
    unsigned flags, uint8_t digest[SP_SHA256_LEN])
{
	SP_ASSERT_ARG(ctx, m != NULL && path != NULL);
	return stream(ctx, m, path, flags, digest);
}

int
sp_manifest_digest(sp_ctx *ctx, const sp_manifest *m, uint8_t out[32])
{
	SP_ASSERT_ARG(ctx, m != NULL && out != NULL);
	return stream(ctx, m, NULL, 0, out);
}

/* ---- parser ----------------------------------------------------------------
 */

struct parser {
	sp_ctx *ctx;
	const struct mf_limits *lim;
	const char *p, *end;
	size_t lineno;
	const char *line; /**< current line, without its '\n' */
	size_t len;
	char *scratch; /**< max_target + 1 bytes */
	sp_manifest *m;
	size_t cap;
};

static int perr(struct parser *ps, int code, const char *fmt, ...)
    SP_PRINTF(3, 4);

static int
perr(struct parser *ps, int code, const char *fmt, ...)
{
	char msg[SP_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sp_err_set(
	    ps->ctx, code, "manifest line %zu: %s", ps->lineno, msg);
}

/* Next line into ps->line; 0 at the end, 1 with a line, <0 on error. */
static int
next_line(struct parser *ps)
{
	const char *nl;

	if (ps->p == ps->end)
		return 0;
	ps->lineno++;
	nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
	if (nl == NULL)
		return perr(ps, SP_EPARSE, "%s", "no newline at the end");
	ps->line = ps->p;
	ps->len = (size_t)(nl - ps->p);
	ps->p = nl + 1;
	return 1;
}

static bool
line_starts(struct parser *ps, const char *prefix)
{
	size_t n = strlen(prefix);

	return ps->len >= n && memcmp(ps->line, prefix, n) == 0;
}

static int
parse_u64(struct parser *ps, uint64_t *out, const char *s, size_t len)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return perr(ps, SP_EPARSE, "%s", "bad number");
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return perr(ps, SP_EPARSE, "%s", "bad number");
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return perr(ps, SP_EPARSE, "%s", "number too large");
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int
header_label(struct parser *ps, char **out, const char *prefix)
{
	size_t n = strlen(prefix), vlen = ps->len - n;
	const char *v = ps->line + n;

	if (vlen == 0 || vlen > SP_MANIFEST_MAX_LABEL ||
	    !sp_is_clean_utf8(v, vlen))
		return perr(ps, SP_EPARSE,
		    "%s value is empty, too long or not printable UTF-8",
		    prefix + 2);
	if ((*out = mf_arena_strndup(&ps->m->arena, v, vlen)) == NULL)
		return sp_err_set(ps->ctx, SP_ENOMEM, "out of memory");
	return 0;
}

static int
parse_header(struct parser *ps)
{
	sp_manifest *m = ps->m;
	int rc;

#define NEXT()                                                                 \
	do {                                                                   \
		if ((rc = next_line(ps)) < 0)                                  \
			return rc;                                             \
		if (rc == 0)                                                   \
			return perr(                                           \
			    ps, SP_EPARSE, "%s", "the header is incomplete");  \
	} while (0)

	NEXT();
	if (ps->len != strlen(SP_MANIFEST_MAGIC) ||
	    memcmp(ps->line, SP_MANIFEST_MAGIC, ps->len) != 0) {
		if (line_starts(ps, "# srcproof-manifest "))
			return perr(ps, SP_EUNSUPPORTED, "%s",
			    "unsupported manifest version");
		return perr(ps, SP_EPARSE, "%s",
		    "not a srcproof manifest (the first line must be "
		    "'" SP_MANIFEST_MAGIC "')");
	}
	NEXT();
	if (line_starts(ps, "# product: ")) {
		if ((rc = header_label(ps, &m->product, "# product: ")) < 0)
			return rc;
		NEXT();
	}
	if (line_starts(ps, "# release: ")) {
		if ((rc = header_label(ps, &m->release, "# release: ")) < 0)
			return rc;
		NEXT();
	}
	if (ps->len == 15 && memcmp(ps->line, "# kind: release", 15) == 0)
		m->kind = SP_MANIFEST_RELEASE;
	else if (ps->len == 14 && memcmp(ps->line, "# kind: update", 14) == 0)
		m->kind = SP_MANIFEST_UPDATE;
	else
		return perr(ps, SP_EPARSE, "%s",
		    "expected '# kind: release' or '# kind: update'");
	NEXT();
	{
		static const char *const names[] = {
		    "# files: ", "# symlinks: ", "# bytes: "};
		uint64_t *vals[] = {&m->files, &m->symlinks, &m->bytes};
		size_t i;

		for (i = 0; i < 3; i++) {
			size_t n = strlen(names[i]);

			if (!line_starts(ps, names[i])) {
				char msg[64];

				snprintf(msg, sizeof(msg), "expected '%s...'",
				    names[i]);
				return perr(ps, SP_EPARSE, "%s", msg);
			}
			if ((rc = parse_u64(
			         ps, vals[i], ps->line + n, ps->len - n)) < 0)
				return rc;
			NEXT();
		}
	}
	if (!line_starts(ps, "# git-tree: ") || ps->len != 12 + 40 ||
	    !sp_is_lower_hex(ps->line + 12, 40, 20))
		return perr(ps, SP_EPARSE, "%s",
		    "expected '# git-tree: ' and 40 lower-case hex digits");
	memcpy(m->git_tree, ps->line + 12, 40);
	m->git_tree[40] = '\0';
	NEXT();
	if (!line_starts(ps, "# swhid: " SWHID_PREFIX) ||
	    ps->len != 9 + 10 + 40 ||
	    memcmp(ps->line + 19, m->git_tree, 40) != 0)
		return perr(ps, SP_EPARSE, "%s",
		    "expected '# swhid: swh:1:dir:' and the git tree id");
	memcpy(m->swhid, ps->line + 9, 50);
	m->swhid[50] = '\0';
	if ((rc = next_line(ps)) < 0)
		return rc;
	if (rc > 0 && line_starts(ps, "# previous: ")) {
		if (!line_starts(ps, "# previous: sha256:") ||
		    ps->len != 19 + 64 ||
		    !sp_is_lower_hex(ps->line + 19, 64, 32))
			return perr(ps, SP_EPARSE, "%s",
			    "expected '# previous: sha256:' and 64 lower-case "
			    "hex digits");
		if (m->kind != SP_MANIFEST_UPDATE)
			return perr(ps, SP_EPARSE, "%s",
			    "a release manifest has no previous line");
		memcpy(m->previous, ps->line + 19, 64);
		m->previous[64] = '\0';
		m->has_previous = true;
		rc = next_line(ps);
		if (rc < 0)
			return rc;
	} else if (m->kind == SP_MANIFEST_UPDATE) {
		return perr(ps, SP_EPARSE, "%s",
		    "an update manifest needs a '# previous:' line");
	}
#undef NEXT
	return rc; /* 1: ps->line is the first line after the header */
}

static int
add_entry(struct parser *ps, sp_manifest_entry **out)
{
	sp_manifest *m = ps->m;

	if (m->n >= ps->lim->max_entries)
		return sp_err_set(ps->ctx, SP_ELIMIT,
		    "manifest has more than %zu entries", ps->lim->max_entries);
	if (m->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 256;
		sp_manifest_entry *e;

		if (cap > ps->lim->max_entries)
			cap = ps->lim->max_entries;
		e = realloc(m->entries, cap * sizeof(*e));
		if (e == NULL)
			return sp_err_set(ps->ctx, SP_ENOMEM, "out of memory");
		m->entries = e;
		ps->cap = cap;
	}
	*out = &m->entries[m->n++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

/* Unescape @p s into the arena; checks the path rules. */
static int
take_path(struct parser *ps, const char **out, size_t *out_len, const char *s,
    size_t len, bool field, bool is_target)
{
	size_t max = is_target ? ps->lim->max_target : ps->lim->max_path;
	size_t n;
	char *copy;

	/* An escape is at least two bytes for one: unescaped <= len. */
	if (len > 4 * max)
		return perr(ps, SP_ELIMIT, "%s",
		    is_target ? "symlink target too long" : "path too long");
	n = unescape(ps->scratch, s, len, field);
	if (n == (size_t)-1)
		return perr(ps, SP_EPARSE, "%s", "bad escape sequence");
	if (n > max)
		return perr(ps, SP_ELIMIT, "%s",
		    is_target ? "symlink target too long" : "path too long");
	if (!mf_utf8_valid(ps->scratch, n))
		return perr(ps, SP_EPARSE, "%s", "name is not valid UTF-8");
	if (!is_target && (!sp_path_is_safe_relative(ps->scratch, n) ||
	                      mf_path_has_git_dir(ps->scratch, n)))
		return perr(
		    ps, SP_EPARSE, "%s", "path is not a safe relative path");
	if ((copy = mf_arena_strndup(&ps->m->arena, ps->scratch, n)) == NULL)
		return sp_err_set(ps->ctx, SP_ENOMEM, "out of memory");
	*out = copy;
	if (out_len != NULL)
		*out_len = n;
	return 0;
}

static int
check_order(struct parser *ps, const sp_manifest_entry *prev,
    const sp_manifest_entry *e)
{
	int c;

	if (prev == NULL)
		return 0;
	c = mf_path_cmp(prev->path, prev->path_len, e->path, e->path_len);
	if (c == 0)
		return perr(ps, SP_EPARSE, "duplicate entry '%s'", e->path);
	if (c > 0)
		return perr(ps, SP_EPARSE,
		    "'%s' is out of order (entries are sorted by path bytes)",
		    e->path);
	return 0;
}

static int
cmp_entry(const void *a, const void *b)
{
	const sp_manifest_entry *x = a, *y = b;

	return mf_path_cmp(x->path, x->path_len, y->path, y->path_len);
}

/*
 * Entries sorted by path: refuse a path that is both a file and the prefix
 * of another ("a" and "a/b").
 */
static int
check_conflicts(sp_ctx *ctx, const sp_manifest_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		size_t lo = i + 1, hi = n, len = e[i].path_len;

		/* First entry >= path + "/": the candidates share the
		 * prefix and sort after it. */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			const sp_manifest_entry *x = &e[mid];
			int c = memcmp(x->path, e[i].path,
			    x->path_len < len ? x->path_len : len);

			if (c == 0)
				c = x->path_len < len
				        ? -1
				        : (x->path_len == len
				                  ? -1
				                  : (unsigned char)
				                            x->path[len] -
				                        '/');
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < n && e[lo].path_len > len &&
		    memcmp(e[lo].path, e[i].path, len) == 0 &&
		    e[lo].path[len] == '/')
			return sp_err_set(ctx, SP_EPARSE,
			    "'%s' is both a file and a directory", e[i].path);
	}
	return 0;
}

int
sp_manifest__parse_limited(sp_ctx *ctx, sp_manifest **out, const char *data,
    size_t len, const struct mf_limits *lim)
{
	struct parser ps = {0};
	sp_manifest *m = NULL;
	sp_manifest_entry *e = NULL;
	size_t prev = SIZE_MAX; /* index: add_entry may move the array */
	size_t n_meta = 0, i, j;
	uint64_t files = 0, symlinks = 0;
	sp_buf again;
	int rc, error = 0;

	*out = NULL;
	sp_buf_init(&again, lim->max_size);
	if (len > lim->max_size)
		return sp_err_set(ctx, SP_ELIMIT,
		    "manifest is larger than the limit of %zu bytes",
		    lim->max_size);
	if ((m = mf_manifest_new(ctx)) == NULL)
		return SP_ENOMEM;
	ps.ctx = ctx;
	ps.lim = lim;
	ps.p = data;
	ps.end = data + len;
	ps.m = m;
	if ((ps.scratch = malloc(
	         4 * (lim->max_path > lim->max_target ? lim->max_path
	                                              : lim->max_target) +
	         1)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if (memchr(data, '\0', len) != NULL) {
		error = sp_err_set(ctx, SP_EPARSE, "manifest holds a NUL byte");
		goto out;
	}
	if ((rc = parse_header(&ps)) < 0) {
		error = rc;
		goto out;
	}
	/* `# exec:` and `# symlink:` lines, in path order. */
	while (rc > 0 && ps.len > 0 && ps.line[0] == '#') {
		const char *sep;

		if ((error = add_entry(&ps, &e)) < 0)
			goto out;
		if (line_starts(&ps, "# exec: ")) {
			e->type = SP_MANIFEST_EXECUTABLE;
			if ((error = take_path(&ps, &e->path, &e->path_len,
			         ps.line + 8, ps.len - 8, true, false)) < 0)
				goto out;
			e->size = SP_MANIFEST_SIZE_UNKNOWN;
		} else if (line_starts(&ps, "# symlink: ") &&
		           (sep = memchr(ps.line + 11, ' ', ps.len - 11)) !=
		               NULL &&
		           (size_t)(ps.line + ps.len - sep) > 4 &&
		           memcmp(sep, " -> ", 4) == 0) {
			size_t tlen;

			e->type = SP_MANIFEST_SYMLINK;
			if ((error = take_path(&ps, &e->path, &e->path_len,
			         ps.line + 11, (size_t)(sep - ps.line - 11),
			         true, false)) < 0 ||
			    (error = take_path(&ps, &e->link_target, &tlen,
			         sep + 4, (size_t)(ps.line + ps.len - sep - 4),
			         true, true)) < 0)
				goto out;
			e->size = tlen;
			if (sp_sha256(ctx, e->sha256, e->link_target, tlen) <
			    0) {
				error = SP_ERROR;
				goto out;
			}
			symlinks++;
		} else {
			error = perr(&ps, SP_EPARSE, "%s",
			    "expected '# exec: PATH' or '# symlink: PATH -> "
			    "TARGET'");
			goto out;
		}
		if ((error = check_order(&ps,
		         prev == SIZE_MAX ? NULL : &m->entries[prev], e)) < 0)
			goto out;
		prev = m->n - 1;
		if ((rc = next_line(&ps)) < 0) {
			error = rc;
			goto out;
		}
	}
	n_meta = m->n;
	prev = SIZE_MAX;
	/* sha256sum lines, in path order. */
	while (rc > 0) {
		const char *l = ps.line;
		size_t ll = ps.len;
		bool esc = ll > 0 && l[0] == '\\';

		if (esc) {
			l++;
			ll--;
		}
		if (ll < 64 + 3 || !sp_is_lower_hex(l, 64, 32) ||
		    l[64] != ' ' || l[65] != ' ') {
			error = perr(&ps, SP_EPARSE, "%s",
			    "expected '<64 lower-case hex>  PATH'");
			goto out;
		}
		if ((error = add_entry(&ps, &e)) < 0)
			goto out;
		e->type = SP_MANIFEST_REGULAR;
		e->size = SP_MANIFEST_SIZE_UNKNOWN;
		(void)sp_hex_decode(e->sha256, 32, l, 64);
		if (esc) {
			if ((error = take_path(&ps, &e->path, &e->path_len,
			         l + 66, ll - 66, false, false)) < 0)
				goto out;
		} else {
			const char *pth = l + 66;
			size_t pl = ll - 66;

			if (memchr(pth, '\\', pl) != NULL ||
			    memchr(pth, '\r', pl) != NULL) {
				error = perr(&ps, SP_EPARSE, "%s",
				    "a name with '\\' or CR needs the escaped "
				    "line form");
				goto out;
			}
			if ((error = take_path(&ps, &e->path, &e->path_len, pth,
			         pl, false, false)) < 0)
				goto out;
		}
		if ((error = check_order(&ps,
		         prev == SIZE_MAX ? NULL : &m->entries[prev], e)) < 0)
			goto out;
		prev = m->n - 1;
		files++;
		if ((rc = next_line(&ps)) < 0) {
			error = rc;
			goto out;
		}
	}
	/* Each exec line names a file of the sum lines; symlinks do not. */
	for (i = 0, j = n_meta; i < n_meta; i++) {
		e = &m->entries[i];
		while (j < m->n &&
		       mf_path_cmp(m->entries[j].path, m->entries[j].path_len,
		           e->path, e->path_len) < 0)
			j++;
		if (j < m->n && strcmp(m->entries[j].path, e->path) == 0) {
			if (e->type == SP_MANIFEST_SYMLINK) {
				error = sp_err_set(ctx, SP_EPARSE,
				    "'%s' is both a symbolic link and a file",
				    e->path);
				goto out;
			}
			m->entries[j].type = SP_MANIFEST_EXECUTABLE;
			e->path = NULL; /* merged */
		} else if (e->type == SP_MANIFEST_EXECUTABLE) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s' is marked executable but has no checksum "
			    "line",
			    e->path);
			goto out;
		}
	}
	/* Drop merged exec lines, sort everything by path. */
	for (i = 0, j = 0; i < m->n; i++) {
		if (m->entries[i].path != NULL)
			m->entries[j++] = m->entries[i];
	}
	m->n = j;
	if (m->n > 1)
		qsort(m->entries, m->n, sizeof(*m->entries), cmp_entry);
	if ((error = check_conflicts(ctx, m->entries, m->n)) < 0)
		goto out;
	if (files != m->files || symlinks != m->symlinks) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "manifest header counts %llu files and %llu symlinks, the "
		    "body lists %llu and %llu",
		    (unsigned long long)m->files,
		    (unsigned long long)m->symlinks, (unsigned long long)files,
		    (unsigned long long)symlinks);
		goto out;
	}
	if (m->files == 0 && m->bytes != 0) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "manifest header counts %llu bytes but no file",
		    (unsigned long long)m->bytes);
		goto out;
	}
	/* Catch-all: only canonical bytes are accepted. */
	if ((error = sp_manifest_serialize(ctx, m, &again)) < 0)
		goto out;
	if (again.size != len || memcmp(again.ptr, data, len) != 0) {
		error = sp_err_set(
		    ctx, SP_EPARSE, "manifest is not in canonical form");
		goto out;
	}
	*out = m;
	m = NULL;
out:
	sp_buf_dispose(&again);
	free(ps.scratch);
	sp_manifest_free(m);
	return error;
}

int
sp_manifest_parse(sp_ctx *ctx, sp_manifest **out, const char *data, size_t len)
{
	static const struct mf_limits lim = {SP_MANIFEST_MAX_SIZE,
	    SP_MANIFEST_MAX_ENTRIES, SP_MANIFEST_MAX_PATH,
	    SP_MANIFEST_MAX_TARGET};

	return sp_manifest__parse_limited(ctx, out, data, len, &lim);
}

int
sp_manifest_load(sp_ctx *ctx, sp_manifest **out, const char *path)
{
	sp_buf b;
	int error;

	*out = NULL;
	sp_buf_init(&b, SP_MANIFEST_MAX_SIZE + 1);
	error =
	    sp_read_file(ctx, &b, path, SP_MANIFEST_MAX_SIZE, SP_OPEN_NOFOLLOW);
	if (error == 0) {
		error = sp_manifest_parse(ctx, out, b.ptr, b.size);
		if (error < 0 && error != SP_ENOMEM) {
			char msg[SP_ERRMSG_MAX];

			snprintf(msg, sizeof(msg), "%s", sp_ctx_errmsg(ctx));
			sp_err_set(ctx, error, "'%s': %s", path, msg);
		}
	}
	sp_buf_dispose(&b);
	return error;
}
