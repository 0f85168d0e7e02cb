/*
 * Helpers of the review ledger: strict JSON, escaping, HTML frame, output
 * directories written whole or not at all, reading source files.
 */
#define _GNU_SOURCE /* syncfs */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger_int.h"
#include "util_int.h"

#include "banned.h"

int
sp_review__json_parse(sp_ctx *ctx, json_t **out, const char *data, size_t len,
    size_t max, const char *what)
{
	json_error_t jerr;

	*out = NULL;
	if (len > max)
		return sp_err_set(ctx, SP_ELIMIT,
		    "%s has %zu bytes; the limit is %zu", what, len, max);
	*out = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (*out == NULL)
		return sp_err_set(ctx, SP_EPARSE,
		    "%s is not valid JSON: %s (line %d, column %d)", what,
		    jerr.text, jerr.line, jerr.column);
	return 0;
}

int
sp_review__json_members(sp_ctx *ctx, const json_t *obj,
    const char *const *allowed, size_t n, const char *what)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(obj))
		return sp_err_set(
		    ctx, SP_EPARSE, "%s is not a JSON object", what);
	json_object_foreach((json_t *)obj, key, v)
	{
		bool ok = false;

		(void)v;
		for (i = 0; i < n && !ok; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (!ok)
			return sp_err_set(ctx, SP_EPARSE,
			    "%s has an unknown member '%s'", what, key);
	}
	return 0;
}

json_t *
sp_review__json_text(const char *s, size_t len)
{
	sp_buf b = SP_BUF_INIT;
	json_t *j;

	if (s == NULL)
		return json_null();
	if ((j = json_stringn(s, len)) != NULL)
		return j;
	if (sp_escape_terminal(&b, s, len) < 0)
		return NULL;
	j = json_string(b.ptr ? b.ptr : "");
	sp_buf_dispose(&b);
	return j;
}

int
sp_review__put_term(sp_buf *out, const char *s)
{
	return s == NULL ? 0 : sp_escape_terminal(out, s, strlen(s));
}

int
sp_review__put_html(sp_buf *out, const char *s)
{
	return s == NULL ? 0 : sp_escape_html(out, s, strlen(s));
}

/* Length of at most @p max bytes of @p s, not cutting a UTF-8 sequence. */
static size_t
cut_len(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

int
sp_review__put_term_cut(sp_buf *out, const char *s, size_t max)
{
	size_t len, n;
	int error;

	if (s == NULL)
		return 0;
	len = strlen(s);
	n = cut_len(s, len, max);
	if ((error = sp_escape_terminal(out, s, n)) < 0)
		return error;
	return n < len ? sp_buf_puts(out, "...") : 0;
}

int
sp_review__put_html_cut(sp_buf *out, const char *s, size_t max)
{
	size_t len, n;
	int error;

	if (s == NULL)
		return 0;
	len = strlen(s);
	n = cut_len(s, len, max);
	if ((error = sp_escape_html(out, s, n)) < 0)
		return error;
	return n < len ? sp_buf_puts(out, "&hellip;") : 0;
}

int
sp_review__html_begin(sp_buf *out, const char *title)
{
	int error;

	if ((error = sp_buf_puts(out,
	         "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	         "<meta charset=\"utf-8\">\n"
	         "<meta http-equiv=\"Content-Security-Policy\" "
	         "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	         "<title>")) < 0 ||
	    (error = sp_review__put_html(out, title)) < 0)
		return error;
	return sp_buf_puts(out,
	    "</title>\n<style>\n"
	    "body{font-family:sans-serif;max-width:60em;margin:1em auto;"
	    "color:#111}\n"
	    "h1{font-size:1.4em}h2{font-size:1.1em;border-bottom:1px solid "
	    "#999}\n"
	    "table{border-collapse:collapse}td,th{padding:2px 8px;"
	    "text-align:left;vertical-align:top}\n"
	    "code,pre{font-family:monospace}pre{background:#f4f4f4;"
	    "padding:4px;overflow-x:auto;white-space:pre-wrap}\n"
	    ".bad{color:#a00;font-weight:bold}.good{color:#060;"
	    "font-weight:bold}.nc{color:#a60;font-weight:bold}\n"
	    ".add{color:#060}.del{color:#a00}.hunk{color:#06a}\n"
	    "</style>\n</head>\n<body>\n");
}

int
sp_review__html_end(sp_buf *out)
{
	return sp_buf_puts(out, "</body>\n</html>\n");
}

/* ---- output directories ---------------------------------------------------
 */

int
sp_review__outdir_begin(
    sp_ctx *ctx, struct sp_review_outdir *d, const char *path)
{
	struct stat st;
	char *copy = NULL, *dir, *base;
	sp_buf tmp = SP_BUF_INIT;
	int error = 0;

	memset(d, 0, sizeof(*d));
	d->ctx = ctx;
	if (path[0] == '\0')
		return sp_err_set(ctx, SP_EINVALID, "empty output path");
	if (lstat(path, &st) == 0) {
		sp_err_set(ctx, SP_EEXISTS, "'%s' already exists", path);
		sp_err_hint(ctx, "choose a new output directory");
		return SP_EEXISTS;
	}
	if (errno != ENOENT)
		return sp_err_set(ctx, SP_EIO, "cannot check '%s': %s", path,
		    strerror(errno));
	if ((copy = strdup(path)) == NULL || (d->final = strdup(path)) == NULL)
		goto nomem;
	dir = dirname(copy);
	{
		char *copy2 = strdup(path);

		if (copy2 == NULL)
			goto nomem;
		base = basename(copy2);
		error = sp_buf_printf(&tmp, "%s/.%s.tmp-XXXXXX", dir, base);
		free(copy2);
		if (error < 0)
			goto nomem;
	}
	if (mkdtemp(tmp.ptr) == NULL) {
		error = sp_err_set(ctx, SP_EIO,
		    "cannot create a directory beside '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	d->tmp = sp_buf_detach(&tmp);
	goto out;
nomem:
	error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
out:
	if (error < 0) {
		free(d->final);
		d->final = NULL;
	}
	sp_buf_dispose(&tmp);
	free(copy);
	return error;
}

int
sp_review__outdir_mkdir(struct sp_review_outdir *d, const char *name)
{
	char *p = sp_path_join(d->tmp, name);
	int error = 0;

	if (p == NULL)
		return sp_err_set(d->ctx, SP_ENOMEM, "out of memory");
	if (mkdir(p, 0755) < 0)
		error = sp_err_set(d->ctx, SP_EIO, "cannot create '%s': %s", p,
		    strerror(errno));
	free(p);
	return error;
}

int
sp_review__outdir_write(
    struct sp_review_outdir *d, const char *name, const void *data, size_t len)
{
	const char *c = data;
	char *p = sp_path_join(d->tmp, name);
	int fd = -1, error = 0;

	if (p == NULL)
		return sp_err_set(d->ctx, SP_ENOMEM, "out of memory");
	fd =
	    open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		error = sp_err_set(d->ctx, SP_EIO, "cannot create '%s': %s", p,
		    strerror(errno));
		goto out;
	}
	while (len > 0) {
		ssize_t n = write(fd, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			error = sp_err_set(d->ctx, SP_EIO,
			    "cannot write '%s': %s", p, strerror(errno));
			goto out;
		}
		c += n;
		len -= (size_t)n;
	}
out:
	if (fd >= 0 && close(fd) < 0 && error == 0)
		error = sp_err_set(d->ctx, SP_EIO, "cannot write '%s': %s", p,
		    strerror(errno));
	free(p);
	return error;
}

static int
fsync_path(sp_ctx *ctx, const char *path, bool whole_fs)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int error = 0;

	if (fd < 0)
		return sp_err_set(
		    ctx, SP_EIO, "cannot open '%s': %s", path, strerror(errno));
	if ((whole_fs && syncfs(fd) < 0) || fsync(fd) < 0)
		error = sp_err_set(
		    ctx, SP_EIO, "cannot sync '%s': %s", path, strerror(errno));
	close(fd);
	return error;
}

int
sp_review__outdir_commit(struct sp_review_outdir *d)
{
	char *copy = NULL;
	int error;

	/* One syncfs flushes every file written; then the rename. */
	if ((error = fsync_path(d->ctx, d->tmp, true)) < 0)
		goto out;
	if (rename(d->tmp, d->final) < 0) {
		error = sp_err_set(d->ctx,
		    errno == EEXIST || errno == ENOTEMPTY ? SP_EEXISTS : SP_EIO,
		    "cannot create '%s': %s", d->final, strerror(errno));
		goto out;
	}
	free(d->tmp);
	d->tmp = NULL;
	if ((copy = strdup(d->final)) == NULL) {
		error = sp_err_set(d->ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	error = fsync_path(d->ctx, dirname(copy), false);
out:
	free(copy);
	if (error < 0)
		sp_review__outdir_abort(d);
	free(d->final);
	d->final = NULL;
	return error;
}

/* Remove @p path: a directory of our own making, at most three levels. */
static void
remove_dir(const char *path, int level)
{
	DIR *dir;
	struct dirent *de;

	if (level > 2 || (dir = opendir(path)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		char *p;
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((p = sp_path_join(path, de->d_name)) == NULL)
			continue;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			remove_dir(p, level + 1);
		else
			(void)unlink(p);
		free(p);
	}
	closedir(dir);
	(void)rmdir(path);
}

void
sp_review__outdir_abort(struct sp_review_outdir *d)
{
	if (d->tmp != NULL) {
		remove_dir(d->tmp, 0);
		free(d->tmp);
		d->tmp = NULL;
	}
	free(d->final);
	d->final = NULL;
}

/* ---- source files -----------------------------------------------------------
 */

int
sp_review__read_source(sp_ctx *ctx, sp_buf *out, const char *dir,
    const sp_manifest_entry *e, uint64_t max)
{
	uint8_t md[SP_SHA256_LEN];
	size_t start = out->size;
	char *p = NULL;
	int error = 0;

	if (!sp_path_is_safe_relative(e->path, e->path_len))
		return sp_err_set(
		    ctx, SP_EUNSAFE, "refusing the unsafe path '%s'", e->path);
	if (e->type == SP_MANIFEST_SYMLINK) {
		/* The manifest holds the target; the source's link must
		 * agree. */
		char target[SP_MANIFEST_MAX_TARGET + 1];
		ssize_t n;

		if ((p = sp_path_join(dir, e->path)) == NULL)
			return sp_err_set(ctx, SP_ENOMEM, "out of memory");
		n = readlink(p, target, sizeof(target));
		if (n < 0 || (size_t)n >= sizeof(target) ||
		    e->link_target == NULL ||
		    (size_t)n != strlen(e->link_target) ||
		    memcmp(target, e->link_target, (size_t)n) != 0) {
			error = sp_err_set(ctx, SP_EVERIFY,
			    "'%s' in the source is not the symbolic link the "
			    "manifest lists",
			    p);
			goto out;
		}
		error = sp_buf_put(out, target, (size_t)n) < 0
		            ? sp_err_set(ctx, SP_ENOMEM, "out of memory")
		            : 0;
		goto out;
	}
	if ((p = sp_path_join(dir, e->path)) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if ((error = sp_read_file(ctx, out, p,
	         max > SIZE_MAX ? SIZE_MAX : (size_t)max, SP_OPEN_NOFOLLOW)) <
	    0)
		goto out;
	if ((error = sp_sha256(ctx, md, out->ptr + start, out->size - start)) <
	    0)
		goto out;
	if (!sp_ct_equal(md, e->sha256, sizeof(md))) {
		error = sp_err_set(ctx, SP_EVERIFY,
		    "'%s' does not match the manifest (other sha256)", p);
		sp_err_hint(ctx, "give the source directory the manifest was "
		                 "made from");
	}
out:
	if (error < 0 && out->ptr != NULL) {
		out->size = start;
		out->ptr[start] = '\0';
	}
	free(p);
	return error;
}

uint64_t
sp_review__count_lines(const char *data, size_t len)
{
	uint64_t n = 0;
	const char *p = data, *end = data + len;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	if (len > 0 && data[len - 1] != '\n')
		n++;
	return n;
}

void
sp_review__short_id(char out[17], const char *keyid)
{
	size_t n = keyid ? strlen(keyid) : 0;

	if (n > 16)
		n = 16;
	if (n > 0)
		memcpy(out, keyid, n);
	out[n] = '\0';
}

int
sp_review__scan_source(sp_ctx *ctx, const char *dir, const sp_manifest_entry *e,
    uint64_t *bytes, uint64_t *lines)
{
	EVP_MD_CTX *md = NULL;
	EVP_MD *sha = NULL;
	uint8_t digest[SP_SHA256_LEN];
	unsigned int dlen = 0;
	char buf[65536], last = '\n';
	char *p = NULL;
	int fd = -1, error = 0;

	*bytes = 0;
	*lines = 0;
	if (e->type == SP_MANIFEST_SYMLINK) {
		sp_buf t = SP_BUF_INIT;

		if ((error = sp_review__read_source(ctx, &t, dir, e, 0)) == 0) {
			*bytes = t.size;
			*lines = 1;
		}
		sp_buf_dispose(&t);
		return error;
	}
	if (!sp_path_is_safe_relative(e->path, e->path_len))
		return sp_err_set(
		    ctx, SP_EUNSAFE, "refusing the unsafe path '%s'", e->path);
	if ((p = sp_path_join(dir, e->path)) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if ((error = sp_open_read(ctx, &fd, p, SP_OPEN_NOFOLLOW)) < 0)
		goto out;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    (sha = EVP_MD_fetch(sp_ctx_libctx(ctx), "SHA256", NULL)) == NULL ||
	    EVP_DigestInit_ex(md, sha, NULL) != 1) {
		error = sp_err_set(ctx, SP_ERROR, "cannot start SHA-256");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		const char *q, *end;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = sp_err_set(ctx, SP_EIO, "cannot read '%s': %s",
			    p, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(md, buf, (size_t)n) != 1) {
			error = sp_err_set(ctx, SP_ERROR, "SHA-256 failed");
			goto out;
		}
		*bytes += (uint64_t)n;
		end = buf + n;
		for (q = buf; (q = memchr(q, '\n', (size_t)(end - q))) != NULL;
		     q++)
			(*lines)++;
		last = buf[n - 1];
	}
	if (last != '\n')
		(*lines)++;
	if (EVP_DigestFinal_ex(md, digest, &dlen) != 1 ||
	    dlen != SP_SHA256_LEN) {
		error = sp_err_set(ctx, SP_ERROR, "SHA-256 failed");
		goto out;
	}
	if (!sp_ct_equal(digest, e->sha256, sizeof(digest))) {
		error = sp_err_set(ctx, SP_EVERIFY,
		    "'%s' does not match the manifest (other sha256)", p);
		sp_err_hint(ctx, "give the source directory the manifest was "
		                 "made from");
	}
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	EVP_MD_free(sha);
	free(p);
	return error;
}
