/*
 * srcproof compare: shipped binary versus rebuilt binary, with a verdict.
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_secret.h"
#include "srcproof/compare.h"
#include "srcproof/rebuild.h"
#include "srcproof/sign.h"
#include "srcproof/util.h"

#include "banned.h"

static const char usage[] =
    "usage: srcproof compare SHIPPED REBUILT [--json] [--report DIR]\n"
    "                        [--signature PKCS7] [--diffoscope]\n"
    "                        [--key KEY --attest VERDICT]\n"
    "\n"
    "Compare a shipped binary with the binary rebuilt from reviewed source\n"
    "and print one verdict: IDENTICAL, IDENTICAL_MODULO_SIGNATURE,\n"
    "EXPLAINED_DIFFERENCE, DIFFERENT or ERROR. PE images are compared\n"
    "modulo their Authenticode certificate table (every signature's digest\n"
    "must equal the rebuilt file's), ELF files byte for byte with every\n"
    "difference mapped to sections (kernel module signatures are stripped\n"
    "and verified over the rebuilt module; compressed modules, .ko.xz,\n"
    ".ko.zst, .ko.gz, are compared decompressed), other files byte for "
    "byte.\n"
    "\n"
    "options:\n"
    "  --report DIR         write report.txt, report.html, result.json\n"
    "  --signature PKCS7    detached Authenticode signature: require\n"
    "                       SHIPPED == REBUILT with it attached (whole file)\n"
    "  --signer-cert CERT   certificate of a kernel module signing key, for\n"
    "                       module signatures made without certificates\n"
    "  --diffoscope         also run diffoscope, if installed, into DIR\n"
    "                       (needs --report; never changes the verdict)\n"
    "  --diffoscope-timeout SECONDS  wall-clock limit (default 300)\n"
    "  --diffoscope-max-output BYTES cap on each output file (default 40 "
    "MiB)\n"
    "  --max-ranges N       differing ranges to list (default 64)\n"
    "  --max-decompressed BYTES  cap on a compressed module's decompressed\n"
    "                       size (default 512 MiB; beyond: ERROR)\n"
    "  --key KEY            sign a verdict statement (role rebuild, "
    "docs/spec/\n"
    "                       verdict.md) with KEY into the --attest file\n"
    "  --attest VERDICT     where to write it (DSSE; refused if it "
    "exists)\n"
    "  --passphrase-fd N    read KEY's passphrase or PIN from descriptor "
    "N\n"
    "  --time TIME          signed_at of the verdict (default: now)\n"
    "  --json               one JSON document on stdout\n"
    "  -q, --quiet          print only the verdict\n"
    "  -h, --help           this help\n"
    "\n"
    "exit status: 0 IDENTICAL or IDENTICAL_MODULO_SIGNATURE, 1 "
    "EXPLAINED_DIFFERENCE\n"
    "or DIFFERENT, 2 usage error, 3 ERROR\n";

enum {
	OPT_REPORT = CLI_OPT_FIRST_FREE,
	OPT_SIGNATURE,
	OPT_DIFFOSCOPE,
	OPT_DIFFOSCOPE_TIMEOUT,
	OPT_MAX_RANGES,
	OPT_DIFFOSCOPE_MAX,
	OPT_SIGNER_CERT,
	OPT_MAX_DECOMPRESSED,
	OPT_KEY,
	OPT_ATTEST,
	OPT_PASSFD,
	OPT_TIME,
};

/* Sign a verdict statement about this comparison into @p path. */
static int
write_attestation(sp_ctx *ctx, const sp_compare_result *res,
    const char *shipped, const sp_key *key, const char *path, int64_t when)
{
	sp_buf stmt = SP_BUF_INIT, env = SP_BUF_INIT;
	char *copy = strdup(shipped);
	int error;

	if (copy == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if ((error = sp_verdict_compare_statement(
	         ctx, &stmt, res, basename(copy), when, SP_VERSION)) < 0 ||
	    (error = sp_verdict_sign(ctx, &env, stmt.ptr, stmt.size, key)) <
	        0 ||
	    (error = sp_write_file_atomic(
	         ctx, path, env.ptr, env.size, 0644, SP_ATOMIC_EXCL)) < 0)
		goto out;
out:
	free(copy);
	sp_buf_dispose(&stmt);
	sp_buf_dispose(&env);
	return error;
}

int
cmd_compare(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"report", required_argument, NULL, OPT_REPORT},
	    {"signature", required_argument, NULL, OPT_SIGNATURE},
	    {"diffoscope", no_argument, NULL, OPT_DIFFOSCOPE},
	    {"diffoscope-timeout", required_argument, NULL,
	        OPT_DIFFOSCOPE_TIMEOUT},
	    {"max-ranges", required_argument, NULL, OPT_MAX_RANGES},
	    {"signer-cert", required_argument, NULL, OPT_SIGNER_CERT},
	    {"max-decompressed", required_argument, NULL, OPT_MAX_DECOMPRESSED},
	    {"key", required_argument, NULL, OPT_KEY},
	    {"attest", required_argument, NULL, OPT_ATTEST},
	    {"passphrase-fd", required_argument, NULL, OPT_PASSFD},
	    {"time", required_argument, NULL, OPT_TIME},
	    {"diffoscope-max-output", required_argument, NULL,
	        OPT_DIFFOSCOPE_MAX},
	    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	sp_compare_options opts = SP_COMPARE_OPTIONS_INIT;
	struct cli_common common = {0};
	sp_compare_result *res = NULL;
	const sp_compare_summary *sum;
	const char *report = NULL, *keyspec = NULL, *attest = NULL;
	struct cli_secret secret = CLI_SECRET_INIT;
	int64_t when = (int64_t)time(NULL);
	sp_key *key = NULL;
	sp_buf text = SP_BUF_INIT;
	uint64_t n;
	int opt, exit_now = -1, rc = CLI_EXIT_ERROR;
	json_t *doc = NULL;

	cli_getopt_reset();
	common.progress = isatty(2);
	while ((opt = getopt_long(
	            argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, usage, &exit_now))
			continue;
		switch (opt) {
		case OPT_REPORT:
			report = optarg;
			break;
		case OPT_SIGNATURE:
			opts.signature_path = optarg;
			break;
		case OPT_SIGNER_CERT:
			opts.signer_cert_path = optarg;
			break;
		case OPT_KEY:
			keyspec = optarg;
			break;
		case OPT_ATTEST:
			attest = optarg;
			break;
		case OPT_PASSFD:
			if (cli_secret_parse_fd(&secret, "compare", optarg) !=
			    0)
				return CLI_EXIT_USAGE;
			break;
		case OPT_TIME:
			if (sp_time_parse(&when, optarg) < 0)
				return cli_usage_error("compare",
				    "--time needs YYYY-MM-DDTHH:MM:SSZ, not "
				    "'%s'",
				    optarg);
			break;
		case OPT_DIFFOSCOPE:
			opts.diffoscope = true;
			break;
		case OPT_DIFFOSCOPE_TIMEOUT:
			if (!cli_parse_u64(optarg, 1, 86400, &n))
				return cli_usage_error("compare",
				    "bad --diffoscope-timeout '%s' (1..86400 "
				    "seconds)",
				    optarg);
			opts.diffoscope_timeout = (unsigned)n;
			break;
		case OPT_DIFFOSCOPE_MAX:
			if (!cli_parse_u64(optarg, 4096, (uint64_t)1 << 40, &n))
				return cli_usage_error("compare",
				    "bad --diffoscope-max-output '%s' (4096 "
				    "bytes or more)",
				    optarg);
			opts.diffoscope_max_output = n;
			break;
		case OPT_MAX_DECOMPRESSED:
			if (!cli_parse_u64(optarg, 1, (uint64_t)1 << 40, &n))
				return cli_usage_error("compare",
				    "bad --max-decompressed '%s' (1 byte to 1 "
				    "TiB)",
				    optarg);
			opts.max_decompressed = n;
			break;
		case OPT_MAX_RANGES:
			if (!cli_parse_u64(optarg, 1, 1000000, &n))
				return cli_usage_error("compare",
				    "bad --max-ranges '%s' (1..1000000)",
				    optarg);
			opts.max_ranges = (size_t)n;
			break;
		default:
			return cli_bad_option("compare", argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (argc - optind != 2)
		return cli_usage_error("compare",
		    argc - optind < 2 ? "SHIPPED and REBUILT are required"
		                      : "unexpected argument '%s'",
		    argv[optind + 2 < argc ? optind + 2 : 0]);
	if (opts.diffoscope && report == NULL)
		return cli_usage_error("compare",
		    "'--diffoscope' needs '--report DIR' for its output");
	if ((keyspec == NULL) != (attest == NULL))
		return cli_usage_error(
		    "compare", "'--key' and '--attest' go together");
	if (keyspec != NULL &&
	    sp_key_load_private(ctx, &key, keyspec, cli_secret_cb, &secret) < 0)
		return cli_fail(ctx);
	opts.report_dir = report;
	cli_progress_setup(ctx, &common);
	if (sp_compare_files(ctx, &res, argv[optind], argv[optind + 1], &opts) <
	    0) {
		rc = cli_fail(ctx);
		goto out;
	}
	cli_progress_done();
	sum = sp_compare_result_summary(res);
	/* The verdict and the report first: a failed attestation must not
	 * hide them. */
	if (report != NULL && sp_compare_write_report(ctx, res, report) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json) {
		if (sp_compare_result_json(ctx, &doc, res) < 0) {
			rc = cli_fail(ctx);
			goto out;
		}
		if (cli_json_print(doc, "compare") != CLI_EXIT_OK)
			goto out;
	} else if (common.quiet) {
		puts(sp_verdict_name(sum->verdict));
	} else {
		if (sp_compare_result_text(ctx, &text, res) < 0) {
			rc = cli_fail(ctx);
			goto out;
		}
		fputs(text.ptr, stdout);
	}
	fflush(stdout);
	if (sum->verdict == SP_VERDICT_ERROR) {
		cli_error("%s", sum->error ? sum->error : "comparison failed");
		if (sp_ctx_errhint(ctx)[0] != '\0')
			cli_hint("%s", sp_ctx_errhint(ctx));
		rc = CLI_EXIT_ERROR;
	} else {
		rc = sp_verdict_is_match(sum->verdict) ? CLI_EXIT_OK
		                                       : CLI_EXIT_FAIL;
	}
	/* Negative results, ERROR included, are signed too; only a file
	 * that could not be read leaves nothing to attest. */
	if (attest != NULL && !sum->have_digests) {
		cli_error("no verdict attestation written: a file could not "
		          "be read, so there is no digest to attest");
		rc = CLI_EXIT_ERROR;
	} else if (attest != NULL && write_attestation(ctx, res, argv[optind],
	                                 key, attest, when) < 0) {
		rc = cli_fail(ctx);
	}
out:
	sp_key_free(key);
	sp_buf_dispose(&text);
	sp_compare_result_free(res);
	return rc;
}
