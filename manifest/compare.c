/*
 * Audits (a source against a manifest), diffs of two manifests, chains.
 */
#include <stdlib.h>
#include <string.h>

#include "manifest_int.h"
#include "util_int.h"

#include "banned.h"

static bool
same_content(const sp_manifest_entry *a, const sp_manifest_entry *b)
{
	bool la = a->type == SP_MANIFEST_SYMLINK;
	bool lb = b->type == SP_MANIFEST_SYMLINK;

	if (la != lb)
		return false;
	if (la)
		return strcmp(a->link_target, b->link_target) == 0;
	return memcmp(a->sha256, b->sha256, SP_SHA256_LEN) == 0;
}

/* ---- audit --------------------------------------------------------------- */

int
sp_manifest_compare(sp_ctx *ctx, const sp_manifest *expected,
    const sp_manifest *actual, sp_manifest_check_cb cb, void *payload,
    sp_manifest_check_summary *summary)
{
	sp_manifest_check_summary s;
	size_t i = 0, j = 0;
	int rc;

	memset(&s, 0, sizeof(s));
	while (i < expected->n || j < actual->n) {
		const sp_manifest_entry *e =
		    i < expected->n ? &expected->entries[i] : NULL;
		const sp_manifest_entry *a =
		    j < actual->n ? &actual->entries[j] : NULL;
		sp_manifest_check_status st;
		int c;

		if (e == NULL)
			c = 1;
		else if (a == NULL)
			c = -1;
		else
			c = mf_path_cmp(
			    e->path, e->path_len, a->path, a->path_len);
		if (c < 0) {
			st = SP_CHECK_MISSING;
			s.missing++;
			a = NULL;
			i++;
		} else if (c > 0) {
			st = SP_CHECK_NEW;
			s.added++;
			e = NULL;
			j++;
		} else {
			if (!same_content(e, a)) {
				st = SP_CHECK_CHANGED;
				s.changed++;
			} else if (e->type != a->type) {
				st = SP_CHECK_MODE;
				s.mode++;
			} else {
				st = SP_CHECK_MATCHED;
				s.matched++;
			}
			i++;
			j++;
		}
		if (cb != NULL && (rc = cb(st, e, a, payload)) != 0) {
			if (summary != NULL)
				*summary = s;
			return rc;
		}
	}
	s.tree_matches = strcmp(expected->git_tree, actual->git_tree) == 0;
	memcpy(s.actual_tree, actual->git_tree, sizeof(s.actual_tree));
	if (summary != NULL)
		*summary = s;
	if (s.changed || s.missing || s.added || s.mode)
		return sp_err_set(ctx, SP_EVERIFY,
		    "the source does not match the manifest: %llu changed, "
		    "%llu missing, %llu new, %llu mode changes",
		    (unsigned long long)s.changed,
		    (unsigned long long)s.missing, (unsigned long long)s.added,
		    (unsigned long long)s.mode);
	if (!s.tree_matches)
		return sp_err_set(ctx, SP_EVERIFY,
		    "every file matches but the manifest's git tree %s is not "
		    "the tree of the source, %s",
		    expected->git_tree, actual->git_tree);
	return 0;
}

int
sp_manifest_check(sp_ctx *ctx, const sp_manifest *m,
    const sp_manifest_source_options *src, sp_manifest_check_cb cb,
    void *payload, sp_manifest_check_summary *summary)
{
	sp_manifest_source_options o = *src;
	sp_manifest *actual = NULL;
	int error;

	/* Only the content counts: no header fields, no chain link. */
	o.product = NULL;
	o.release = NULL;
	o.kind = SP_MANIFEST_RELEASE;
	o.previous_path = NULL;
	o.previous_digest = NULL;
	if ((error = sp_manifest_create(ctx, &actual, &o)) < 0)
		return error;
	error = sp_manifest_compare(ctx, m, actual, cb, payload, summary);
	sp_manifest_free(actual);
	return error;
}

int
sp_manifest_check_dir(sp_ctx *ctx, const sp_manifest *m, const char *dir,
    sp_manifest_check_cb cb, void *payload, sp_manifest_check_summary *summary)
{
	sp_manifest_source_options o = SP_MANIFEST_SOURCE_OPTIONS_INIT;

	o.type = SP_MANIFEST_SOURCE_DIR;
	o.path = dir;
	return sp_manifest_check(ctx, m, &o, cb, payload, summary);
}

/* ---- diff ------------------------------------------------------------------
 */

struct change {
	sp_manifest_diff_kind kind;
	const sp_manifest_entry *a, *b;
};

/* Rename key: symlink-ness, then content. */
static int
cmp_content(const sp_manifest_entry *x, const sp_manifest_entry *y)
{
	int lx = x->type == SP_MANIFEST_SYMLINK,
	    ly = y->type == SP_MANIFEST_SYMLINK;

	if (lx != ly)
		return lx - ly;
	if (lx)
		return strcmp(x->link_target, y->link_target);
	return memcmp(x->sha256, y->sha256, SP_SHA256_LEN);
}

static int
cmp_added(const void *pa, const void *pb)
{
	const sp_manifest_entry *x = *(const sp_manifest_entry *const *)pa;
	const sp_manifest_entry *y = *(const sp_manifest_entry *const *)pb;
	int c = cmp_content(x, y);

	return c != 0 ? c
	              : mf_path_cmp(x->path, x->path_len, y->path, y->path_len);
}

static const sp_manifest_entry *
change_key(const struct change *c)
{
	return c->kind == SP_DIFF_ADDED || c->kind == SP_DIFF_CHANGED ||
	               c->kind == SP_DIFF_MODE
	           ? c->b
	           : c->a;
}

static int
cmp_change(const void *pa, const void *pb)
{
	const sp_manifest_entry *x = change_key(pa), *y = change_key(pb);
	int c = mf_path_cmp(x->path, x->path_len, y->path, y->path_len);

	if (c != 0)
		return c;
	return (int)((const struct change *)pa)->kind -
	       (int)((const struct change *)pb)->kind;
}

int
sp_manifest_diff(sp_ctx *ctx, const sp_manifest *a, const sp_manifest *b,
    sp_manifest_diff_cb cb, void *payload, sp_manifest_diff_summary *summary)
{
	sp_manifest_diff_summary s;
	struct change *ch = NULL;
	const sp_manifest_entry **added = NULL;
	size_t *next = NULL, nch = 0, nadd = 0, i = 0, j = 0, k;
	bool *used = NULL;
	int error = 0;

	memset(&s, 0, sizeof(s));
	if ((ch = calloc(a->n + b->n + 1, sizeof(*ch))) == NULL ||
	    (added = calloc(b->n + 1, sizeof(*added))) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	while (i < a->n || j < b->n) {
		const sp_manifest_entry *x = i < a->n ? &a->entries[i] : NULL;
		const sp_manifest_entry *y = j < b->n ? &b->entries[j] : NULL;
		int c = x == NULL   ? 1
		        : y == NULL ? -1
		                    : mf_path_cmp(x->path, x->path_len, y->path,
		                          y->path_len);

		if (c < 0) {
			ch[nch++] = (struct change){SP_DIFF_REMOVED, x, NULL};
			i++;
		} else if (c > 0) {
			added[nadd++] = y;
			j++;
		} else {
			if (!same_content(x, y))
				ch[nch++] =
				    (struct change){SP_DIFF_CHANGED, x, y};
			else if (x->type != y->type)
				ch[nch++] = (struct change){SP_DIFF_MODE, x, y};
			else
				s.unchanged++;
			i++;
			j++;
		}
	}
	/* Pair removed entries (path order) with added ones of the same
	 * content (path order within the content). */
	qsort(added, nadd, sizeof(*added), cmp_added);
	if ((used = calloc(nadd + 1, sizeof(*used))) == NULL ||
	    (next = calloc(nadd + 1, sizeof(*next))) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	for (k = 0; k < nadd; k++)
		next[k] = k;
	for (k = 0; k < nch; k++) {
		size_t lo = 0, hi = nadd;

		if (ch[k].kind != SP_DIFF_REMOVED)
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (cmp_content(added[mid], ch[k].a) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* next[group start] is the first unused of the group. */
		if (lo < nadd && cmp_content(added[lo], ch[k].a) == 0) {
			size_t m = next[lo];

			if (m < nadd && cmp_content(added[m], ch[k].a) == 0) {
				ch[k].kind = SP_DIFF_RENAMED;
				ch[k].b = added[m];
				used[m] = true;
				next[lo] = m + 1;
			}
		}
	}
	for (k = 0; k < nadd; k++) {
		if (!used[k])
			ch[nch++] =
			    (struct change){SP_DIFF_ADDED, NULL, added[k]};
	}
	qsort(ch, nch, sizeof(*ch), cmp_change);
	for (k = 0; k < nch; k++) {
		switch (ch[k].kind) {
		case SP_DIFF_ADDED:
			s.added++;
			break;
		case SP_DIFF_REMOVED:
			s.removed++;
			break;
		case SP_DIFF_CHANGED:
			s.changed++;
			break;
		case SP_DIFF_RENAMED:
			s.renamed++;
			break;
		case SP_DIFF_MODE:
			s.mode++;
			break;
		}
	}
	if (summary != NULL)
		*summary = s;
	for (k = 0; k < nch && cb != NULL; k++) {
		if ((error = cb(ch[k].kind, ch[k].a, ch[k].b, payload)) != 0)
			goto out;
	}
out:
	free(ch);
	free(added);
	free(used);
	free(next);
	return error;
}

/* ---- chains ---------------------------------------------------------------
 */

int
sp_manifest_chain_check(
    sp_ctx *ctx, const sp_manifest *const *ms, size_t n, size_t *broken_at)
{
	char(*hex)[SP_SHA256_HEX_LEN + 1] = NULL;
	size_t i, k;
	int error = 0;

	if (broken_at != NULL)
		*broken_at = 0;
	if (n == 0)
		return sp_err_set(ctx, SP_EINVALID, "no manifest to check");
	if ((hex = calloc(n, sizeof(*hex))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		uint8_t d[SP_SHA256_LEN];

		if ((error = sp_manifest_digest(ctx, ms[i], d)) < 0)
			goto out;
		sp_hex_encode(hex[i], d, SP_SHA256_LEN);
	}
	for (i = 1; i < n; i++) {
		const sp_manifest *prev = ms[i - 1], *cur = ms[i];
		const char *pp = sp_manifest_product(prev);
		const char *cp = sp_manifest_product(cur);

		if (cur->kind != SP_MANIFEST_UPDATE) {
			error = sp_err_set(ctx, SP_EVERIFY,
			    "manifest %zu is a release, not an update of "
			    "manifest %zu",
			    i + 1, i);
			goto broken;
		}
		if (strcmp(cur->previous, hex[i - 1]) != 0) {
			for (k = 0; k < n; k++) {
				if (k != i - 1 &&
				    strcmp(cur->previous, hex[k]) == 0)
					break;
			}
			if (k < n)
				error = sp_err_set(ctx, SP_EVERIFY,
				    "manifest %zu follows manifest %zu, not "
				    "manifest %zu: the chain is out of order",
				    i + 1, k + 1, i);
			else
				error = sp_err_set(ctx, SP_EVERIFY,
				    "manifest %zu does not follow manifest "
				    "%zu: "
				    "it records previous sha256:%s, manifest "
				    "%zu is sha256:%s",
				    i + 1, i, cur->previous, i, hex[i - 1]);
			goto broken;
		}
		if (pp != NULL && cp != NULL && strcmp(pp, cp) != 0) {
			error = sp_err_set(ctx, SP_EVERIFY,
			    "manifest %zu is for product '%s', manifest %zu "
			    "for '%s'",
			    i + 1, cp, i, pp);
			goto broken;
		}
	}
	goto out;
broken:
	if (broken_at != NULL)
		*broken_at = i;
out:
	free(hex);
	return error;
}
