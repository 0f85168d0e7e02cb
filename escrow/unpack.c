/*
 * Safe unpack: into a fresh temporary directory next to the target, every
 * file created with openat(O_EXCL | O_NOFOLLOW) below directory descriptors
 * opened with O_NOFOLLOW, never through a symlink, then renamed into place
 * (without replacing anything) once the whole bundle checked out.
 *
 * libarchive's archive_write_disk() is not used: it resolves paths against
 * the process's working directory (changing it is process-global state a
 * library must not touch), and its SECURE_NODOTDOT, SECURE_NOABSOLUTEPATHS
 * and SECURE_SYMLINKS checks are subsumed here: the reader refuses ".."
 * and absolute names outright, and no path is ever resolved through a
 * symbolic link, not even one already in the tree.
 */
#define _GNU_SOURCE /* renameat2, RENAME_NOREPLACE */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escrow_int.h"
#include "util_int.h"

#include "banned.h"

struct unpacker {
	sp_ctx *ctx;
	int rootfd;
	int fd;          /* file being written */
	int parentfd;    /* cached parent directory */
	char *parent;    /* its path below the root */
	const char *cur; /* member being written */
};

/* Open (creating as needed) directory @p rel below the root, no symlinks. */
static int
open_dir(struct unpacker *u, const char *rel, size_t len, int *out)
{
	char comp[256];
	const char *p = rel, *end = rel + len;
	int fd, next;

	fd = dup(u->rootfd);
	if (fd < 0)
		return sp_err_set(
		    u->ctx, SP_EIO, "dup failed: %s", strerror(errno));
	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t n =
		    slash != NULL ? (size_t)(slash - p) : (size_t)(end - p);

		if (n == 0 || n >= sizeof(comp)) {
			close(fd);
			return sp_err_set(u->ctx, SP_EUNSAFE,
			    "member '%s' has a path component of %zu bytes",
			    u->cur, n);
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
			int e = errno;

			close(fd);
			return sp_err_set(u->ctx, SP_EIO,
			    "cannot create a directory for '%s': %s", u->cur,
			    strerror(e));
		}
		next = openat(
		    fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			int e = errno;

			close(fd);
			return sp_err_set(u->ctx,
			    e == ELOOP || e == ENOTDIR ? SP_EUNSAFE : SP_EIO,
			    "cannot write '%s': a parent is not a directory "
			    "(%s); refusing to write through it",
			    u->cur, strerror(e));
		}
		close(fd);
		fd = next;
		p += n + (slash != NULL ? 1 : 0);
		if (slash == NULL)
			break;
	}
	*out = fd;
	return 0;
}

static int
parent_of(struct unpacker *u, const char *name, const char **base)
{
	const char *slash = strrchr(name, '/');
	size_t plen = slash != NULL ? (size_t)(slash - name) : 0;
	int fd, error;

	*base = slash != NULL ? slash + 1 : name;
	if (u->parent != NULL && strlen(u->parent) == plen &&
	    memcmp(u->parent, name, plen) == 0)
		return u->parentfd;
	if ((error = open_dir(u, name, plen, &fd)) < 0)
		return error;
	if (u->parentfd >= 0)
		close(u->parentfd);
	free(u->parent);
	u->parentfd = fd;
	if ((u->parent = strndup(name, plen)) == NULL) {
		close(u->parentfd);
		u->parentfd = -1;
		return sp_err_set(u->ctx, SP_ENOMEM, "out of memory");
	}
	return u->parentfd;
}

static int
u_begin(void *payload, const sp_member *m)
{
	struct unpacker *u = payload;
	const char *base;
	int pfd;

	u->cur = m->name;
	if ((pfd = parent_of(u, m->name, &base)) < 0)
		return pfd;
	if (m->kind == SP_MEMBER_SYMLINK) {
		if (symlinkat(m->target, pfd, base) < 0)
			return sp_err_set(u->ctx,
			    errno == EEXIST ? SP_EUNSAFE : SP_EIO,
			    "cannot create symbolic link '%s': %s", m->name,
			    strerror(errno));
		return 0;
	}
	u->fd = openat(pfd, base,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    m->kind == SP_MEMBER_EXEC ? 0755 : 0644);
	if (u->fd < 0)
		return sp_err_set(u->ctx, errno == EEXIST ? SP_EUNSAFE : SP_EIO,
		    "cannot create '%s': %s", m->name, strerror(errno));
	return 0;
}

static int
u_data(void *payload, const void *buf, size_t len)
{
	struct unpacker *u = payload;
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(u->fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return sp_err_set(u->ctx, SP_EIO,
			    "cannot write '%s': %s", u->cur, strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
u_end(void *payload, const sp_member *m)
{
	struct unpacker *u = payload;

	(void)m;
	if (u->fd >= 0) {
		int r = close(u->fd);

		u->fd = -1;
		if (r < 0)
			return sp_err_set(u->ctx, SP_EIO,
			    "cannot write '%s': %s", u->cur, strerror(errno));
	}
	return 0;
}

static const sp_reader_ops unpack_ops = {u_begin, u_data, u_end};

/* Read @p bundle into the empty directory @p tmp. */
static int
fill(sp_ctx *ctx, const char *bundle, const char *tmp,
    const sp_escrow_read_options *opts)
{
	struct unpacker u;
	sp_bundle b;
	int error;

	memset(&u, 0, sizeof(u));
	u.ctx = ctx;
	u.fd = -1;
	u.parentfd = -1;
	sp_bundle_init(&b);
	u.rootfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (u.rootfd < 0) {
		error = sp_err_set(
		    ctx, SP_EIO, "cannot open '%s': %s", tmp, strerror(errno));
		goto out;
	}
	error = sp_bundle_read(ctx, &b, bundle, opts, &unpack_ops, &u);
	if (error == 0 && fsync(u.rootfd) < 0 && errno != EINVAL)
		error = sp_err_set(
		    ctx, SP_EIO, "cannot sync '%s': %s", tmp, strerror(errno));
out:
	if (u.fd >= 0)
		close(u.fd);
	if (u.parentfd >= 0)
		close(u.parentfd);
	if (u.rootfd >= 0)
		close(u.rootfd);
	free(u.parent);
	sp_bundle_dispose(&b);
	return error;
}

static int
remove_after_failure(sp_ctx *ctx, const char *tmp, int error)
{
	char msg[SP_ERRMSG_MAX], hint[SP_ERRMSG_MAX];

	/* Keep the original error message. */
	snprintf(msg, sizeof(msg), "%s", sp_ctx_errmsg(ctx));
	snprintf(hint, sizeof(hint), "%s", sp_ctx_errhint(ctx));
	if (sp_escrow__rmtree(ctx, tmp) < 0) {
		sp_err_set(
		    ctx, error, "%s (and '%s' could not be removed)", msg, tmp);
		return error;
	}
	sp_err_set(ctx, error, "%s", msg);
	if (hint[0] != '\0')
		sp_err_hint(ctx, "%s", hint);
	return error;
}

int
sp_escrow_unpack(sp_ctx *ctx, const char *bundle, const char *dir,
    const sp_escrow_read_options *opts)
{
	sp_buf tmp = SP_BUF_INIT;
	struct stat st;
	size_t len;
	int error = 0;

	SP_ASSERT_ARG(ctx, bundle != NULL && dir != NULL);
	len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (len == 0)
		return sp_err_set(ctx, SP_EINVALID, "empty directory name");
	if (lstat(dir, &st) == 0) {
		error = sp_err_set(ctx, SP_EEXISTS, "'%s' already exists", dir);
		sp_err_hint(ctx, "unpack into a directory that does not exist "
		                 "yet");
		return error;
	}
	if (sp_buf_printf(&tmp, "%.*s.unpack-XXXXXX", (int)len, dir) < 0)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if (mkdtemp(tmp.ptr) == NULL) {
		error = sp_err_set(ctx, SP_EIO,
		    "cannot create a directory next to '%s': %s", dir,
		    strerror(errno));
		goto out;
	}
	if ((error = fill(ctx, bundle, tmp.ptr, opts)) < 0) {
		error = remove_after_failure(ctx, tmp.ptr, error);
		goto out;
	}
	if (chmod(tmp.ptr, 0755) < 0) {
		error = sp_err_set(ctx, SP_EIO, "cannot chmod '%s': %s",
		    tmp.ptr, strerror(errno));
		error = remove_after_failure(ctx, tmp.ptr, error);
		goto out;
	}
	if (renameat2(AT_FDCWD, tmp.ptr, AT_FDCWD, dir, RENAME_NOREPLACE) < 0) {
		int e = errno;

		if (e == EINVAL || e == ENOSYS) {
			/* File system without RENAME_NOREPLACE. */
			if (lstat(dir, &st) == 0)
				e = EEXIST;
			else if (rename(tmp.ptr, dir) == 0)
				goto out;
			else
				e = errno;
		}
		error = sp_err_set(ctx, e == EEXIST ? SP_EEXISTS : SP_EIO,
		    "cannot rename '%s' to '%s': %s", tmp.ptr, dir,
		    strerror(e));
		error = remove_after_failure(ctx, tmp.ptr, error);
		goto out;
	}
out:
	sp_buf_dispose(&tmp);
	return error;
}

int
sp_escrow_unpack_temp(sp_ctx *ctx, char **dir_out, const char *bundle,
    const char *parent, const sp_escrow_read_options *opts)
{
	sp_buf tmp = SP_BUF_INIT;
	int error;

	SP_ASSERT_ARG(ctx, dir_out != NULL && bundle != NULL);
	*dir_out = NULL;
	if (parent == NULL)
		parent = getenv("TMPDIR");
	if (parent == NULL || parent[0] == '\0')
		parent = "/tmp";
	if (sp_buf_printf(&tmp, "%s/srcproof-bundle-XXXXXX", parent) < 0)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if (mkdtemp(tmp.ptr) == NULL) {
		error = sp_err_set(ctx, SP_EIO,
		    "cannot create a directory in '%s': %s", parent,
		    strerror(errno));
		goto out;
	}
	if ((error = fill(ctx, bundle, tmp.ptr, opts)) < 0) {
		error = remove_after_failure(ctx, tmp.ptr, error);
		goto out;
	}
	*dir_out = sp_buf_detach(&tmp);
out:
	sp_buf_dispose(&tmp);
	return error;
}
