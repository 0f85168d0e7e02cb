/*
 * Directory helpers: listing regular files, removing trees, all without
 * following symbolic links.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escrow_int.h"
#include "util_int.h"

#include "banned.h"

/* Deepest directory nesting walked. */
#define MAX_DEPTH 256

static int
rm_at(sp_ctx *ctx, int at, const char *name, const char *top, int depth)
{
	struct stat st;
	DIR *d = NULL;
	struct dirent *de;
	int fd, error = 0;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return sp_err_set(ctx, SP_EIO, "cannot remove '%s': %s", top,
		    strerror(errno));
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(at, name, 0) < 0 && errno != ENOENT)
			return sp_err_set(ctx, SP_EIO,
			    "cannot remove a file below '%s': %s", top,
			    strerror(errno));
		return 0;
	}
	if (depth > MAX_DEPTH)
		return sp_err_set(ctx, SP_ELIMIT,
		    "'%s' is nested more than %d directories deep", top,
		    MAX_DEPTH);
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return sp_err_set(ctx, SP_EIO,
		    "cannot open a directory below "
		    "'%s': %s",
		    top, strerror(errno));
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((error = rm_at(ctx, dirfd(d), de->d_name, top, depth + 1)) <
		    0)
			break;
	}
	closedir(d);
	if (error == 0 && unlinkat(at, name, AT_REMOVEDIR) < 0 &&
	    errno != ENOENT)
		error = sp_err_set(ctx, SP_EIO,
		    "cannot remove a directory below '%s': %s", top,
		    strerror(errno));
	return error;
}

int
sp_escrow__rmtree(sp_ctx *ctx, const char *path)
{
	return rm_at(ctx, AT_FDCWD, path, path, 0);
}

int
sp_escrow_remove_tree(sp_ctx *ctx, const char *dir)
{
	SP_ASSERT_ARG(ctx, dir != NULL);
	return sp_escrow__rmtree(ctx, dir);
}

void
sp_escrow__free_list(char **list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

struct lister {
	sp_ctx *ctx;
	const char *top;
	char **v;
	size_t n, cap, max;
};

static int
push(struct lister *l, const char *rel)
{
	if (l->n >= l->max)
		return sp_err_set(l->ctx, SP_ELIMIT,
		    "'%s' holds more than %zu files", l->top, l->max);
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		char **nv = realloc(l->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return sp_err_set(l->ctx, SP_ENOMEM, "out of memory");
		l->v = nv;
		l->cap = ncap;
	}
	if ((l->v[l->n] = strdup(rel)) == NULL)
		return sp_err_set(l->ctx, SP_ENOMEM, "out of memory");
	l->n++;
	return 0;
}

static int
list_at(struct lister *l, int at, const char *rel, int depth)
{
	DIR *d = NULL;
	struct dirent *de;
	sp_buf child = SP_BUF_INIT;
	int fd, error = 0;

	if (depth > MAX_DEPTH)
		return sp_err_set(l->ctx, SP_ELIMIT,
		    "'%s' is nested more than %d directories deep", l->top,
		    MAX_DEPTH);
	fd = openat(at, rel[0] ? rel : ".",
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		if (e == ENOENT && rel[0] == '\0')
			return sp_err_set(l->ctx, SP_ENOTFOUND,
			    "'%s' does not exist", l->top);
		return sp_err_set(l->ctx, e == ELOOP ? SP_EUNSAFE : SP_EIO,
		    "cannot open directory '%s%s%s': %s", l->top,
		    rel[0] ? "/" : "", rel, strerror(e));
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		sp_buf_clear(&child);
		if ((rel[0] && sp_buf_printf(&child, "%s/", rel) < 0) ||
		    sp_buf_puts(&child, de->d_name) < 0) {
			error = sp_err_set(l->ctx, SP_ENOMEM, "out of memory");
			break;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) <
		    0) {
			error = sp_err_set(l->ctx, SP_EIO,
			    "cannot stat '%s/%s': %s", l->top, child.ptr,
			    strerror(errno));
			break;
		}
		if (S_ISDIR(st.st_mode))
			error = list_at(l, at, child.ptr, depth + 1);
		else if (S_ISREG(st.st_mode))
			error = push(l, child.ptr);
		else
			error = sp_err_set(l->ctx, SP_EUNSAFE,
			    "'%s/%s' is not a regular file or directory "
			    "(symbolic links and special files are refused)",
			    l->top, child.ptr);
		if (error < 0)
			break;
	}
	closedir(d);
	sp_buf_dispose(&child);
	return error;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
sp_escrow__list_files(
    sp_ctx *ctx, char ***out, size_t *n, const char *dir, size_t max)
{
	struct lister l = {0};
	int topfd, error;

	*out = NULL;
	*n = 0;
	l.ctx = ctx;
	l.top = dir;
	l.max = max;
	topfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (topfd < 0)
		return sp_err_set(ctx, errno == ENOENT ? SP_ENOTFOUND : SP_EIO,
		    "cannot open directory '%s': %s", dir, strerror(errno));
	error = list_at(&l, topfd, "", 0);
	close(topfd);
	if (error < 0) {
		sp_escrow__free_list(l.v, l.n);
		return error;
	}
	qsort(l.v, l.n, sizeof(*l.v), cmp_str);
	*out = l.v;
	*n = l.n;
	return 0;
}
