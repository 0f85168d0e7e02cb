/*
 * sp_escrow_pack: assemble a deterministic bundle.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escrow_int.h"
#include "srcproof/manifest.h"
#include "srcproof/recipe.h"
#include "srcproof/sign.h"
#include "srcproof/tlog.h"
#include "util_int.h"

#include "banned.h"

#define OUT_BUF_SIZE ((size_t)1 << 20)
/* Limits on the optional inputs. */
#define MAX_SMALL_FILE ((size_t)16 << 20)
#define MAX_LISTED_FILES ((size_t)1 << 20)

/* The output file: buffered, hashed. */
struct outfile {
	sp_ctx *ctx;
	sp_atomic *w;
	unsigned char *buf;
	size_t used;
	EVP_MD_CTX *md;
	uint64_t total;
};

static int
out_flush(struct outfile *o)
{
	int error = 0;

	if (o->used > 0)
		error = sp_atomic_write(o->w, o->buf, o->used);
	o->used = 0;
	return error;
}

static int
out_sink(void *payload, const void *data, size_t len)
{
	struct outfile *o = payload;
	const unsigned char *p = data;
	int error;

	if (EVP_DigestUpdate(o->md, data, len) != 1)
		return sp_err_set(o->ctx, SP_ERROR, "SHA-256 failed");
	o->total += len;
	while (len > 0) {
		size_t n = OUT_BUF_SIZE - o->used;

		if (n > len)
			n = len;
		memcpy(o->buf + o->used, p, n);
		o->used += n;
		p += n;
		len -= n;
		if (o->used == OUT_BUF_SIZE && (error = out_flush(o)) < 0)
			return error;
	}
	return 0;
}

static int
cms_sink(void *payload, const void *data, size_t len)
{
	return sp_cms_writer_write(payload, data, len);
}

enum src_kind { SRC_BUFFER, SRC_FILE, SRC_SYMLINK };

struct plan {
	char *name; /* below the root */
	enum src_kind kind;
	char *path;                     /* SRC_FILE, SRC_SYMLINK */
	const sp_buf *buf;              /* SRC_BUFFER */
	const sp_manifest_entry *entry; /* source members */
	bool exec;
};

struct packer {
	sp_ctx *ctx;
	const sp_escrow_pack_options *opts;
	sp_buf manifest, sig, recipe, policy, sums;
	sp_buf *proofs;
	size_t nproofs;
	sp_manifest *m;
	struct plan *plan;
	size_t nplan, cap;
	sp_buf index;
	sp_tarw *tw;
	sp_prefetch *pf; /**< reads the SRC_FILE members ahead */
	pthread_t walk_thread;
	bool walk_started;
	sp_ctx *walk_ctx;
	int walk_error;
	atomic_bool walk_failed; /**< the walk found a difference */
	char **files;            /**< their paths, in plan order (not owned) */
	size_t files_read;
	uint64_t bytes, files_done, source_files;
};

static int
plan_add(struct packer *p, const char *prefix, const char *rel,
    enum src_kind kind, const char *path, const sp_buf *buf,
    const sp_manifest_entry *entry, bool exec)
{
	struct plan *e;
	sp_buf name = SP_BUF_INIT;

	if (p->nplan == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 256;
		struct plan *nv = realloc(p->plan, ncap * sizeof(*nv));

		if (nv == NULL)
			return sp_err_set(p->ctx, SP_ENOMEM, "out of memory");
		p->plan = nv;
		p->cap = ncap;
	}
	e = &p->plan[p->nplan];
	memset(e, 0, sizeof(*e));
	if (sp_buf_printf(&name, "%s%s", prefix, rel) < 0 ||
	    (path != NULL && (e->path = strdup(path)) == NULL)) {
		sp_buf_dispose(&name);
		return sp_err_set(p->ctx, SP_ENOMEM, "out of memory");
	}
	if (!sp_escrow__name_ok(name.ptr, name.size)) {
		int error = sp_err_set(p->ctx, SP_EUNSAFE,
		    "'%s' cannot be put in a bundle: member names must be "
		    "relative paths of UTF-8, at most %d bytes",
		    name.ptr, SP_ESCROW_MAX_NAME);

		free(e->path);
		sp_buf_dispose(&name);
		return error;
	}
	e->name = sp_buf_detach(&name);
	e->kind = kind;
	e->buf = buf;
	e->entry = entry;
	e->exec = exec;
	p->nplan++;
	return 0;
}

static int
plan_cmp(const void *a, const void *b)
{
	return strcmp(
	    ((const struct plan *)a)->name, ((const struct plan *)b)->name);
}

static int
read_small(sp_ctx *ctx, sp_buf *out, const char *path, size_t max)
{
	return sp_read_file(ctx, out, path, max, SP_OPEN_NOFOLLOW);
}

/* ---- the source against the manifest ------------------------------------ */

/*
 * One hashing pass only: the tree is walked first without reading any file
 * (paths, types, executable bits and link targets against the manifest:
 * new, missing or retyped entries refuse the pack before anything is
 * written), then every file is hashed while it is packed and compared with
 * the manifest (a difference stops the pack and the output is dropped). The
 * bundle's source is therefore exactly the manifest's content. Names are
 * skipped as the manifest builder skips them (".git" at any depth).
 */
struct walker {
	struct packer *p;
	sp_ctx *ctx;         /**< the walking thread's own */
	unsigned char *seen; /* per manifest entry */
	size_t n;
	uint64_t added, missing, retyped, mode, relinked;
	char first[SP_ERRMSG_MAX / 2];
	sp_buf rel;
};

/* Index of the entry with this path (entries are sorted), or -1. */
static long
entry_index(const sp_manifest *m, size_t n, const char *path, size_t len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const sp_manifest_entry *e = sp_manifest_entry_at(m, mid);
		size_t k = e->path_len < len ? e->path_len : len;
		int c = memcmp(e->path, path, k);

		if (c == 0)
			c = e->path_len < len ? -1 : e->path_len > len ? 1 : 0;
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static void
note(struct walker *w, uint64_t *counter, const char *what, const char *path)
{
	(*counter)++;
	if (w->first[0] == '\0')
		snprintf(w->first, sizeof(w->first), "%s '%s'", what, path);
}

static void
rel_cut(struct walker *w, size_t len)
{
	w->rel.size = len;
	if (w->rel.ptr != NULL)
		w->rel.ptr[len] = '\0';
}

static void
check_entry(struct walker *w, int dirfd, const char *name,
    const struct stat *st, const sp_manifest_entry *e)
{
	if (S_ISLNK(st->st_mode) != (e->type == SP_MANIFEST_SYMLINK)) {
		note(w, &w->retyped, "another type:", w->rel.ptr);
	} else if (S_ISLNK(st->st_mode)) {
		char t[SP_MANIFEST_MAX_TARGET + 1];
		ssize_t tl = readlinkat(dirfd, name, t, sizeof(t));

		if (tl < 0 || (size_t)tl >= sizeof(t) ||
		    e->link_target == NULL ||
		    (size_t)tl != strlen(e->link_target) ||
		    memcmp(t, e->link_target, (size_t)tl) != 0)
			note(w, &w->relinked, "changed link", w->rel.ptr);
	} else if (((st->st_mode & S_IXUSR) != 0) !=
	           (e->type == SP_MANIFEST_EXECUTABLE)) {
		note(w, &w->mode, "executable bit of", w->rel.ptr);
	}
}

static int
walk_dir(struct walker *w, int fd, int depth)
{
	sp_ctx *ctx = w->ctx;
	const char *src = w->p->opts->source;
	DIR *d;
	struct dirent *de;
	size_t base = w->rel.size;
	int error = 0;

	if (depth > 256) {
		close(fd);
		return sp_err_set(ctx, SP_ELIMIT, "'%s/%s' is nested too deep",
		    src, w->rel.ptr);
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return sp_err_set(ctx, SP_EIO, "cannot read '%s/%s': %s", src,
		    w->rel.ptr != NULL ? w->rel.ptr : "", strerror(errno));
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		struct stat st;
		long idx;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    strcmp(name, ".git") == 0)
			continue;
		rel_cut(w, base);
		if ((base > 0 && sp_buf_putc(&w->rel, '/') < 0) ||
		    sp_buf_puts(&w->rel, name) < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			break;
		}
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			error =
			    sp_err_set(ctx, SP_EIO, "cannot stat '%s/%s': %s",
			        src, w->rel.ptr, strerror(errno));
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub < 0) {
				error = sp_err_set(ctx, SP_EIO,
				    "cannot open '%s/%s': %s", src, w->rel.ptr,
				    strerror(errno));
				break;
			}
			if ((error = walk_dir(w, sub, depth + 1)) < 0)
				break;
			continue;
		}
		if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
			error = sp_err_set(ctx, SP_EUNSAFE,
			    "'%s/%s' is a device, FIFO or socket; a source "
			    "holds only files, directories and symbolic links",
			    src, w->rel.ptr);
			break;
		}
		idx = entry_index(w->p->m, w->n, w->rel.ptr, w->rel.size);
		if (idx < 0) {
			note(w, &w->added, "new", w->rel.ptr);
			continue;
		}
		w->seen[idx] = 1;
		check_entry(w, dirfd(d), name, &st,
		    sp_manifest_entry_at(w->p->m, (size_t)idx));
	}
	if (error == 0 && errno != 0)
		error = sp_err_set(
		    ctx, SP_EIO, "cannot read '%s': %s", src, strerror(errno));
	closedir(d);
	rel_cut(w, base);
	return error;
}

static int
walk_source(struct packer *p, sp_ctx *ctx)
{
	struct walker w;
	size_t i;
	int fd, error;

	memset(&w, 0, sizeof(w));
	w.p = p;
	w.ctx = ctx;
	w.n = sp_manifest_entry_count(p->m);
	sp_buf_init(&w.rel, (size_t)1 << 20);
	if ((w.seen = sp_calloc(ctx, w.n + 1, 1)) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	fd = open(p->opts->source, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		error = sp_err_set(ctx, errno == ENOENT ? SP_ENOTFOUND : SP_EIO,
		    "cannot open source directory '%s': %s", p->opts->source,
		    strerror(errno));
		goto out;
	}
	if ((error = walk_dir(&w, fd, 0)) < 0)
		goto out;
	for (i = 0; i < w.n; i++) {
		if (!w.seen[i])
			note(&w, &w.missing, "missing",
			    sp_manifest_entry_at(p->m, i)->path);
	}
	if (w.added + w.missing + w.retyped + w.mode + w.relinked > 0) {
		error = sp_err_set(ctx, SP_EVERIFY,
		    "source '%s' does not match manifest '%s': %llu new, %llu "
		    "missing, %llu of another type, %llu with another "
		    "executable bit, %llu links changed (first: %s)",
		    p->opts->source, p->opts->manifest,
		    (unsigned long long)w.added, (unsigned long long)w.missing,
		    (unsigned long long)w.retyped, (unsigned long long)w.mode,
		    (unsigned long long)w.relinked, w.first);
		sp_err_hint(ctx, "pack the source the manifest was made "
		                 "from, or make a new manifest");
	}
out:
	free(w.seen);
	sp_buf_dispose(&w.rel);
	return error;
}

static void *
walk_main(void *arg)
{
	struct packer *p = arg;

	p->walk_error = walk_source(p, p->walk_ctx);
	if (p->walk_error < 0)
		atomic_store(&p->walk_failed, true);
	return NULL;
}

/*
 * The walk runs on its own thread while the files are packed: it only
 * stats, the packing reads and hashes. Its verdict is waited for before the
 * bundle is committed, and takes precedence over any error of the packing
 * (a missing file fails both; the walk's count of every difference says
 * more).
 */
static int
walk_start(struct packer *p)
{
	int e;

	if (sp_ctx_new(&p->walk_ctx) < 0)
		return sp_err_set(p->ctx, SP_ENOMEM, "out of memory");
	if ((e = pthread_create(&p->walk_thread, NULL, walk_main, p)) != 0)
		return sp_err_set(p->ctx, SP_ERROR,
		    "cannot start the walking thread: %s", strerror(e));
	p->walk_started = true;
	return 0;
}

/* Wait for the walk; its error, copied to the packer's context, or 0. */
static int
walk_join(struct packer *p)
{
	if (!p->walk_started)
		return 0;
	pthread_join(p->walk_thread, NULL);
	p->walk_started = false;
	if (p->walk_error >= 0)
		return 0;
	sp_err_set(p->ctx, p->walk_error, "%s", sp_ctx_errmsg(p->walk_ctx));
	if (sp_ctx_errhint(p->walk_ctx)[0] != '\0')
		sp_err_hint(p->ctx, "%s", sp_ctx_errhint(p->walk_ctx));
	return p->walk_error;
}

/* ---- inputs ------------------------------------------------------------ */

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL && s[1] != '\0' ? s + 1 : path;
}

static int
load_inputs(struct packer *p, int64_t *mtime)
{
	const sp_escrow_pack_options *o = p->opts;
	sp_ctx *ctx = p->ctx;
	sp_dsse *env = NULL;
	sp_statement_info info;
	uint8_t digest[32];
	size_t i, j;
	int error;

	memset(&info, 0, sizeof(info));
	/* Manifest and its signature envelope. */
	if ((error = read_small(
	         ctx, &p->manifest, o->manifest, SP_MANIFEST_MAX_SIZE)) < 0)
		goto out;
	if ((error = sp_manifest_parse(
	         ctx, &p->m, p->manifest.ptr, p->manifest.size)) < 0) {
		sp_err_hint(ctx, "the manifest is '%s'", o->manifest);
		goto out;
	}
	if ((error = read_small(
	         ctx, &p->sig, o->manifest_sig, SP_DSSE_MAX_SIZE)) < 0)
		goto out;
	if ((error = sp_dsse_parse(ctx, &env, p->sig.ptr, p->sig.size)) < 0) {
		sp_err_hint(
		    ctx, "the signature envelope is '%s'", o->manifest_sig);
		goto out;
	}
	if ((error = sp_sha256(
	         ctx, digest, p->manifest.ptr, p->manifest.size)) < 0)
		goto out;
	if ((error = sp_statement_check(ctx, env, digest, &info)) < 0) {
		char why[SP_ERRMSG_MAX];

		snprintf(why, sizeof(why), "%s", sp_ctx_errmsg(ctx));
		error = sp_err_set(ctx, error,
		    "signature envelope '%s' is not over manifest '%s': %s",
		    o->manifest_sig, o->manifest, why);
		goto out;
	}
	if (sp_dsse_sig_count(env) == 0) {
		error = sp_err_set(ctx, SP_EVERIFY,
		    "signature envelope '%s' holds no signature",
		    o->manifest_sig);
		goto out;
	}

	*mtime = 0;
	if (o->recipe != NULL) {
		sp_recipe *r = NULL;

		if ((error = read_small(
		         ctx, &p->recipe, o->recipe, SP_RECIPE_MAX_SIZE)) < 0)
			goto out;
		if ((error = sp_recipe_parse(
		         ctx, &r, p->recipe.ptr, p->recipe.size)) < 0) {
			sp_err_hint(ctx, "the recipe is '%s'", o->recipe);
			goto out;
		}
		(void)sp_recipe_source_date_epoch(r, mtime);
		sp_recipe_free(r);
	}
	if (o->have_source_date_epoch)
		*mtime = o->source_date_epoch;
	if (*mtime < 0 || *mtime > SP_ESCROW_MAX_MTIME) {
		error = sp_err_set(ctx, SP_EINVALID,
		    "SOURCE_DATE_EPOCH %lld is outside 0..%lld",
		    (long long)*mtime, (long long)SP_ESCROW_MAX_MTIME);
		goto out;
	}

	if (o->policy != NULL) {
		sp_policy *pol = NULL;

		if ((error = read_small(
		         ctx, &p->policy, o->policy, SP_POLICY_MAX_SIZE)) < 0)
			goto out;
		if ((error = sp_policy_parse(
		         ctx, &pol, p->policy.ptr, p->policy.size)) < 0) {
			sp_err_hint(ctx, "the policy is '%s'", o->policy);
			goto out;
		}
		sp_policy_free(pol);
	}

	if (o->nproofs > 0) {
		if ((p->proofs = sp_calloc(ctx, o->nproofs, sizeof(sp_buf))) ==
		    NULL) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		p->nproofs = o->nproofs;
		for (i = 0; i < o->nproofs; i++) {
			sp_tlog_proof *pr = NULL;

			sp_buf_init(&p->proofs[i], SP_BUF_DEFAULT_MAX);
			for (j = 0; j < i; j++) {
				if (strcmp(base_name(o->proofs[i]),
				        base_name(o->proofs[j])) == 0) {
					error = sp_err_set(ctx, SP_EINVALID,
					    "two proofs are named '%s'",
					    base_name(o->proofs[i]));
					goto out;
				}
			}
			if ((error = read_small(ctx, &p->proofs[i],
			         o->proofs[i], SP_TLOG_PROOF_MAX_SIZE)) < 0)
				goto out;
			if ((error = sp_tlog_proof_parse(ctx, &pr,
			         p->proofs[i].ptr, p->proofs[i].size)) < 0) {
				sp_err_hint(
				    ctx, "the proof is '%s'", o->proofs[i]);
				goto out;
			}
			sp_tlog_proof_free(pr);
		}
	}

	if (o->binaries != NULL) {
		struct stat st;

		if (stat(o->binaries, &st) < 0) {
			error = sp_err_set(ctx, SP_ENOTFOUND,
			    "'%s' does not exist", o->binaries);
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			char **files = NULL;
			size_t n = 0;
			sp_buf path = SP_BUF_INIT;

			if ((error = sp_escrow__list_files(ctx, &files, &n,
			         o->binaries, MAX_LISTED_FILES)) < 0)
				goto out;
			for (i = 0; i < n && error == 0; i++) {
				uint8_t d[32];
				char hex[65];

				sp_buf_clear(&path);
				if (!sp_escrow__name_ok(
				        files[i], strlen(files[i]))) {
					error = sp_err_set(ctx, SP_EUNSAFE,
					    "binary '%s' has a name that "
					    "cannot be listed (UTF-8 "
					    "only)",
					    files[i]);
					break;
				}
				if (sp_buf_printf(&path, "%s/%s", o->binaries,
				        files[i]) < 0) {
					error = sp_err_set(
					    ctx, SP_ENOMEM, "out of memory");
					break;
				}
				if ((error = sp_sha256_file(
				         ctx, d, NULL, path.ptr)) < 0)
					break;
				sp_hex_encode(hex, d, 32);
				if (sp_buf_printf(&p->sums, "%s  %s\n", hex,
				        files[i]) < 0)
					error = sp_err_set(
					    ctx, SP_ENOMEM, "out of memory");
			}
			sp_buf_dispose(&path);
			sp_escrow__free_list(files, n);
			if (error < 0)
				goto out;
		} else {
			sp_buf raw = SP_BUF_INIT;

			error = read_small(
			    ctx, &raw, o->binaries, SP_MANIFEST_MAX_SIZE);
			if (error == 0)
				error = sp_escrow__sums_canonical(ctx, &p->sums,
				    raw.ptr, raw.size, o->binaries);
			sp_buf_dispose(&raw);
			if (error < 0)
				goto out;
		}
		if (p->sums.ptr == NULL && sp_buf_put(&p->sums, "", 0) < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
	}
out:
	sp_statement_info_dispose(&info);
	sp_dsse_free(env);
	return error;
}

static int
build_plan(struct packer *p)
{
	const sp_escrow_pack_options *o = p->opts;
	sp_ctx *ctx = p->ctx;
	sp_buf path = SP_BUF_INIT;
	size_t i, n;
	int error = 0;

	if ((error = plan_add(p, "", "manifest", SRC_BUFFER, NULL, &p->manifest,
	         NULL, false)) < 0 ||
	    (error = plan_add(p, "", "manifest.sig", SRC_BUFFER, NULL, &p->sig,
	         NULL, false)) < 0)
		goto out;
	if (o->recipe != NULL && (error = plan_add(p, "", "recipe", SRC_BUFFER,
	                              NULL, &p->recipe, NULL, false)) < 0)
		goto out;
	if (o->policy != NULL &&
	    (error = plan_add(p, "", "policy.json", SRC_BUFFER, NULL,
	         &p->policy, NULL, false)) < 0)
		goto out;
	if (o->binaries != NULL &&
	    (error = plan_add(p, "binaries/", "SHA256SUMS", SRC_BUFFER, NULL,
	         &p->sums, NULL, false)) < 0)
		goto out;
	for (i = 0; i < p->nproofs; i++) {
		if ((error = plan_add(p, "proofs/", base_name(o->proofs[i]),
		         SRC_BUFFER, NULL, &p->proofs[i], NULL, false)) < 0)
			goto out;
	}
	if (o->binary_sigs != NULL) {
		char **files = NULL;

		if ((error = sp_escrow__list_files(ctx, &files, &n,
		         o->binary_sigs, MAX_LISTED_FILES)) < 0)
			goto out;
		for (i = 0; i < n && error == 0; i++) {
			sp_buf_clear(&path);
			if (sp_buf_printf(
			        &path, "%s/%s", o->binary_sigs, files[i]) < 0)
				error =
				    sp_err_set(ctx, SP_ENOMEM, "out of memory");
			else
				error = plan_add(p, "binary-sigs/", files[i],
				    SRC_FILE, path.ptr, NULL, NULL, false);
		}
		sp_escrow__free_list(files, n);
		if (error < 0)
			goto out;
	}
	n = sp_manifest_entry_count(p->m);
	for (i = 0; i < n; i++) {
		const sp_manifest_entry *e = sp_manifest_entry_at(p->m, i);

		sp_buf_clear(&path);
		if (sp_buf_printf(&path, "%s/%s", o->source, e->path) < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		if ((error = plan_add(p, "source/", e->path,
		         e->type == SP_MANIFEST_SYMLINK ? SRC_SYMLINK
		                                        : SRC_FILE,
		         path.ptr, NULL, e,
		         e->type == SP_MANIFEST_EXECUTABLE)) < 0)
			goto out;
		p->source_files++;
	}
	qsort(p->plan, p->nplan, sizeof(*p->plan), plan_cmp);
	for (i = 1; i < p->nplan; i++) {
		if (strcmp(p->plan[i - 1].name, p->plan[i].name) == 0) {
			error = sp_err_set(ctx, SP_EINVALID,
			    "two bundle members would be named '%s'",
			    p->plan[i].name);
			goto out;
		}
	}
out:
	sp_buf_dispose(&path);
	return error;
}

/* ---- writing ------------------------------------------------------------- */

/* The next file from the reading thread, as plan entry @p e. */
static int
write_file_member(struct packer *p, const struct plan *e)
{
	sp_ctx *ctx = p->ctx;
	struct sp_prefetch_chunk c;
	uint8_t digest[32];
	int error;

	do {
		if ((error = sp_prefetch_next(p->pf, ctx, &c)) < 0)
			return error;
		if (c.item != p->files_read)
			return sp_err_set(ctx, SP_ERROR,
			    "internal error: file %zu read for %zu", c.item,
			    p->files_read);
		/* Parsed manifests do not record sizes: the digest
		 * decides. */
		if (c.first && e->entry != NULL &&
		    e->entry->size != SP_MANIFEST_SIZE_UNKNOWN &&
		    c.size != e->entry->size)
			return sp_err_set(ctx, SP_EVERIFY,
			    "'%s' changed while it was being packed (size)",
			    e->path);
		if (c.first && (error = sp_tarw_file_begin(
		                    p->tw, e->name, c.size, e->exec)) < 0)
			return error;
		if (c.len > 0 &&
		    (error = sp_tarw_file_data(p->tw, c.data, c.len)) < 0)
			return error;
		p->bytes += c.len;
	} while (!c.last);
	p->files_read++;
	if ((error = sp_tarw_file_end(p->tw, digest)) < 0)
		return error;
	if (e->entry != NULL && !sp_ct_equal(digest, e->entry->sha256, 32)) {
		sp_err_set(ctx, SP_EVERIFY,
		    "source '%s' does not match manifest '%s': '%s' changed "
		    "(its SHA-256 differs)",
		    p->opts->source, p->opts->manifest, e->entry->path);
		sp_err_hint(ctx, "pack the source the manifest was made from, "
		                 "or make a new manifest");
		return SP_EVERIFY;
	}
	if (sp_index_line(&p->index, e->name, digest, false) < 0)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	return 0;
}

static int
write_symlink_member(struct packer *p, const struct plan *e)
{
	sp_ctx *ctx = p->ctx;
	char target[SP_MANIFEST_MAX_TARGET + 1];
	uint8_t digest[32];
	ssize_t n;
	int error;

	n = readlink(e->path, target, sizeof(target));
	if (n < 0 || (size_t)n >= sizeof(target))
		return sp_err_set(ctx, SP_EVERIFY,
		    "'%s' changed while it was being packed (not a readable "
		    "symbolic link)",
		    e->path);
	target[n] = '\0';
	if (strcmp(target, e->entry->link_target) != 0)
		return sp_err_set(ctx, SP_EVERIFY,
		    "'%s' changed while it was being packed (link target)",
		    e->path);
	if ((error = sp_sha256(ctx, digest, target, (size_t)n)) < 0 ||
	    (error = sp_tarw_add_symlink(p->tw, e->name, target)) < 0)
		return error;
	if (sp_index_line(&p->index, e->name, digest, true) < 0)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	return 0;
}

/* Start the thread that reads the files of the plan ahead. */
static int
start_reading(struct packer *p)
{
	size_t i, n = 0;

	if ((p->files = sp_calloc(p->ctx, p->nplan + 1, sizeof(*p->files))) ==
	    NULL)
		return sp_err_set(p->ctx, SP_ENOMEM, "out of memory");
	for (i = 0; i < p->nplan; i++) {
		if (p->plan[i].kind == SRC_FILE)
			p->files[n++] = p->plan[i].path;
	}
	return sp_prefetch_start(p->ctx, &p->pf, p->files, n);
}

static int
write_members(struct packer *p)
{
	uint8_t digest[32];
	size_t i;
	int error = 0;

	if (sp_buf_puts(&p->index, SP_ESCROW_INDEX_MAGIC "\n") < 0)
		return sp_err_set(p->ctx, SP_ENOMEM, "out of memory");
	if ((error = start_reading(p)) < 0)
		return error;
	for (i = 0; i < p->nplan; i++) {
		const struct plan *e = &p->plan[i];

		switch (e->kind) {
		case SRC_BUFFER:
			error = sp_tarw_add_buffer(p->tw, e->name,
			    e->buf->ptr != NULL ? e->buf->ptr : "",
			    e->buf->size, false, digest);
			if (error == 0 && sp_index_line(&p->index, e->name,
			                      digest, false) < 0)
				error = sp_err_set(
				    p->ctx, SP_ENOMEM, "out of memory");
			p->bytes += e->buf->size;
			break;
		case SRC_FILE:
			error = write_file_member(p, e);
			break;
		case SRC_SYMLINK:
			error = write_symlink_member(p, e);
			break;
		}
		if (error < 0)
			return error;
		/* The walk's error is the one reported, at the end. */
		if (atomic_load(&p->walk_failed))
			return SP_EVERIFY;
		p->files_done++;
		sp_progress(p->ctx, "packing", p->files_done, p->bytes,
		    (uint64_t)p->nplan);
	}
	error = sp_tarw_add_buffer(
	    p->tw, "INDEX", p->index.ptr, p->index.size, false, digest);
	p->bytes += p->index.size;
	return error;
}

static void
packer_dispose(struct packer *p)
{
	size_t i;

	sp_buf_dispose(&p->manifest);
	sp_buf_dispose(&p->sig);
	sp_buf_dispose(&p->recipe);
	sp_buf_dispose(&p->policy);
	sp_buf_dispose(&p->sums);
	sp_buf_dispose(&p->index);
	for (i = 0; i < p->nproofs; i++)
		sp_buf_dispose(&p->proofs[i]);
	free(p->proofs);
	for (i = 0; i < p->nplan; i++) {
		free(p->plan[i].name);
		free(p->plan[i].path);
	}
	free(p->plan);
	free(p->files);
	sp_ctx_free(p->walk_ctx);
	sp_manifest_free(p->m);
}

static unsigned
default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > 8 ? 8 : (unsigned)n;
}

int
sp_escrow_pack(sp_ctx *ctx, const char *out_path,
    const sp_escrow_pack_options *opts, sp_escrow_pack_result *res)
{
	struct packer p;
	struct outfile of;
	sp_cms_writer *cms = NULL;
	sp_tarw_options to;
	uint8_t digest[32];
	unsigned int olen = 0;
	int64_t mtime = 0;
	int error;

	memset(&p, 0, sizeof(p));
	memset(&of, 0, sizeof(of));
	atomic_init(&p.walk_failed, false);
	SP_ASSERT_ARG(ctx,
	    opts != NULL && opts->version == SP_ESCROW_PACK_OPTIONS_VERSION);
	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (out_path == NULL || out_path[0] == '\0')
		return sp_err_set(ctx, SP_EINVALID, "no output file given");
	if (opts->manifest == NULL || opts->manifest_sig == NULL ||
	    opts->source == NULL)
		return sp_err_set(ctx, SP_EINVALID,
		    "a manifest, its signature and the source are required");
	if (opts->level < 0 || opts->level > 19)
		return sp_err_set(ctx, SP_EINVALID,
		    "compression level %d is outside 1..19", opts->level);
	p.ctx = ctx;
	p.opts = opts;
	sp_buf_init(&p.manifest, SP_MANIFEST_MAX_SIZE + 1);
	sp_buf_init(&p.sig, SP_BUF_DEFAULT_MAX);
	sp_buf_init(&p.recipe, SP_BUF_DEFAULT_MAX);
	sp_buf_init(&p.policy, SP_BUF_DEFAULT_MAX);
	sp_buf_init(&p.sums, SP_BUF_DEFAULT_MAX);
	sp_buf_init(&p.index, SP_BUF_DEFAULT_MAX);

	if ((error = load_inputs(&p, &mtime)) < 0)
		goto out;
	if ((error = walk_start(&p)) < 0)
		goto out;
	if ((error = build_plan(&p)) < 0)
		goto out;
	/* Every recipient must be usable before anything is written. */
	if (opts->nrecipients > 0 &&
	    (error = sp_cms_writer_new(ctx, &cms, opts->recipients,
	         opts->nrecipients, out_sink, &of)) < 0)
		goto out;

	of.ctx = ctx;
	if ((of.buf = sp_malloc(ctx, OUT_BUF_SIZE)) == NULL ||
	    (of.md = EVP_MD_CTX_new()) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestInit_ex(of.md, EVP_sha256(), NULL) != 1) {
		error = sp_err_set(ctx, SP_ERROR, "SHA-256 unavailable");
		goto out;
	}
	if ((error = sp_atomic_open(ctx, &of.w, out_path, 0644,
	         (opts->flags & SP_ESCROW_PACK_FORCE) ? 0 : SP_ATOMIC_EXCL)) <
	    0)
		goto out;

	memset(&to, 0, sizeof(to));
	to.compression = opts->compression;
	to.level = opts->level;
	to.threads = opts->threads > 0 ? opts->threads : default_threads();
	to.mtime = mtime;
	if ((error = sp_tarw_open(ctx, &p.tw, &to,
	         cms != NULL ? cms_sink : out_sink,
	         cms != NULL ? (void *)cms : (void *)&of)) < 0)
		goto out;
	if ((error = write_members(&p)) < 0 ||
	    (error = sp_tarw_close(p.tw)) < 0)
		goto out;
	if (cms != NULL && (error = sp_cms_writer_finish(cms)) < 0)
		goto out;
	if ((error = out_flush(&of)) < 0)
		goto out;
	if (EVP_DigestFinal_ex(of.md, digest, &olen) != 1 || olen != 32) {
		error = sp_err_set(ctx, SP_ERROR, "SHA-256 failed");
		goto out;
	}
	if ((error = walk_join(&p)) < 0)
		goto out;
	error = sp_atomic_commit(of.w);
	of.w = NULL;
	if (error < 0)
		goto out;
	if (res != NULL) {
		res->members = p.nplan + 1;
		res->source_files = p.source_files;
		res->bytes = p.bytes;
		res->output_bytes = of.total;
		res->mtime = mtime;
		res->encrypted = cms != NULL;
		sp_hex_encode(res->sha256, digest, 32);
	}
out:
	if (p.walk_started) {
		int werr = walk_join(&p);

		if (werr < 0)
			error = werr;
	}
	sp_prefetch_stop(p.pf);
	sp_tarw_free(p.tw);
	sp_cms_writer_free(cms);
	sp_atomic_abort(of.w);
	free(of.buf);
	EVP_MD_CTX_free(of.md);
	packer_dispose(&p);
	return error;
}
