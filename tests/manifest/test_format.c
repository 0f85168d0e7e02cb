/*
 * Unit tests for the manifest format: the test vectors of
 * docs/spec/manifest.md (built from their trees, byte for byte), and the
 * parser's refusals (malformed, unsorted, duplicate, oversized).
 */
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
static sp_buf spec = SP_BUF_INIT;

static int
group_setup(void **state)
{
	sp_ctx *ctx;
	char path[512];

	(void)state;
	if (sp_test_mkdtemp(tmpdir, sizeof(tmpdir), "mformat") < 0 ||
	    sp_ctx_new(&ctx) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/docs/spec/manifest.md", SP_SOURCE_DIR);
	if (sp_read_file(ctx, &spec, path, 1 << 20, 0) < 0) {
		fprintf(stderr, "%s\n", sp_ctx_errmsg(ctx));
		sp_ctx_free(ctx);
		return -1;
	}
	sp_ctx_free(ctx);
	umask(022);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	sp_buf_dispose(&spec);
	return sp_test_rmtree(tmpdir);
}

/* ---- reading the spec's vectors ------------------------------------------ */

/* Body of the fenced block whose info line is exactly "kind name...". */
static const char *
block(const char *kind, const char *name, size_t *len, const char **info)
{
	char want[128];
	const char *p = spec.ptr;

	snprintf(want, sizeof(want), "\n```%s %s", kind, name);
	while ((p = strstr(p, want)) != NULL) {
		const char *eol = strchr(p + 1, '\n');
		const char *after = p + strlen(want);

		if (eol != NULL && (*after == '\n' || *after == ' ')) {
			const char *end = strstr(eol, "\n```\n");

			if (end == NULL)
				return NULL;
			if (info != NULL)
				*info = after;
			*len = (size_t)(end + 1 - (eol + 1));
			if (end == eol) /* empty block */
				*len = 0;
			return eol + 1;
		}
		p++;
	}
	return NULL;
}

/* Value of "key=value" on the info line (up to the newline), or NULL. */
static char *
info_value(const char *info, const char *key)
{
	const char *eol = strchr(info, '\n');
	size_t klen = strlen(key);
	const char *p = info;

	while ((p = strstr(p, key)) != NULL && p < eol) {
		if (p[-1] == ' ' && p[klen] == '=') {
			const char *v = p + klen + 1, *e = v;

			while (e < eol && *e != ' ')
				e++;
			return strndup(v, (size_t)(e - v));
		}
		p++;
	}
	return NULL;
}

/* Decode a C string literal at *pp (which starts at '"'). */
static size_t
cstring(const char **pp, char *out)
{
	const char *p = *pp;
	size_t n = 0;

	assert_int_equal(*p, '"');
	for (p++; *p != '"'; p++) {
		if (*p != '\\') {
			out[n++] = *p;
			continue;
		}
		switch (*++p) {
		case 'n':
			out[n++] = '\n';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case '\\':
			out[n++] = '\\';
			break;
		case '"':
			out[n++] = '"';
			break;
		case 'x': {
			char hex[3] = {p[1], p[2], 0};

			out[n++] = (char)strtol(hex, NULL, 16);
			p += 2;
			break;
		}
		default:
			fail_msg("bad escape in the spec's tree block");
		}
	}
	out[n] = '\0';
	*pp = p + 1;
	return n;
}

static void
mkparents(char *path)
{
	char *s;

	for (s = strchr(path + strlen(tmpdir) + 1, '/'); s != NULL;
	     s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
}

/* Make the tree of vector @p name under tmpdir/name. */
static void
make_tree(const char *name, const char *dir)
{
	size_t len;
	const char *b = block("tree", name, &len, NULL), *end, *p;
	char rel[512], data[512], path[1024];

	assert_non_null(b);
	assert_int_equal(mkdir(dir, 0755), 0);
	end = b + len;
	for (p = b; p < end; p = strchr(p, '\n') + 1) {
		if (strncmp(p, "file ", 5) == 0) {
			unsigned mode = (unsigned)strtoul(p + 5, NULL, 8);
			const char *q = strchr(p + 5, ' ') + 1;
			size_t dlen;
			int fd;

			cstring(&q, rel);
			q++;
			dlen = cstring(&q, data);
			snprintf(path, sizeof(path), "%s/%s", dir, rel);
			mkparents(path);
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
			assert_true(fd >= 0);
			assert_int_equal(write(fd, data, dlen), (ssize_t)dlen);
			assert_int_equal(fchmod(fd, (mode_t)mode), 0);
			close(fd);
		} else if (strncmp(p, "link ", 5) == 0) {
			const char *q = p + 5;

			cstring(&q, rel);
			q++;
			cstring(&q, data);
			snprintf(path, sizeof(path), "%s/%s", dir, rel);
			mkparents(path);
			assert_int_equal(symlink(data, path), 0);
		} else {
			fail_msg("unknown line in tree block of '%s'", name);
		}
	}
}

static void
check_vector(const char *name)
{
	sp_manifest_source_options o = SP_MANIFEST_SOURCE_OPTIONS_INIT;
	const char *info, *want, *sha;
	char dir[512], prevpath[512], hex[65], line[128];
	char *from, *product, *release, *kind, *previous;
	sp_manifest *m = NULL, *parsed = NULL;
	sp_buf got = SP_BUF_INIT, again = SP_BUF_INIT;
	uint8_t d[32];
	size_t wlen, ilen;
	sp_ctx *ctx;

	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_non_null(block("tree", name, &ilen, &info));
	from = info_value(info, "from");
	product = info_value(info, "product");
	release = info_value(info, "release");
	kind = info_value(info, "kind");
	previous = info_value(info, "previous");
	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, from ? from : name);
	if (from == NULL)
		make_tree(name, dir);
	o.path = dir;
	o.product = product;
	o.release = release;
	o.kind = kind != NULL && strcmp(kind, "update") == 0
	             ? SP_MANIFEST_UPDATE
	             : SP_MANIFEST_RELEASE;
	if (previous != NULL) {
		const char *pb = block("manifest", previous, &wlen, NULL);

		assert_non_null(pb);
		snprintf(prevpath, sizeof(prevpath), "%s/%s.manifest", tmpdir,
		    previous);
		assert_int_equal(
		    sp_write_file_atomic(ctx, prevpath, pb, wlen, 0644, 0), 0);
		o.previous_path = prevpath;
	}
	o.threads = 2;
	if (sp_manifest_create(ctx, &m, &o) < 0)
		fail_msg("vector '%s': %s", name, sp_ctx_errmsg(ctx));
	assert_int_equal(sp_manifest_serialize(ctx, m, &got), 0);
	want = block("manifest", name, &wlen, NULL);
	assert_non_null(want);
	if (got.size != wlen || memcmp(got.ptr, want, wlen) != 0)
		fail_msg("vector '%s' differs:\n--- built\n%s--- spec\n%.*s",
		    name, got.ptr, (int)wlen, want);
	/* The digest listed after the vector. */
	assert_int_equal(sp_manifest_digest(ctx, m, d), 0);
	sp_hex_encode(hex, d, 32);
	snprintf(line, sizeof(line), "SHA-256 of the manifest: `%s`", hex);
	sha = strstr(want + wlen, "SHA-256 of the manifest: `");
	assert_non_null(sha);
	assert_memory_equal(sha, line, strlen(line));
	/* Parsing the spec's bytes gives them back. */
	if (sp_manifest_parse(ctx, &parsed, want, wlen) < 0)
		fail_msg(
		    "vector '%s' does not parse: %s", name, sp_ctx_errmsg(ctx));
	assert_int_equal(sp_manifest_serialize(ctx, parsed, &again), 0);
	assert_int_equal(again.size, wlen);
	assert_memory_equal(again.ptr, want, wlen);
	assert_int_equal(
	    sp_manifest_entry_count(parsed), sp_manifest_entry_count(m));
	sp_manifest_free(m);
	sp_manifest_free(parsed);
	sp_buf_dispose(&got);
	sp_buf_dispose(&again);
	free(from);
	free(product);
	free(release);
	free(kind);
	free(previous);
	sp_ctx_free(ctx);
}

static void
test_manifest_format__vector_empty(void **state)
{
	(void)state;
	check_vector("empty");
}

static void
test_manifest_format__vector_basic(void **state)
{
	(void)state;
	check_vector("basic");
}

static void
test_manifest_format__vector_escapes(void **state)
{
	(void)state;
	check_vector("escapes");
}

static void
test_manifest_format__vector_update(void **state)
{
	(void)state;
	check_vector("update");
}

/* ---- getters ---------------------------------------------------------------
 */

static void
test_manifest_format__getters(void **state)
{
	const char *text;
	size_t len;
	sp_manifest *m = NULL;
	const sp_manifest_entry *e;
	sp_ctx *ctx;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	text = block("manifest", "update", &len, NULL);
	assert_non_null(text);
	assert_int_equal(sp_manifest_parse(ctx, &m, text, len), 0);
	assert_string_equal(sp_manifest_product(m), "avscan");
	assert_string_equal(sp_manifest_release(m), "1.0.1");
	assert_int_equal(sp_manifest_kind_of(m), SP_MANIFEST_UPDATE);
	assert_string_equal(sp_manifest_previous(m),
	    "4facec2c091f83513d49a3aa474d1ea3f541b9a1e5a491622622da6455620cf8");
	assert_string_equal(sp_manifest_git_tree(m),
	    "0e61c51a17e7a9d3a6c67ad0b4848ac19e7e2156");
	assert_string_equal(sp_manifest_swhid(m),
	    "swh:1:dir:0e61c51a17e7a9d3a6c67ad0b4848ac19e7e2156");
	assert_int_equal(sp_manifest_file_count(m), 7);
	assert_int_equal(sp_manifest_symlink_count(m), 2);
	assert_int_equal(sp_manifest_total_bytes(m), 130);
	assert_int_equal(sp_manifest_entry_count(m), 9);
	assert_string_equal(sp_manifest_entry_at(m, 0)->path, "README");
	assert_null(sp_manifest_entry_at(m, 9));
	e = sp_manifest_find(m, "bin/scan.sh");
	assert_non_null(e);
	assert_int_equal(e->type, SP_MANIFEST_EXECUTABLE);
	assert_int_equal(e->size, SP_MANIFEST_SIZE_UNKNOWN);
	e = sp_manifest_find(m, "docs/readme");
	assert_non_null(e);
	assert_int_equal(e->type, SP_MANIFEST_SYMLINK);
	assert_string_equal(e->link_target, "../README");
	assert_int_equal(e->size, 9);
	assert_non_null(sp_manifest_find(m, "src/a-b.c"));
	assert_non_null(sp_manifest_find(m, "src/main.c"));
	assert_null(sp_manifest_find(m, "src/a"));
	assert_null(sp_manifest_find(m, "zzz"));
	assert_null(sp_manifest_find(m, ""));
	sp_manifest_free(m);
	sp_manifest_free(NULL);
	sp_ctx_free(ctx);
}

/* ---- refusals --------------------------------------------------------------
 */

#define H0 "# srcproof-manifest v1\n"
#define HK "# kind: release\n"
#define TREE "0e61c51a17e7a9d3a6c67ad0b4848ac19e7e2156"
#define HT "# git-tree: " TREE "\n# swhid: swh:1:dir:" TREE "\n"
#define S1 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define S2 "13ee1000582c87a5e194844c8791112c40cb800f3a518c5294acfe21a36579e2"
#define PREV                                                                   \
	"# previous: sha256:"                                                  \
	"4facec2c091f83513d49a3aa474d1ea3f541b9a1e5a491622622da6455620cf8\n"
#define COUNTS(f, l, b) "# files: " #f "\n# symlinks: " #l "\n# bytes: " #b "\n"

struct bad {
	const char *name;
	const char *text;
	int code;
	const char *msg; /* part of the error message */
};

static const struct bad bad_inputs[] = {
    {"empty input", "", SP_EPARSE, "header is incomplete"},
    {"not a manifest", "hello\n", SP_EPARSE, "not a srcproof manifest"},
    {"other version", "# srcproof-manifest v2\n", SP_EUNSUPPORTED,
        "unsupported manifest version"},
    {"no final newline", H0 HK COUNTS(0, 0, 0) HT "x", SP_EPARSE, "no newline"},
    {"magic only", H0, SP_EPARSE, "incomplete"},
    {"missing kind", H0 COUNTS(0, 0, 0) HT, SP_EPARSE, "expected '# kind"},
    {"bad kind", H0 "# kind: patch\n" COUNTS(0, 0, 0) HT, SP_EPARSE, "kind"},
    {"fields out of order", H0 HK "# symlinks: 0\n# files: 0\n# bytes: 0\n" HT,
        SP_EPARSE, "expected '# files: "},
    {"release before product",
        H0 "# release: 1\n# product: p\n" HK COUNTS(0, 0, 0) HT, SP_EPARSE,
        "kind"},
    {"unknown header line", H0 "# comment: hi\n" HK COUNTS(0, 0, 0) HT,
        SP_EPARSE, "kind"},
    {"empty product", H0 "# product: \n" HK COUNTS(0, 0, 0) HT, SP_EPARSE,
        "product"},
    {"control in product", H0 "# product: a\033[31m\n" HK COUNTS(0, 0, 0) HT,
        SP_EPARSE, "product"},
    {"leading zero", H0 HK "# files: 00\n# symlinks: 0\n# bytes: 0\n" HT,
        SP_EPARSE, "bad number"},
    {"number overflow",
        H0 HK "# files: 0\n# symlinks: 0\n# bytes: 18446744073709551616\n" HT,
        SP_EPARSE, "too large"},
    {"negative number", H0 HK "# files: -1\n# symlinks: 0\n# bytes: 0\n" HT,
        SP_EPARSE, "bad number"},
    {"upper-case tree",
        H0 HK COUNTS(
            0, 0, 0) "# git-tree: 0E61C51A17E7A9D3A6C67AD0B4848AC19E7E2156\n",
        SP_EPARSE, "git-tree"},
    {"swhid mismatch",
        H0 HK COUNTS(0, 0, 0) "# git-tree: " TREE "\n# swhid: swh:1:dir:"
                              "0e61c51a17e7a9d3a6c67ad0b4848ac19e7e2157\n",
        SP_EPARSE, "swhid"},
    {"previous on a release", H0 HK COUNTS(0, 0, 0) HT PREV, SP_EPARSE,
        "release manifest has no previous"},
    {"update without previous", H0 "# kind: update\n" COUNTS(0, 0, 0) HT,
        SP_EPARSE, "needs a '# previous:'"},
    {"crlf", H0 HK COUNTS(1, 0, 0) HT S1 "  a\r\n", SP_EPARSE,
        "escaped line form"},
    {"upper-case sha256",
        H0 HK COUNTS(1, 0, 0) HT
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855  "
        "a\n",
        SP_EPARSE, "lower-case hex"},
    {"one space", H0 HK COUNTS(1, 0, 0) HT S1 " a\n", SP_EPARSE,
        "lower-case hex"},
    {"binary marker", H0 HK COUNTS(1, 0, 0) HT S1 " *a\n", SP_EPARSE,
        "lower-case hex"},
    {"short hash", H0 HK COUNTS(1, 0, 0) HT "e3b0  a\n", SP_EPARSE,
        "lower-case hex"},
    {"unsorted", H0 HK COUNTS(2, 0, 0) HT S1 "  b\n" S1 "  a\n", SP_EPARSE,
        "out of order"},
    {"duplicate", H0 HK COUNTS(2, 0, 0) HT S1 "  a\n" S2 "  a\n", SP_EPARSE,
        "duplicate entry 'a'"},
    {"duplicate exec",
        H0 HK COUNTS(1, 0, 0) HT "# exec: a\n# exec: a\n" S1 "  a\n", SP_EPARSE,
        "duplicate entry 'a'"},
    {"exec without checksum", H0 HK COUNTS(1, 0, 0) HT "# exec: b\n" S1 "  a\n",
        SP_EPARSE, "no checksum line"},
    {"symlink with checksum",
        H0 HK COUNTS(1, 1, 0) HT "# symlink: a -> b\n" S1 "  a\n", SP_EPARSE,
        "both a symbolic link and a file"},
    {"meta lines unsorted",
        H0 HK COUNTS(2, 0, 0) HT "# exec: b\n# exec: a\n" S1 "  a\n" S1 "  b\n",
        SP_EPARSE, "out of order"},
    {"meta after checksums", H0 HK COUNTS(1, 0, 0) HT S1 "  a\n# exec: a\n",
        SP_EPARSE, "lower-case hex"},
    {"file and directory", H0 HK COUNTS(2, 0, 0) HT S1 "  a\n" S1 "  a/b\n",
        SP_EPARSE, "both a file and a directory"},
    {"symlink as directory",
        H0 HK COUNTS(1, 1, 0) HT "# symlink: a -> x\n" S1 "  a/b\n", SP_EPARSE,
        "both a file and a directory"},
    {"file count", H0 HK COUNTS(2, 0, 0) HT S1 "  a\n", SP_EPARSE,
        "header counts"},
    {"symlink count", H0 HK COUNTS(0, 0, 0) HT "# symlink: a -> x\n", SP_EPARSE,
        "header counts"},
    {"bytes without files", H0 HK COUNTS(0, 0, 5) HT, SP_EPARSE,
        "bytes but no file"},
    {"dot-dot path", H0 HK COUNTS(1, 0, 0) HT S1 "  a/../b\n", SP_EPARSE,
        "safe relative"},
    {"absolute path", H0 HK COUNTS(1, 0, 0) HT S1 "  /etc/passwd\n", SP_EPARSE,
        "safe relative"},
    {"empty path", H0 HK COUNTS(1, 0, 0) HT S1 "  \n", SP_EPARSE,
        "lower-case hex"},
    {"double slash", H0 HK COUNTS(1, 0, 0) HT S1 "  a//b\n", SP_EPARSE,
        "safe relative"},
    {".git path", H0 HK COUNTS(1, 0, 0) HT S1 "  .git/config\n", SP_EPARSE,
        "safe relative"},
    {"invalid utf-8", H0 HK COUNTS(1, 0, 0) HT S1 "  caf\xe9\n", SP_EPARSE,
        "UTF-8"},
    {"overlong utf-8", H0 HK COUNTS(1, 0, 0) HT S1 "  \xc0\xaf\n", SP_EPARSE,
        "UTF-8"},
    {"needless escape form", H0 HK COUNTS(1, 0, 0) HT "\\" S1 "  a\n",
        SP_EPARSE, "canonical"},
    {"raw backslash", H0 HK COUNTS(1, 0, 0) HT S1 "  a\\b\n", SP_EPARSE,
        "escaped line form"},
    {"unknown escape", H0 HK COUNTS(1, 0, 0) HT "\\" S1 "  a\\tb\n", SP_EPARSE,
        "bad escape"},
    {"dangling escape", H0 HK COUNTS(1, 0, 0) HT "\\" S1 "  ab\\\n", SP_EPARSE,
        "bad escape"},
    {"raw space in field",
        H0 HK COUNTS(1, 0, 0) HT "# exec: a b\n" S1 "  a b\n", SP_EPARSE,
        "canonical"},
    {"bad octal escape",
        H0 HK COUNTS(1, 0, 0) HT "# exec: a\\041b\n" S1 "  a!b\n", SP_EPARSE,
        "bad escape"},
    {"symlink without arrow", H0 HK COUNTS(0, 1, 0) HT "# symlink: a b\n",
        SP_EPARSE, "expected '# exec"},
    {"symlink empty target", H0 HK COUNTS(0, 1, 0) HT "# symlink: a -> \n",
        SP_EPARSE, "expected '# exec"},
    {"nul byte", H0 HK COUNTS(1, 0, 0) HT S1 "  a\0b\n", SP_EPARSE, "NUL"},
    {"trailing garbage", H0 HK COUNTS(1, 0, 0) HT S1 "  a\nhello\n", SP_EPARSE,
        "lower-case hex"},
    {"blank line", H0 HK COUNTS(1, 0, 0) HT "\n" S1 "  a\n", SP_EPARSE,
        "lower-case hex"},
};

static void
test_manifest_format__parse_refuses_malformed(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < SP_ARRAY_SIZE(bad_inputs); i++) {
		const struct bad *b = &bad_inputs[i];
		size_t len = strlen(b->text);
		sp_manifest *m = (sp_manifest *)1;
		sp_ctx *ctx;
		int rc;

		/* The NUL case holds a NUL: measure it by hand. */
		if (strcmp(b->name, "nul byte") == 0)
			len += 3;
		assert_int_equal(sp_ctx_new(&ctx), 0);
		rc = sp_manifest_parse(ctx, &m, b->text, len);
		if (rc != b->code || m != NULL ||
		    strstr(sp_ctx_errmsg(ctx), b->msg) == NULL)
			fail_msg("case '%s': rc %d (want %d), message '%s' "
			         "(want '%s')",
			    b->name, rc, b->code, sp_ctx_errmsg(ctx), b->msg);
		sp_ctx_free(ctx);
	}
}

static void
test_manifest_format__parse_accepts_minimal(void **state)
{
	static const char ok[] = H0 HK COUNTS(2, 1, 0) HT
	    "# exec: a\\040b\n# symlink: l -> a\\040b\n" S1 "  a b\n"
	    "\\" S1 "  a\\\\x\n";
	sp_manifest *m = NULL;
	sp_ctx *ctx;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	if (sp_manifest_parse(ctx, &m, ok, strlen(ok)) < 0)
		fail_msg("%s", sp_ctx_errmsg(ctx));
	assert_int_equal(sp_manifest_entry_count(m), 3);
	assert_string_equal(sp_manifest_entry_at(m, 0)->path, "a b");
	assert_int_equal(
	    sp_manifest_entry_at(m, 0)->type, SP_MANIFEST_EXECUTABLE);
	assert_string_equal(sp_manifest_entry_at(m, 1)->path, "a\\x");
	assert_string_equal(sp_manifest_entry_at(m, 2)->link_target, "a b");
	sp_manifest_free(m);
	sp_ctx_free(ctx);
}

static void
test_manifest_format__parse_limits(void **state)
{
	static const char two[] =
	    H0 HK COUNTS(2, 0, 0) HT S1 "  a\n" S1 "  bbbbbbbbbb\n";
	static const char link[] =
	    H0 HK COUNTS(0, 1, 0) HT "# symlink: a -> xxxxxxxxxxxx\n";
	struct mf_limits lim = {1 << 20, 100, 4096, 4096};
	sp_manifest *m = NULL;
	sp_ctx *ctx;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_int_equal(
	    sp_manifest__parse_limited(ctx, &m, two, strlen(two), &lim), 0);
	sp_manifest_free(m);
	lim.max_size = strlen(two) - 1;
	assert_int_equal(
	    sp_manifest__parse_limited(ctx, &m, two, strlen(two), &lim),
	    SP_ELIMIT);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "larger than the limit"));
	lim.max_size = 1 << 20;
	lim.max_entries = 1;
	assert_int_equal(
	    sp_manifest__parse_limited(ctx, &m, two, strlen(two), &lim),
	    SP_ELIMIT);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "more than 1 entries"));
	lim.max_entries = 100;
	lim.max_path = 9;
	assert_int_equal(
	    sp_manifest__parse_limited(ctx, &m, two, strlen(two), &lim),
	    SP_ELIMIT);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "path too long"));
	lim.max_path = 10;
	assert_int_equal(
	    sp_manifest__parse_limited(ctx, &m, two, strlen(two), &lim), 0);
	sp_manifest_free(m);
	lim.max_target = 11;
	assert_int_equal(
	    sp_manifest__parse_limited(ctx, &m, link, strlen(link), &lim),
	    SP_ELIMIT);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "target too long"));
	assert_null(m);
	/* The public limit: one byte over 512 MiB is refused unread. */
	assert_int_equal(
	    sp_manifest_parse(ctx, &m, two, SP_MANIFEST_MAX_SIZE + (size_t)1),
	    SP_ELIMIT);
	sp_ctx_free(ctx);
}

/* More entries than the parser's first allocation: it grows while the
 * previous entry is still compared (a moved array must not be read). */
static void
test_manifest_format__many_entries(void **state)
{
	sp_buf t = SP_BUF_INIT, again = SP_BUF_INIT;
	sp_manifest *m = NULL;
	sp_ctx *ctx;
	int i;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_int_equal(
	    sp_buf_puts(&t, H0 HK "# files: 1000\n# symlinks: 300\n"
	                          "# bytes: 1\n" HT),
	    0);
	for (i = 0; i < 1000; i += 2)
		assert_int_equal(sp_buf_printf(&t, "# exec: f%04d\n", i), 0);
	for (i = 0; i < 300; i++)
		assert_int_equal(
		    sp_buf_printf(&t, "# symlink: l%04d -> f%04d\n", i, i), 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(sp_buf_printf(&t, S1 "  f%04d\n", i), 0);
	if (sp_manifest_parse(ctx, &m, t.ptr, t.size) < 0)
		fail_msg("%s", sp_ctx_errmsg(ctx));
	assert_int_equal(sp_manifest_entry_count(m), 1300);
	assert_int_equal(
	    sp_manifest_find(m, "f0998")->type, SP_MANIFEST_EXECUTABLE);
	assert_int_equal(
	    sp_manifest_find(m, "f0999")->type, SP_MANIFEST_REGULAR);
	assert_string_equal(sp_manifest_find(m, "l0299")->link_target, "f0299");
	assert_int_equal(sp_manifest_serialize(ctx, m, &again), 0);
	assert_int_equal(again.size, t.size);
	assert_memory_equal(again.ptr, t.ptr, t.size);
	sp_manifest_free(m);
	/* Out of order deep in the list is still caught. */
	memcpy(strstr(t.ptr, "  f0700\n") + 2, "f0699", 5);
	assert_int_equal(sp_manifest_parse(ctx, &m, t.ptr, t.size), SP_EPARSE);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "duplicate entry 'f0699'"));
	sp_buf_dispose(&t);
	sp_buf_dispose(&again);
	sp_ctx_free(ctx);
}

static void
test_manifest_format__load_and_digest_file(void **state)
{
	const char *text;
	char path[512];
	uint8_t a[32], b[32];
	size_t len;
	sp_manifest *m = NULL;
	sp_ctx *ctx;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	text = block("manifest", "basic", &len, NULL);
	snprintf(path, sizeof(path), "%s/load.manifest", tmpdir);
	assert_int_equal(
	    sp_write_file_atomic(ctx, path, text, len, 0644, 0), 0);
	assert_int_equal(sp_manifest_load(ctx, &m, path), 0);
	assert_int_equal(sp_manifest_digest(ctx, m, a), 0);
	assert_int_equal(sp_manifest_digest_file(ctx, b, path), 0);
	assert_memory_equal(a, b, 32);
	sp_manifest_free(m);
	/* Errors name the file. */
	snprintf(path, sizeof(path), "%s/bad.manifest", tmpdir);
	assert_int_equal(sp_write_file_atomic(ctx, path, "x\n", 2, 0644, 0), 0);
	assert_int_equal(sp_manifest_load(ctx, &m, path), SP_EPARSE);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "bad.manifest"));
	assert_null(m);
	snprintf(path, sizeof(path), "%s/none.manifest", tmpdir);
	assert_int_equal(sp_manifest_load(ctx, &m, path), SP_ENOTFOUND);
	sp_ctx_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_manifest_format__vector_empty),
	    cmocka_unit_test(test_manifest_format__vector_basic),
	    cmocka_unit_test(test_manifest_format__vector_escapes),
	    cmocka_unit_test(test_manifest_format__vector_update),
	    cmocka_unit_test(test_manifest_format__getters),
	    cmocka_unit_test(test_manifest_format__parse_refuses_malformed),
	    cmocka_unit_test(test_manifest_format__parse_accepts_minimal),
	    cmocka_unit_test(test_manifest_format__parse_limits),
	    cmocka_unit_test(test_manifest_format__many_entries),
	    cmocka_unit_test(test_manifest_format__load_and_digest_file),
	};

	return cmocka_run_group_tests_name(
	    "manifest_format", tests, group_setup, group_teardown);
}
