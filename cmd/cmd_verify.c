/*
 * srcproof verify: the one command an auditor runs on a bundle.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_secret.h"
#include "srcproof/verify.h"

#include "banned.h"

enum {
	OPT_POLICY = CLI_OPT_FIRST_FREE,
	OPT_AT,
	OPT_REBUILD,
	OPT_SHIPPED,
	OPT_AT_BUILD_PATH,
	OPT_NO_BUILD_PATH,
	OPT_TIMEOUT,
	OPT_ATTESTATIONS,
	OPT_MIN_DEPTH,
	OPT_REQUIRE,
	OPT_PREVIOUS,
	OPT_KEY,
	OPT_CERT,
	OPT_PASSFD,
	OPT_LOG_KEY,
	OPT_LOG_ORIGIN,
	OPT_WITNESS,
	OPT_QUORUM,
	OPT_REPORT,
};

static const char usage[] =
    "usage: srcproof verify BUNDLE --policy POLICY [--policy NEXT...]\n"
    "           [--at TIME] [--rebuild [--shipped DIR]] [--attestations "
    "FILE...]\n"
    "           [--previous PREV] [--key KEY] [--log-key PUB]\n"
    "           [--witness PUB... --quorum K] [--report DIR] [--json] "
    "[-q]\n"
    "\n"
    "Run every check the bundle allows and print one line per check, "
    "PASS,\n"
    "FAIL or NOT CHECKED with the reason, then the overall result: "
    "decryption,\n"
    "archive, index, manifest, source, signature (under the pinned policy),\n"
    "update-chain, log-proof, witnesses, recipe, binaries, rebuild, "
    "coverage.\n"
    "Exit 0 only when no check failed and every required check passed; a\n"
    "check that could not run is NOT CHECKED, and that is not success.\n"
    "Required: integrity (decryption, archive, index), manifest and source,\n"
    "signature always; the log proof when the policy names a log key or\n"
    "witnesses (or --log-key is given), the witnesses when it names them\n"
    "(or --witness is given); update-chain with --previous; rebuild\n"
    "with --rebuild; coverage with --attestations. Nothing uses the "
    "network.\n"
    "\n"
    "options:\n"
    "  --policy POLICY        the trust policy you pinned (required); "
    "repeat\n"
    "                         for a rotation chain, pinned one first\n"
    "  --at TIME              judge keys, policy expiry and witness "
    "cosignatures\n"
    "                         at TIME (default: now); years later, give "
    "the\n"
    "                         release time\n"
    "  --rebuild              rebuild the bundle and compare with the "
    "shipped\n"
    "                         binaries (runs the recipe's command)\n"
    "  --shipped DIR          the shipped binaries, by their SHA256SUMS "
    "names\n"
    "                         (default: compare with the declared "
    "SHA-256)\n"
    "  --at-build-path        require the recipe's recorded build path\n"
    "                         (the rebuild fails if it cannot be used; by\n"
    "                         default it is used when it can, else the\n"
    "                         build runs in a temporary directory)\n"
    "  --no-build-path        never use the recorded build path\n"
    "  --timeout SECONDS      wall-clock limit of the rebuild\n"
    "  --attestations FILE... review attestations: check coverage\n"
    "  --min-depth D          overview, read (default) or in-depth\n"
    "  --require PERCENT      files covered needed (default 100)\n"
    "  --previous PREV        the previous manifest (PREV.sig beside it "
    "is\n"
    "                         checked too) or the previous bundle\n"
    "  --key KEY              a recipient's private key (encrypted "
    "bundles):\n"
    "                         a PEM file or a pkcs11: URI\n"
    "  --cert CERT.pem        that recipient's certificate (optional)\n"
    "  --passphrase-fd N      read KEY's passphrase (or PIN) from fd N\n"
    "                         (else $SRCPROOF_PASSPHRASE, else a prompt)\n"
    "  --log-key PUB          the log's key (vkey, file or NAME=PEM), used\n"
    "                         when the policy names none (role log)\n"
    "  --log-origin NAME      expected log origin (default: key name)\n"
    "  --witness PUB...       witness keys, used when the policy names "
    "none\n"
    "  --quorum K             cosignatures needed (default: every "
    "--witness)\n"
    "  --report DIR           write report.txt, report.html, report.json "
    "to the\n"
    "                         new directory DIR (and the rebuild's "
    "results)\n"
    "  --json                 one JSON document on stdout "
    "(srcproof.verify/v1)\n"
    "  -q, --quiet            print only the result line\n"
    "  -h, --help             this help\n"
    "\n"
    "exit status: 0 every required check passed, 1 a check failed or a\n"
    "required check was NOT CHECKED, 2 usage error, 3 could not complete\n"
    "(bundle, policy or key unreadable).\n";

struct strlist {
	const char **v;
	size_t n;
};

static int
push(struct strlist *l, const char *s, size_t cap)
{
	if (l->n >= cap)
		return -1;
	l->v[l->n++] = s;
	return 0;
}

/* OPTARG and the non-option words after it. */
static int
take_list(struct strlist *l, size_t cap, int argc, char **argv)
{
	if (push(l, optarg, cap) < 0)
		return -1;
	while (optind < argc && argv[optind][0] != '-')
		if (push(l, argv[optind++], cap) < 0)
			return -1;
	return 0;
}

static void
print_checks(const sp_verify_result *res, const char *bundle)
{
	size_t i;

	printf("bundle ");
	cli_print_untrusted(stdout, bundle);
	putchar('\n');
	for (i = 0; i < SP_VERIFY_CHECK_COUNT; i++) {
		const sp_verify_check *c =
		    sp_verify_check_at(res, (sp_verify_check_id)i);

		printf("  %-12s %-11s ", c->name,
		    sp_escrow_status_name(c->status));
		cli_print_untrusted(stdout, c->detail);
		if (c->status != SP_ESCROW_PASS)
			printf(c->required ? " (required)" : " (not required)");
		putchar('\n');
	}
}

static void
print_result(const sp_verify_result *res)
{
	char fail[512] = "", nc[512] = "";
	size_t i, fo = 0, no = 0;

	for (i = 0; i < SP_VERIFY_CHECK_COUNT; i++) {
		const sp_verify_check *c =
		    sp_verify_check_at(res, (sp_verify_check_id)i);

		if (c->status == SP_ESCROW_FAIL && fo < sizeof(fail))
			fo += (size_t)snprintf(fail + fo, sizeof(fail) - fo,
			    "%s%s", fo ? ", " : "", c->name);
		else if (c->status == SP_ESCROW_NOT_CHECKED && c->required &&
		         no < sizeof(nc))
			no += (size_t)snprintf(nc + no, sizeof(nc) - no, "%s%s",
			    no ? ", " : "", c->name);
	}
	if (sp_verify_ok(res)) {
		printf("result: PASS (every required check passed)\n");
		return;
	}
	printf("result: FAIL (");
	if (fail[0])
		printf("failed: %s%s", fail, nc[0] ? "; " : "");
	if (nc[0])
		printf("required but NOT CHECKED: %s", nc);
	printf(")\n");
}

int
cmd_verify(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"at", required_argument, NULL, OPT_AT},
	    {"rebuild", no_argument, NULL, OPT_REBUILD},
	    {"shipped", required_argument, NULL, OPT_SHIPPED},
	    {"at-build-path", no_argument, NULL, OPT_AT_BUILD_PATH},
	    {"no-build-path", no_argument, NULL, OPT_NO_BUILD_PATH},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"attestations", required_argument, NULL, OPT_ATTESTATIONS},
	    {"min-depth", required_argument, NULL, OPT_MIN_DEPTH},
	    {"require", required_argument, NULL, OPT_REQUIRE},
	    {"previous", required_argument, NULL, OPT_PREVIOUS},
	    {"key", required_argument, NULL, OPT_KEY},
	    {"cert", required_argument, NULL, OPT_CERT},
	    {"passphrase-fd", required_argument, NULL, OPT_PASSFD},
	    {"log-key", required_argument, NULL, OPT_LOG_KEY},
	    {"log-origin", required_argument, NULL, OPT_LOG_ORIGIN},
	    {"witness", required_argument, NULL, OPT_WITNESS},
	    {"quorum", required_argument, NULL, OPT_QUORUM},
	    {"report", required_argument, NULL, OPT_REPORT},
	    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	static const char cmd[] = "verify";
	sp_verify_options o = SP_VERIFY_OPTIONS_INIT;
	struct cli_common common = {0};
	struct cli_secret secret = CLI_SECRET_INIT;
	struct strlist pols = {NULL, 0}, atts = {NULL, 0}, wits = {NULL, 0};
	size_t cap = (size_t)argc + 1;
	sp_verify_result *res = NULL;
	json_t *doc = NULL;
	const char *bundle;
	uint64_t v = 0;
	int opt, exit_now = -1, rc = CLI_EXIT_OK, error;

	pols.v = calloc(cap, sizeof(*pols.v));
	atts.v = calloc(cap, sizeof(*atts.v));
	wits.v = calloc(cap, sizeof(*wits.v));
	if (pols.v == NULL || atts.v == NULL || wits.v == NULL) {
		cli_error("out of memory");
		rc = CLI_EXIT_ERROR;
		goto out;
	}
	common.progress = isatty(STDERR_FILENO);
	cli_getopt_reset();
	while ((opt = getopt_long(
	            argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, usage, &exit_now))
			continue;
		switch (opt) {
		case OPT_POLICY:
			(void)push(&pols, optarg, cap);
			break;
		case OPT_AT:
			if (sp_time_parse(&o.at, optarg) < 0) {
				rc = cli_usage_error(cmd,
				    "--at needs YYYY-MM-DDTHH:MM:SSZ, "
				    "YYYY-MM-DD or @SECONDS, not '%s'",
				    optarg);
				goto out;
			}
			if (o.at == 0)
				o.at = 1; /* 0 means now: the epoch is 1 s */
			break;
		case OPT_REBUILD:
			o.rebuild = true;
			break;
		case OPT_SHIPPED:
			o.shipped_dir = optarg;
			break;
		case OPT_AT_BUILD_PATH:
			o.at_build_path = true;
			break;
		case OPT_NO_BUILD_PATH:
			o.no_build_path = true;
			break;
		case OPT_TIMEOUT:
			if (cli_number_opt(
			        cmd, "--timeout", optarg, 1, 7 * 86400, &v)) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			o.rebuild_timeout = (unsigned)v;
			break;
		case OPT_ATTESTATIONS:
			(void)take_list(&atts, cap, argc, argv);
			break;
		case OPT_MIN_DEPTH:
			if (sp_review_depth_parse(ctx, &o.min_depth, optarg) <
			    0) {
				rc = cli_usage_error(
				    cmd, "%s", sp_ctx_errmsg(ctx));
				goto out;
			}
			break;
		case OPT_REQUIRE:
			if (cli_parse_percent(optarg, &o.require_milli) < 0 ||
			    o.require_milli == 0) {
				rc = cli_usage_error(cmd,
				    "--require needs a percentage above 0 "
				    "and at most 100, not '%s'",
				    optarg);
				goto out;
			}
			break;
		case OPT_PREVIOUS:
			o.previous = optarg;
			break;
		case OPT_KEY:
			o.read.key = optarg;
			break;
		case OPT_CERT:
			o.read.cert = optarg;
			break;
		case OPT_PASSFD:
			if (cli_secret_parse_fd(&secret, cmd, optarg) != 0) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_LOG_KEY:
			o.log_key = optarg;
			break;
		case OPT_LOG_ORIGIN:
			o.log_origin = optarg;
			break;
		case OPT_WITNESS:
			(void)take_list(&wits, cap, argc, argv);
			break;
		case OPT_QUORUM:
			if (cli_number_opt(
			        cmd, "--quorum", optarg, 1, 100, &v)) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			o.quorum = (unsigned)v;
			break;
		case OPT_REPORT:
			o.report_dir = optarg;
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
		rc = cli_usage_error(cmd, "missing BUNDLE");
		goto out;
	}
	if (optind + 1 != argc) {
		rc = cli_usage_error(
		    cmd, "unexpected argument '%s'", argv[optind + 1]);
		goto out;
	}
	bundle = argv[optind];
	if (pols.n == 0) {
		rc = cli_usage_error(cmd, "missing --policy POLICY: verify "
		                          "needs the trust policy you pinned");
		goto out;
	}
	if (o.quorum > 0 && wits.n == 0) {
		rc = cli_usage_error(cmd, "--quorum needs --witness keys");
		goto out;
	}
	if (o.quorum > wits.n) {
		rc = cli_usage_error(cmd,
		    "--quorum %u needs at least that many --witness keys",
		    o.quorum);
		goto out;
	}
	if (!o.rebuild && (o.shipped_dir != NULL || o.at_build_path ||
	                      o.no_build_path || o.rebuild_timeout != 0)) {
		rc = cli_usage_error(cmd, "--shipped, --at-build-path, "
		                          "--no-build-path and --timeout need "
		                          "--rebuild");
		goto out;
	}
	if (o.at_build_path && o.no_build_path) {
		rc = cli_usage_error(cmd,
		    "'--at-build-path' and "
		    "'--no-build-path' exclude each other");
		goto out;
	}
	if (atts.n == 0 &&
	    (o.min_depth != SP_REVIEW_DEPTH_NONE || o.require_milli != 0)) {
		rc = cli_usage_error(
		    cmd, "--min-depth and --require need --attestations");
		goto out;
	}
	o.policies = pols.v;
	o.npolicies = pols.n;
	o.attestations = atts.v;
	o.nattestations = atts.n;
	o.witnesses = wits.v;
	o.nwitnesses = wits.n;
	o.read.passphrase_cb = cli_secret_cb;
	o.read.passphrase_payload = &secret;
	o.tool_version = SP_VERSION;

	error = sp_verify_run(ctx, &res, bundle, &o);
	if (res == NULL) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json) {
		if (sp_verify_json(ctx, res, &doc) < 0) {
			rc = cli_fail(ctx);
			goto out;
		}
		rc = cli_json_print(doc, "verify");
		doc = NULL;
		if (rc == CLI_EXIT_OK && error < 0)
			rc = cli_fail(ctx);
		goto out;
	}
	if (!common.quiet)
		print_checks(res, bundle);
	print_result(res);
	if (sp_verify_report_dir(res) != NULL && !common.quiet) {
		fputs("srcproof: report in ", stderr);
		cli_print_untrusted(stderr, sp_verify_report_dir(res));
		fputs("/ (report.txt, report.html, report.json)\n", stderr);
	}
	if (error < 0)
		rc = cli_fail(ctx);
out:
	json_decref(doc);
	sp_verify_result_free(res);
	free(pols.v);
	free(atts.v);
	free(wits.v);
	return rc;
}
