/*
 * Archive source: tar (plain, gzip, bzip2, xz, lzma, zstd) and zip, read in
 * one pass through libarchive; nothing is written to disk. Only the tar and
 * zip readers are enabled (never mtree, which reads files named inside it).
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_int.h"
#include "util_int.h"

#include "banned.h"

/* An entry whose size the archive does not record is read into memory. */
#define UNSIZED_MAX ((size_t)64 << 20)

struct arc {
	struct mf_builder *b;
	const sp_manifest_source_options *o;
	struct archive *a;
	struct mf_hasher h;
	/* Paths seen so far: duplicates and hard-link targets. */
	struct mf_item **tab;
	size_t tabcap, tabn;
	sp_buf name; /**< normalized path of the current entry */
	sp_buf link; /**< normalized hard-link target */
};

static uint64_t
hash_path(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static struct mf_item **
tab_slot(struct arc *r, const char *path, size_t len)
{
	size_t i = (size_t)hash_path(path, len) & (r->tabcap - 1);

	while (
	    r->tab[i] != NULL && (r->tab[i]->path_len != len ||
	                             memcmp(r->tab[i]->path, path, len) != 0))
		i = (i + 1) & (r->tabcap - 1);
	return &r->tab[i];
}

static int
tab_add(struct arc *r, struct mf_item *it)
{
	if (2 * (r->tabn + 1) > r->tabcap) {
		size_t cap = r->tabcap ? 2 * r->tabcap : 1024, i;
		struct mf_item **old = r->tab;
		size_t oldcap = r->tabcap;

		if ((r->tab = calloc(cap, sizeof(*r->tab))) == NULL) {
			r->tab = old;
			return sp_err_set(
			    r->b->ctx, SP_ENOMEM, "out of memory");
		}
		r->tabcap = cap;
		for (i = 0; i < oldcap; i++) {
			if (old[i] != NULL)
				*tab_slot(r, old[i]->path, old[i]->path_len) =
				    old[i];
		}
		free(old);
	}
	*tab_slot(r, it->path, it->path_len) = it;
	r->tabn++;
	return 0;
}

static struct mf_item *
tab_find(struct arc *r, const char *path, size_t len)
{
	return r->tabcap == 0 ? NULL : *tab_slot(r, path, len);
}

static int
arc_error(struct arc *r, int code, const char *what)
{
	sp_ctx *ctx = r->b->ctx;
	const char *msg = archive_error_string(r->a);

	sp_err_set(ctx, code, "%s '%s': %s", what, r->o->path,
	    msg != NULL ? msg : "unknown error");
	if (code == SP_EPARSE)
		sp_err_hint(ctx, "the archive is truncated or corrupt; fetch "
		                 "it again");
	return code;
}

/*
 * Normalize an archive path into @p out: drop leading "./", a trailing
 * '/' (directories), then --strip-components. *skip is set for the root,
 * for entries above the strip level that are directories, and for .git.
 */
static int
normalize(struct arc *r, sp_buf *out, const char *raw, bool is_dir, bool *skip)
{
	sp_ctx *ctx = r->b->ctx;
	const char *p = raw;
	size_t len = strlen(raw), i, start;
	unsigned strip = r->o->strip_components;
	int error;

	*skip = false;
	sp_buf_clear(out);
	if (len == 0)
		return sp_err_set(ctx, SP_EUNSAFE,
		    "archive '%s' holds an entry with an empty name",
		    r->o->path);
	if (p[0] == '/') {
		sp_err_set(ctx, SP_EUNSAFE,
		    "archive '%s' holds an absolute path '%s'", r->o->path,
		    raw);
		sp_err_hint(ctx, "srcproof refuses archives whose paths could "
		                 "point outside their directory");
		return SP_EUNSAFE;
	}
	while (len >= 2 && p[0] == '.' && p[1] == '/') {
		p += 2;
		len -= 2;
	}
	if (len == 1 && p[0] == '.')
		len = 0;
	if (is_dir && len > 0 && p[len - 1] == '/')
		len--;
	for (i = 0, start = 0; i <= len; i++) {
		if (i < len && p[i] != '/')
			continue;
		if (i - start == 2 && p[start] == '.' && p[start + 1] == '.') {
			sp_err_set(ctx, SP_EUNSAFE,
			    "archive '%s' holds a path with '..': '%s'",
			    r->o->path, raw);
			sp_err_hint(ctx,
			    "srcproof refuses archives whose paths "
			    "could point outside their directory");
			return SP_EUNSAFE;
		}
		start = i + 1;
	}
	for (; strip > 0 && len > 0; strip--) {
		const char *slash = memchr(p, '/', len);

		if (slash == NULL) {
			len = 0;
			break;
		}
		len -= (size_t)(slash + 1 - p);
		p = slash + 1;
	}
	if (len == 0) {
		if (is_dir) {
			*skip = true;
			return 0;
		}
		if (r->o->strip_components == 0)
			return sp_err_set(ctx, SP_EUNSAFE,
			    "archive '%s' holds a file with an empty name",
			    r->o->path);
		sp_err_set(ctx, SP_EUNSAFE,
		    "'%s' in archive '%s' is above the --strip-components "
		    "level",
		    raw, r->o->path);
		sp_err_hint(ctx, "lower --strip-components, or make the "
		                 "manifest without it");
		return SP_EUNSAFE;
	}
	if ((error = sp_buf_put(out, p, len)) < 0)
		return sp_err_buf(ctx, error, "path");
	if (mf_path_has_git_dir(out->ptr, out->size)) {
		*skip = true;
		return 0;
	}
	return mf_check_path(ctx, out->ptr, out->size);
}

static int
feed(struct arc *r, const void *data, size_t len)
{
	if (mf_hasher_update(&r->h, data, len) < 0)
		return sp_err_set(r->b->ctx, SP_ERROR, "hashing failed");
	r->b->done_bytes += len;
	mf_builder_progress(r->b, false);
	return 0;
}

static int
feed_zeros(struct arc *r, uint64_t n)
{
	static const unsigned char zeros[4096];
	int error;

	while (n > 0) {
		size_t k = n < sizeof(zeros) ? (size_t)n : sizeof(zeros);

		if ((error = feed(r, zeros, k)) < 0)
			return error;
		n -= k;
	}
	return 0;
}

static int
hash_sized(struct arc *r, struct mf_item *it, uint64_t size)
{
	sp_ctx *ctx = r->b->ctx;
	uint64_t total = 0;
	int rc, error;

	if (mf_hasher_start(&r->h, r->b, size) < 0)
		return sp_err_set(ctx, SP_ERROR, "hashing failed");
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;

		rc = archive_read_data_block(r->a, &buf, &len, &off);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc < ARCHIVE_WARN) {
			sp_err_set(ctx, SP_EPARSE,
			    "cannot read '%s' from archive '%s': %s", it->path,
			    r->o->path,
			    archive_error_string(r->a) != NULL
			        ? archive_error_string(r->a)
			        : "unknown error");
			sp_err_hint(ctx, "the archive is truncated or corrupt; "
			                 "fetch it again");
			return SP_EPARSE;
		}
		/* Sparse entries: holes read as zeros. */
		if (off < 0 || (uint64_t)off < total || (uint64_t)off > size ||
		    len > size - (uint64_t)off)
			return sp_err_set(ctx, SP_EPARSE,
			    "'%s' in archive '%s' has data outside its size",
			    it->path, r->o->path);
		if ((error = feed_zeros(r, (uint64_t)off - total)) < 0 ||
		    (error = feed(r, buf, len)) < 0)
			return error;
		total = (uint64_t)off + len;
	}
	if ((error = feed_zeros(r, size - total)) < 0)
		return error;
	it->size = size;
	if (mf_hasher_final(&r->h, it) < 0)
		return sp_err_set(ctx, SP_ERROR, "hashing failed");
	return 0;
}

static int
hash_unsized(struct arc *r, struct mf_item *it)
{
	sp_ctx *ctx = r->b->ctx;
	sp_buf data;
	char chunk[65536];
	int error = 0;

	sp_buf_init(&data, UNSIZED_MAX);
	for (;;) {
		la_ssize_t n = archive_read_data(r->a, chunk, sizeof(chunk));

		if (n == 0)
			break;
		if (n < 0) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "cannot read '%s' from archive '%s': %s", it->path,
			    r->o->path,
			    archive_error_string(r->a) != NULL
			        ? archive_error_string(r->a)
			        : "unknown error");
			sp_err_hint(ctx, "the archive is truncated or corrupt; "
			                 "fetch it again");
			goto out;
		}
		if (sp_buf_put(&data, chunk, (size_t)n) < 0) {
			error = sp_err_set(ctx, SP_ELIMIT,
			    "'%s' in archive '%s' has no recorded size and is "
			    "larger than %zu bytes",
			    it->path, r->o->path, UNSIZED_MAX);
			goto out;
		}
	}
	if (mf_hasher_start(&r->h, r->b, data.size) < 0) {
		error = sp_err_set(ctx, SP_ERROR, "hashing failed");
		goto out;
	}
	if (data.size > 0 && (error = feed(r, data.ptr, data.size)) < 0)
		goto out;
	it->size = data.size;
	if (mf_hasher_final(&r->h, it) < 0)
		error = sp_err_set(ctx, SP_ERROR, "hashing failed");
out:
	sp_buf_dispose(&data);
	return error;
}

static const char *
special_kind(mode_t type)
{
	switch (type) {
	case AE_IFIFO:
		return "a named pipe (FIFO)";
	case AE_IFSOCK:
		return "a socket";
	case AE_IFCHR:
		return "a character device";
	case AE_IFBLK:
		return "a block device";
	default:
		return "of an unknown type";
	}
}

static int
entry(struct arc *r, struct archive_entry *e)
{
	sp_ctx *ctx = r->b->ctx;
	const char *raw = archive_entry_pathname(e);
	const char *hardlink = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	struct mf_item *it, *prev;
	bool skip;
	int error;

	if (raw == NULL)
		raw = archive_entry_pathname_utf8(e);
	if (raw == NULL)
		return sp_err_set(ctx, SP_EUNSAFE,
		    "archive '%s' holds an entry whose name cannot be read",
		    r->o->path);
	if ((error = normalize(r, &r->name, raw,
	         hardlink == NULL && type == AE_IFDIR, &skip)) < 0)
		return error;
	if (skip)
		return 0;
	if (hardlink == NULL && type == AE_IFDIR)
		return 0;
	if (archive_entry_is_encrypted(e))
		return sp_err_set(ctx, SP_EUNSUPPORTED,
		    "'%s' in archive '%s' is encrypted", r->name.ptr,
		    r->o->path);
	if ((prev = tab_find(r, r->name.ptr, r->name.size)) != NULL) {
		sp_err_set(ctx, SP_EUNSAFE,
		    "archive '%s' holds '%s' more than once", r->o->path,
		    r->name.ptr);
		sp_err_hint(ctx, "which copy is meant cannot be told; rebuild "
		                 "the archive");
		return SP_EUNSAFE;
	}
	if (hardlink == NULL && type != AE_IFREG && type != AE_IFLNK) {
		sp_err_set(ctx, SP_EUNSAFE,
		    "'%s' in archive '%s' is %s; srcproof records only "
		    "regular files, directories and symbolic links",
		    r->name.ptr, r->o->path, special_kind(type));
		sp_err_hint(ctx, "rebuild the archive without it");
		return SP_EUNSAFE;
	}
	if ((it = mf_builder_add(r->b, r->name.ptr, r->name.size)) == NULL)
		return sp_ctx_errcode(ctx);
	if ((error = tab_add(r, it)) < 0)
		return error;
	if (hardlink != NULL) {
		struct mf_item *target;

		if ((error = normalize(r, &r->link, hardlink, false, &skip)) <
		    0)
			return error;
		target = skip ? NULL : tab_find(r, r->link.ptr, r->link.size);
		if (target == NULL || target == it)
			return sp_err_set(ctx, SP_EPARSE,
			    "'%s' in archive '%s' is a hard link to '%s', "
			    "which comes nowhere before it",
			    r->name.ptr, r->o->path, hardlink);
		it->type = target->type;
		it->size = target->size;
		it->target = target->target;
		memcpy(it->sha256, target->sha256, SP_SHA256_LEN);
		memcpy(it->oid, target->oid, MF_SHA1_LEN);
	} else if (type == AE_IFLNK) {
		const char *t = archive_entry_symlink(e);

		if (t == NULL)
			t = archive_entry_symlink_utf8(e);
		if (t == NULL)
			return sp_err_set(ctx, SP_EUNSAFE,
			    "the target of symbolic link '%s' in archive '%s' "
			    "cannot be read",
			    r->name.ptr, r->o->path);
		if ((error = mf_check_link_target(
		         ctx, r->name.ptr, t, strlen(t))) < 0)
			return error;
		if ((error = mf_builder_symlink(r->b, it, t, strlen(t))) < 0)
			return error;
	} else {
		it->type = (archive_entry_perm(e) & 0100)
		               ? SP_MANIFEST_EXECUTABLE
		               : SP_MANIFEST_REGULAR;
		if (archive_entry_size_is_set(e) && archive_entry_size(e) >= 0)
			error =
			    hash_sized(r, it, (uint64_t)archive_entry_size(e));
		else
			error = hash_unsized(r, it);
		if (error < 0)
			return error;
	}
	if (it->type != SP_MANIFEST_SYMLINK)
		r->b->done_files++;
	return 0;
}

static int
not_an_archive(sp_ctx *ctx, const char *path)
{
	sp_err_set(ctx, SP_EUNSUPPORTED,
	    "'%s' is not an archive srcproof reads (tar, tar.gz, tar.bz2, "
	    "tar.xz, tar.zst, zip)",
	    path);
	sp_err_hint(ctx, "give a directory, an archive, or a git repository "
	                 "with --ref");
	return SP_EUNSUPPORTED;
}

int
mf_source_archive(struct mf_builder *b, const sp_manifest_source_options *o)
{
	sp_ctx *ctx = b->ctx;
	struct arc r = {0};
	struct archive_entry *e;
	locale_t utf8, old_locale = (locale_t)0;
	bool first = true;
	int rc, error = 0;

	/*
	 * libarchive converts names to the current locale's charset: under
	 * "C", UTF-8 names from zip and pax headers cannot be converted and
	 * come back NULL. Read under C.UTF-8 in this thread only, so names
	 * stay the bytes they are (and invalid UTF-8 is refused below).
	 */
	if ((utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0)) !=
	    (locale_t)0)
		old_locale = uselocale(utf8);
	r.b = b;
	r.o = o;
	sp_buf_init(&r.name, 2 * SP_MANIFEST_MAX_PATH);
	sp_buf_init(&r.link, 2 * SP_MANIFEST_MAX_PATH);
	if ((error = mf_hasher_init(ctx, &r.h)) < 0)
		goto out;
	if ((r.a = archive_read_new()) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	archive_read_support_filter_gzip(r.a);
	archive_read_support_filter_bzip2(r.a);
	archive_read_support_filter_xz(r.a);
	archive_read_support_filter_lzma(r.a);
	archive_read_support_filter_zstd(r.a);
	archive_read_support_format_tar(r.a);
	archive_read_support_format_gnutar(r.a);
	archive_read_support_format_zip(r.a);
	if (archive_read_open_filename(r.a, o->path, 64 * 1024) != ARCHIVE_OK) {
		if (archive_errno(r.a) ==
		    EILSEQ) /* ARCHIVE_ERRNO_FILE_FORMAT */
			error = not_an_archive(ctx, o->path);
		else
			error = arc_error(&r, SP_EIO, "cannot open archive");
		goto out;
	}
	for (;;) {
		rc = archive_read_next_header(r.a, &e);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc < ARCHIVE_WARN) {
			if (first && archive_format(r.a) == 0) {
				error = not_an_archive(ctx, o->path);
				goto out;
			}
			error = arc_error(&r, SP_EPARSE, "cannot read archive");
			goto out;
		}
		if (rc == ARCHIVE_WARN)
			sp_log(ctx, SP_LOG_WARN, "archive '%s': %s", o->path,
			    archive_error_string(r.a) != NULL
			        ? archive_error_string(r.a)
			        : "warning");
		first = false;
		if ((error = entry(&r, e)) < 0)
			goto out;
	}
out:
	if (r.a != NULL)
		archive_read_free(r.a);
	mf_hasher_dispose(&r.h);
	free(r.tab);
	sp_buf_dispose(&r.name);
	sp_buf_dispose(&r.link);
	if (utf8 != (locale_t)0) {
		uselocale(old_locale);
		freelocale(utf8);
	}
	return error;
}
