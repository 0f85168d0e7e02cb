/*
 * srcproof rebuild: rebuild an escrow bundle in a controlled environment,
 * compare every declared output with the shipped binary, write a one-page
 * report and a signed verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_secret.h"
#include "srcproof/rebuild.h"
#include "srcproof/sign.h"
#include "srcproof/util.h"

#include "banned.h"

enum {
	OPT_SHIPPED = CLI_OPT_FIRST_FREE,
	OPT_KEEP,
	OPT_KEY,
	OPT_PASSPHRASE_FD,
	OPT_POLICY,
	OPT_REPORT,
	OPT_RECIPIENT_KEY,
	OPT_RECIPIENT_CERT,
	OPT_RECIPIENT_PASSFD,
	OPT_PATH,
	OPT_TIMEOUT,
	OPT_MAX_LOG,
	OPT_AT_BUILD_PATH,
	OPT_NO_BUILD_PATH,
	OPT_MAX_RANGES,
	OPT_DIFFOSCOPE,
	OPT_TIME,
};

static const char usage[] =
    "usage: srcproof rebuild BUNDLE -o OUTDIR [--shipped DIR] [--key KEY]\n"
    "                        [--policy P] [--report DIR] [--keep] [--json]\n"
    "                        [--recipient-key KEY] [options]\n"
    "\n"
    "Rebuild an escrow bundle and compare every declared output with the\n"
    "shipped binary it names: verify and unpack the bundle into a fresh\n"
    "directory, check the toolchain against the recipe, run the recipe's\n"
    "command (no shell) with a cleared environment (the recipe's variables,\n"
    "SOURCE_DATE_EPOCH, TZ=UTC, LC_ALL=C, PATH, a fresh HOME and TMPDIR),\n"
    "umask 022, in its own process group, at the recorded build path when\n"
    "it is free (else below OUTDIR, with a warning), with a time limit and\n"
    "its output in OUTDIR/build.log; then compare each output with the\n"
    "shipped file (PE Authenticode and ELF aware; detached signatures from\n"
    "the bundle).\n"
    "Writes OUTDIR/report.txt, report.html, verdict.json (the in-toto\n"
    "statement) and, with --key, verdict.sig (DSSE, role rebuild). Negative\n"
    "results are signed too.\n"
    "\n"
    "options:\n"
    "  -o, --output OUTDIR      new directory for the results (must not "
    "exist)\n"
    "  --shipped DIR            the shipped binaries, by their SHA256SUMS "
    "names\n"
    "                           (default: compare with the declared "
    "SHA-256 only)\n"
    "  -k, --key KEY            sign the verdict (file or pkcs11: URI)\n"
    "  --passphrase-fd N        read KEY's passphrase or PIN from "
    "descriptor N\n"
    "  --policy P               pinned trust policy: check the bundle's "
    "manifest\n"
    "                           signature (default: NOT CHECKED)\n"
    "  --report DIR             write report.txt/.html there (default: "
    "OUTDIR)\n"
    "  --keep                   keep OUTDIR/work (unpacked bundle, build "
    "tree;\n"
    "                           built at the recorded path: the tree is "
    "kept\n"
    "                           next to it, srcproof-bundle-XXXXXX)\n"
    "  --recipient-key KEY      private key for an encrypted bundle\n"
    "  --recipient-cert CERT    that recipient's certificate (optional)\n"
    "  --recipient-passphrase-fd N  passphrase of the recipient key\n"
    "  --path PATH              PATH of the build (default "
    "/usr/local/bin:/usr/bin:/bin)\n"
    "  --timeout SECONDS        wall-clock limit of the build (default "
    "3600)\n"
    "  --max-log BYTES          cap on build.log (default 16 MiB)\n"
    "  --at-build-path          require the recipe's recorded build path "
    "(ERROR\n"
    "                           if it exists or its parent is not a "
    "writable\n"
    "                           directory); by default the build runs "
    "there\n"
    "                           when it can, else below OUTDIR with a "
    "warning\n"
    "  --no-build-path          never use the recorded build path: build "
    "below\n"
    "                           OUTDIR (with a warning)\n"
    "  --max-ranges N           differing ranges kept per artefact\n"
    "  --diffoscope             run diffoscope on mismatches (never "
    "decisive)\n"
    "  --time TIME              signed_at (default: now)\n"
    "  --json                   one JSON document on stdout\n"
    "  -q, --quiet              print only the verdict\n"
    "  -h, --help               this help\n"
    "\n"
    "exit status: 0 every artefact IDENTICAL or IDENTICAL_MODULO_SIGNATURE,\n"
    "1 one is EXPLAINED_DIFFERENCE or DIFFERENT, 2 usage error, 3 ERROR\n"
    "(build failed, bundle unusable) or could not complete.\n";

static int
write_text(sp_ctx *ctx, const char *dir, const char *name, const char *data,
    size_t len)
{
	sp_buf p = SP_BUF_INIT;
	int error;

	if (sp_buf_printf(&p, "%s/%s", dir, name) < 0)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	error = sp_write_file_atomic(ctx, p.ptr, data, len, 0644, 0);
	sp_buf_dispose(&p);
	return error;
}

int
cmd_rebuild(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"shipped", required_argument, NULL, OPT_SHIPPED},
	    {"keep", no_argument, NULL, OPT_KEEP},
	    {"key", required_argument, NULL, 'k'},
	    {"passphrase-fd", required_argument, NULL, OPT_PASSPHRASE_FD},
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"report", required_argument, NULL, OPT_REPORT},
	    {"recipient-key", required_argument, NULL, OPT_RECIPIENT_KEY},
	    {"recipient-cert", required_argument, NULL, OPT_RECIPIENT_CERT},
	    {"recipient-passphrase-fd", required_argument, NULL,
	        OPT_RECIPIENT_PASSFD},
	    {"path", required_argument, NULL, OPT_PATH},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"max-log", required_argument, NULL, OPT_MAX_LOG},
	    {"at-build-path", no_argument, NULL, OPT_AT_BUILD_PATH},
	    {"no-build-path", no_argument, NULL, OPT_NO_BUILD_PATH},
	    {"max-ranges", required_argument, NULL, OPT_MAX_RANGES},
	    {"diffoscope", no_argument, NULL, OPT_DIFFOSCOPE},
	    {"time", required_argument, NULL, OPT_TIME}, CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	sp_rebuild_options o = SP_REBUILD_OPTIONS_INIT;
	struct cli_common common = {0};
	struct cli_secret secret = CLI_SECRET_INIT, rsecret = CLI_SECRET_INIT;
	const char *outdir = NULL, *keyspec = NULL, *report = NULL;
	sp_rebuild_result *res = NULL;
	sp_buf env = SP_BUF_INIT, text = SP_BUF_INIT, sigpath = SP_BUF_INIT;
	const char *stmt;
	sp_key *key = NULL;
	sp_verdict v;
	uint64_t n = 0;
	size_t len;
	int opt, exit_now = -1, rc = CLI_EXIT_ERROR;

	o.tool_version = SP_VERSION;
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "o:k:" CLI_COMMON_SHORTOPTS,
	            longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, usage, &exit_now))
			continue;
		switch (opt) {
		case 'o':
			outdir = optarg;
			break;
		case OPT_SHIPPED:
			o.shipped_dir = optarg;
			break;
		case OPT_KEEP:
			o.keep = true;
			break;
		case 'k':
			keyspec = optarg;
			break;
		case OPT_PASSPHRASE_FD:
			if (cli_secret_parse_fd(&secret, "rebuild", optarg) !=
			    0)
				return CLI_EXIT_USAGE;
			break;
		case OPT_POLICY:
			o.policy = optarg;
			break;
		case OPT_REPORT:
			report = optarg;
			break;
		case OPT_RECIPIENT_KEY:
			o.read.key = optarg;
			break;
		case OPT_RECIPIENT_CERT:
			o.read.cert = optarg;
			break;
		case OPT_RECIPIENT_PASSFD:
			if (cli_secret_parse_fd(&rsecret, "rebuild", optarg) !=
			    0)
				return CLI_EXIT_USAGE;
			break;
		case OPT_PATH:
			if (optarg[0] != '/')
				return cli_usage_error("rebuild",
				    "--path needs absolute directories, not "
				    "'%s'",
				    optarg);
			o.path_env = optarg;
			break;
		case OPT_TIMEOUT:
			if (cli_number_opt("rebuild", "--timeout", optarg, 1,
			        7 * 86400, &n))
				return CLI_EXIT_USAGE;
			o.timeout = (unsigned)n;
			break;
		case OPT_MAX_LOG:
			if (cli_number_opt("rebuild", "--max-log", optarg, 1024,
			        (uint64_t)1 << 40, &n))
				return CLI_EXIT_USAGE;
			o.max_log = n;
			break;
		case OPT_AT_BUILD_PATH:
			o.at_build_path = true;
			break;
		case OPT_NO_BUILD_PATH:
			o.no_build_path = true;
			break;
		case OPT_MAX_RANGES:
			if (cli_number_opt("rebuild", "--max-ranges", optarg, 1,
			        1000000, &n))
				return CLI_EXIT_USAGE;
			o.max_ranges = (size_t)n;
			break;
		case OPT_DIFFOSCOPE:
			o.diffoscope = true;
			break;
		case OPT_TIME:
			if (sp_time_parse(&o.now, optarg) < 0)
				return cli_usage_error("rebuild",
				    "--time needs YYYY-MM-DDTHH:MM:SSZ, not "
				    "'%s'",
				    optarg);
			break;
		default:
			return cli_bad_option("rebuild", argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind >= argc)
		return cli_usage_error("rebuild", "missing BUNDLE");
	if (optind + 1 != argc)
		return cli_usage_error(
		    "rebuild", "unexpected argument '%s'", argv[optind + 1]);
	if (outdir == NULL)
		return cli_usage_error("rebuild", "missing -o OUTDIR");
	if (o.at_build_path && o.no_build_path)
		return cli_usage_error("rebuild",
		    "'--at-build-path' and '--no-build-path' exclude each "
		    "other");
	o.read.passphrase_cb = cli_secret_cb;
	o.read.passphrase_payload = &rsecret;
	if (o.now == 0)
		o.now = (int64_t)time(NULL);

	/* Load the key first: never build for an hour, then fail on it. */
	if (keyspec != NULL &&
	    sp_key_load_private(ctx, &key, keyspec, cli_secret_cb, &secret) < 0)
		return cli_fail(ctx);
	if (sp_rebuild_run(ctx, &res, argv[optind], outdir, &o) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	v = sp_rebuild_verdict(res);
	stmt = sp_rebuild_statement(res, &len);
	if (sp_rebuild_write_report(ctx, res, report ? report : outdir) < 0 ||
	    (report != NULL &&
	        write_text(ctx, outdir, "verdict.json", stmt, len) < 0)) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (key != NULL) {
		if (sp_verdict_sign(ctx, &env, stmt, len, key) < 0 ||
		    write_text(ctx, outdir, "verdict.sig", env.ptr, env.size) <
		        0) {
			rc = cli_fail(ctx);
			goto out;
		}
		if (sp_buf_printf(&sigpath, "%s/verdict.sig", outdir) < 0) {
			cli_error("out of memory");
			goto out;
		}
	}
	rc = v == SP_VERDICT_ERROR    ? CLI_EXIT_ERROR
	     : sp_verdict_is_match(v) ? CLI_EXIT_OK
	                              : CLI_EXIT_FAIL;
	if (common.json) {
		json_t *pred = json_deep_copy(sp_rebuild_predicate(res));
		int prc = cli_json_print(
		    json_pack("{s:s, s:s, s:s?, s:s, s:o}", "verdict",
		        sp_verdict_name(v), "outdir", outdir, "signature",
		        key ? sigpath.ptr : NULL, "report",
		        report ? report : outdir, "predicate", pred),
		    "rebuild");

		if (prc != CLI_EXIT_OK)
			rc = prc;
	} else if (common.quiet) {
		puts(sp_verdict_name(v));
	} else {
		if (sp_verdict_text(ctx, &text, sp_rebuild_predicate(res)) <
		    0) {
			rc = cli_fail(ctx);
			goto out;
		}
		fputs(text.ptr, stdout);
		fflush(stdout); /* the report first, on a terminal */
		fputs("srcproof: results in ", stderr);
		cli_print_untrusted(stderr, outdir);
		if (key != NULL)
			fprintf(stderr, "; verdict signed with key %s",
			    sp_key_id(key));
		else
			fputs("; verdict NOT signed (no --key)", stderr);
		fputc('\n', stderr);
	}
out:
	sp_key_free(key);
	sp_rebuild_result_free(res);
	sp_buf_dispose(&env);
	sp_buf_dispose(&text);
	sp_buf_dispose(&sigpath);
	return rc;
}
