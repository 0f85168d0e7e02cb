/*
 * Unit tests for recipes: the test vector of docs/spec/recipe.md, strict
 * parsing, recording from a controlled environment.
 */
#include <limits.h>
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

#include "srcproof/recipe.h"
#include "srcproof/srcproof.h"
#include "util_int.h"

/* The JSON between the markers of docs/spec/recipe.md. */
static void
load_vector(sp_ctx *ctx, sp_buf *out)
{
	sp_buf spec = SP_BUF_INIT;
	const char *a, *b;

	assert_int_equal(
	    sp_read_file(ctx, &spec, SP_SOURCE_DIR "/docs/spec/recipe.md",
	        (size_t)1 << 20, 0),
	    0);
	a = strstr(spec.ptr, "<!-- recipe-vector-begin -->\n```json\n");
	assert_non_null(a);
	a = strchr(strchr(a, '\n') + 1, '\n') + 1;
	b = strstr(a, "```\n<!-- recipe-vector-end -->");
	assert_non_null(b);
	assert_int_equal(sp_buf_put(out, a, (size_t)(b - a)), 0);
	sp_buf_dispose(&spec);
}

static void
test_recipe__vector_round_trip(void **state)
{
	sp_ctx *ctx = NULL;
	sp_recipe *r = NULL;
	sp_buf text = SP_BUF_INIT, again = SP_BUF_INIT;
	const char *const *argv, *const *outs;
	const sp_recipe_env *env;
	const sp_recipe_tool *tools;
	size_t n;
	int64_t sde = 0;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	load_vector(ctx, &text);
	assert_int_equal(sp_recipe_parse(ctx, &r, text.ptr, text.size), 0);
	assert_int_equal(sp_recipe_serialize(ctx, r, &again), 0);
	assert_int_equal(again.size, text.size);
	assert_memory_equal(again.ptr, text.ptr, text.size);

	argv = sp_recipe_command(r, &n);
	assert_int_equal(n, 4);
	assert_string_equal(argv[0], "make");
	assert_string_equal(argv[2], "CC=x86_64-w64-mingw32-gcc");
	assert_null(argv[4]);
	assert_string_equal(sp_recipe_workdir(r), ".");
	assert_string_equal(sp_recipe_build_path(r), "/build/av-1.0");
	assert_true(sp_recipe_source_date_epoch(r, &sde));
	assert_int_equal(sde, 1700000000);
	env = sp_recipe_environment(r, &n);
	assert_int_equal(n, 4);
	assert_string_equal(env[0].name, "CFLAGS");
	assert_string_equal(env[3].name, "TZ");
	assert_string_equal(sp_recipe_getenv(r, "LANG"), "C.UTF-8");
	assert_null(sp_recipe_getenv(r, "HOME"));
	tools = sp_recipe_toolchain(r, &n);
	assert_int_equal(n, 2);
	assert_string_equal(tools[1].name, "x86_64-w64-mingw32-gcc");
	assert_int_equal(tools[1].size, 1234567);
	assert_string_equal(tools[0].sha256,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(sp_recipe_arch(r), "x86_64");
	assert_string_equal(sp_recipe_os(r), "Linux");
	assert_string_equal(sp_recipe_distro(r), "debian 12");
	outs = sp_recipe_outputs(r, &n);
	assert_int_equal(n, 2);
	assert_string_equal(outs[1], "build/avdb.bin");
	sp_recipe_free(r);
	sp_buf_dispose(&text);
	sp_buf_dispose(&again);
	sp_ctx_free(ctx);
}

static void
test_recipe__strict_parse(void **state)
{
	static const struct {
		const char *from, *to;
	} edits[] = {
	    {"\"format\": \"srcproof-recipe v1\"",
	        "\"format\": \"srcproof-recipe v2\""},
	    {"\"workdir\": \".\"", "\"workdir\": \"a/../b\""},
	    {"\"workdir\": \".\"", "\"workdir\": 1"},
	    {"\"build_path\": \"/build/av-1.0\"", "\"build_path\": \"x\""},
	    {"\"source_date_epoch\": 1700000000", "\"source_date_epoch\": -5"},
	    {"\"source_date_epoch\": 1700000000",
	        "\"source_date_epoch\": 253402300800"},
	    {"\"size\": 0,", "\"size\": -1,"},
	    {"\"TZ\": \"UTC\"", "\"T-Z\": \"UTC\""},
	    {"\"TZ\": \"UTC\"", "\"TZ\": 5"},
	    {"\"build/avdb.bin\"", "\"build/av.exe\""},
	    {"\"build/avdb.bin\"", "\"/etc/shadow\""},
	    {"\"os\": \"Linux\"", "\"os\": \"Linux\", \"kernel\": \"6.1\""},
	    {"\"format\"", "\"unknown\": 1, \"format\""},
	    {"\"version\": \"GNU Make 4.3\"",
	        "\"version\": \"GNU Make 4.3\", \"extra\": 1"},
	    {"\"command\": [", "\"command\": [\"\", "},
	    {"\"name\": \"make\"", "\"name\": \"x86_64-w64-mingw32-gcc\""},
	};
	sp_ctx *ctx = NULL;
	sp_recipe *r = NULL;
	sp_buf text = SP_BUF_INIT, bad = SP_BUF_INIT;
	size_t i;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	load_vector(ctx, &text);
	for (i = 0; i < SP_ARRAY_SIZE(edits); i++) {
		const char *at = strstr(text.ptr, edits[i].from);

		assert_non_null(at);
		sp_buf_clear(&bad);
		assert_int_equal(
		    sp_buf_put(&bad, text.ptr, (size_t)(at - text.ptr)), 0);
		assert_int_equal(sp_buf_puts(&bad, edits[i].to), 0);
		assert_int_equal(
		    sp_buf_puts(&bad, at + strlen(edits[i].from)), 0);
		if (sp_recipe_parse(ctx, &r, bad.ptr, bad.size) != SP_EPARSE)
			fail_msg("edit %zu was accepted: %s", i, edits[i].to);
		assert_null(r);
		assert_non_null(strstr(sp_ctx_errmsg(ctx), "recipe"));
	}
	assert_int_equal(sp_recipe_parse(ctx, &r, "[]", 2), SP_EPARSE);
	assert_int_equal(sp_recipe_parse(ctx, &r, "{", 1), SP_EPARSE);
	assert_int_equal(
	    sp_recipe_parse(ctx, &r, text.ptr, SP_RECIPE_MAX_SIZE + 1),
	    SP_ELIMIT);
	sp_buf_dispose(&text);
	sp_buf_dispose(&bad);
	sp_ctx_free(ctx);
}

static void
test_recipe__record_controlled_environment(void **state)
{
	char dir[256], real[PATH_MAX], sub[300];
	const char *const envp[] = {"PATH=/nonexistent", "CC=gcc -m32",
	    "CFLAGS=-O2", "LC_TIME=C", "SECRET_TOKEN=hunter2", "HOME=/root",
	    "EXTRA=yes", "SOURCE_DATE_EPOCH=42", NULL};
	const char *const argv[] = {"make", "all"};
	const char *const outs[] = {"b/x", "a/y", "b/x"};
	const char *const names[] = {"EXTRA"};
	sp_recipe_record_options o = SP_RECIPE_RECORD_OPTIONS_INIT;
	sp_recipe *r = NULL;
	sp_ctx *ctx = NULL;
	const sp_recipe_env *env;
	const char *const *got;
	size_t n;
	int64_t sde;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/sp-recipe-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/build", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_non_null(realpath(dir, real));
	assert_int_equal(sp_ctx_new(&ctx), 0);
	o.argv = argv;
	o.argc = 2;
	o.source_dir = dir;
	o.workdir = "build";
	o.outputs = outs;
	o.noutputs = 3;
	o.env_names = names;
	o.nenv_names = 1;
	o.envp = envp;
	o.no_versions = true;
	assert_int_equal(sp_recipe_record(ctx, &r, &o), 0);
	assert_string_equal(sp_recipe_build_path(r), real);
	assert_string_equal(sp_recipe_workdir(r), "build");
	assert_true(sp_recipe_source_date_epoch(r, &sde));
	assert_int_equal(sde, 42);
	env = sp_recipe_environment(r, &n);
	assert_int_equal(n, 5); /* CC CFLAGS EXTRA LC_TIME SOURCE_DATE_EPOCH */
	assert_string_equal(env[0].name, "CC");
	assert_string_equal(sp_recipe_getenv(r, "CC"), "gcc -m32");
	assert_string_equal(sp_recipe_getenv(r, "EXTRA"), "yes");
	assert_null(sp_recipe_getenv(r, "SECRET_TOKEN"));
	assert_null(sp_recipe_getenv(r, "HOME"));
	assert_null(sp_recipe_getenv(r, "PATH"));
	(void)sp_recipe_toolchain(r, &n);
	assert_int_equal(n, 0); /* nothing on /nonexistent */
	got = sp_recipe_outputs(r, &n);
	assert_int_equal(n, 2);
	assert_string_equal(got[0], "a/y");
	assert_int_equal(
	    sp_recipe_check_toolchain(ctx, r, "/nonexistent", NULL, NULL), 0);
	sp_recipe_free(r);

	/* Refusals. */
	o.workdir = "../x";
	assert_int_equal(sp_recipe_record(ctx, &r, &o), SP_EINVALID);
	o.workdir = "missing";
	assert_int_equal(sp_recipe_record(ctx, &r, &o), SP_ENOTFOUND);
	o.workdir = NULL;
	o.argc = 0;
	assert_int_equal(sp_recipe_record(ctx, &r, &o), SP_EINVALID);
	o.argc = 2;
	o.have_source_date_epoch = true;
	o.source_date_epoch = -1;
	assert_int_equal(sp_recipe_record(ctx, &r, &o), SP_EINVALID);
	o.have_source_date_epoch = false;
	{
		static const char *const tools[] = {"no-such-tool-xyz"};

		o.tools = tools;
		o.ntools = 1;
		assert_int_equal(sp_recipe_record(ctx, &r, &o), SP_ENOTFOUND);
	}
	assert_null(r);
	assert_true(sp_recipe_env_allowed("LC_CTYPE"));
	assert_false(sp_recipe_env_allowed("LC_"));
	assert_false(sp_recipe_env_allowed("PATH"));
	rmdir(sub);
	rmdir(dir);
	sp_ctx_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_recipe__vector_round_trip),
	    cmocka_unit_test(test_recipe__strict_parse),
	    cmocka_unit_test(test_recipe__record_controlled_environment),
	};

	return cmocka_run_group_tests_name("recipe", tests, NULL, NULL);
}
