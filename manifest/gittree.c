/*
 * Git object ids computed from content: blobs ("blob <size>\0" + bytes) and
 * trees (entries in git's order, where a directory sorts as "name/").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_int.h"

#include "banned.h"

int
mf_git_hash(const struct mf_builder *b, uint8_t out[MF_SHA1_LEN],
    const char *type, const void *data, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char hdr[64];
	int n, error = 0;

	n = snprintf(hdr, sizeof(hdr), "%s %zu", type, len);
	if (md == NULL || n < 0 || (size_t)n >= sizeof(hdr) ||
	    EVP_DigestInit_ex(md, b->sha1, NULL) != 1 ||
	    EVP_DigestUpdate(md, hdr, (size_t)n + 1) != 1 ||
	    EVP_DigestUpdate(md, data, len) != 1 ||
	    EVP_DigestFinal_ex(md, out, NULL) != 1)
		error = sp_err_set(b->ctx, SP_ERROR, "SHA-1 failed");
	EVP_MD_CTX_free(md);
	return error;
}

struct child {
	const char *name;
	size_t len;
	const char *mode;
	bool dir;
	uint8_t oid[MF_SHA1_LEN];
};

/* git's base_name_compare: a directory compares as if it ended in '/'. */
static int
cmp_child(const void *pa, const void *pb)
{
	const struct child *a = pa, *b = pb;
	size_t len = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->name, b->name, len);
	unsigned char ca, cb;

	if (c != 0)
		return c;
	ca = len < a->len ? (unsigned char)a->name[len] : (a->dir ? '/' : 0);
	cb = len < b->len ? (unsigned char)b->name[len] : (b->dir ? '/' : 0);
	return ca < cb ? -1 : ca > cb ? 1 : 0;
}

static const char *
item_mode(const struct mf_item *it)
{
	switch (it->type) {
	case SP_MANIFEST_EXECUTABLE:
		return "100755";
	case SP_MANIFEST_SYMLINK:
		return "120000";
	default:
		return "100644";
	}
}

/*
 * Tree id of items[lo, hi), which all start with the first @p plen bytes
 * of their path (the directory, with its '/').
 */
static int
tree_of(const struct mf_builder *b, uint8_t out[MF_SHA1_LEN],
    struct mf_item *const *items, size_t lo, size_t hi, size_t plen)
{
	struct child *kids = NULL;
	size_t nkids = 0, i = lo, k;
	EVP_MD_CTX *md = NULL;
	uint64_t size = 0;
	char hdr[64], *obj = NULL, *p;
	int n, error = 0;

	/* Count the children first: a deep chain of directories must not
	 * cost a range-sized array at every level. */
	for (k = 0; i < hi; k++) {
		const char *rest = items[i]->path + plen;
		const char *slash =
		    memchr(rest, '/', items[i]->path_len - plen);
		size_t clen;

		if (slash == NULL) {
			i++;
			continue;
		}
		clen = (size_t)(slash - rest);
		for (i++; i < hi && items[i]->path_len > plen + clen &&
		          memcmp(items[i]->path + plen, rest, clen + 1) == 0;
		     i++)
			;
	}
	i = lo;
	if ((kids = calloc(k + 1, sizeof(*kids))) == NULL) {
		error = sp_err_set(b->ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	while (i < hi) {
		const struct mf_item *it = items[i];
		const char *rest = it->path + plen;
		size_t rlen = it->path_len - plen;
		const char *slash = memchr(rest, '/', rlen);
		struct child *c = &kids[nkids++];

		c->name = rest;
		if (slash == NULL) {
			c->len = rlen;
			c->mode = item_mode(it);
			memcpy(c->oid, it->oid, MF_SHA1_LEN);
			i++;
			continue;
		}
		/* A directory: every item starting with "rest/" follows. */
		c->len = (size_t)(slash - rest);
		c->mode = "40000";
		c->dir = true;
		k = i + 1;
		while (k < hi && items[k]->path_len > plen + c->len &&
		       memcmp(items[k]->path + plen, rest, c->len + 1) == 0)
			k++;
		if ((error = tree_of(
		         b, c->oid, items, i, k, plen + c->len + 1)) < 0)
			goto out;
		i = k;
	}
	qsort(kids, nkids, sizeof(*kids), cmp_child);
	for (k = 0; k < nkids; k++)
		size +=
		    strlen(kids[k].mode) + 1 + kids[k].len + 1 + MF_SHA1_LEN;
	/* The whole tree object in one buffer: one digest update instead of
	 * five per entry. */
	n = snprintf(hdr, sizeof(hdr), "tree %llu", (unsigned long long)size);
	if ((obj = malloc((size_t)n + 1 + size)) == NULL) {
		error = sp_err_set(b->ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(obj, hdr, (size_t)n + 1);
	p = obj + n + 1;
	for (k = 0; k < nkids; k++) {
		size_t mlen = strlen(kids[k].mode);

		memcpy(p, kids[k].mode, mlen);
		p += mlen;
		*p++ = ' ';
		memcpy(p, kids[k].name, kids[k].len);
		p += kids[k].len;
		*p++ = '\0';
		memcpy(p, kids[k].oid, MF_SHA1_LEN);
		p += MF_SHA1_LEN;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, b->sha1, NULL) != 1 ||
	    EVP_DigestUpdate(md, obj, (size_t)(p - obj)) != 1 ||
	    EVP_DigestFinal_ex(md, out, NULL) != 1)
		error = sp_err_set(b->ctx, SP_ERROR, "SHA-1 failed");
out:
	EVP_MD_CTX_free(md);
	free(obj);
	free(kids);
	return error;
}

int
mf_git_tree(const struct mf_builder *b, uint8_t out[MF_SHA1_LEN],
    struct mf_item *const *items, size_t n)
{
	return tree_of(b, out, items, 0, n, 0);
}
