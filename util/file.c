/*
 * Safe reads and atomic writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "srcproof/util.h"
#include "util_int.h"

#include "banned.h"

int
sp_open_read(sp_ctx *ctx, int *fd_out, const char *path, unsigned flags)
{
	struct stat st;

	return sp_open_read_st(ctx, fd_out, path, flags, &st);
}

int
sp_open_read_st(
    sp_ctx *ctx, int *fd_out, const char *path, unsigned flags, struct stat *st)
{
	int oflags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	int fd;

	*fd_out = -1;
	if (flags & SP_OPEN_NOFOLLOW)
		oflags |= O_NOFOLLOW;
	fd = open(path, oflags);
	if (fd < 0) {
		if (errno == ENOENT)
			return sp_err_set(
			    ctx, SP_ENOTFOUND, "'%s' does not exist", path);
		if (errno == ELOOP)
			return sp_err_set(ctx, SP_EUNSAFE,
			    "'%s' is a symbolic link; refusing to follow it",
			    path);
		return sp_err_set(
		    ctx, SP_EIO, "cannot open '%s': %s", path, strerror(errno));
	}
	if (fstat(fd, st) < 0) {
		int e = errno;

		close(fd);
		return sp_err_set(
		    ctx, SP_EIO, "cannot stat '%s': %s", path, strerror(e));
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return sp_err_set(
		    ctx, SP_EUNSAFE, "'%s' is not a regular file", path);
	}
	/* Regular file: blocking reads are fine again. */
	if (fcntl(fd, F_SETFL, oflags & ~O_NONBLOCK & ~O_ACCMODE) < 0) {
		int e = errno;

		close(fd);
		return sp_err_set(
		    ctx, SP_EIO, "cannot use '%s': %s", path, strerror(e));
	}
	*fd_out = fd;
	return 0;
}

int
sp_read_fd(sp_ctx *ctx, sp_buf *out, int fd, size_t max, const char *name)
{
	size_t start = out->size;
	int error;

	for (;;) {
		ssize_t n;

		if ((error = sp_buf_reserve(out, 65536)) < 0) {
			if (error == SP_ELIMIT || out->size - start >= max)
				return sp_err_set(ctx, SP_ELIMIT,
				    "'%s' is larger than the limit of %zu "
				    "bytes",
				    name, max);
			return sp_err_buf(ctx, error, name);
		}
		n = read(fd, out->ptr + out->size, out->asize - out->size - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return sp_err_set(ctx, SP_EIO, "cannot read '%s': %s",
			    name, strerror(errno));
		}
		if (n == 0)
			break;
		out->size += (size_t)n;
		out->ptr[out->size] = '\0';
		if (out->size - start > max)
			return sp_err_set(ctx, SP_ELIMIT,
			    "'%s' is larger than the limit of %zu bytes", name,
			    max);
	}
	if (out->ptr == NULL)
		return sp_buf_put(out, "", 0) < 0
		           ? sp_err_buf(ctx, SP_ENOMEM, name)
		           : 0;
	return 0;
}

int
sp_read_file(
    sp_ctx *ctx, sp_buf *out, const char *path, size_t max, unsigned flags)
{
	int fd, error;

	if ((error = sp_open_read(ctx, &fd, path, flags)) < 0)
		return error;
	error = sp_read_fd(ctx, out, fd, max, path);
	close(fd);
	return error;
}

struct sp_atomic {
	sp_ctx *ctx;
	int fd;
	unsigned flags;
	char *path;
	char *tmp;
};

int
sp_atomic_open(
    sp_ctx *ctx, sp_atomic **out, const char *path, mode_t mode, unsigned flags)
{
	sp_atomic *w = NULL;
	sp_buf tmp = SP_BUF_INIT;
	struct stat st;
	int error = 0, i;

	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return sp_err_set(ctx, SP_EINVALID, "empty output path");
	if ((flags & SP_ATOMIC_EXCL) && lstat(path, &st) == 0)
		return sp_err_set(ctx, SP_EEXISTS, "'%s' already exists", path);
	if ((w = sp_calloc(ctx, 1, sizeof(*w))) == NULL ||
	    (w->path = strdup(path)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	w->ctx = ctx;
	w->flags = flags;
	w->fd = -1;
	for (i = 0; i < 100; i++) {
		unsigned char rnd[6];
		char hex[13];
		int fd;

		if (getentropy(rnd, sizeof(rnd)) < 0) {
			error = sp_err_set(
			    ctx, SP_EIO, "no randomness for a temporary name");
			goto out;
		}
		sp_hex_encode(hex, rnd, sizeof(rnd));
		sp_buf_clear(&tmp);
		if (sp_buf_printf(&tmp, "%s.tmp-%s", path, hex) < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		fd = open(tmp.ptr,
		    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
		if (fd >= 0) {
			w->fd = fd;
			break;
		}
		if (errno != EEXIST) {
			error = sp_err_set(ctx, SP_EIO,
			    "cannot create '%s': %s", tmp.ptr, strerror(errno));
			goto out;
		}
	}
	if (w->fd < 0) {
		error = sp_err_set(ctx, SP_EIO,
		    "cannot find a free temporary name next to '%s'", path);
		goto out;
	}
	/* The umask must not widen or narrow what was asked for. */
	if (fchmod(w->fd, mode) < 0) {
		error =
		    sp_err_set(ctx, SP_EIO, "cannot set the mode of '%s': %s",
		        tmp.ptr, strerror(errno));
		unlink(tmp.ptr);
		goto out;
	}
	w->tmp = sp_buf_detach(&tmp);
	*out = w;
	w = NULL;
out:
	sp_buf_dispose(&tmp);
	if (w != NULL) {
		if (w->fd >= 0)
			close(w->fd);
		free(w->path);
		free(w);
	}
	return error;
}

int
sp_atomic_write(sp_atomic *w, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(w->fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return sp_err_set(w->ctx, SP_EIO,
			    "cannot write '%s': %s", w->path, strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
sp_atomic_fd(const sp_atomic *w)
{
	return w->fd;
}

static void
atomic_free(sp_atomic *w)
{
	if (w->fd >= 0)
		close(w->fd);
	free(w->path);
	free(w->tmp);
	free(w);
}

static int
fsync_dir_of(sp_ctx *ctx, const char *path)
{
	char *copy = strdup(path);
	int fd, error = 0;

	if (copy == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) < 0 && errno != EINVAL)
			error = sp_err_set(ctx, SP_EIO,
			    "cannot sync the directory of '%s': %s", path,
			    strerror(errno));
		close(fd);
	}
	free(copy);
	return error;
}

int
sp_atomic_commit(sp_atomic *w)
{
	sp_ctx *ctx = w->ctx;
	int error = 0;

	if (fsync(w->fd) < 0) {
		error = sp_err_set(ctx, SP_EIO, "cannot sync '%s': %s", w->tmp,
		    strerror(errno));
		goto fail;
	}
	if (close(w->fd) < 0) {
		w->fd = -1;
		error = sp_err_set(ctx, SP_EIO, "cannot close '%s': %s", w->tmp,
		    strerror(errno));
		goto fail;
	}
	w->fd = -1;
	if (w->flags & SP_ATOMIC_EXCL) {
		/* link() fails if the target appeared meanwhile. */
		if (link(w->tmp, w->path) < 0) {
			error = errno == EEXIST
			            ? sp_err_set(ctx, SP_EEXISTS,
			                  "'%s' already exists", w->path)
			            : sp_err_set(ctx, SP_EIO,
			                  "cannot create '%s': %s", w->path,
			                  strerror(errno));
			goto fail;
		}
		unlink(w->tmp);
	} else if (rename(w->tmp, w->path) < 0) {
		error =
		    sp_err_set(ctx, SP_EIO, "cannot rename '%s' to '%s': %s",
		        w->tmp, w->path, strerror(errno));
		goto fail;
	}
	error = fsync_dir_of(ctx, w->path);
	atomic_free(w);
	return error;
fail:
	unlink(w->tmp);
	atomic_free(w);
	return error;
}

void
sp_atomic_abort(sp_atomic *w)
{
	if (w == NULL)
		return;
	unlink(w->tmp);
	atomic_free(w);
}

int
sp_write_file_atomic(sp_ctx *ctx, const char *path, const void *data,
    size_t len, mode_t mode, unsigned flags)
{
	sp_atomic *w;
	int error;

	if ((error = sp_atomic_open(ctx, &w, path, mode, flags)) < 0)
		return error;
	if ((error = sp_atomic_write(w, data, len)) < 0) {
		sp_atomic_abort(w);
		return error;
	}
	return sp_atomic_commit(w);
}
