/*
 * Unit tests for building manifests through the API: symlink target rules,
 * directory sources (streaming at chunk boundaries, threads, refusals) and
 * archive sources written here with libarchive (normalization, strip,
 * hard links, refusals), and option checks.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
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

#include "manifest_int.h"
#include "sp_test.h"
#include "srcproof/manifest.h"
#include "srcproof/srcproof.h"
#include "util_int.h"

static char tmpdir[256];

static int
group_setup(void **state)
{
	(void)state;
	umask(022);
	return sp_test_mkdtemp(tmpdir, sizeof(tmpdir), "mbuild") < 0 ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return sp_test_rmtree(tmpdir);
}

static void
put_file(
    const char *dir, const char *rel, const void *data, size_t len, mode_t mode)
{
	char path[1024];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static char *
sub(const char *name)
{
	static char path[4][512];
	static int k;
	char *p = path[k++ % 4];

	snprintf(p, 512, "%s/%s", tmpdir, name);
	return p;
}

/* Build, serialize; returns the error code, text in @p out. */
static int
build(sp_ctx *ctx, sp_manifest_source_options *o, sp_buf *out)
{
	sp_manifest *m = NULL;
	int rc = sp_manifest_create(ctx, &m, o);

	if (rc == 0)
		assert_int_equal(sp_manifest_serialize(ctx, m, out), 0);
	else
		assert_null(m);
	sp_manifest_free(m);
	return rc;
}

/* ---- symlink targets -------------------------------------------------------
 */

static void
test_manifest_build__link_targets(void **state)
{
	static const struct {
		const char *path, *target;
		int ok;
	} cases[] = {
	    {"l", "a", 1},
	    {"l", "a/b/c", 1},
	    {"l", "./a", 1},
	    {"l", ".", 1},
	    {"d/l", "..", 1},
	    {"d/l", "../x", 1},
	    {"d/e/l", "../../x/y", 1},
	    {"d/l", "..//x", 1},
	    {"l", "a/", 1},
	    {"l", "..", 0},
	    {"l", "../x", 0},
	    {"d/l", "../../x", 0},
	    {"l", "/etc/passwd", 0},
	    {"l", "", 0},
	    {"l", "a/../b", 0},
	    {"d/l", "x/../..", 0},
	    {"d/l", "./../..", 0},
	    {"l", "caf\xe9", 0},
	};
	sp_ctx *ctx;
	size_t i;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	for (i = 0; i < SP_ARRAY_SIZE(cases); i++) {
		int rc = mf_check_link_target(ctx, cases[i].path,
		    cases[i].target, strlen(cases[i].target));

		if ((rc == 0) != cases[i].ok)
			fail_msg("link '%s' -> '%s': rc %d (%s)", cases[i].path,
			    cases[i].target, rc, sp_ctx_errmsg(ctx));
	}
	sp_ctx_free(ctx);
}

/* ---- directory sources ------------------------------------------------------
 */

static void
test_manifest_build__dir_streams_at_chunk_edges(void **state)
{
	static const size_t sizes[] = {0, 1, MF_CHUNK - 1, MF_CHUNK,
	    MF_CHUNK + 1, 3 * MF_CHUNK, 3 * MF_CHUNK + 7};
	sp_manifest_source_options o = SP_MANIFEST_SOURCE_OPTIONS_INIT;
	sp_buf one = SP_BUF_INIT, four = SP_BUF_INIT;
	unsigned char *data = malloc(4 * MF_CHUNK);
	const char *dir = sub("edges");
	sp_manifest *m = NULL;
	uint64_t total = 0;
	sp_ctx *ctx;
	size_t i;

	(void)state;
	assert_non_null(data);
	for (i = 0; i < 4 * MF_CHUNK; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_int_equal(mkdir(dir, 0755), 0);
	for (i = 0; i < SP_ARRAY_SIZE(sizes); i++) {
		char name[32];

		snprintf(name, sizeof(name), "f%zu", i);
		put_file(dir, name, data, sizes[i], 0644);
		total += sizes[i];
	}
	o.path = dir;
	o.threads = 1;
	assert_int_equal(build(ctx, &o, &one), 0);
	o.threads = 4;
	assert_int_equal(build(ctx, &o, &four), 0);
	assert_int_equal(one.size, four.size);
	assert_memory_equal(one.ptr, four.ptr, one.size);
	assert_int_equal(sp_manifest_create(ctx, &m, &o), 0);
	assert_int_equal(sp_manifest_total_bytes(m), total);
	for (i = 0; i < SP_ARRAY_SIZE(sizes); i++) {
		char name[32], path[600];
		uint8_t want[32];
		const sp_manifest_entry *e;

		snprintf(name, sizeof(name), "f%zu", i);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		assert_int_equal(sp_sha256_file(ctx, want, NULL, path), 0);
		e = sp_manifest_find(m, name);
		assert_non_null(e);
		assert_memory_equal(e->sha256, want, 32);
		assert_int_equal(e->size, sizes[i]);
	}
	/* An audit of the same directory passes; one changed byte fails. */
	{
		sp_manifest_check_summary sum;

		assert_int_equal(
		    sp_manifest_check_dir(ctx, m, dir, NULL, NULL, &sum), 0);
		assert_int_equal(sum.matched, SP_ARRAY_SIZE(sizes));
		assert_true(sum.tree_matches);
		data[0] ^= 1;
		put_file(dir, "f3", data, sizes[3], 0644);
		assert_int_equal(
		    sp_manifest_check_dir(ctx, m, dir, NULL, NULL, &sum),
		    SP_EVERIFY);
		assert_int_equal(sum.changed, 1);
		assert_false(sum.tree_matches);
		assert_string_not_equal(
		    sum.actual_tree, sp_manifest_git_tree(m));
	}
	sp_manifest_free(m);
	sp_buf_dispose(&one);
	sp_buf_dispose(&four);
	free(data);
	sp_ctx_free(ctx);
}

static void
test_manifest_build__dir_rules(void **state)
{
	sp_manifest_source_options o = SP_MANIFEST_SOURCE_OPTIONS_INIT;
	const char *dir = sub("rules");
	sp_buf t = SP_BUF_INIT;
	char path[600];
	sp_ctx *ctx;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_int_equal(mkdir(dir, 0755), 0);
	put_file(dir, "a", "x", 1, 0644);
	/* .git at any depth is not content; empty directories neither. */
	snprintf(path, sizeof(path), "%s/.git", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	put_file(dir, ".git/config", "y", 1, 0644);
	snprintf(path, sizeof(path), "%s/empty", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	put_file(dir, "sub/.git", "gitdir: x\n", 10, 0644);
	o.path = dir;
	assert_int_equal(build(ctx, &o, &t), 0);
	assert_non_null(strstr(t.ptr, "# files: 1\n"));
	assert_null(strstr(t.ptr, ".git"));
	/* A FIFO is refused, naming it. */
	snprintf(path, sizeof(path), "%s/sub/pipe", dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_int_equal(build(ctx, &o, &t), SP_EUNSAFE);
	assert_string_equal(sp_ctx_errmsg(ctx),
	    "'sub/pipe' is a named pipe (FIFO); srcproof records only regular "
	    "files, directories and symbolic links");
	unlink(path);
	/* A link out of the tree. */
	snprintf(path, sizeof(path), "%s/sub/out", dir);
	assert_int_equal(symlink("../../x", path), 0);
	assert_int_equal(build(ctx, &o, &t), SP_EUNSAFE);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "'sub/out' points outside"));
	unlink(path);
	/* A name that is not UTF-8. */
	put_file(dir, "sub/caf\xe9", "z", 1, 0644);
	assert_int_equal(build(ctx, &o, &t), SP_EUNSAFE);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "not valid UTF-8"));
	sp_buf_dispose(&t);
	sp_ctx_free(ctx);
}

/* ---- archive sources -------------------------------------------------------
 */

struct aent {
	const char *name;
	char
	    type; /* f file, d dir, l symlink, h hard link, c chr dev, p fifo */
	const char *data; /* content, or link target */
	mode_t perm;
};

static void
write_archive(
    const char *path, int zip, int gzip, const struct aent *e, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ae;
	size_t i;

	assert_non_null(a);
	if (zip)
		assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
	else
		assert_int_equal(
		    archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	if (gzip)
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		ae = archive_entry_new();
		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_mtime(ae, 0, 0);
		archive_entry_set_perm(ae, e[i].perm ? e[i].perm : 0644);
		switch (e[i].type) {
		case 'f':
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_size(
			    ae, (la_int64_t)strlen(e[i].data));
			break;
		case 'd':
			archive_entry_set_filetype(ae, AE_IFDIR);
			archive_entry_set_perm(ae, 0755);
			break;
		case 'l':
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_set_symlink(ae, e[i].data);
			break;
		case 'h':
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_hardlink(ae, e[i].data);
			break;
		case 'c':
			archive_entry_set_filetype(ae, AE_IFCHR);
			archive_entry_set_rdev(ae, 0x103);
			break;
		case 'p':
			archive_entry_set_filetype(ae, AE_IFIFO);
			break;
		default:
			fail();
		}
		assert_true(archive_write_header(a, ae) >= ARCHIVE_WARN);
		if (e[i].type == 'f')
			assert_int_equal(
			    archive_write_data(a, e[i].data, strlen(e[i].data)),
			    (la_ssize_t)strlen(e[i].data));
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static const struct aent plain[] = {
    {"README", 'f', "hello\n", 0},
    {"bin/run", 'f', "#!/bin/sh\n", 0755},
    {"bin/link", 'l', "run", 0},
    {"src/a.c", 'f', "int a;\n", 0},
};

static void
test_manifest_build__archive_normalization(void **state)
{
	static const struct aent dotted[] = {
	    {"./", 'd', NULL, 0},
	    {"./src/", 'd', NULL, 0},
	    {"./src/a.c", 'f', "int a;\n", 0},
	    {"./README", 'f', "hello\n", 0},
	    {"./bin/", 'd', NULL, 0},
	    {"./bin/run", 'f', "#!/bin/sh\n", 0755},
	    {"./bin/link", 'l', "run", 0},
	    {"./.git/HEAD", 'f', "ref: x\n", 0},
	};
	static const struct aent prefixed[] = {
	    {"avscan-1.0/", 'd', NULL, 0},
	    {"avscan-1.0/README", 'f', "hello\n", 0},
	    {"avscan-1.0/bin/run", 'f', "#!/bin/sh\n", 0755},
	    {"avscan-1.0/bin/link", 'l', "run", 0},
	    {"avscan-1.0/src/a.c", 'f', "int a;\n", 0},
	};
	static const struct aent hardlinked[] = {
	    {"README", 'f', "hello\n", 0},
	    {"bin/run", 'f', "#!/bin/sh\n", 0755},
	    {"bin/link", 'l', "run", 0},
	    {"src/a.c", 'h', "README", 0},
	};
	sp_manifest_source_options o = SP_MANIFEST_SOURCE_OPTIONS_INIT;
	sp_buf want = SP_BUF_INIT, got = SP_BUF_INIT;
	sp_manifest *m = NULL;
	sp_ctx *ctx;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	write_archive(sub("plain.tar"), 0, 0, plain, SP_ARRAY_SIZE(plain));
	o.path = sub("plain.tar");
	assert_int_equal(build(ctx, &o, &want), 0);
	assert_non_null(strstr(want.ptr, "# exec: bin/run\n"));
	assert_non_null(strstr(want.ptr, "# symlink: bin/link -> run\n"));

	write_archive(sub("dotted.tgz"), 0, 1, dotted, SP_ARRAY_SIZE(dotted));
	o.path = sub("dotted.tgz");
	assert_int_equal(build(ctx, &o, &got), 0);
	assert_string_equal(got.ptr, want.ptr);

	write_archive(
	    sub("prefixed.zip"), 1, 0, prefixed, SP_ARRAY_SIZE(prefixed));
	o.path = sub("prefixed.zip");
	sp_buf_clear(&got);
	assert_int_equal(build(ctx, &o, &got), 0);
	assert_non_null(strstr(got.ptr, "avscan-1.0/README"));
	o.strip_components = 1;
	sp_buf_clear(&got);
	assert_int_equal(build(ctx, &o, &got), 0);
	assert_string_equal(got.ptr, want.ptr);
	o.strip_components = 2; /* avscan-1.0/README has only 2 names */
	assert_int_equal(build(ctx, &o, &got), SP_EUNSAFE);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "--strip-components"));
	o.strip_components = 0;

	write_archive(
	    sub("hard.tar"), 0, 0, hardlinked, SP_ARRAY_SIZE(hardlinked));
	o.path = sub("hard.tar");
	assert_int_equal(sp_manifest_create(ctx, &m, &o), 0);
	assert_memory_equal(sp_manifest_find(m, "src/a.c")->sha256,
	    sp_manifest_find(m, "README")->sha256, 32);
	sp_manifest_free(m);
	sp_buf_dispose(&want);
	sp_buf_dispose(&got);
	sp_ctx_free(ctx);
}

static void
test_manifest_build__archive_refusals(void **state)
{
	static const struct {
		const char *name;
		struct aent e[3];
		size_t n;
		int code;
		const char *msg;
	} cases[] = {
	    {"dotdot.tar", {{"a", 'f', "x", 0}, {"b/../../c", 'f', "x", 0}}, 2,
	        SP_EUNSAFE, "holds a path with '..': 'b/../../c'"},
	    {"abs.tar", {{"/etc/cron.d/x", 'f', "x", 0}}, 1, SP_EUNSAFE,
	        "holds an absolute path '/etc/cron.d/x'"},
	    {"dup.tar",
	        {{"a", 'f', "x", 0}, {"b", 'f', "y", 0}, {"a", 'f', "z", 0}}, 3,
	        SP_EUNSAFE, "holds 'a' more than once"},
	    {"dev.tar", {{"null", 'c', NULL, 0}}, 1, SP_EUNSAFE,
	        "'null' in archive"},
	    {"fifo.tar", {{"p", 'p', NULL, 0}}, 1, SP_EUNSAFE,
	        "is a named pipe (FIFO)"},
	    {"hard.tar", {{"a", 'h', "missing", 0}}, 1, SP_EPARSE,
	        "hard link to 'missing'"},
	    {"escape.tar", {{"l", 'l', "../etc/passwd", 0}}, 1, SP_EUNSAFE,
	        "points outside the tree"},
	    {"conflict.tar",
	        {{"l", 'l', "d", 0}, {"d/f", 'f', "x", 0},
	            {"l/f", 'f', "y", 0}},
	        3, SP_EUNSAFE, "'l' is both a symbolic link and a directory"},
	    /* "a.c" sorts between "a" and "a/f": still found. */
	    {"conflict2.tar",
	        {{"a", 'f', "x", 0}, {"a.c", 'f', "y", 0},
	            {"a/f", 'f', "z", 0}},
	        3, SP_EUNSAFE, "'a' is both a file and a directory"},
	};
	sp_manifest_source_options o = SP_MANIFEST_SOURCE_OPTIONS_INIT;
	sp_buf t = SP_BUF_INIT;
	sp_ctx *ctx;
	size_t i;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	for (i = 0; i < SP_ARRAY_SIZE(cases); i++) {
		int rc;

		write_archive(sub(cases[i].name), 0, 0, cases[i].e, cases[i].n);
		o.path = sub(cases[i].name);
		rc = build(ctx, &o, &t);
		if (rc != cases[i].code ||
		    strstr(sp_ctx_errmsg(ctx), cases[i].msg) == NULL)
			fail_msg("%s: rc %d, '%s'", cases[i].name, rc,
			    sp_ctx_errmsg(ctx));
	}
	sp_buf_dispose(&t);
	sp_ctx_free(ctx);
}

static void
test_manifest_build__archive_truncated(void **state)
{
	sp_manifest_source_options o = SP_MANIFEST_SOURCE_OPTIONS_INIT;
	struct aent big[1] = {{"big", 'f', NULL, 0}};
	char *data = malloc(300001), path[600];
	sp_buf t = SP_BUF_INIT, bytes = SP_BUF_INIT;
	sp_ctx *ctx;
	size_t i;

	(void)state;
	assert_non_null(data);
	for (i = 0; i < 300000; i++)
		data[i] = (char)('a' + (i * 7919) % 26);
	data[300000] = '\0';
	big[0].data = data;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	write_archive(sub("big.tgz"), 0, 1, big, 1);
	o.path = sub("big.tgz");
	assert_int_equal(build(ctx, &o, &t), 0);
	/* Cut it in the middle of the compressed data. */
	assert_int_equal(
	    sp_read_file(ctx, &bytes, sub("big.tgz"), 1 << 24, 0), 0);
	snprintf(path, sizeof(path), "%s", sub("cut.tgz"));
	assert_int_equal(
	    sp_write_file_atomic(ctx, path, bytes.ptr, bytes.size / 2, 0644, 0),
	    0);
	o.path = path;
	assert_int_equal(build(ctx, &o, &t), SP_EPARSE);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "cannot read 'big'"));
	assert_non_null(strstr(sp_ctx_errhint(ctx), "truncated"));
	/* Not an archive at all. */
	assert_int_equal(
	    sp_write_file_atomic(ctx, path, "hello\n", 6, 0644, 0), 0);
	assert_int_equal(build(ctx, &o, &t), SP_EUNSUPPORTED);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "is not an archive"));
	sp_buf_dispose(&t);
	sp_buf_dispose(&bytes);
	free(data);
	sp_ctx_free(ctx);
}

/* ---- options --------------------------------------------------------------
 */

static void
test_manifest_build__options(void **state)
{
	sp_manifest_source_options o = SP_MANIFEST_SOURCE_OPTIONS_INIT;
	static const uint8_t zero[32];
	const char *dir = sub("opts");
	char prev[600];
	sp_buf t = SP_BUF_INIT;
	sp_manifest *m = NULL;
	sp_ctx *ctx;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_int_equal(mkdir(dir, 0755), 0);
	put_file(dir, "a", "x", 1, 0644);
	o.path = dir;
	o.kind = SP_MANIFEST_UPDATE;
	assert_int_equal(build(ctx, &o, &t), SP_EINVALID);
	assert_non_null(strstr(sp_ctx_errhint(ctx), "--previous"));
	o.kind = SP_MANIFEST_RELEASE;
	o.previous_digest = zero;
	assert_int_equal(build(ctx, &o, &t), SP_EINVALID);
	o.previous_digest = NULL;
	o.product = "bad\nname";
	assert_int_equal(build(ctx, &o, &t), SP_EINVALID);
	o.product = "";
	assert_int_equal(build(ctx, &o, &t), SP_EINVALID);
	o.product = "avscan";
	o.strip_components = 1;
	assert_int_equal(build(ctx, &o, &t), SP_EINVALID);
	o.strip_components = 0;
	o.ref = "HEAD";
	assert_int_equal(build(ctx, &o, &t), SP_ENOTFOUND);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "is not a git repository"));
	o.ref = NULL;
	o.path = sub("nothing-here");
	assert_int_equal(build(ctx, &o, &t), SP_ENOTFOUND);
	o.path = dir;
	o.version = 99;
	assert_int_equal(build(ctx, &o, &t), SP_EINVALID);
	o.version = SP_MANIFEST_SOURCE_OPTIONS_VERSION;

	/* An update records the previous file's digest; the product must
	 * match. */
	assert_int_equal(sp_manifest_create(ctx, &m, &o), 0);
	snprintf(prev, sizeof(prev), "%s", sub("prev.manifest"));
	assert_int_equal(
	    sp_manifest_write(ctx, m, prev, SP_ATOMIC_EXCL, NULL), 0);
	assert_int_equal(
	    sp_manifest_write(ctx, m, prev, SP_ATOMIC_EXCL, NULL), SP_EEXISTS);
	sp_manifest_free(m);
	o.kind = SP_MANIFEST_UPDATE;
	o.previous_path = prev;
	assert_int_equal(sp_manifest_create(ctx, &m, &o), 0);
	{
		uint8_t d[32];
		char hex[65];

		assert_int_equal(sp_manifest_digest_file(ctx, d, prev), 0);
		sp_hex_encode(hex, d, 32);
		assert_string_equal(sp_manifest_previous(m), hex);
	}
	sp_manifest_free(m);
	o.product = "other";
	assert_int_equal(build(ctx, &o, &t), SP_EINVALID);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "for product 'avscan'"));
	sp_buf_dispose(&t);
	sp_ctx_free(ctx);
}

/* ---- streamed write ---------------------------------------------------------
 */

/*
 * sp_manifest_write streams in 64 KiB pieces: for a manifest of several
 * pieces (with exec and symlink lines and escaped names) the file is the
 * in-memory serialization byte for byte, and the digest it returns is
 * sp_manifest_digest's and the file's.
 */
static void
test_manifest_build__streamed_write(void **state)
{
	sp_manifest_source_options o = SP_MANIFEST_SOURCE_OPTIONS_INIT;
	char *dir = sub("stream"), name[64], out[512];
	uint8_t dw[32], dm[32], df[32];
	sp_manifest *m = NULL;
	sp_buf mem, file;
	sp_ctx *ctx;
	int i, fd;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_int_equal(mkdir(dir, 0755), 0);
	for (i = 0; i < 2500; i++) {
		snprintf(
		    name, sizeof(name), "file %04d with\\a long name.c", i);
		put_file(dir, name, name, strlen(name), i % 7 ? 0644 : 0755);
	}
	for (i = 0; i < 300; i++) {
		char link[1024];

		snprintf(name, sizeof(name), "link %03d", i);
		snprintf(link, sizeof(link), "%s/%s", dir, name);
		assert_int_equal(
		    symlink("file 0001 with\\a long name.c", link), 0);
	}
	o.path = dir;
	o.product = "avscan";
	assert_int_equal(sp_manifest_create(ctx, &m, &o), 0);
	snprintf(out, sizeof(out), "%s", sub("stream.manifest"));
	assert_int_equal(sp_manifest_write(ctx, m, out, SP_ATOMIC_EXCL, dw), 0);
	sp_buf_init(&mem, SP_MANIFEST_MAX_SIZE);
	assert_int_equal(sp_manifest_serialize(ctx, m, &mem), 0);
	assert_true(mem.size > 3 * 64 * 1024);
	sp_buf_init(&file, SP_MANIFEST_MAX_SIZE);
	assert_true((fd = open(out, O_RDONLY)) >= 0);
	assert_int_equal(
	    sp_read_fd(ctx, &file, fd, SP_MANIFEST_MAX_SIZE, out), 0);
	close(fd);
	assert_int_equal(file.size, mem.size);
	assert_memory_equal(file.ptr, mem.ptr, mem.size);
	assert_int_equal(sp_manifest_digest(ctx, m, dm), 0);
	assert_int_equal(sp_manifest_digest_file(ctx, df, out), 0);
	assert_memory_equal(dw, dm, 32);
	assert_memory_equal(dw, df, 32);
	/* A failed write leaves nothing behind and the old file as it was. */
	assert_int_equal(
	    sp_manifest_write(ctx, m, out, SP_ATOMIC_EXCL, dw), SP_EEXISTS);
	sp_buf_dispose(&mem);
	sp_buf_dispose(&file);
	sp_manifest_free(m);
	sp_ctx_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_manifest_build__link_targets),
	    cmocka_unit_test(test_manifest_build__dir_streams_at_chunk_edges),
	    cmocka_unit_test(test_manifest_build__dir_rules),
	    cmocka_unit_test(test_manifest_build__archive_normalization),
	    cmocka_unit_test(test_manifest_build__archive_refusals),
	    cmocka_unit_test(test_manifest_build__archive_truncated),
	    cmocka_unit_test(test_manifest_build__options),
	    cmocka_unit_test(test_manifest_build__streamed_write),
	};

	return cmocka_run_group_tests_name(
	    "manifest_build", tests, group_setup, group_teardown);
}
