/*
 * The manifest object: arena, getters, lookups, digests, name checks.
 */
#include <stdlib.h>
#include <string.h>

#include "manifest_int.h"
#include "srcproof/util.h"
#include "util_int.h"

#include "banned.h"

#define ARENA_CHUNK (64 * 1024)

struct mf_chunk {
	struct mf_chunk *next;
	size_t used, size;
	char data[];
};

char *
mf_arena_strndup(struct mf_arena *a, const char *s, size_t len)
{
	struct mf_chunk *c = a->head;
	char *p;

	if (len >= SIZE_MAX - ARENA_CHUNK - sizeof(*c))
		return NULL;
	if (c == NULL || c->size - c->used < len + 1) {
		size_t size = len + 1 > ARENA_CHUNK / 4 ? len + 1 : ARENA_CHUNK;

		c = malloc(sizeof(*c) + size);
		if (c == NULL)
			return NULL;
		c->size = size;
		c->used = 0;
		if (size == ARENA_CHUNK || a->head == NULL) {
			c->next = a->head;
			a->head = c;
		} else {
			/* A big string gets a chunk of its own, kept behind
			 * the current one so its free space stays usable. */
			c->next = a->head->next;
			a->head->next = c;
		}
	}
	p = c->data + c->used;
	memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

void
mf_arena_dispose(struct mf_arena *a)
{
	struct mf_chunk *c = a->head, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}

sp_manifest *
mf_manifest_new(sp_ctx *ctx)
{
	sp_manifest *m = sp_calloc(ctx, 1, sizeof(*m));

	if (m == NULL) {
		sp_err_set(ctx, SP_ENOMEM, "out of memory");
		return NULL;
	}
	m->kind = SP_MANIFEST_RELEASE;
	return m;
}

void
sp_manifest_free(sp_manifest *m)
{
	if (m == NULL)
		return;
	mf_arena_dispose(&m->arena);
	free(m->entries);
	free(m);
}

const char *
sp_manifest_product(const sp_manifest *m)
{
	return m->product;
}

const char *
sp_manifest_release(const sp_manifest *m)
{
	return m->release;
}

sp_manifest_kind
sp_manifest_kind_of(const sp_manifest *m)
{
	return m->kind;
}

const char *
sp_manifest_kind_name(sp_manifest_kind kind)
{
	return kind == SP_MANIFEST_UPDATE ? "update" : "release";
}

const char *
sp_manifest_previous(const sp_manifest *m)
{
	return m->has_previous ? m->previous : NULL;
}

const char *
sp_manifest_git_tree(const sp_manifest *m)
{
	return m->git_tree;
}

const char *
sp_manifest_swhid(const sp_manifest *m)
{
	return m->swhid;
}

uint64_t
sp_manifest_file_count(const sp_manifest *m)
{
	return m->files;
}

uint64_t
sp_manifest_symlink_count(const sp_manifest *m)
{
	return m->symlinks;
}

uint64_t
sp_manifest_total_bytes(const sp_manifest *m)
{
	return m->bytes;
}

size_t
sp_manifest_entry_count(const sp_manifest *m)
{
	return m->n;
}

const sp_manifest_entry *
sp_manifest_entry_at(const sp_manifest *m, size_t i)
{
	return i < m->n ? &m->entries[i] : NULL;
}

int
mf_path_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

const sp_manifest_entry *
sp_manifest_find(const sp_manifest *m, const char *path)
{
	size_t lo = 0, hi = m->n, len = strlen(path);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const sp_manifest_entry *e = &m->entries[mid];
		int c = mf_path_cmp(e->path, e->path_len, path, len);

		if (c == 0)
			return e;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int
sp_manifest_digest_file(sp_ctx *ctx, uint8_t out[32], const char *path)
{
	return sp_sha256_file(ctx, out, NULL, path);
}

bool
mf_utf8_valid(const char *str, size_t len)
{
	return memchr(str, '\0', len) == NULL && sp_utf8_valid(str, len);
}

bool
mf_path_has_git_dir(const char *path, size_t len)
{
	size_t start = 0, i;

	for (i = 0; i <= len; i++) {
		if (i == len || path[i] == '/') {
			if (i - start == 4 &&
			    memcmp(path + start, ".git", 4) == 0)
				return true;
			start = i + 1;
		}
	}
	return false;
}

int
mf_check_path(sp_ctx *ctx, const char *path, size_t len)
{
	if (len > SP_MANIFEST_MAX_PATH)
		return sp_err_set(ctx, SP_ELIMIT,
		    "path '%.200s...' is longer than %d bytes", path,
		    SP_MANIFEST_MAX_PATH);
	if (!mf_utf8_valid(path, len)) {
		sp_err_set(
		    ctx, SP_EUNSAFE, "file name '%s' is not valid UTF-8", path);
		sp_err_hint(ctx, "srcproof records UTF-8 names only; rename "
		                 "the file (see docs/spec/manifest.md)");
		return SP_EUNSAFE;
	}
	if (!sp_path_is_safe_relative(path, len))
		return sp_err_set(ctx, SP_EUNSAFE,
		    "path '%s' is not a safe relative path", path);
	return 0;
}

int
mf_check_link_target(
    sp_ctx *ctx, const char *path, const char *target, size_t tlen)
{
	size_t i, start = 0, depth = 0, ups = 0;
	bool named = false;

	if (tlen == 0)
		return sp_err_set(ctx, SP_EUNSAFE,
		    "symbolic link '%s' has an empty target", path);
	if (tlen > SP_MANIFEST_MAX_TARGET)
		return sp_err_set(ctx, SP_ELIMIT,
		    "the target of symbolic link '%s' is longer than %d bytes",
		    path, SP_MANIFEST_MAX_TARGET);
	if (!mf_utf8_valid(target, tlen))
		return sp_err_set(ctx, SP_EUNSAFE,
		    "the target of symbolic link '%s' is not valid UTF-8",
		    path);
	if (target[0] == '/') {
		sp_err_set(ctx, SP_EUNSAFE,
		    "symbolic link '%s' points outside the tree (absolute "
		    "target '%s')",
		    path, target);
		sp_err_hint(ctx, "srcproof records only symbolic links with a "
		                 "relative target inside the tree");
		return SP_EUNSAFE;
	}
	for (i = 0; path[i] != '\0'; i++)
		depth += path[i] == '/';
	for (i = 0; i <= tlen; i++) {
		size_t clen;

		if (i < tlen && target[i] != '/')
			continue;
		clen = i - start;
		if (clen == 2 && target[start] == '.' &&
		    target[start + 1] == '.') {
			if (named) {
				sp_err_set(ctx, SP_EUNSAFE,
				    "symbolic link '%s' has a target with '..' "
				    "after a name ('%s')",
				    path, target);
				sp_err_hint(ctx,
				    "through another link, such a target can "
				    "leave the tree; write it without "
				    "'name/..'");
				return SP_EUNSAFE;
			}
			if (++ups > depth) {
				sp_err_set(ctx, SP_EUNSAFE,
				    "symbolic link '%s' points outside the "
				    "tree ('%s')",
				    path, target);
				sp_err_hint(ctx,
				    "srcproof records only symbolic links "
				    "with a relative target inside the tree");
				return SP_EUNSAFE;
			}
		} else if (clen > 0 && !(clen == 1 && target[start] == '.')) {
			named = true;
		}
		start = i + 1;
	}
	return 0;
}
