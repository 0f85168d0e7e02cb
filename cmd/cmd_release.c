/*
 * srcproof release: the release pipeline as one non-interactive step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_secret.h"
#include "srcproof/release.h"

#include "banned.h"

enum {
	OPT_CONFIG = CLI_OPT_FIRST_FREE,
	OPT_PASSPHRASE_FD,
	OPT_TIME,
};

static const char usage[] =
    "usage: srcproof release --config FILE [-o OUTDIR] [--passphrase-fd N]\n"
    "                        [--time TIME] [--json] [-q]\n"
    "\n"
    "Run the release pipeline in one step, for a CI system: build the\n"
    "manifest (directory, git revision or archive), sign it with every\n"
    "configured key (files or PKCS#11 URIs) and check the policy's "
    "threshold,\n"
    "record or copy the build recipe, pack the escrow bundle, append the\n"
    "signed manifest to the transparency log, have the witnesses cosign\n"
    "the new checkpoint (the config's witness_command) and pack the bundle\n"
    "again with the log proof. Everything goes to the new directory "
    "OUTDIR,\n"
    "which appears whole or not at all. Never prompts.\n"
    "\n"
    "options:\n"
    "  -c, --config FILE     the release configuration (JSON,\n"
    "                        docs/spec/release-config.md)\n"
    "  -o, --output OUTDIR   output directory (default: the config's "
    "\"output\")\n"
    "  --passphrase-fd N     read one passphrase or PIN from descriptor N,\n"
    "                        for every key without \"passphrase_env\"\n"
    "  --time TIME           signed_at of the statement (default: now)\n"
    "  --json                one JSON document on stdout "
    "(srcproof.release/v1)\n"
    "  -q, --quiet           print nothing on success\n"
    "  -h, --help            this help\n"
    "\n"
    "Passphrases and PINs: the variable named by a key's \"passphrase_env\",\n"
    "else --passphrase-fd, else SRCPROOF_PASSPHRASE.\n"
    "\n"
    "exit status: 0 released, 1 refused (wrong passphrase or PIN, "
    "signatures\n"
    "below the policy threshold, source not matching the manifest,\n"
    "witness quorum not met), 2 usage or configuration error, 3 could not\n"
    "complete (missing key, source or log directory, output exists, I/O).\n"
    "On any failure OUTDIR does not exist.\n";

/* Where passphrases come from. The descriptor is read once. */
struct secrets {
	struct cli_secret fd;
	sp_buf from_fd;
	bool have_fd;
};

static int
put_secret(sp_ctx *ctx, sp_buf *out, const char *s, size_t len)
{
	if (sp_buf_put(out, s, len) < 0 ||
	    (out->ptr == NULL && sp_buf_puts(out, "") < 0))
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	return 0;
}

static int
release_secret(sp_ctx *ctx, sp_buf *out, const char *key, const char *env_name,
    void *payload)
{
	struct secrets *s = payload;
	const char *v;
	int error;

	if (env_name != NULL) {
		if ((v = getenv(env_name)) == NULL) {
			error = sp_err_set(ctx, SP_EINVALID,
			    "key '%s' needs its passphrase or PIN in $%s "
			    "(passphrase_env), which is not set",
			    key, env_name);
			return error;
		}
		return put_secret(ctx, out, v, strlen(v));
	}
	if (s->fd.fd >= 0) {
		if (!s->have_fd) {
			if ((error = cli_secret_cb(
			         ctx, &s->from_fd, key, false, &s->fd)) < 0)
				return error;
			s->have_fd = true;
		}
		return put_secret(ctx, out,
		    s->from_fd.ptr != NULL ? s->from_fd.ptr : "",
		    s->from_fd.size);
	}
	if ((v = getenv(CLI_SECRET_ENV)) != NULL)
		return put_secret(ctx, out, v, strlen(v));
	error = sp_err_set(ctx, SP_EINVALID,
	    "key '%s' needs a passphrase or PIN and release never prompts",
	    key);
	sp_err_hint(ctx,
	    "name the variable holding it with \"passphrase_env\" "
	    "in the config, or set %s, or use --passphrase-fd",
	    CLI_SECRET_ENV);
	return error;
}

#ifdef SP_TEST_HOOKS
/*
 * Test hook: SRCPROOF_TEST_RELEASE_FAIL=STEP makes that step fail. Built
 * only with the CMake option SP_TEST_HOOKS (Debug and Sanitize builds).
 */
static int
fail_at(const char *step, void *payload)
{
	const char *want = payload;

	return want != NULL && strcmp(want, step) == 0;
}
#endif

int
cmd_release(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"output", required_argument, NULL, 'o'},
	    {"passphrase-fd", required_argument, NULL, OPT_PASSPHRASE_FD},
	    {"time", required_argument, NULL, OPT_TIME}, CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	static const char cmd[] = "release";
	sp_release_options o = SP_RELEASE_OPTIONS_INIT;
	sp_release_config *cfg = NULL;
	sp_release_result res;
	struct cli_common common = {0};
	struct secrets sec;
	const char *config = NULL;
	json_t *doc = NULL;
	size_t i;
	int opt, exit_now = -1, rc = CLI_EXIT_OK;

	memset(&sec, 0, sizeof(sec));
	sec.fd.fd = -1;
	sp_buf_init(&sec.from_fd, CLI_SECRET_MAX + 1);
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "c:o:" CLI_COMMON_SHORTOPTS,
	            longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, usage, &exit_now))
			continue;
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'o':
			o.output = optarg;
			break;
		case OPT_PASSPHRASE_FD:
			if (cli_secret_parse_fd(&sec.fd, cmd, optarg) != 0) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_TIME:
			if (sp_time_parse(&o.now, optarg) < 0 || o.now <= 0) {
				rc = cli_usage_error(cmd,
				    "--time needs YYYY-MM-DDTHH:MM:SSZ, not "
				    "'%s'",
				    optarg);
				goto out;
			}
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
	if (optind != argc) {
		rc = cli_usage_error(
		    cmd, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (config == NULL) {
		rc = cli_usage_error(cmd, "missing --config FILE");
		goto out;
	}
	if (sp_release_config_load(ctx, &cfg, config) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (o.output == NULL && sp_release_config_output(cfg) == NULL) {
		rc = cli_usage_error(cmd, "no output directory: give -o OUTDIR "
		                          "or \"output\" in the config");
		goto out;
	}
	o.secret = release_secret;
	o.secret_payload = &sec;
#ifdef SP_TEST_HOOKS
	o.step = fail_at;
	o.step_payload = getenv("SRCPROOF_TEST_RELEASE_FAIL");
#endif
	if (sp_release_run(ctx, cfg, &o, &res) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json) {
		if (sp_release_json(ctx, &res, &doc) < 0) {
			rc = cli_fail(ctx);
			goto out;
		}
		json_object_set_new(doc, "output", json_string(res.output));
		rc = cli_json_print(doc, "release");
		doc = NULL;
		goto out;
	}
	if (common.quiet)
		goto out;
	printf("released ");
	cli_print_untrusted(stdout, res.product);
	putchar(' ');
	cli_print_untrusted(stdout, res.release);
	printf(" (%s) into ", res.kind);
	cli_print_untrusted(stdout, res.output);
	printf("\n  manifest    %s  sha256 %s (%llu entries)\n",
	    SP_RELEASE_MANIFEST, res.manifest_sha256,
	    (unsigned long long)res.files);
	if (res.previous_sha256[0])
		printf("  previous    sha256 %s\n", res.previous_sha256);
	printf("  signatures  %s  %zu for role %s", SP_RELEASE_SIGNATURE,
	    res.signatures, res.role);
	if (res.policy_version != 0)
		printf(", %zu required by policy version %llu", res.required,
		    (unsigned long long)res.policy_version);
	putchar('\n');
	for (i = 0; i < res.nkeyids; i++)
		printf("              key %s\n", res.keyids[i]);
	if (res.have_recipe)
		printf("  recipe      %s  %s\n", SP_RELEASE_RECIPE,
		    res.recipe_recorded ? "recorded" : "copied");
	if (res.logged) {
		printf("  log         %s  entry %llu of ", SP_RELEASE_PROOF,
		    (unsigned long long)res.log_index);
		cli_print_untrusted(stdout, res.log_origin);
		printf(" (tree size %llu)\n", (unsigned long long)res.log_size);
		if (res.quorum > 0)
			printf(
			    "  witnesses   %zu cosigned the checkpoint, quorum "
			    "%u\n",
			    res.cosignatures, res.quorum);
	}
	printf("  bundle      %s  sha256 %s (%llu bytes%s)\n", res.bundle_name,
	    res.bundle_sha256, (unsigned long long)res.bundle_bytes,
	    res.encrypted ? ", encrypted" : "");
	printf("  summary     %s\n", SP_RELEASE_SUMMARY);
out:
	json_decref(doc);
	sp_buf_dispose_secret(&sec.from_fd);
	sp_release_config_free(cfg);
	return rc;
}
