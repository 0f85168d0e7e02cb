/*
 * Git source: walk the tree of REF^{tree} through libgit2, no checkout.
 * Hashing threads read blobs from their own repository handle (streamed
 * when the object is loose, whole when it is packed: libgit2 1.5 cannot
 * stream packed objects) and recompute each blob id from the bytes.
 */
#include <git2.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_int.h"
#include "util_int.h"

#include "banned.h"

/* Blobs from this size on are read one at a time. */
#define MF_GIT_BIG ((size_t)8 << 20)

struct git_handles {
	git_repository *repo;
	git_odb *odb;
};

struct gwalk {
	struct mf_builder *b;
	struct mf_pool *pool;
	git_repository *repo;
	sp_buf path;
	int error;
};

static const char *
git_msg(void)
{
	const git_error *e = git_error_last();

	return e != NULL && e->message != NULL ? e->message : "unknown error";
}

static int
open_handles(sp_ctx *ctx, struct git_handles *h, const char *path)
{
	int rc = git_repository_open_ext(
	    &h->repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);

	if (rc == GIT_ENOTFOUND) {
		sp_err_set(
		    ctx, SP_ENOTFOUND, "'%s' is not a git repository", path);
		sp_err_hint(ctx, "give the repository's top directory (or "
		                 "its .git directory), or drop --ref to hash "
		                 "a plain directory");
		return SP_ENOTFOUND;
	}
	if (rc < 0)
		return sp_err_set(ctx, SP_EIO,
		    "cannot open git repository '%s': %s", path, git_msg());
	if (git_repository_odb(&h->odb, h->repo) < 0)
		return sp_err_set(ctx, SP_EIO,
		    "cannot open the objects of '%s': %s", path, git_msg());
	return 0;
}

static void
close_handles(struct git_handles *h)
{
	git_odb_free(h->odb);
	git_repository_free(h->repo);
	h->odb = NULL;
	h->repo = NULL;
}

static int
worker_init(struct mf_worker *w, void *arg)
{
	struct mf_builder *b = arg;
	struct git_handles *h = calloc(1, sizeof(*h));
	int error;

	if (h == NULL)
		return sp_err_set(b->ctx, SP_ENOMEM, "out of memory");
	*mf_worker_data(w) = h;
	if ((error = open_handles(b->ctx, h, b->git_path)) < 0)
		return error;
	return 0;
}

static void
worker_fini(struct mf_worker *w)
{
	struct git_handles *h = *mf_worker_data(w);

	if (h != NULL) {
		close_handles(h);
		free(h);
	}
}

static int
hash_blob_job(struct mf_worker *w, struct mf_job *job)
{
	struct git_handles *gh = *mf_worker_data(w);
	struct mf_hasher *h = mf_worker_hasher(w);
	struct mf_item *it = job->item;
	sp_ctx *ctx = mf_worker_ctx(w);
	git_odb_stream *st = NULL;
	git_odb_object *obj = NULL;
	git_object_t type;
	git_oid oid;
	size_t len;
	pthread_mutex_t *big = mf_worker_builder(w)->git_big_lock;
	bool locked = false;
	uint64_t total = 0;
	int error = 0;

	memcpy(oid.id, job->oid, MF_SHA1_LEN);
	/* libgit2 holds a blob (or its compressed file) in memory while it
	 * is read: let one big blob at a time in, so memory stays near the
	 * size of the biggest file rather than the sum over threads. */
	if (git_odb_read_header(&len, &type, gh->odb, &oid) == 0 &&
	    len >= MF_GIT_BIG && big != NULL) {
		pthread_mutex_lock(big);
		locked = true;
	}
	if (git_odb_open_rstream(&st, &len, &type, gh->odb, &oid) == 0) {
		char *buf = (char *)mf_worker_buf(w);

		if (type != GIT_OBJECT_BLOB)
			goto notblob;
		if (mf_hasher_start(h, mf_worker_builder(w), len) < 0)
			goto hashfail;
		for (;;) {
			int n = git_odb_stream_read(st, buf, MF_CHUNK);

			if (n < 0) {
				error = sp_err_set(ctx, SP_EIO,
				    "cannot read the blob of '%s': %s",
				    it->path, git_msg());
				goto out;
			}
			if (n == 0)
				break;
			total += (uint64_t)n;
			if (total > len)
				break;
			if (mf_hasher_update(h, buf, (size_t)n) < 0)
				goto hashfail;
			mf_worker_add_bytes(w, (uint64_t)n);
		}
		if (total != len) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "the blob of '%s' has %llu bytes, its header says "
			    "%zu",
			    it->path, (unsigned long long)total, len);
			goto out;
		}
	} else {
		const unsigned char *data;
		size_t off;

		if (git_odb_read(&obj, gh->odb, &oid) < 0) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "cannot read the blob of '%s': %s", it->path,
			    git_msg());
			goto out;
		}
		if (git_odb_object_type(obj) != GIT_OBJECT_BLOB)
			goto notblob;
		data = git_odb_object_data(obj);
		len = git_odb_object_size(obj);
		if (mf_hasher_start(h, mf_worker_builder(w), len) < 0)
			goto hashfail;
		for (off = 0; off < len; off += MF_CHUNK) {
			size_t n = len - off < MF_CHUNK ? len - off : MF_CHUNK;

			if (mf_hasher_update(h, data + off, n) < 0)
				goto hashfail;
			mf_worker_add_bytes(w, n);
		}
	}
	it->size = len;
	if (mf_hasher_final(h, it) < 0)
		goto hashfail;
	if (memcmp(it->oid, job->oid, MF_SHA1_LEN) != 0) {
		char want[41], got[41];

		sp_hex_encode(want, job->oid, MF_SHA1_LEN);
		sp_hex_encode(got, it->oid, MF_SHA1_LEN);
		error = sp_err_set(ctx, SP_EPARSE,
		    "the repository is corrupt: blob %s of '%s' hashes to %s",
		    want, it->path, got);
	}
	goto out;
notblob:
	error = sp_err_set(
	    ctx, SP_EPARSE, "object of '%s' is not a blob", it->path);
	goto out;
hashfail:
	error = sp_err_set(ctx, SP_ERROR, "hashing failed");
out:
	if (st != NULL)
		git_odb_stream_free(st);
	git_odb_object_free(obj);
	if (locked)
		pthread_mutex_unlock(big);
	return error;
}

static int
add_symlink(struct gwalk *g, const git_tree_entry *entry)
{
	sp_ctx *ctx = g->b->ctx;
	git_blob *blob = NULL;
	struct mf_item *it;
	const char *target;
	git_object_size_t size;
	int error = 0;

	if (git_blob_lookup(&blob, g->repo, git_tree_entry_id(entry)) < 0) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "cannot read symbolic link '%s': %s", g->path.ptr,
		    git_msg());
		goto out;
	}
	size = git_blob_rawsize(blob);
	if (size > SP_MANIFEST_MAX_TARGET) {
		error = sp_err_set(ctx, SP_ELIMIT,
		    "the target of symbolic link '%s' is longer than %d bytes",
		    g->path.ptr, SP_MANIFEST_MAX_TARGET);
		goto out;
	}
	target = git_blob_rawcontent(blob);
	if (memchr(target, '\0', (size_t)size) != NULL) {
		error = sp_err_set(ctx, SP_EUNSAFE,
		    "the target of symbolic link '%s' holds a NUL byte",
		    g->path.ptr);
		goto out;
	}
	if ((error = mf_check_link_target(
	         ctx, g->path.ptr, target, (size_t)size)) < 0)
		goto out;
	if ((it = mf_builder_add(g->b, g->path.ptr, g->path.size)) == NULL) {
		error = sp_ctx_errcode(ctx);
		goto out;
	}
	if ((error = mf_builder_symlink(g->b, it, target, (size_t)size)) < 0)
		goto out;
	if (memcmp(it->oid, git_tree_entry_id(entry)->id, MF_SHA1_LEN) != 0)
		error = sp_err_set(ctx, SP_EPARSE,
		    "the repository is corrupt: the blob of symbolic link "
		    "'%s' does not hash to its id",
		    g->path.ptr);
out:
	git_blob_free(blob);
	return error;
}

static int
visit(struct gwalk *g, const char *root, const git_tree_entry *entry)
{
	sp_ctx *ctx = g->b->ctx;
	const char *name = git_tree_entry_name(entry);
	git_object_t type = git_tree_entry_type(entry);
	struct mf_item *it;
	int error;

	sp_buf_clear(&g->path);
	if ((error = sp_buf_puts(&g->path, root)) < 0 ||
	    (error = sp_buf_puts(&g->path, name)) < 0)
		return sp_err_buf(ctx, error, "path");
	if ((error = mf_check_path(ctx, g->path.ptr, g->path.size)) < 0)
		return error;
	if (type == GIT_OBJECT_TREE)
		return 0;
	if (type == GIT_OBJECT_COMMIT) {
		sp_err_set(ctx, SP_EUNSUPPORTED,
		    "'%s' is a git submodule; srcproof does not follow "
		    "submodules",
		    g->path.ptr);
		sp_err_hint(ctx, "make a manifest of the submodule's own "
		                 "repository, or of an archive that "
		                 "includes it");
		return SP_EUNSUPPORTED;
	}
	switch ((unsigned)git_tree_entry_filemode_raw(entry)) {
	case 0100644:
	case 0100664:
	case 0100755: {
		struct mf_job job = {0};

		if ((it = mf_builder_add(g->b, g->path.ptr, g->path.size)) ==
		    NULL)
			return sp_ctx_errcode(ctx);
		it->type = git_tree_entry_filemode_raw(entry) == 0100755
		               ? SP_MANIFEST_EXECUTABLE
		               : SP_MANIFEST_REGULAR;
		memcpy(job.oid, git_tree_entry_id(entry)->id, MF_SHA1_LEN);
		job.item = it;
		return mf_pool_submit(g->pool, &job);
	}
	case 0120000:
		return add_symlink(g, entry);
	default:
		return sp_err_set(ctx, SP_EUNSUPPORTED,
		    "'%s' has git file mode %o, which srcproof does not know",
		    g->path.ptr, (unsigned)git_tree_entry_filemode_raw(entry));
	}
}

static int
walk_cb(const char *root, const git_tree_entry *entry, void *payload)
{
	struct gwalk *g = payload;

	if (strcmp(git_tree_entry_name(entry), ".git") == 0)
		return 1; /* never content; skip the subtree */
	if ((g->error = visit(g, root, entry)) < 0)
		return GIT_EUSER;
	return 0;
}

int
mf_source_git(struct mf_builder *b, const sp_manifest_source_options *o)
{
	sp_ctx *ctx = b->ctx;
	struct git_handles main_h = {0};
	struct mf_pool_config cfg = {0};
	git_object *obj = NULL, *tree = NULL;
	const char *ref = o->ref != NULL ? o->ref : "HEAD";
	struct gwalk g = {0};
	pthread_mutex_t big;
	int rc, error = 0;

	pthread_mutex_init(&big, NULL);
	git_libgit2_init();
	sp_buf_init(&g.path, 2 * SP_MANIFEST_MAX_PATH);
	if ((error = open_handles(ctx, &main_h, o->path)) < 0)
		goto out;
	rc = git_revparse_single(&obj, main_h.repo, ref);
	if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) {
		error = sp_err_set(ctx, SP_ENOTFOUND,
		    "git revision '%s' not found in '%s'", ref, o->path);
		sp_err_hint(ctx,
		    "list the tags and branches with 'git -C %s tag' and "
		    "'git -C %s branch -a'",
		    o->path, o->path);
		goto out;
	}
	if (rc == GIT_EAMBIGUOUS) {
		error = sp_err_set(ctx, SP_EINVALID,
		    "git revision '%s' is ambiguous in '%s'", ref, o->path);
		sp_err_hint(ctx, "give more hex digits or a full ref name "
		                 "(refs/tags/NAME)");
		goto out;
	}
	if (rc < 0) {
		error = sp_err_set(ctx, SP_EIO,
		    "cannot resolve git revision '%s': %s", ref, git_msg());
		goto out;
	}
	if (git_object_peel(&tree, obj, GIT_OBJECT_TREE) < 0) {
		error = sp_err_set(ctx, SP_EINVALID,
		    "git revision '%s' names no commit or tree", ref);
		goto out;
	}
	memcpy(b->expect_tree, git_object_id(tree)->id, MF_SHA1_LEN);
	b->has_expect_tree = true;
	b->git_path = o->path;
	b->git_big_lock = &big;
	g.b = b;
	g.repo = main_h.repo;
	cfg.threads = mf_thread_count(o->threads);
	cfg.run = hash_blob_job;
	cfg.init = worker_init;
	cfg.fini = worker_fini;
	cfg.init_arg = b;
	if ((error = mf_pool_start(b, &g.pool, &cfg)) < 0)
		goto out;
	rc = git_tree_walk((git_tree *)tree, GIT_TREEWALK_PRE, walk_cb, &g);
	if (rc < 0 && g.error == 0)
		error = sp_err_set(ctx, SP_EPARSE,
		    "cannot walk the tree of '%s': %s", ref, git_msg());
	else
		error = g.error;
	error = mf_pool_finish(g.pool, error);
out:
	sp_buf_dispose(&g.path);
	git_object_free(tree);
	git_object_free(obj);
	close_handles(&main_h);
	git_libgit2_shutdown();
	b->git_big_lock = NULL;
	pthread_mutex_destroy(&big);
	return error;
}
