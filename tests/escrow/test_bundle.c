/*
 * Unit tests for escrow: the deterministic tar writer (test vector of
 * docs/spec/bundle.md), INDEX and SHA256SUMS parsing, member names, the
 * in-memory bundle reader, and allocation failures.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "escrow_int.h"
#include "srcproof/srcproof.h"
#include "util_int.h"

static int
mem_sink(void *payload, const void *data, size_t len)
{
	return sp_buf_put(payload, data, len) < 0 ? SP_ENOMEM : 0;
}

/* The vector bundle: fixed members, plain tar, mtime 1700000000. */
static int
make_vector(sp_ctx *ctx, sp_buf *out, sp_escrow_compression c, unsigned thr,
    sp_buf *index)
{
	sp_tarw_options o;
	sp_tarw *w = NULL;
	uint8_t d[32];
	int error;

	memset(&o, 0, sizeof(o));
	o.compression = c;
	o.threads = thr;
	o.mtime = 1700000000;
	if ((error = sp_tarw_open(ctx, &w, &o, mem_sink, out)) < 0)
		return error;
	assert_int_equal(sp_buf_puts(index, SP_ESCROW_INDEX_MAGIC "\n"), 0);
	error = sp_tarw_add_buffer(w, "manifest", "m\n", 2, false, d);
	if (error == 0)
		error = sp_index_line(index, "manifest", d, false);
	if (error == 0)
		error = sp_tarw_add_buffer(
		    w, "source/a.c", "int a;\n", 7, false, d);
	if (error == 0)
		error = sp_index_line(index, "source/a.c", d, false);
	if (error == 0)
		error = sp_tarw_add_buffer(
		    w, "source/bin/run", "#!/bin/sh\n", 10, true, d);
	if (error == 0)
		error = sp_index_line(index, "source/bin/run", d, false);
	if (error == 0)
		error = sp_tarw_add_symlink(w, "source/l", "a.c");
	if (error == 0 && sp_sha256(ctx, d, "a.c", 3) == 0)
		error = sp_index_line(index, "source/l", d, true);
	if (error == 0)
		error = sp_tarw_add_buffer(
		    w, "INDEX", index->ptr, index->size, false, d);
	if (error == 0)
		error = sp_tarw_close(w);
	sp_tarw_free(w);
	return error;
}

static void
hex_of(char out[65], const void *data, size_t len)
{
	uint8_t d[32];

	assert_int_equal(sp_sha256(NULL, d, data, len), 0);
	sp_hex_encode(out, d, 32);
}

static void
test_escrow_tar__vector_and_determinism(void **state)
{
	sp_ctx *ctx = NULL;
	sp_buf a = SP_BUF_INIT, b = SP_BUF_INIT, ia = SP_BUF_INIT,
	       ib = SP_BUF_INIT, spec = SP_BUF_INIT;
	char hex[65], ihex[65];

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_int_equal(make_vector(ctx, &a, SP_ESCROW_NONE, 1, &ia), 0);
	assert_int_equal(a.size % 512, 0);
	assert_int_equal(a.size, 512 * 11); /* 5 headers, 4 data, 2 end */
	/* ustar magic, uid/gid 0 and no user name in the first header. */
	assert_memory_equal(a.ptr + 257,
	    "ustar\0"
	    "00",
	    8);
	assert_memory_equal(a.ptr + 0, "srcproof-bundle/manifest\0", 25);
	assert_memory_equal(a.ptr + 100, "000644 ", 7);
	assert_memory_equal(a.ptr + 108, "000000 ", 7);
	assert_memory_equal(a.ptr + 116, "000000 ", 7);
	assert_memory_equal(a.ptr + 136, "14524770400 ", 12);
	assert_int_equal(a.ptr[265], '\0');
	hex_of(hex, a.ptr, a.size);
	hex_of(ihex, ia.ptr, ia.size);
	/* The vector is written in the spec; both must agree. */
	assert_int_equal(
	    sp_read_file(ctx, &spec, SP_SOURCE_DIR "/docs/spec/bundle.md",
	        (size_t)1 << 20, 0),
	    0);
	if (strstr(spec.ptr, hex) == NULL || strstr(spec.ptr, ihex) == NULL)
		fail_msg(
		    "docs/spec/bundle.md lacks tar %s / INDEX %s", hex, ihex);
	assert_non_null(strstr(spec.ptr, ia.ptr));

	/* Same members, same bytes; zstd bytes do not depend on workers. */
	assert_int_equal(make_vector(ctx, &b, SP_ESCROW_NONE, 1, &ib), 0);
	assert_int_equal(a.size, b.size);
	assert_memory_equal(a.ptr, b.ptr, a.size);
	sp_buf_clear(&a);
	sp_buf_clear(&b);
	sp_buf_clear(&ia);
	sp_buf_clear(&ib);
	assert_int_equal(make_vector(ctx, &a, SP_ESCROW_ZSTD, 1, &ia), 0);
	assert_int_equal(make_vector(ctx, &b, SP_ESCROW_ZSTD, 4, &ib), 0);
	assert_int_equal(a.size, b.size);
	assert_memory_equal(a.ptr, b.ptr, a.size);
	assert_memory_equal(a.ptr, "\x28\xb5\x2f\xfd", 4);
	sp_buf_clear(&a);
	sp_buf_clear(&ia);
	assert_int_equal(make_vector(ctx, &a, SP_ESCROW_GZIP, 1, &ia), 0);
	assert_memory_equal(a.ptr, "\x1f\x8b\x08", 3);
	assert_memory_equal(a.ptr + 4, "\0\0\0\0", 4); /* no mtime */
	assert_int_equal(a.ptr[3] & 0x08, 0);          /* no name */

	sp_buf_dispose(&a);
	sp_buf_dispose(&b);
	sp_buf_dispose(&ia);
	sp_buf_dispose(&ib);
	sp_buf_dispose(&spec);
	sp_ctx_free(ctx);
}

static void
test_escrow_tar__refuses_bad_names_and_sizes(void **state)
{
	sp_ctx *ctx = NULL;
	sp_buf out = SP_BUF_INIT;
	sp_tarw_options o;
	sp_tarw *w = NULL;
	uint8_t d[32];

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	memset(&o, 0, sizeof(o));
	o.compression = SP_ESCROW_NONE;
	o.mtime = -1;
	assert_int_equal(
	    sp_tarw_open(ctx, &w, &o, mem_sink, &out), SP_EINVALID);
	o.mtime = SP_ESCROW_MAX_MTIME + 1;
	assert_int_equal(
	    sp_tarw_open(ctx, &w, &o, mem_sink, &out), SP_EINVALID);
	o.mtime = 0;
	assert_int_equal(sp_tarw_open(ctx, &w, &o, mem_sink, &out), 0);
	assert_int_equal(
	    sp_tarw_add_buffer(w, "../x", "", 0, false, d), SP_EUNSAFE);
	assert_int_equal(
	    sp_tarw_add_buffer(w, "/abs", "", 0, false, d), SP_EUNSAFE);
	assert_int_equal(
	    sp_tarw_add_buffer(w, "a/\xff", "", 0, false, d), SP_EUNSAFE);
	assert_int_equal(
	    sp_tarw_add_buffer(w, "a//b", "", 0, false, d), SP_EUNSAFE);
	/* A file that grows or shrinks while packed. */
	assert_int_equal(sp_tarw_file_begin(w, "f", 3, false), 0);
	assert_int_equal(sp_tarw_file_data(w, "abcd", 4), SP_EVERIFY);
	assert_int_equal(sp_tarw_file_data(w, "ab", 2), 0);
	assert_int_equal(sp_tarw_file_end(w, d), SP_EVERIFY);
	sp_tarw_free(w);
	sp_buf_dispose(&out);
	sp_ctx_free(ctx);
}

static void
test_escrow_names(void **state)
{
	(void)state;
	assert_true(sp_escrow__name_ok("source/a.c", 10));
	assert_true(sp_escrow__name_ok("source/caf\xc3\xa9", 12));
	assert_false(sp_escrow__name_ok("", 0));
	assert_false(sp_escrow__name_ok("source/../x", 11));
	assert_false(sp_escrow__name_ok("source/./x", 10));
	assert_false(sp_escrow__name_ok("source//x", 9));
	assert_false(sp_escrow__name_ok("source/x/", 9));
	assert_false(sp_escrow__name_ok("/x", 2));
	/* As in manifest paths: any UTF-8 but NUL. */
	assert_true(sp_escrow__name_ok("a\\b", 3));
	assert_true(sp_escrow__name_ok("a\x1b[m\n", 5));
	assert_false(sp_escrow__name_ok("a\xff", 2));
	assert_false(sp_escrow__name_ok("a\xc0\xaf", 3));     /* overlong */
	assert_false(sp_escrow__name_ok("a\xed\xa0\x80", 4)); /* surrogate */
	assert_false(
	    sp_escrow__name_ok("a\xf4\x90\x80\x80", 5)); /* > U+10FFFF */
	assert_false(sp_escrow__name_ok("a\0b", 3));
}

#define H "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void
test_escrow_index__parse(void **state)
{
	static const char good[] =
	    SP_ESCROW_INDEX_MAGIC "\n"
	                          "# symlink \\" H "  a\\rz\n"
	                          "# symlink " H "  a b\n"
	                          "\\" H "  a\\\\b\\nc\n" H "  source/x\n";
	sp_ctx *ctx = NULL;
	sp_index_entry *v = NULL;
	char *arena = NULL;
	size_t n = 0;
	sp_buf line = SP_BUF_INIT;
	uint8_t d[32];
	struct {
		const char *text;
		int error;
	} bad[] = {
	    {"", SP_EPARSE},
	    {"# srcproof-bundle-index v2\n", SP_EPARSE},
	    {SP_ESCROW_INDEX_MAGIC, SP_EPARSE},
	    {SP_ESCROW_INDEX_MAGIC "\nxyz  a\n", SP_EPARSE},
	    {SP_ESCROW_INDEX_MAGIC "\nBA7816BF8F01CFEA414140DE5DAE2223B00361A39"
	                           "6177A9CB410FF61F20015AD  a\n",
	        SP_EPARSE},
	    {SP_ESCROW_INDEX_MAGIC "\n" H " *a\n", SP_EPARSE},
	    {SP_ESCROW_INDEX_MAGIC "\n" H "  b\n" H "  a\n", SP_EPARSE},
	    {SP_ESCROW_INDEX_MAGIC "\n" H "  a\n" H "  a\n", SP_EPARSE},
	    {SP_ESCROW_INDEX_MAGIC "\n" H "  ../a\n", SP_EPARSE},
	    {SP_ESCROW_INDEX_MAGIC "\n" H "  INDEX\n", SP_EPARSE},
	    {SP_ESCROW_INDEX_MAGIC "\n\n", SP_EPARSE},
	    /* escapes: unknown, trailing, unneeded, missing */
	    {SP_ESCROW_INDEX_MAGIC "\n\\" H "  a\\t\n", SP_EPARSE},
	    {SP_ESCROW_INDEX_MAGIC "\n\\" H "  a\\\n", SP_EPARSE},
	    {SP_ESCROW_INDEX_MAGIC "\n\\" H "  ab\n", SP_EPARSE},
	    {SP_ESCROW_INDEX_MAGIC "\n" H "  a\\b\n", SP_EPARSE},
	    {SP_ESCROW_INDEX_MAGIC "\n" H "  a\xff\n", SP_EPARSE},
	};
	size_t i;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_int_equal(
	    sp_index_parse(ctx, &v, &n, &arena, good, strlen(good), 10), 0);
	assert_int_equal(n, 4);
	assert_true(v[0].symlink);
	assert_string_equal(v[0].name, "a\rz");
	assert_true(v[1].symlink);
	assert_string_equal(v[1].name, "a b");
	assert_false(v[2].symlink);
	assert_string_equal(v[2].name, "a\\b\nc");
	assert_int_equal(v[2].name_len, 5);
	assert_string_equal(v[3].name, "source/x");
	assert_int_equal(v[3].sha256[0], 0xba);
	/* The writer escapes the same way. */
	memcpy(d, v[2].sha256, 32);
	assert_int_equal(sp_index_line(&line, "a\\b\nc", d, false), 0);
	assert_string_equal(line.ptr, "\\" H "  a\\\\b\\nc\n");
	sp_buf_clear(&line);
	assert_int_equal(sp_index_line(&line, "a\rz", d, true), 0);
	assert_string_equal(line.ptr, "# symlink \\" H "  a\\rz\n");
	free(v);
	free(arena);
	assert_int_equal(
	    sp_index_parse(ctx, &v, &n, &arena, good, strlen(good), 1),
	    SP_ELIMIT);
	assert_null(v);
	assert_null(arena);
	for (i = 0; i < SP_ARRAY_SIZE(bad); i++) {
		if (sp_index_parse(ctx, &v, &n, &arena, bad[i].text,
		        strlen(bad[i].text), 10) != bad[i].error)
			fail_msg("INDEX case %zu was accepted", i);
		assert_null(v);
		assert_true(sp_ctx_errmsg(ctx)[0] != '\0');
	}
	sp_buf_dispose(&line);
	sp_ctx_free(ctx);
}

static void
test_escrow_sums__canonical(void **state)
{
	static const char in[] =
	    "# a comment\n"
	    "\n"
	    "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD "
	    "*z.exe\r\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  "
	    "a/b.dll";
	static const char want[] =
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  "
	    "a/b.dll\n"
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  "
	    "z.exe\n";
	sp_ctx *ctx = NULL;
	sp_buf out = SP_BUF_INIT;
	static const char *const bad[] = {
	    "xyz  a\n",
	    "\\" H "  a\\q\n",
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 "
	    "a\n",
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  "
	    "/etc/passwd\n",
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  "
	    "a\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  "
	    "a\n",
	};
	size_t i;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_int_equal(
	    sp_escrow__sums_canonical(ctx, &out, in, strlen(in), "sums"), 0);
	assert_string_equal(out.ptr, want);
	/* Escaped names (sha256sum's form) round-trip. */
	sp_buf_clear(&out);
	{
		static const char esc[] = "\\" H "  z\\\\y\n" H "  a\n";

		assert_int_equal(sp_escrow__sums_canonical(
		                     ctx, &out, esc, strlen(esc), "sums"),
		    0);
	}
	assert_string_equal(out.ptr, H "  a\n\\" H "  z\\\\y\n");
	for (i = 0; i < SP_ARRAY_SIZE(bad); i++) {
		sp_buf_clear(&out);
		assert_int_equal(sp_escrow__sums_canonical(
		                     ctx, &out, bad[i], strlen(bad[i]), "sums"),
		    SP_EPARSE);
	}
	sp_buf_dispose(&out);
	sp_ctx_free(ctx);
}

static void
test_escrow_reader__memory_bundle(void **state)
{
	sp_ctx *ctx = NULL;
	sp_buf tar = SP_BUF_INIT, idx = SP_BUF_INIT;
	sp_bundle b;
	size_t off;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_int_equal(make_vector(ctx, &tar, SP_ESCROW_ZSTD, 1, &idx), 0);
	sp_bundle_init(&b);
	assert_int_equal(
	    sp_bundle_read_mem(ctx, &b, tar.ptr, tar.size, NULL), 0);
	assert_true(b.index_ok);
	assert_int_equal(b.nmembers, 4);
	assert_string_equal(b.members[0].name, "manifest");
	assert_int_equal(b.members[2].kind, SP_MEMBER_EXEC);
	assert_int_equal(b.members[3].kind, SP_MEMBER_SYMLINK);
	assert_string_equal(b.members[3].target, "a.c");
	assert_int_equal(b.compression, SP_ESCROW_ZSTD);
	assert_true(b.have_manifest);
	assert_string_equal(b.manifest.ptr, "m\n");
	sp_bundle_dispose(&b);

	/* One byte of a member changed (plain tar): INDEX catches it. */
	sp_buf_clear(&tar);
	sp_buf_clear(&idx);
	assert_int_equal(make_vector(ctx, &tar, SP_ESCROW_NONE, 1, &idx), 0);
	off = 512 + 0; /* data of "manifest" */
	tar.ptr[off] = 'M';
	sp_bundle_init(&b);
	assert_int_equal(
	    sp_bundle_read_mem(ctx, &b, tar.ptr, tar.size, NULL), SP_EVERIFY);
	assert_false(b.index_ok);
	assert_non_null(strstr(b.index_error, "'manifest' does not match"));
	sp_bundle_dispose(&b);

	/* Member limit. */
	tar.ptr[off] = 'm';
	{
		sp_escrow_read_options ro = SP_ESCROW_READ_OPTIONS_INIT;

		ro.max_members = 2;
		sp_bundle_init(&b);
		assert_int_equal(
		    sp_bundle_read_mem(ctx, &b, tar.ptr, tar.size, &ro),
		    SP_ELIMIT);
		sp_bundle_dispose(&b);
	}
	/* Every truncation before the end-of-archive blocks is refused
	 * (losing only those loses no content: INDEX was read whole). */
	for (off = 0; off < tar.size - 1024; off += 31) {
		sp_bundle_init(&b);
		if (sp_bundle_read_mem(ctx, &b, tar.ptr, off, NULL) == 0)
			fail_msg("truncation at %zu accepted", off);
		sp_bundle_dispose(&b);
	}
	sp_buf_dispose(&tar);
	sp_buf_dispose(&idx);
	sp_ctx_free(ctx);
}

static void
test_escrow_reader__allocation_failures(void **state)
{
	sp_ctx *ctx = NULL;
	sp_buf tar = SP_BUF_INIT, idx = SP_BUF_INIT;
	unsigned long n;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_int_equal(make_vector(ctx, &tar, SP_ESCROW_NONE, 1, &idx), 0);
	/* The Nth allocation through the context fails: clean error. */
	for (n = 1; n < 20; n++) {
		sp_bundle b;
		int error;

		sp_bundle_init(&b);
		sp_ctx_fail_alloc_after(ctx, n);
		error = sp_bundle_read_mem(ctx, &b, tar.ptr, tar.size, NULL);
		sp_ctx_fail_alloc_after(ctx, 0);
		assert_true(error == 0 || error == SP_ENOMEM);
		sp_bundle_dispose(&b);
	}
	sp_buf_dispose(&tar);
	sp_buf_dispose(&idx);
	sp_ctx_free(ctx);
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static int
list_count(const sp_escrow_member *m, void *payload)
{
	int *n = payload;

	(void)m;
	(*n)++;
	return 0;
}

static void
test_escrow_unpack_temp_and_verify_api(void **state)
{
	sp_ctx *ctx = NULL;
	sp_buf tar = SP_BUF_INIT, idx = SP_BUF_INIT, path = SP_BUF_INIT,
	       p2 = SP_BUF_INIT;
	sp_escrow_verify_result res;
	char parent[256], *dir = NULL;
	struct stat st;
	int listed = 0;

	(void)state;
	snprintf(parent, sizeof(parent), "%s/sp-escrow-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(parent));
	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_int_equal(make_vector(ctx, &tar, SP_ESCROW_ZSTD, 2, &idx), 0);
	assert_int_equal(sp_buf_printf(&path, "%s/b.tzst", parent), 0);
	assert_int_equal(sp_write_file_atomic(ctx, path.ptr, tar.ptr, tar.size,
	                     0644, SP_ATOMIC_EXCL),
	    0);

	/* Unpack to a private directory for a rebuild, then remove it. */
	assert_int_equal(
	    sp_escrow_unpack_temp(ctx, &dir, path.ptr, parent, NULL), 0);
	assert_non_null(dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(sp_buf_printf(&p2, "%s/source/l", dir), 0);
	assert_int_equal(lstat(p2.ptr, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	sp_buf_clear(&p2);
	assert_int_equal(sp_buf_printf(&p2, "%s/source/bin/run", dir), 0);
	assert_int_equal(stat(p2.ptr, &st), 0);
	assert_true(st.st_mode & 0100);
	assert_int_equal(count_entries(parent), 2);
	assert_int_equal(sp_escrow_remove_tree(ctx, dir), 0);
	assert_int_equal(count_entries(parent), 1);
	free(dir);
	dir = NULL;

	assert_int_equal(
	    sp_escrow_list(ctx, path.ptr, NULL, list_count, &listed), 0);
	assert_int_equal(listed, 5);

	/* The verify API: no manifest.sig, a manifest that does not parse. */
	assert_int_equal(
	    sp_escrow_verify(ctx, path.ptr, NULL, &res), SP_EVERIFY);
	assert_false(res.ok);
	assert_int_equal(res.ncheck, SP_ESCROW_CHECK_COUNT);
	assert_string_equal(
	    res.checks[SP_ESCROW_CHECK_ARCHIVE].name, "archive");
	assert_int_equal(
	    res.checks[SP_ESCROW_CHECK_ARCHIVE].status, SP_ESCROW_PASS);
	assert_int_equal(
	    res.checks[SP_ESCROW_CHECK_INDEX].status, SP_ESCROW_PASS);
	assert_int_equal(
	    res.checks[SP_ESCROW_CHECK_MANIFEST].status, SP_ESCROW_FAIL);
	assert_int_equal(
	    res.checks[SP_ESCROW_CHECK_SIGNATURE].status, SP_ESCROW_FAIL);
	assert_int_equal(res.checks[SP_ESCROW_CHECK_DECRYPTION].status,
	    SP_ESCROW_NOT_CHECKED);
	assert_false(res.checks[SP_ESCROW_CHECK_DECRYPTION].required);
	assert_string_equal(res.compression, "zstd");
	assert_int_equal(res.members, 5);
	assert_int_equal(res.source_files, 3);

	/* A damaged file: nothing left in the parent. */
	tar.ptr[tar.size / 2] ^= 0x55;
	assert_int_equal(
	    sp_write_file_atomic(ctx, path.ptr, tar.ptr, tar.size, 0644, 0), 0);
	assert_true(
	    sp_escrow_unpack_temp(ctx, &dir, path.ptr, parent, NULL) < 0);
	assert_null(dir);
	assert_int_equal(count_entries(parent), 1);
	/* Unpack into an existing directory is refused. */
	assert_int_equal(
	    sp_escrow_unpack(ctx, path.ptr, parent, NULL), SP_EEXISTS);

	unlink(path.ptr);
	rmdir(parent);
	sp_buf_dispose(&tar);
	sp_buf_dispose(&idx);
	sp_buf_dispose(&path);
	sp_buf_dispose(&p2);
	sp_ctx_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escrow_tar__vector_and_determinism),
	    cmocka_unit_test(test_escrow_tar__refuses_bad_names_and_sizes),
	    cmocka_unit_test(test_escrow_names),
	    cmocka_unit_test(test_escrow_index__parse),
	    cmocka_unit_test(test_escrow_sums__canonical),
	    cmocka_unit_test(test_escrow_reader__memory_bundle),
	    cmocka_unit_test(test_escrow_reader__allocation_failures),
	    cmocka_unit_test(test_escrow_unpack_temp_and_verify_api),
	};

	return cmocka_run_group_tests_name("escrow", tests, NULL, NULL);
}
