/*
 * Unit tests for comparing manifests: audits (sp_manifest_compare), diffs
 * (added, removed, changed, renamed, mode) and update chains.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "srcproof/manifest.h"
#include "srcproof/srcproof.h"
#include "util_int.h"

/* An entry for a test manifest: type 'f' file, 'x' executable, 'l' link;
 * content: the hash is 64 times this hex digit (or the link target). */
struct ent {
	const char *path;
	char type;
	const char *content;
};

#define TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

/* Build a manifest from entries sorted by path. */
static sp_manifest *
make(sp_ctx *ctx, const char *product, const char *previous,
    const struct ent *e, size_t n)
{
	sp_buf t = SP_BUF_INIT;
	sp_manifest *m = NULL;
	size_t i, files = 0, links = 0;
	int k;

	for (i = 0; i < n; i++) {
		if (e[i].type == 'l')
			links++;
		else
			files++;
	}
	assert_int_equal(sp_buf_puts(&t, "# srcproof-manifest v1\n"), 0);
	if (product != NULL)
		assert_int_equal(
		    sp_buf_printf(&t, "# product: %s\n", product), 0);
	assert_int_equal(sp_buf_printf(&t,
	                     "# kind: %s\n# files: %zu\n# symlinks: %zu\n"
	                     "# bytes: %u\n# git-tree: %s\n# swhid: "
	                     "swh:1:dir:%s\n",
	                     previous ? "update" : "release", files, links,
	                     files ? 1u : 0u, TREE, TREE),
	    0);
	if (previous != NULL)
		assert_int_equal(
		    sp_buf_printf(&t, "# previous: sha256:%s\n", previous), 0);
	for (i = 0; i < n; i++) {
		if (e[i].type == 'x')
			assert_int_equal(
			    sp_buf_printf(&t, "# exec: %s\n", e[i].path), 0);
		else if (e[i].type == 'l')
			assert_int_equal(
			    sp_buf_printf(&t, "# symlink: %s -> %s\n",
			        e[i].path, e[i].content),
			    0);
	}
	for (i = 0; i < n; i++) {
		if (e[i].type == 'l')
			continue;
		for (k = 0; k < 64; k++)
			assert_int_equal(sp_buf_putc(&t, e[i].content[0]), 0);
		assert_int_equal(sp_buf_printf(&t, "  %s\n", e[i].path), 0);
	}
	if (sp_manifest_parse(ctx, &m, t.ptr, t.size) < 0)
		fail_msg("test manifest: %s\n%s", sp_ctx_errmsg(ctx), t.ptr);
	sp_buf_dispose(&t);
	return m;
}

/* ---- diff -----------------------------------------------------------------
 */

struct rec {
	char lines[32][128];
	int n;
};

static const char *const kinds[] = {
    "added", "removed", "changed", "renamed", "mode"};

static int
diff_rec(sp_manifest_diff_kind kind, const sp_manifest_entry *a,
    const sp_manifest_entry *b, void *payload)
{
	struct rec *r = payload;

	assert_true(r->n < 32);
	snprintf(r->lines[r->n++], 128, "%s %s %s", kinds[kind],
	    a ? a->path : "-", b ? b->path : "-");
	return 0;
}

static void
test_manifest_compare__diff(void **state)
{
	static const struct ent a[] = {
	    {"README", 'f', "1"},
	    {"bin/run", 'x', "2"},
	    {"dup1", 'f', "e"},
	    {"dup2", 'f', "e"},
	    {"link", 'l', "README"},
	    {"old/name.c", 'f', "3"},
	    {"same", 'f', "4"},
	    {"script", 'f', "5"},
	    {"gone", 'f', "6"},
	};
	static const struct ent b[] = {
	    {"README", 'f', "7"},
	    {"bin/run", 'x', "2"},
	    {"dup3", 'f', "e"},
	    {"dup4", 'f', "e"},
	    {"link", 'l', "bin/run"},
	    {"new/name.c", 'f', "3"},
	    {"new2", 'f', "8"},
	    {"same", 'f', "4"},
	    {"script", 'x', "5"},
	};
	static const char *const want[] = {
	    "changed README README",
	    "renamed dup1 dup3",
	    "renamed dup2 dup4",
	    "removed gone -",
	    "changed link link",
	    "added - new2",
	    "renamed old/name.c new/name.c",
	    "mode script script",
	};
	sp_manifest_diff_summary s;
	sp_manifest *ma, *mb;
	struct rec r = {0};
	sp_ctx *ctx;
	size_t i;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	/* make() wants sorted input: "gone" sorts before "link". */
	{
		struct ent sa[SP_ARRAY_SIZE(a)];

		memcpy(sa, a, sizeof(a));
		sa[4] = a[8];
		sa[5] = a[4];
		sa[6] = a[5];
		sa[7] = a[6];
		sa[8] = a[7];
		ma = make(ctx, "p", NULL, sa, SP_ARRAY_SIZE(sa));
	}
	mb = make(ctx, "p", NULL, b, SP_ARRAY_SIZE(b));
	assert_int_equal(sp_manifest_diff(ctx, ma, mb, diff_rec, &r, &s), 0);
	assert_int_equal(r.n, SP_ARRAY_SIZE(want));
	for (i = 0; i < SP_ARRAY_SIZE(want); i++)
		assert_string_equal(r.lines[i], want[i]);
	assert_int_equal(s.added, 1);
	assert_int_equal(s.removed, 1);
	assert_int_equal(s.changed, 2);
	assert_int_equal(s.renamed, 3);
	assert_int_equal(s.mode, 1);
	assert_int_equal(s.unchanged, 2);
	/* A manifest against itself: nothing. */
	r.n = 0;
	assert_int_equal(sp_manifest_diff(ctx, ma, ma, diff_rec, &r, &s), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(s.unchanged, 9);
	sp_manifest_free(ma);
	sp_manifest_free(mb);
	sp_ctx_free(ctx);
}

static int
stop_cb(sp_manifest_diff_kind kind, const sp_manifest_entry *a,
    const sp_manifest_entry *b, void *payload)
{
	(void)kind;
	(void)a;
	(void)b;
	(void)payload;
	return 42;
}

static void
test_manifest_compare__diff_callback_stops(void **state)
{
	static const struct ent a[] = {{"a", 'f', "1"}};
	static const struct ent b[] = {{"b", 'f', "2"}};
	sp_manifest *ma, *mb;
	sp_ctx *ctx;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	ma = make(ctx, NULL, NULL, a, 1);
	mb = make(ctx, NULL, NULL, b, 1);
	assert_int_equal(
	    sp_manifest_diff(ctx, ma, mb, stop_cb, NULL, NULL), 42);
	sp_manifest_free(ma);
	sp_manifest_free(mb);
	sp_ctx_free(ctx);
}

/* ---- audit ----------------------------------------------------------------
 */

static int
check_rec(sp_manifest_check_status st, const sp_manifest_entry *e,
    const sp_manifest_entry *a, void *payload)
{
	static const char *const names[] = {
	    "matched", "changed", "missing", "new", "mode"};
	struct rec *r = payload;

	snprintf(r->lines[r->n++], 128, "%s %s", names[st],
	    e != NULL ? e->path : a->path);
	return 0;
}

static void
test_manifest_compare__audit(void **state)
{
	static const struct ent exp[] = {
	    {"a", 'f', "1"},
	    {"b", 'x', "2"},
	    {"c", 'f', "3"},
	    {"l", 'l', "a"},
	    {"m", 'l', "a"},
	};
	static const struct ent act[] = {
	    {"a", 'f', "1"},
	    {"b", 'f', "2"},
	    {"l", 'f', "9"},
	    {"m", 'l', "b"},
	    {"z", 'f', "4"},
	};
	static const char *const want[] = {"matched a", "mode b", "missing c",
	    "changed l", "changed m", "new z"};
	sp_manifest_check_summary s;
	sp_manifest *me, *ma;
	struct rec r = {0};
	sp_ctx *ctx;
	size_t i;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	me = make(ctx, NULL, NULL, exp, SP_ARRAY_SIZE(exp));
	ma = make(ctx, NULL, NULL, act, SP_ARRAY_SIZE(act));
	assert_int_equal(
	    sp_manifest_compare(ctx, me, ma, check_rec, &r, &s), SP_EVERIFY);
	assert_non_null(
	    strstr(sp_ctx_errmsg(ctx), "2 changed, 1 missing, 1 new"));
	assert_int_equal(r.n, SP_ARRAY_SIZE(want));
	for (i = 0; i < SP_ARRAY_SIZE(want); i++)
		assert_string_equal(r.lines[i], want[i]);
	assert_int_equal(s.matched, 1);
	assert_int_equal(s.mode, 1);
	assert_true(s.tree_matches);
	r.n = 0;
	assert_int_equal(
	    sp_manifest_compare(ctx, me, me, check_rec, &r, &s), 0);
	assert_int_equal(s.matched, 5);
	assert_int_equal(r.n, 5);
	sp_manifest_free(me);
	sp_manifest_free(ma);
	sp_ctx_free(ctx);
}

/* ---- chains
 * ------------------------------------------------------------------
 */

static void
digest_hex(sp_ctx *ctx, const sp_manifest *m, char hex[65])
{
	uint8_t d[32];

	assert_int_equal(sp_manifest_digest(ctx, m, d), 0);
	sp_hex_encode(hex, d, 32);
}

static void
test_manifest_compare__chain(void **state)
{
	static const struct ent e1[] = {{"a", 'f', "1"}};
	static const struct ent e2[] = {{"a", 'f', "2"}};
	static const struct ent e3[] = {{"a", 'f', "3"}};
	char h1[65], h2[65];
	const sp_manifest *list[4];
	sp_manifest *m1, *m2, *m3, *m3b, *other, *rel;
	size_t at = 99;
	sp_ctx *ctx;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	m1 = make(ctx, "av", NULL, e1, 1);
	digest_hex(ctx, m1, h1);
	m2 = make(ctx, "av", h1, e2, 1);
	digest_hex(ctx, m2, h2);
	m3 = make(ctx, "av", h2, e3, 1);
	m3b = make(ctx, "av", h1, e3, 1);   /* skips m2 */
	other = make(ctx, "db", h2, e3, 1); /* another product */
	rel = make(ctx, "av", NULL, e3, 1); /* a release */

	list[0] = m1;
	list[1] = m2;
	list[2] = m3;
	assert_int_equal(sp_manifest_chain_check(ctx, list, 3, &at), 0);
	assert_int_equal(at, 0);
	assert_int_equal(sp_manifest_chain_check(ctx, list, 1, &at), 0);

	/* Out of order: m1 m3 m2. */
	list[1] = m3;
	list[2] = m2;
	assert_int_equal(
	    sp_manifest_chain_check(ctx, list, 3, &at), SP_EVERIFY);
	assert_int_equal(at, 1);
	assert_non_null(strstr(sp_ctx_errmsg(ctx),
	    "manifest 2 follows manifest 3, not manifest 1"));

	/* A missing link: m1 m2 m3b (m3b follows m1). */
	list[1] = m2;
	list[2] = m3b;
	assert_int_equal(
	    sp_manifest_chain_check(ctx, list, 3, &at), SP_EVERIFY);
	assert_int_equal(at, 2);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "out of order"));

	/* An unknown previous digest. */
	list[0] = m2;
	list[1] = m3b;
	assert_int_equal(
	    sp_manifest_chain_check(ctx, list, 2, &at), SP_EVERIFY);
	assert_int_equal(at, 1);
	assert_non_null(strstr(
	    sp_ctx_errmsg(ctx), "manifest 2 does not follow manifest 1"));

	/* A release in the middle. */
	list[0] = m1;
	list[1] = rel;
	assert_int_equal(
	    sp_manifest_chain_check(ctx, list, 2, &at), SP_EVERIFY);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "is a release"));

	/* Another product. */
	list[0] = m1;
	list[1] = m2;
	list[2] = other;
	assert_int_equal(
	    sp_manifest_chain_check(ctx, list, 3, &at), SP_EVERIFY);
	assert_int_equal(at, 2);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "product 'db'"));

	assert_int_equal(
	    sp_manifest_chain_check(ctx, list, 0, &at), SP_EINVALID);

	sp_manifest_free(m1);
	sp_manifest_free(m2);
	sp_manifest_free(m3);
	sp_manifest_free(m3b);
	sp_manifest_free(other);
	sp_manifest_free(rel);
	sp_ctx_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_manifest_compare__diff),
	    cmocka_unit_test(test_manifest_compare__diff_callback_stops),
	    cmocka_unit_test(test_manifest_compare__audit),
	    cmocka_unit_test(test_manifest_compare__chain),
	};

	return cmocka_run_group_tests_name(
	    "manifest_compare", tests, NULL, NULL);
}
