/*
 * Deterministic tar writer through libarchive: pax restricted format (ustar
 * headers; a pax extended header only for long or non-ASCII names), every
 * member with the same mtime, uid/gid 0 and no user or group names, modes
 * 0644/0755/0777 (symlinks), the last block not padded; zstd with a fixed
 * level and worker count >= 1 (whose output does not depend on the count),
 * or gzip without name and timestamp.
 */
#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escrow_int.h"
#include "util_int.h"

#include "banned.h"

struct sp_tarw {
	sp_ctx *ctx;
	struct archive *a;
	struct archive_entry *e;
	sp_tarw_sink sink;
	void *payload;
	int sink_error; /* first error returned by the sink */
	EVP_MD_CTX *md;
	uint64_t remaining; /* bytes still due for the current member */
	bool in_member;
	int64_t mtime;
	locale_t cloc;
	sp_buf name;
};

/*
 * libarchive converts names through the locale's character set; run it in
 * the C locale (thread-local, uselocale) so that the bytes do not depend on
 * the caller's locale.
 */
#define C_LOCALE_BEGIN(w) locale_t _old = uselocale((w)->cloc)
#define C_LOCALE_END() uselocale(_old)

static la_ssize_t
write_cb(struct archive *a, void *client, const void *buf, size_t len)
{
	sp_tarw *w = client;
	int error;

	(void)a;
	if (w->sink_error != 0)
		return -1;
	if ((error = w->sink(w->payload, buf, len)) < 0) {
		w->sink_error = error;
		return -1;
	}
	return (la_ssize_t)len;
}

static int
la_fail(sp_tarw *w, const char *what)
{
	if (w->sink_error != 0)
		return w->sink_error; /* the sink set the message */
	return sp_err_set(w->ctx, SP_EIO, "cannot write the bundle (%s): %s",
	    what,
	    archive_error_string(w->a) ? archive_error_string(w->a)
	                               : "unknown error");
}

int
sp_tarw_open(sp_ctx *ctx, sp_tarw **out, const sp_tarw_options *opts,
    sp_tarw_sink sink, void *payload)
{
	sp_tarw *w = NULL;
	char level[16], threads[16];
	int error = 0, r;

	*out = NULL;
	if (opts->mtime < 0 || opts->mtime > SP_ESCROW_MAX_MTIME)
		return sp_err_set(ctx, SP_EINVALID,
		    "SOURCE_DATE_EPOCH %lld is outside 0..%lld",
		    (long long)opts->mtime, (long long)SP_ESCROW_MAX_MTIME);
	if ((w = sp_calloc(ctx, 1, sizeof(*w))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	w->ctx = ctx;
	w->sink = sink;
	w->payload = payload;
	w->mtime = opts->mtime;
	sp_buf_init(&w->name, SP_ESCROW_MAX_NAME + 64);
	w->cloc = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
	if (w->cloc == (locale_t)0) {
		error = sp_err_set(ctx, SP_EUNSUPPORTED,
		    "the C.UTF-8 locale is not available (glibc 2.35 and later "
		    "have it built in; else install locales)");
		goto out;
	}
	w->a = archive_write_new();
	w->e = archive_entry_new();
	w->md = EVP_MD_CTX_new();
	if (w->cloc == (locale_t)0 || w->a == NULL || w->e == NULL ||
	    w->md == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	C_LOCALE_BEGIN(w);
	r = archive_write_set_format_pax_restricted(w->a);
	if (r == ARCHIVE_OK) {
		switch (opts->compression) {
		case SP_ESCROW_ZSTD:
			snprintf(level, sizeof(level), "%d",
			    opts->level > 0 ? opts->level : 3);
			snprintf(threads, sizeof(threads), "%u",
			    opts->threads > 0 ? opts->threads : 1);
			r = archive_write_add_filter_zstd(w->a);
			if (r == ARCHIVE_OK)
				r = archive_write_set_filter_option(
				    w->a, "zstd", "compression-level", level);
			/* Any count >= 1 gives the same bytes; 0 would
			 * give other (single-threaded) bytes. */
			if (r == ARCHIVE_OK)
				r = archive_write_set_filter_option(
				    w->a, "zstd", "threads", threads);
			break;
		case SP_ESCROW_GZIP:
			snprintf(level, sizeof(level), "%d",
			    opts->level > 0 ? opts->level : 6);
			r = archive_write_add_filter_gzip(w->a);
			if (r == ARCHIVE_OK)
				r = archive_write_set_filter_option(
				    w->a, "gzip", "compression-level", level);
			if (r == ARCHIVE_OK)
				r = archive_write_set_filter_option(
				    w->a, "gzip", "timestamp", NULL);
			break;
		case SP_ESCROW_NONE:
			r = archive_write_add_filter_none(w->a);
			break;
		default:
			r = ARCHIVE_FATAL;
			break;
		}
	}
	if (r == ARCHIVE_OK)
		r = archive_write_set_bytes_per_block(w->a, 10240);
	if (r == ARCHIVE_OK)
		r = archive_write_set_bytes_in_last_block(w->a, 1);
	if (r == ARCHIVE_OK)
		r = archive_write_open(w->a, w, NULL, write_cb, NULL);
	C_LOCALE_END();
	if (r != ARCHIVE_OK) {
		error = sp_err_set(ctx, SP_EUNSUPPORTED,
		    "cannot set up %s compression: %s",
		    sp_escrow_compression_name(opts->compression),
		    archive_error_string(w->a) ? archive_error_string(w->a)
		                               : "unsupported");
		goto out;
	}
	*out = w;
	w = NULL;
out:
	sp_tarw_free(w);
	return error;
}

static int
header(sp_tarw *w, const char *name, unsigned type, unsigned perm,
    uint64_t size, const char *target)
{
	int r;

	if (w->in_member)
		return sp_err_set(w->ctx, SP_EINVALID,
		    "bundle member started before the previous one ended");
	if (!sp_escrow__name_ok(name, strlen(name)))
		return sp_err_set(w->ctx, SP_EUNSAFE,
		    "'%s' cannot be a bundle member name (it must be a "
		    "relative path of UTF-8, at most %d bytes)",
		    name, SP_ESCROW_MAX_NAME);
	if (size > (uint64_t)INT64_MAX)
		return sp_err_set(w->ctx, SP_ELIMIT, "'%s' is too large", name);
	sp_buf_clear(&w->name);
	if (sp_buf_printf(&w->name, "%s/%s", SP_ESCROW_ROOT, name) < 0)
		return sp_err_set(w->ctx, SP_ENOMEM, "out of memory");
	archive_entry_clear(w->e);
	archive_entry_copy_pathname(w->e, w->name.ptr);
	archive_entry_set_filetype(w->e, type);
	archive_entry_set_perm(w->e, perm);
	archive_entry_set_size(w->e, (la_int64_t)size);
	archive_entry_set_mtime(w->e, (time_t)w->mtime, 0);
	archive_entry_set_uid(w->e, 0);
	archive_entry_set_gid(w->e, 0);
	if (target != NULL)
		archive_entry_copy_symlink(w->e, target);
	{
		C_LOCALE_BEGIN(w);
		r = archive_write_header(w->a, w->e);
		C_LOCALE_END();
	}
	/* ARCHIVE_WARN: a non-ASCII name stored with hdrcharset=BINARY. */
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
		return la_fail(w, name);
	return 0;
}

int
sp_tarw_file_begin(sp_tarw *w, const char *name, uint64_t size, bool exec)
{
	int error;

	if ((error = header(
	         w, name, AE_IFREG, exec ? 0755 : 0644, size, NULL)) < 0)
		return error;
	if (EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1)
		return sp_err_set(w->ctx, SP_ERROR, "SHA-256 unavailable");
	w->remaining = size;
	w->in_member = true;
	return 0;
}

int
sp_tarw_file_data(sp_tarw *w, const void *data, size_t len)
{
	const char *p = data;

	if (!w->in_member || len > w->remaining)
		return sp_err_set(w->ctx, SP_EVERIFY,
		    "'%s' grew while it was being packed",
		    w->name.ptr != NULL ? w->name.ptr : "?");
	if (EVP_DigestUpdate(w->md, data, len) != 1)
		return sp_err_set(w->ctx, SP_ERROR, "SHA-256 failed");
	while (len > 0) {
		la_ssize_t n = archive_write_data(w->a, p, len);

		if (n <= 0)
			return la_fail(w, w->name.ptr);
		p += n;
		len -= (size_t)n;
		w->remaining -= (uint64_t)n;
	}
	return 0;
}

int
sp_tarw_file_end(sp_tarw *w, uint8_t sha256[32])
{
	unsigned int olen = 0;

	if (!w->in_member)
		return sp_err_set(w->ctx, SP_EINVALID, "no member to end");
	if (w->remaining != 0)
		return sp_err_set(w->ctx, SP_EVERIFY,
		    "'%s' shrank while it was being packed", w->name.ptr);
	w->in_member = false;
	if (EVP_DigestFinal_ex(w->md, sha256, &olen) != 1 || olen != 32)
		return sp_err_set(w->ctx, SP_ERROR, "SHA-256 failed");
	if (archive_write_finish_entry(w->a) != ARCHIVE_OK)
		return la_fail(w, w->name.ptr);
	return 0;
}

int
sp_tarw_add_buffer(sp_tarw *w, const char *name, const void *data, size_t len,
    bool exec, uint8_t sha256[32])
{
	int error;

	if ((error = sp_tarw_file_begin(w, name, len, exec)) < 0 ||
	    (len > 0 && (error = sp_tarw_file_data(w, data, len)) < 0))
		return error;
	return sp_tarw_file_end(w, sha256);
}

int
sp_tarw_add_symlink(sp_tarw *w, const char *name, const char *target)
{
	int error;

	if ((error = header(w, name, AE_IFLNK, 0777, 0, target)) < 0)
		return error;
	if (archive_write_finish_entry(w->a) != ARCHIVE_OK)
		return la_fail(w, name);
	return 0;
}

int
sp_tarw_close(sp_tarw *w)
{
	int r;

	if (w->in_member)
		return sp_err_set(w->ctx, SP_EINVALID, "a member is open");
	{
		C_LOCALE_BEGIN(w);
		r = archive_write_close(w->a);
		C_LOCALE_END();
	}
	if (r != ARCHIVE_OK)
		return la_fail(w, "end of archive");
	return w->sink_error;
}

void
sp_tarw_free(sp_tarw *w)
{
	if (w == NULL)
		return;
	/* An unfinished archive is dropped: nothing more reaches the sink. */
	if (w->sink_error == 0)
		w->sink_error = SP_ERROR;
	if (w->a != NULL)
		archive_write_free(w->a);
	archive_entry_free(w->e);
	EVP_MD_CTX_free(w->md);
	if (w->cloc != (locale_t)0)
		freelocale(w->cloc);
	sp_buf_dispose(&w->name);
	free(w);
}
