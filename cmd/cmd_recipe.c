/*
 * srcproof recipe: record, show and check build recipes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "srcproof/recipe.h"

#include "banned.h"

enum {
	OPT_SOURCE = CLI_OPT_FIRST_FREE,
	OPT_WORKDIR,
	OPT_OUTPUT,
	OPT_TOOL,
	OPT_ENV,
	OPT_SDE,
	OPT_NO_VERSIONS,
	OPT_FORCE,
	OPT_PATH,
};

static const char record_usage[] =
    "usage: srcproof recipe record -o RECIPE [options] -- COMMAND [ARG...]\n"
    "\n"
    "Record how a build runs: the command, where it runs, SOURCE_DATE_EPOCH,\n"
    "an allowlisted environment, the toolchain found on PATH (path, SHA-256,\n"
    "version) and the host. Nothing is run but `TOOL --version`.\n"
    "\n"
    "options:\n"
    "  -o, --output-file RECIPE   where to write the recipe (JSON)\n"
    "  --source DIR               source root (default: .)\n"
    "  --workdir DIR              where COMMAND runs, relative to the source\n"
    "                             root (default: .)\n"
    "  --output PATH              a declared build output, relative to the\n"
    "                             source root (repeatable)\n"
    "  --tool NAME                another tool to identify (repeatable)\n"
    "  --env NAME                 another environment variable to record\n"
    "                             (repeatable; the allowlist is CC CXX LD AR\n"
    "                             CFLAGS CPPFLAGS CXXFLAGS LDFLAGS MAKEFLAGS\n"
    "                             LANG LC_* TZ SOURCE_DATE_EPOCH ...)\n"
    "  --source-date-epoch T      seconds, @SECONDS or YYYY-MM-DD[THH:MM:SSZ]\n"
    "                             (default: $SOURCE_DATE_EPOCH)\n"
    "  --no-versions              do not run `TOOL --version`\n"
    "  -f, --force                replace an existing RECIPE\n"
    "  --json                     one JSON document on stdout\n"
    "  -q, --quiet                print nothing on success\n"
    "  -h, --help                 this help\n";

static int
parse_time(const char *cmd, const char *s, int64_t *out)
{
	char at[32];

	if (sp_time_parse(out, s) == 0)
		return 0;
	if (strlen(s) <= 20 && s[0] >= '0' && s[0] <= '9') {
		snprintf(at, sizeof(at), "@%s", s);
		if (sp_time_parse(out, at) == 0)
			return 0;
	}
	return cli_usage_error(cmd,
	    "--source-date-epoch needs seconds, @SECONDS or an RFC 3339 UTC "
	    "time, not '%s'",
	    s);
}

static json_t *
recipe_json(const sp_recipe *r)
{
	json_t *doc = json_object(), *a, *o;
	const char *const *argv, *const *outs;
	const sp_recipe_env *env;
	const sp_recipe_tool *tools;
	size_t argc, n, i;
	int64_t sde;

	if (doc == NULL)
		return NULL;
	argv = sp_recipe_command(r, &argc);
	a = json_array();
	for (i = 0; i < argc; i++)
		json_array_append_new(a, json_string(argv[i]));
	json_object_set_new(doc, "command", a);
	json_object_set_new(doc, "workdir", json_string(sp_recipe_workdir(r)));
	json_object_set_new(
	    doc, "build_path", json_string(sp_recipe_build_path(r)));
	if (sp_recipe_source_date_epoch(r, &sde))
		json_object_set_new(
		    doc, "source_date_epoch", json_integer(sde));
	else
		json_object_set_new(doc, "source_date_epoch", json_null());
	env = sp_recipe_environment(r, &n);
	o = json_object();
	for (i = 0; i < n; i++)
		json_object_set_new(o, env[i].name, json_string(env[i].value));
	json_object_set_new(doc, "environment", o);
	tools = sp_recipe_toolchain(r, &n);
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "name",
		           tools[i].name, "path", tools[i].path, "resolved",
		           tools[i].resolved, "sha256", tools[i].sha256, "size",
		           (json_int_t)tools[i].size, "version",
		           tools[i].version));
	json_object_set_new(doc, "toolchain", a);
	json_object_set_new(doc, "host",
	    json_pack("{s:s, s:s, s:s}", "arch", sp_recipe_arch(r), "os",
	        sp_recipe_os(r), "distro", sp_recipe_distro(r)));
	outs = sp_recipe_outputs(r, &n);
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(outs[i]));
	json_object_set_new(doc, "outputs", a);
	return doc;
}

static void
print_recipe(const sp_recipe *r)
{
	const char *const *argv, *const *outs;
	const sp_recipe_env *env;
	const sp_recipe_tool *tools;
	size_t argc, n, i;
	int64_t sde;
	char when[SP_TIME_STR_LEN];

	argv = sp_recipe_command(r, &argc);
	printf("command:    ");
	for (i = 0; i < argc; i++) {
		if (i > 0)
			putchar(' ');
		putchar('\'');
		cli_print_untrusted(stdout, argv[i]);
		putchar('\'');
	}
	printf("\nbuild path: ");
	cli_print_untrusted(stdout, sp_recipe_build_path(r));
	printf("\nworkdir:    ");
	cli_print_untrusted(stdout, sp_recipe_workdir(r));
	if (sp_recipe_source_date_epoch(r, &sde) &&
	    sp_time_format(when, sde) == 0)
		printf("\nSOURCE_DATE_EPOCH: %lld (%s)", (long long)sde, when);
	else
		printf("\nSOURCE_DATE_EPOCH: (not recorded)");
	printf("\nhost:       ");
	cli_print_untrusted(stdout, sp_recipe_os(r));
	putchar(' ');
	cli_print_untrusted(stdout, sp_recipe_arch(r));
	if (sp_recipe_distro(r)[0] != '\0') {
		printf(", ");
		cli_print_untrusted(stdout, sp_recipe_distro(r));
	}
	env = sp_recipe_environment(r, &n);
	printf("\nenvironment (%zu):\n", n);
	for (i = 0; i < n; i++) {
		printf("  ");
		cli_print_untrusted(stdout, env[i].name);
		putchar('=');
		cli_print_untrusted(stdout, env[i].value);
		putchar('\n');
	}
	tools = sp_recipe_toolchain(r, &n);
	printf("toolchain (%zu):\n", n);
	for (i = 0; i < n; i++) {
		printf("  ");
		cli_print_untrusted(stdout, tools[i].name);
		printf("\n    ");
		cli_print_untrusted(stdout, tools[i].resolved);
		printf("  sha256 %s", tools[i].sha256);
		if (tools[i].version[0] != '\0') {
			printf("\n    ");
			cli_print_untrusted(stdout, tools[i].version);
		}
		putchar('\n');
	}
	outs = sp_recipe_outputs(r, &n);
	printf("outputs (%zu):\n", n);
	for (i = 0; i < n; i++) {
		printf("  ");
		cli_print_untrusted(stdout, outs[i]);
		putchar('\n');
	}
}

static int
recipe_record(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"output-file", required_argument, NULL, 'o'},
	    {"source", required_argument, NULL, OPT_SOURCE},
	    {"workdir", required_argument, NULL, OPT_WORKDIR},
	    {"output", required_argument, NULL, OPT_OUTPUT},
	    {"tool", required_argument, NULL, OPT_TOOL},
	    {"env", required_argument, NULL, OPT_ENV},
	    {"source-date-epoch", required_argument, NULL, OPT_SDE},
	    {"no-versions", no_argument, NULL, OPT_NO_VERSIONS},
	    {"force", no_argument, NULL, 'f'}, CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	static const char cmd[] = "recipe record";
	sp_recipe_record_options o = SP_RECIPE_RECORD_OPTIONS_INIT;
	struct cli_common common = {0};
	const char **outputs = NULL, **tools = NULL, **envs = NULL;
	const char *dest = NULL;
	sp_recipe *r = NULL;
	bool force = false;
	int opt, exit_now = -1, rc = CLI_EXIT_OK;

	outputs = calloc((size_t)argc + 1, sizeof(*outputs));
	tools = calloc((size_t)argc + 1, sizeof(*tools));
	envs = calloc((size_t)argc + 1, sizeof(*envs));
	if (outputs == NULL || tools == NULL || envs == NULL) {
		cli_error("out of memory");
		rc = CLI_EXIT_ERROR;
		goto out;
	}
	cli_getopt_reset();
	/* "+": stop at the first non-option (the build command). */
	while ((opt = getopt_long(argc, argv, "+o:f" CLI_COMMON_SHORTOPTS,
	            longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, record_usage, &exit_now))
			continue;
		switch (opt) {
		case 'o':
			dest = optarg;
			break;
		case OPT_SOURCE:
			o.source_dir = optarg;
			break;
		case OPT_WORKDIR:
			o.workdir = optarg;
			break;
		case OPT_OUTPUT:
			outputs[o.noutputs++] = optarg;
			break;
		case OPT_TOOL:
			tools[o.ntools++] = optarg;
			break;
		case OPT_ENV:
			envs[o.nenv_names++] = optarg;
			break;
		case OPT_SDE:
			if (parse_time(cmd, optarg, &o.source_date_epoch) !=
			    0) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			o.have_source_date_epoch = true;
			break;
		case OPT_NO_VERSIONS:
			o.no_versions = true;
			break;
		case 'f':
			force = true;
			break;
		default:
			rc = cli_bad_option(cmd, argv);
			goto out;
		}
	}
	if (exit_now >= 0) {
		rc = exit_now;
		goto out;
	}
	if (optind >= argc) {
		rc = cli_usage_error(cmd, "missing the build command after --");
		goto out;
	}
	if (dest == NULL) {
		rc = cli_usage_error(cmd, "missing -o RECIPE");
		goto out;
	}
	o.argv = (const char *const *)argv + optind;
	o.argc = (size_t)(argc - optind);
	o.outputs = outputs;
	o.tools = tools;
	o.env_names = envs;
	if (sp_recipe_record(ctx, &r, &o) < 0 ||
	    sp_recipe_write(ctx, r, dest, force ? 0 : SP_ATOMIC_EXCL) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json) {
		json_t *doc = recipe_json(r);

		if (doc != NULL)
			json_object_set_new(doc, "output", json_string(dest));
		rc = cli_json_print(doc, "recipe.record");
	} else if (!common.quiet) {
		size_t nt, ne;

		(void)sp_recipe_toolchain(r, &nt);
		(void)sp_recipe_environment(r, &ne);
		printf("wrote ");
		cli_print_untrusted(stdout, dest);
		printf(": %zu tools, %zu environment variables, %s %s\n", nt,
		    ne, sp_recipe_os(r), sp_recipe_arch(r));
	}
out:
	sp_recipe_free(r);
	free(outputs);
	free(tools);
	free(envs);
	return rc;
}

static const char show_usage[] =
    "usage: srcproof recipe show RECIPE [--json]\n"
    "\n"
    "Print what a build recipe records (strictly parsed).\n"
    "\n"
    "options:\n"
    "  --json       one JSON document on stdout\n"
    "  -q, --quiet  print nothing; exit status only\n"
    "  -h, --help   this help\n";

static int
recipe_show(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	static const char cmd[] = "recipe show";
	struct cli_common common = {0};
	sp_recipe *r = NULL;
	int opt, exit_now = -1, rc = CLI_EXIT_OK;

	cli_getopt_reset();
	while ((opt = getopt_long(
	            argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, show_usage, &exit_now))
			continue;
		return cli_bad_option(cmd, argv);
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind >= argc)
		return cli_usage_error(cmd, "missing RECIPE");
	if (optind + 1 != argc)
		return cli_usage_error(
		    cmd, "unexpected argument '%s'", argv[optind + 1]);
	if (sp_recipe_load(ctx, &r, argv[optind]) < 0)
		return cli_fail(ctx);
	if (common.json)
		rc = cli_json_print(recipe_json(r), "recipe.show");
	else if (!common.quiet)
		print_recipe(r);
	sp_recipe_free(r);
	return rc;
}

static const char check_usage[] =
    "usage: srcproof recipe check RECIPE [--path PATH] [--json]\n"
    "\n"
    "Compare the toolchain a recipe records with this machine's: each tool\n"
    "at its recorded path, else by name on PATH. Exit 0 when every tool has\n"
    "the same SHA-256, 1 when one differs or is missing.\n"
    "\n"
    "options:\n"
    "  --path PATH  search this PATH instead of $PATH\n"
    "  --json       one JSON document on stdout\n"
    "  -q, --quiet  print only differences\n"
    "  -h, --help   this help\n";

struct check_out {
	struct cli_common *common;
	json_t *tools;
};

static int
check_cb(sp_recipe_tool_status st, const sp_recipe_tool *t,
    const char *local_path, const char *local_sha256, void *payload)
{
	struct check_out *co = payload;
	static const char *const names[] = {"SAME", "DIFFERENT", "MISSING"};

	if (co->common->json) {
		json_array_append_new(
		    co->tools, json_pack("{s:s, s:s, s:s, s:s?, s:s?}", "name",
		                   t->name, "status", names[st],
		                   "recorded_sha256", t->sha256, "local_path",
		                   local_path, "local_sha256", local_sha256));
		return 0;
	}
	if (co->common->quiet && st == SP_TOOL_SAME)
		return 0;
	printf("%-9s ", names[st]);
	cli_print_untrusted(stdout, t->name);
	if (local_path != NULL) {
		printf("  ");
		cli_print_untrusted(stdout, local_path);
	}
	putchar('\n');
	return 0;
}

static int
recipe_check(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"path", required_argument, NULL, OPT_PATH}, CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	static const char cmd[] = "recipe check";
	struct cli_common common = {0};
	struct check_out co = {&common, NULL};
	const char *path = NULL;
	sp_recipe *r = NULL;
	int opt, exit_now = -1, rc = CLI_EXIT_OK, error;

	cli_getopt_reset();
	while ((opt = getopt_long(
	            argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, check_usage, &exit_now))
			continue;
		if (opt == OPT_PATH) {
			path = optarg;
			continue;
		}
		return cli_bad_option(cmd, argv);
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind >= argc)
		return cli_usage_error(cmd, "missing RECIPE");
	if (optind + 1 != argc)
		return cli_usage_error(
		    cmd, "unexpected argument '%s'", argv[optind + 1]);
	if (sp_recipe_load(ctx, &r, argv[optind]) < 0)
		return cli_fail(ctx);
	if (common.json && (co.tools = json_array()) == NULL) {
		sp_recipe_free(r);
		cli_error("out of memory");
		return CLI_EXIT_ERROR;
	}
	error = sp_recipe_check_toolchain(ctx, r, path, check_cb, &co);
	if (error < 0 && error != SP_EVERIFY) {
		rc = cli_fail(ctx);
		json_decref(co.tools);
	} else if (common.json) {
		rc = cli_json_print(json_pack("{s:b, s:o}", "match", error == 0,
		                        "tools", co.tools),
		    "recipe.check");
		if (rc == CLI_EXIT_OK && error < 0)
			rc = CLI_EXIT_FAIL;
	} else if (error < 0) {
		rc = cli_fail(ctx);
	}
	sp_recipe_free(r);
	return rc;
}

int
cmd_recipe(int argc, char **argv, sp_ctx *ctx)
{
	static const struct cli_sub subs[] = {
	    {"record", recipe_record,
	        "record a build's command, environment and toolchain"},
	    {"show", recipe_show, "print a recipe"},
	    {"check", recipe_check,
	        "compare a recipe's toolchain with this machine's"},
	};

	return cli_dispatch("recipe",
	    "Build recipes: what a rebuild needs to know about a build.", subs,
	    sizeof(subs) / sizeof(subs[0]), argc, argv, ctx);
}
