/*
 * Directory source: walk with openat/O_NOFOLLOW, names sorted per
 * directory. The walking thread only lists directories; a hashing thread
 * opens each file relative to its directory's descriptor (held open by a
 * reference count), checks it and hashes it, so the open and stat system
 * calls are shared between the threads too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest_int.h"
#include "util_int.h"

#include "banned.h"

/* Directory levels below the root; each holds a descriptor while walked. */
#define MAX_DEPTH 256

struct dirent_name {
	char *name;
	unsigned char type;
};

/* An open directory, shared by the walker and the jobs of its files. */
struct dir_ref {
	atomic_uint refs;
	int fd;
};

struct walk {
	struct mf_builder *b;
	struct mf_pool *pool;
	sp_buf path; /**< relative path being visited */
	unsigned depth;
};

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct dirent_name *)a)->name,
	    ((const struct dirent_name *)b)->name);
}

static const char *
special_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a named pipe (FIFO)";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	return "not a regular file, directory or symbolic link";
}

static int
refuse_special(sp_ctx *ctx, const char *path, mode_t mode)
{
	sp_err_set(ctx, SP_EUNSAFE,
	    "'%s' is %s; srcproof records only regular files, directories "
	    "and symbolic links",
	    path, special_kind(mode));
	sp_err_hint(ctx, "remove it from the source, or make the manifest "
	                 "from a clean export (git archive)");
	return SP_EUNSAFE;
}

static int
io_error(sp_ctx *ctx, const char *what, const char *path, int e)
{
	if (e == EACCES || e == EPERM) {
		sp_err_set(
		    ctx, SP_EIO, "cannot %s '%s': %s", what, path, strerror(e));
		sp_err_hint(ctx, "every file of the source must be readable "
		                 "by the user running srcproof");
		return SP_EIO;
	}
	return sp_err_set(
	    ctx, SP_EIO, "cannot %s '%s': %s", what, path, strerror(e));
}

static void
dir_unref(struct dir_ref *d)
{
	if (atomic_fetch_sub_explicit(&d->refs, 1, memory_order_acq_rel) == 1) {
		close(d->fd);
		free(d);
	}
}

static void
discard_job(struct mf_job *job)
{
	dir_unref(job->ref);
}

/* Open the job's file in its directory and check it is a regular file. */
static int
open_job_file(sp_ctx *ctx, struct mf_job *job, int *fd_out)
{
	struct mf_item *it = job->item;
	struct dir_ref *d = job->ref;
	const char *name = strrchr(it->path, '/');
	struct stat st;
	int fd, error = 0;

	name = name != NULL ? name + 1 : it->path;
	fd = openat(d->fd, name,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	dir_unref(d);
	if (fd < 0)
		return io_error(ctx, "open", it->path, errno);
	if (fstat(fd, &st) < 0)
		error = io_error(ctx, "stat", it->path, errno);
	else if (!S_ISREG(st.st_mode))
		error = refuse_special(ctx, it->path, st.st_mode);
	if (error < 0) {
		close(fd);
		return error;
	}
	/* git's rule: the owner's execute bit makes an executable. */
	it->type = (st.st_mode & S_IXUSR) ? SP_MANIFEST_EXECUTABLE
	                                  : SP_MANIFEST_REGULAR;
	it->size = (uint64_t)st.st_size;
	*fd_out = fd;
	return 0;
}

static int
hash_file_job(struct mf_worker *w, struct mf_job *job)
{
	struct mf_hasher *h = mf_worker_hasher(w);
	unsigned char *buf = mf_worker_buf(w);
	struct mf_item *it = job->item;
	sp_ctx *ctx = mf_worker_ctx(w);
	uint64_t total = 0;
	int fd, error;

	if ((error = open_job_file(ctx, job, &fd)) < 0)
		return error;
	if (mf_hasher_start(h, mf_worker_builder(w), it->size) < 0) {
		error = sp_err_set(ctx, SP_ERROR, "hashing failed");
		goto out;
	}
	/*
	 * Read exactly the size seen at open. Asking for one byte more than
	 * is left tells a file that grew without an extra read for the end
	 * of file (one read() for most source files).
	 */
	for (;;) {
		uint64_t left = it->size - total;
		size_t want = left < MF_CHUNK ? (size_t)left + 1 : MF_CHUNK;
		ssize_t n = read(fd, buf, want);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			error = sp_err_set(ctx, SP_EIO, "cannot read '%s': %s",
			    it->path, strerror(errno));
			goto out;
		}
		if (n == 0 || (uint64_t)n > left) {
			total += (uint64_t)n;
			break;
		}
		total += (uint64_t)n;
		if (mf_hasher_update(h, buf, (size_t)n) < 0) {
			error = sp_err_set(ctx, SP_ERROR, "hashing failed");
			goto out;
		}
		mf_worker_add_bytes(w, (uint64_t)n);
		if (total == it->size && n < (ssize_t)want)
			break; /* short read of the last bytes: the end */
	}
	if (total != it->size) {
		error = sp_err_set(ctx, SP_EIO,
		    "'%s' changed while it was being read", it->path);
		sp_err_hint(ctx, "make the manifest of a tree nothing writes "
		                 "to");
		goto out;
	}
	if (mf_hasher_final(h, it) < 0)
		error = sp_err_set(ctx, SP_ERROR, "hashing failed");
out:
	close(fd);
	return error;
}

static int walk_dir(struct walk *wk, int dfd);

static int
visit(
    struct walk *wk, struct dir_ref *dir, const char *name, unsigned char dtype)
{
	sp_ctx *ctx = wk->b->ctx;
	const char *path = wk->path.ptr;
	struct mf_item *it;
	struct stat st;
	mode_t mode;
	int dfd = dir->fd, fd, error = 0;

	if ((error = mf_check_path(ctx, path, wk->path.size)) < 0)
		return error;
	switch (dtype) {
	case DT_DIR:
		mode = S_IFDIR;
		break;
	case DT_REG:
		mode = S_IFREG;
		break;
	case DT_LNK:
		mode = S_IFLNK;
		break;
	default:
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return io_error(ctx, "stat", path, errno);
		mode = st.st_mode;
		break;
	}
	if (S_ISDIR(mode)) {
		if (wk->depth >= MAX_DEPTH)
			return sp_err_set(ctx, SP_ELIMIT,
			    "'%s' is more than %d directories deep", path,
			    MAX_DEPTH);
		fd = openat(
		    dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return io_error(ctx, "open directory", path, errno);
		wk->depth++;
		error = walk_dir(wk, fd);
		wk->depth--;
		return error;
	}
	if (S_ISLNK(mode)) {
		char target[SP_MANIFEST_MAX_TARGET + 1];
		ssize_t n = readlinkat(dfd, name, target, sizeof(target));

		if (n < 0)
			return io_error(ctx, "read symbolic link", path, errno);
		if ((size_t)n > SP_MANIFEST_MAX_TARGET)
			return sp_err_set(ctx, SP_ELIMIT,
			    "the target of symbolic link '%s' is longer than "
			    "%d bytes",
			    path, SP_MANIFEST_MAX_TARGET);
		target[n] = '\0';
		if ((error = mf_check_link_target(
		         ctx, path, target, (size_t)n)) < 0)
			return error;
		if ((it = mf_builder_add(wk->b, path, wk->path.size)) == NULL)
			return sp_ctx_errcode(ctx);
		return mf_builder_symlink(wk->b, it, target, (size_t)n);
	}
	if (!S_ISREG(mode))
		return refuse_special(ctx, path, mode);
	if ((it = mf_builder_add(wk->b, path, wk->path.size)) == NULL)
		return sp_ctx_errcode(ctx);
	{
		struct mf_job job = {.ref = dir, .item = it};

		atomic_fetch_add_explicit(&dir->refs, 1, memory_order_relaxed);
		return mf_pool_submit(wk->pool, &job);
	}
}

/* List and visit the directory open as @p dfd, which it takes over. */
static int
walk_dir(struct walk *wk, int dfd)
{
	sp_ctx *ctx = wk->b->ctx;
	struct dirent_name *names = NULL;
	size_t n = 0, cap = 0, i, base = wk->path.size;
	struct dir_ref *dir;
	struct dirent *de;
	DIR *d = NULL;
	int fd, error = 0;

	if ((dir = malloc(sizeof(*dir))) == NULL) {
		close(dfd);
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	}
	atomic_init(&dir->refs, 1);
	dir->fd = dfd;
	if ((fd = dup(dfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		error = io_error(
		    ctx, "read directory", base ? wk->path.ptr : ".", errno);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				error = io_error(ctx, "read directory",
				    base ? wk->path.ptr : ".", errno);
				goto out;
			}
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, ".git") == 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			struct dirent_name *nn =
			    realloc(names, ncap * sizeof(*nn));

			if (nn == NULL) {
				error =
				    sp_err_set(ctx, SP_ENOMEM, "out of memory");
				goto out;
			}
			names = nn;
			cap = ncap;
		}
		if ((names[n].name = strdup(de->d_name)) == NULL) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		names[n++].type = de->d_type;
	}
	closedir(d);
	d = NULL;
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; i < n && error == 0; i++) {
		wk->path.size = base;
		if ((base > 0 && (error = sp_buf_putc(&wk->path, '/')) < 0) ||
		    (error = sp_buf_puts(&wk->path, names[i].name)) < 0) {
			error = sp_err_buf(ctx, error, "path");
			break;
		}
		error = visit(wk, dir, names[i].name, names[i].type);
	}
	wk->path.size = base;
	if (wk->path.ptr != NULL)
		wk->path.ptr[base] = '\0';
out:
	if (d != NULL)
		closedir(d);
	for (i = 0; i < n; i++)
		free(names[i].name);
	free(names);
	dir_unref(dir);
	return error;
}

int
mf_source_dir(struct mf_builder *b, const sp_manifest_source_options *o)
{
	struct mf_pool_config cfg = {0};
	struct walk wk = {0};
	int root, error;

	root = open(o->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return io_error(b->ctx, "open directory", o->path, errno);
	wk.b = b;
	sp_buf_init(&wk.path, 2 * SP_MANIFEST_MAX_PATH);
	cfg.threads = mf_thread_count(o->threads);
	cfg.run = hash_file_job;
	cfg.discard = discard_job;
	if ((error = mf_pool_start(b, &wk.pool, &cfg)) == 0) {
		error = walk_dir(&wk, root);
		error = mf_pool_finish(wk.pool, error);
	} else {
		close(root);
	}
	sp_buf_dispose(&wk.path);
	return error;
}
