/*
 * sp_manifest_create: pick the source, fill a builder, sort, compute the git
 * tree and make the manifest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest_int.h"
#include "util_int.h"

#include "banned.h"

#define BLOCK_ITEMS 4096

/* ---- builder ----------------------------------------------------------------
 */

int
mf_builder_init(sp_ctx *ctx, struct mf_builder *b)
{
	memset(b, 0, sizeof(*b));
	b->ctx = ctx;
	b->sha256 = EVP_MD_fetch(sp_ctx_libctx(ctx), "SHA256", NULL);
	b->sha1 = EVP_MD_fetch(sp_ctx_libctx(ctx), "SHA1", NULL);
	if (b->sha256 == NULL || b->sha1 == NULL) {
		mf_builder_dispose(b);
		return sp_err_set(ctx, SP_EUNSUPPORTED,
		    "SHA-256 or SHA-1 is not available from OpenSSL");
	}
	return 0;
}

void
mf_builder_dispose(struct mf_builder *b)
{
	size_t i;

	for (i = 0; i < b->nblocks; i++)
		free(b->blocks[i]);
	free(b->blocks);
	b->blocks = NULL;
	b->nblocks = b->count = 0;
	mf_arena_dispose(&b->arena);
	EVP_MD_free(b->sha256);
	EVP_MD_free(b->sha1);
	b->sha256 = b->sha1 = NULL;
}

static struct mf_item *
item_at(const struct mf_builder *b, size_t i)
{
	return &b->blocks[i / BLOCK_ITEMS][i % BLOCK_ITEMS];
}

struct mf_item *
mf_builder_add(struct mf_builder *b, const char *path, size_t len)
{
	struct mf_item *it;

	if (b->count >= SP_MANIFEST_MAX_ENTRIES) {
		sp_err_set(b->ctx, SP_ELIMIT,
		    "the source has more than %zu entries",
		    SP_MANIFEST_MAX_ENTRIES);
		return NULL;
	}
	if (b->count == b->nblocks * BLOCK_ITEMS) {
		struct mf_item **blocks =
		    realloc(b->blocks, (b->nblocks + 1) * sizeof(*blocks));

		if (blocks == NULL)
			goto nomem;
		b->blocks = blocks;
		if ((blocks[b->nblocks] = calloc(
		         BLOCK_ITEMS, sizeof(struct mf_item))) == NULL)
			goto nomem;
		b->nblocks++;
	}
	it = item_at(b, b->count);
	memset(it, 0, sizeof(*it));
	if ((it->path = mf_arena_strndup(&b->arena, path, len)) == NULL)
		goto nomem;
	it->path_len = len;
	b->count++;
	return it;
nomem:
	sp_err_set(b->ctx, SP_ENOMEM, "out of memory");
	return NULL;
}

int
mf_builder_symlink(
    struct mf_builder *b, struct mf_item *item, const char *target, size_t tlen)
{
	int error;

	item->type = SP_MANIFEST_SYMLINK;
	item->size = tlen;
	if ((item->target = mf_arena_strndup(&b->arena, target, tlen)) == NULL)
		return sp_err_set(b->ctx, SP_ENOMEM, "out of memory");
	if ((error = sp_sha256(b->ctx, item->sha256, target, tlen)) < 0)
		return error;
	return mf_git_hash(b, item->oid, "blob", target, tlen);
}

void
mf_builder_progress(struct mf_builder *b, bool force)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(now.tv_sec - b->last_progress.tv_sec) * 1000 +
	     (now.tv_nsec - b->last_progress.tv_nsec) / 1000000;
	if (!force && ms < 100)
		return;
	b->last_progress = now;
	sp_progress(b->ctx, "hashing", b->done_files, b->done_bytes, 0);
}

static int
cmp_item(const void *pa, const void *pb)
{
	const struct mf_item *a = *(struct mf_item *const *)pa;
	const struct mf_item *b = *(struct mf_item *const *)pb;

	return mf_path_cmp(a->path, a->path_len, b->path, b->path_len);
}

/* In sorted @p v, is some path under @p it->path + "/"? */
static bool
has_children(struct mf_item *const *v, size_t n, size_t i)
{
	const struct mf_item *it = v[i];
	size_t lo = i + 1, hi = n, len = it->path_len;

	/* Paths that start with this one follow it at once: when the next
	 * does not, none does (the search below is for the rare case of
	 * "a", "a.c", "a/b"). */
	if (lo == n || v[lo]->path_len <= len ||
	    memcmp(v[lo]->path, it->path, len) != 0)
		return false;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct mf_item *x = v[mid];
		size_t m = x->path_len < len ? x->path_len : len;
		int c = memcmp(x->path, it->path, m);

		if (c == 0) {
			if (x->path_len <= len)
				c = -1;
			else
				c = (unsigned char)x->path[len] - '/';
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo]->path_len > len &&
	       memcmp(v[lo]->path, it->path, len) == 0 &&
	       v[lo]->path[len] == '/';
}

static char *
dup_label(sp_manifest *m, const char *s)
{
	return s == NULL ? NULL : mf_arena_strndup(&m->arena, s, strlen(s));
}

int
mf_builder_finish(struct mf_builder *b, sp_manifest **out,
    const sp_manifest_source_options *opts, const uint8_t *previous)
{
	struct mf_item **v = NULL;
	sp_manifest *m = NULL;
	uint8_t tree[MF_SHA1_LEN];
	size_t i;
	int error = 0;

	*out = NULL;
	if ((v = malloc((b->count + 1) * sizeof(*v))) == NULL) {
		error = sp_err_set(b->ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < b->count; i++)
		v[i] = item_at(b, i);
	qsort(v, b->count, sizeof(*v), cmp_item);
	for (i = 0; i < b->count; i++) {
		if (i > 0 && strcmp(v[i - 1]->path, v[i]->path) == 0) {
			error = sp_err_set(b->ctx, SP_EUNSAFE,
			    "duplicate entry '%s'", v[i]->path);
			sp_err_hint(b->ctx, "the archive holds this path more "
			                    "than once; which copy is meant "
			                    "cannot be told");
			goto out;
		}
		if (has_children(v, b->count, i)) {
			error = sp_err_set(b->ctx, SP_EUNSAFE,
			    "'%s' is both a %s and a directory", v[i]->path,
			    v[i]->type == SP_MANIFEST_SYMLINK ? "symbolic link"
			                                      : "file");
			goto out;
		}
	}
	if ((error = mf_git_tree(b, tree, v, b->count)) < 0)
		goto out;
	if (b->has_expect_tree &&
	    memcmp(tree, b->expect_tree, MF_SHA1_LEN) != 0) {
		char want[41], got[41];

		sp_hex_encode(want, b->expect_tree, MF_SHA1_LEN);
		sp_hex_encode(got, tree, MF_SHA1_LEN);
		/* Empty directories, legacy 100664 modes or .git entries:
		 * recorded content is still exact, but the id differs. */
		sp_log(b->ctx, SP_LOG_WARN,
		    "the git tree of the revision is %s; the tree of the "
		    "recorded content is %s (the revision holds empty "
		    "directories, legacy file modes or .git entries)",
		    want, got);
	}
	if ((m = mf_manifest_new(b->ctx)) == NULL) {
		error = SP_ENOMEM;
		goto out;
	}
	if (b->count > 0 &&
	    (m->entries = calloc(b->count, sizeof(*m->entries))) == NULL) {
		error = sp_err_set(b->ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < b->count; i++) {
		sp_manifest_entry *e = &m->entries[i];

		e->path = v[i]->path;
		e->path_len = v[i]->path_len;
		memcpy(e->sha256, v[i]->sha256, SP_SHA256_LEN);
		e->size = v[i]->size;
		e->type = v[i]->type;
		e->link_target = v[i]->target;
		if (e->type == SP_MANIFEST_SYMLINK) {
			m->symlinks++;
		} else {
			m->files++;
			m->bytes += e->size;
		}
	}
	m->n = b->count;
	/* The strings now belong to the manifest. */
	m->arena = b->arena;
	b->arena.head = NULL;
	sp_hex_encode(m->git_tree, tree, MF_SHA1_LEN);
	snprintf(m->swhid, sizeof(m->swhid), "swh:1:dir:%s", m->git_tree);
	m->kind = opts->kind;
	if (previous != NULL) {
		sp_hex_encode(m->previous, previous, SP_SHA256_LEN);
		m->has_previous = true;
	}
	if ((opts->product != NULL &&
	        (m->product = dup_label(m, opts->product)) == NULL) ||
	    (opts->release != NULL &&
	        (m->release = dup_label(m, opts->release)) == NULL)) {
		error = sp_err_set(b->ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	*out = m;
	m = NULL;
out:
	sp_manifest_free(m);
	free(v);
	return error;
}

/* ---- hasher -----------------------------------------------------------------
 */

int
mf_hasher_init(sp_ctx *ctx, struct mf_hasher *h)
{
	h->sha256 = EVP_MD_CTX_new();
	h->sha1 = EVP_MD_CTX_new();
	if (h->sha256 == NULL || h->sha1 == NULL) {
		mf_hasher_dispose(h);
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	}
	return 0;
}

void
mf_hasher_dispose(struct mf_hasher *h)
{
	EVP_MD_CTX_free(h->sha256);
	EVP_MD_CTX_free(h->sha1);
	h->sha256 = h->sha1 = NULL;
}

int
mf_hasher_start(struct mf_hasher *h, const struct mf_builder *b, uint64_t size)
{
	char hdr[32];
	int n =
	    snprintf(hdr, sizeof(hdr), "blob %llu", (unsigned long long)size);

	if (EVP_DigestInit_ex(h->sha256, b->sha256, NULL) != 1 ||
	    EVP_DigestInit_ex(h->sha1, b->sha1, NULL) != 1 ||
	    EVP_DigestUpdate(h->sha1, hdr, (size_t)n + 1) != 1)
		return SP_ERROR;
	return 0;
}

int
mf_hasher_update(struct mf_hasher *h, const void *data, size_t len)
{
	if (EVP_DigestUpdate(h->sha256, data, len) != 1 ||
	    EVP_DigestUpdate(h->sha1, data, len) != 1)
		return SP_ERROR;
	return 0;
}

int
mf_hasher_final(struct mf_hasher *h, struct mf_item *item)
{
	if (EVP_DigestFinal_ex(h->sha256, item->sha256, NULL) != 1 ||
	    EVP_DigestFinal_ex(h->sha1, item->oid, NULL) != 1)
		return SP_ERROR;
	return 0;
}

unsigned
mf_thread_count(unsigned asked)
{
	long n;

	if (asked > 0)
		return asked > MF_MAX_THREADS ? MF_MAX_THREADS : asked;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > MF_MAX_THREADS ? MF_MAX_THREADS : (unsigned)n;
}

/* ---- sp_manifest_create ---------------------------------------------------
 */

static int
check_label(sp_ctx *ctx, const char *what, const char *s)
{
	size_t len;

	if (s == NULL)
		return 0;
	len = strlen(s);
	if (len == 0 || len > SP_MANIFEST_MAX_LABEL ||
	    !sp_is_clean_utf8(s, len)) {
		sp_err_set(ctx, SP_EINVALID,
		    "%s '%s' is empty, longer than %d bytes or not printable "
		    "UTF-8",
		    what, s, SP_MANIFEST_MAX_LABEL);
		return SP_EINVALID;
	}
	return 0;
}

static int
load_previous(sp_ctx *ctx, const sp_manifest_source_options *o,
    uint8_t digest[SP_SHA256_LEN])
{
	sp_manifest *prev = NULL;
	const char *pp;
	int error;

	if ((error = sp_manifest_load(ctx, &prev, o->previous_path)) < 0) {
		if (error == SP_ENOTFOUND)
			sp_err_set(ctx, SP_ENOTFOUND,
			    "previous manifest '%s' does not exist",
			    o->previous_path);
		goto out;
	}
	pp = sp_manifest_product(prev);
	if (pp != NULL && o->product != NULL && strcmp(pp, o->product) != 0) {
		error = sp_err_set(ctx, SP_EINVALID,
		    "previous manifest '%s' is for product '%s', not '%s'",
		    o->previous_path, pp, o->product);
		goto out;
	}
	/* The digest of what was parsed: the canonical bytes are the
	 * file's bytes. */
	error = sp_manifest_digest(ctx, prev, digest);
out:
	sp_manifest_free(prev);
	return error;
}

int
sp_manifest_create(
    sp_ctx *ctx, sp_manifest **out, const sp_manifest_source_options *o)
{
	struct mf_builder b;
	uint8_t prevd[SP_SHA256_LEN];
	const uint8_t *previous = NULL;
	sp_manifest_source_type type;
	struct stat st;
	int error;

	SP_ASSERT_ARG(ctx, out != NULL && o != NULL);
	*out = NULL;
	if (o->version != SP_MANIFEST_SOURCE_OPTIONS_VERSION)
		return sp_err_set(ctx, SP_EINVALID,
		    "unsupported manifest source options version %u",
		    o->version);
	if (o->path == NULL || o->path[0] == '\0')
		return sp_err_set(ctx, SP_EINVALID, "no source given");
	if ((error = check_label(ctx, "product name", o->product)) < 0 ||
	    (error = check_label(ctx, "release", o->release)) < 0)
		return error;
	if (o->kind != SP_MANIFEST_RELEASE && o->kind != SP_MANIFEST_UPDATE)
		return sp_err_set(ctx, SP_EINVALID, "unknown manifest kind");
	if (o->kind == SP_MANIFEST_UPDATE &&
	    (o->previous_path == NULL) == (o->previous_digest == NULL)) {
		sp_err_set(ctx, SP_EINVALID,
		    "an update manifest needs the previous manifest");
		sp_err_hint(ctx, "add --previous PREVIOUS_MANIFEST");
		return SP_EINVALID;
	}
	if (o->kind == SP_MANIFEST_RELEASE &&
	    (o->previous_path != NULL || o->previous_digest != NULL)) {
		sp_err_set(ctx, SP_EINVALID,
		    "a release manifest has no previous manifest");
		sp_err_hint(ctx, "use --kind update with --previous");
		return SP_EINVALID;
	}
	if (o->previous_path != NULL) {
		if ((error = load_previous(ctx, o, prevd)) < 0)
			return error;
		previous = prevd;
	} else if (o->previous_digest != NULL) {
		previous = o->previous_digest;
	}

	type = o->type;
	if (stat(o->path, &st) < 0) {
		if (errno == ENOENT)
			return sp_err_set(ctx, SP_ENOTFOUND,
			    "source '%s' does not exist", o->path);
		return sp_err_set(ctx, SP_EIO, "cannot read source '%s': %s",
		    o->path, strerror(errno));
	}
	if (type == SP_MANIFEST_SOURCE_AUTO) {
		if (S_ISDIR(st.st_mode))
			type = o->ref != NULL ? SP_MANIFEST_SOURCE_GIT
			                      : SP_MANIFEST_SOURCE_DIR;
		else if (S_ISREG(st.st_mode))
			type = SP_MANIFEST_SOURCE_ARCHIVE;
		else
			return sp_err_set(ctx, SP_EINVALID,
			    "source '%s' is neither a directory nor an "
			    "archive file",
			    o->path);
	}
	if (o->ref != NULL && type != SP_MANIFEST_SOURCE_GIT) {
		sp_err_set(ctx, SP_EINVALID,
		    "a git revision was given but source '%s' is not a git "
		    "repository directory",
		    o->path);
		sp_err_hint(ctx, "--ref applies to a repository; drop it for "
		                 "a directory or an archive");
		return SP_EINVALID;
	}
	if (o->strip_components > 0 && type != SP_MANIFEST_SOURCE_ARCHIVE)
		return sp_err_set(ctx, SP_EINVALID,
		    "--strip-components applies to archives only");

	if ((error = mf_builder_init(ctx, &b)) < 0)
		return error;
	switch (type) {
	case SP_MANIFEST_SOURCE_DIR:
		error = mf_source_dir(&b, o);
		break;
	case SP_MANIFEST_SOURCE_GIT:
		error = mf_source_git(&b, o);
		break;
	case SP_MANIFEST_SOURCE_ARCHIVE:
		error = mf_source_archive(&b, o);
		break;
	default:
		error = sp_err_set(ctx, SP_EINVALID, "unknown source type");
		break;
	}
	if (error == 0) {
		mf_builder_progress(&b, true);
		error = mf_builder_finish(&b, out, o, previous);
	}
	mf_builder_dispose(&b);
	return error;
}
