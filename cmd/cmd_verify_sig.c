/*
 * srcproof verify-sig: check a DSSE envelope against a file and keys or a
 * trust policy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "srcproof/sign.h"
#include "srcproof/util.h"

#include "banned.h"

#define MAX_ARGS 64

enum {
	OPT_SIG = CLI_OPT_FIRST_FREE,
	OPT_PUBKEY,
	OPT_THRESHOLD,
	OPT_POLICY,
	OPT_ROLE,
	OPT_AT,
};

static const char usage[] =
    "usage: srcproof verify-sig FILE [--sig SIG] --pubkey PUB [--pubkey PUB "
    "...]\n"
    "                           [--threshold K] [--json]\n"
    "       srcproof verify-sig FILE [--sig SIG] --policy POLICY [--policy "
    "NEXT ...]\n"
    "                           [--role ROLE] [--at TIME] [--json]\n"
    "\n"
    "Verify the DSSE envelope SIG (default: FILE.sig): the statement's "
    "subject\n"
    "digest must be FILE's sha256 and the signatures must meet the\n"
    "requirement: K of the given public keys (default 1), or the threshold\n"
    "of the role in the trust policy. Repeated --policy options form a\n"
    "rotation chain starting at the pinned first policy; the last one is\n"
    "used. A key counts once however many times it signed.\n"
    "\n"
    "options:\n"
    "  --sig SIG            envelope file (default: FILE.sig)\n"
    "  --pubkey PUB         trusted public key (SPKI PEM); repeatable\n"
    "  --threshold K        how many of the --pubkey keys must sign\n"
    "  --policy POLICY      trust policy; repeat for a rotation chain\n"
    "  --role ROLE          required role (default: the statement's role)\n"
    "  --at TIME            check expiry as of TIME (YYYY-MM-DDTHH:MM:SSZ,\n"
    "                       YYYY-MM-DD or @SECONDS; default: now)\n"
    "  --json               one JSON document on stdout\n"
    "  -q, --quiet          print nothing but errors\n"
    "  -h, --help           this help\n"
    "\n"
    "exit status: 0 verified, 1 not verified (the reason is printed),\n"
    "2 usage error, 3 could not complete (unreadable or malformed input).\n";

static int
finish(struct cli_common *c, int rc, sp_ctx *ctx, const char *file,
    const char *hex, const char *role, const sp_sign_result *res,
    const sp_policy *policy)
{
	json_t *doc, *ids;
	size_t i;

	if (rc != CLI_EXIT_OK && rc != CLI_EXIT_FAIL)
		return cli_fail(ctx);
	if (rc == CLI_EXIT_FAIL)
		(void)cli_fail(ctx);
	if (c->json) {
		ids = json_array();
		for (i = 0; ids != NULL && i < res->valid &&
		            i < sizeof(res->keyids) / sizeof(res->keyids[0]);
		     i++)
			json_array_append_new(ids, json_string(res->keyids[i]));
		doc = json_pack("{s:b, s:s, s:s, s:s?, s:i, s:i, s:i, s:o}",
		    "verified", rc == CLI_EXIT_OK, "file", file, "sha256", hex,
		    "role", role, "valid", (int)res->valid, "required",
		    (int)res->required, "signatures", (int)res->total, "keyids",
		    ids);
		if (doc != NULL && rc != CLI_EXIT_OK)
			json_object_set_new(
			    doc, "reason", json_string(sp_ctx_errmsg(ctx)));
		if (doc != NULL && policy != NULL)
			json_object_set_new(doc, "policy_version",
			    json_integer(
			        (json_int_t)sp_policy_version(policy)));
		if (cli_json_print(doc, "verify-sig") != CLI_EXIT_OK)
			return CLI_EXIT_ERROR;
		return rc;
	}
	if (rc == CLI_EXIT_OK && !c->quiet) {
		printf("OK: ");
		cli_print_untrusted(stdout, file);
		printf(" (sha256 %s)", hex);
		if (role != NULL) {
			printf(" signed for role ");
			cli_print_untrusted(stdout, role);
		}
		printf(" by %zu of %zu required key%s", res->valid,
		    res->required, res->required == 1 ? "" : "s");
		if (policy != NULL)
			printf(" (policy version %llu)",
			    (unsigned long long)sp_policy_version(policy));
		putchar('\n');
		for (i = 0; i < res->valid &&
		            i < sizeof(res->keyids) / sizeof(res->keyids[0]);
		     i++)
			printf("  key %s\n", res->keyids[i]);
	}
	return rc;
}

int
cmd_verify_sig(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"sig", required_argument, NULL, OPT_SIG},
	    {"pubkey", required_argument, NULL, OPT_PUBKEY},
	    {"threshold", required_argument, NULL, OPT_THRESHOLD},
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"role", required_argument, NULL, OPT_ROLE},
	    {"at", required_argument, NULL, OPT_AT}, CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	const char *file, *sigfile = NULL, *role = NULL;
	const char *pubs[MAX_ARGS], *pols[MAX_ARGS];
	size_t npubs = 0, npols = 0, i;
	sp_key *keys[MAX_ARGS] = {NULL};
	sp_policy *chain[MAX_ARGS] = {NULL};
	const sp_policy *current = NULL;
	sp_sign_verify_opts vo = SP_SIGN_VERIFY_OPTS_INIT;
	sp_sign_result res;
	sp_statement_info info = {0};
	sp_buf sigpath = SP_BUF_INIT;
	uint8_t md[SP_SHA256_LEN];
	char hex[SP_SHA256_HEX_LEN + 1] = "";
	unsigned long threshold = 0;
	int64_t at = (int64_t)time(NULL);
	sp_dsse *env = NULL;
	char rolebuf[32] = "";
	char *end;
	int opt, exit_now = -1, rc = CLI_EXIT_OK, error;

	memset(&res, 0, sizeof(res));
	cli_getopt_reset();
	while ((opt = getopt_long(
	            argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, usage, &exit_now))
			continue;
		switch (opt) {
		case OPT_SIG:
			sigfile = optarg;
			break;
		case OPT_PUBKEY:
			if (npubs == MAX_ARGS)
				return cli_usage_error(
				    "verify-sig", "too many --pubkey options");
			pubs[npubs++] = optarg;
			break;
		case OPT_POLICY:
			if (npols == MAX_ARGS)
				return cli_usage_error(
				    "verify-sig", "too many --policy options");
			pols[npols++] = optarg;
			break;
		case OPT_THRESHOLD:
			threshold = strtoul(optarg, &end, 10);
			if (*end != '\0' || threshold < 1 || threshold > 256)
				return cli_usage_error("verify-sig",
				    "--threshold needs a number from 1 to 256");
			break;
		case OPT_ROLE:
			role = optarg;
			break;
		case OPT_AT:
			if (sp_time_parse(&at, optarg) < 0)
				return cli_usage_error("verify-sig",
				    "--at needs YYYY-MM-DDTHH:MM:SSZ, "
				    "YYYY-MM-DD or @SECONDS, not '%s'",
				    optarg);
			break;
		default:
			return cli_bad_option("verify-sig", argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind + 1 != argc)
		return cli_usage_error("verify-sig", "expected one FILE");
	file = argv[optind];
	if ((npubs == 0) == (npols == 0))
		return cli_usage_error("verify-sig",
		    "give either --pubkey keys or a --policy chain");
	if (threshold != 0 && npols != 0)
		return cli_usage_error("verify-sig",
		    "--threshold applies to --pubkey; a policy sets its own");
	if (threshold > npubs && npubs != 0)
		return cli_usage_error("verify-sig",
		    "--threshold %lu is more than the %zu keys given",
		    threshold, npubs);
	if (role != NULL &&
	    (!sp_sign_role_is_known(role) || strcmp(role, "root") == 0))
		return cli_usage_error("verify-sig", "unknown role '%s'", role);
	if (sigfile == NULL) {
		if (sp_buf_printf(&sigpath, "%s.sig", file) < 0) {
			cli_error("out of memory");
			return CLI_EXIT_ERROR;
		}
		sigfile = sigpath.ptr;
	}
	if (sp_dsse_load(ctx, &env, sigfile) < 0 ||
	    sp_sha256_file(ctx, md, NULL, file) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	sp_hex_encode(hex, md, sizeof(md));
	for (i = 0; i < npubs; i++)
		if (sp_key_load_public(ctx, &keys[i], pubs[i]) < 0) {
			rc = cli_fail(ctx);
			goto out;
		}
	for (i = 0; i < npols; i++)
		if (sp_policy_load(ctx, &chain[i], pols[i]) < 0) {
			rc = cli_fail(ctx);
			goto out;
		}
	/* The statement's own claims are read before trusting them only to
	 * pick the role; nothing is reported as true until verified. */
	error = sp_statement_check(ctx, env, NULL, &info);
	if (error < 0) {
		rc = finish(&common, cli_exit_code(error), ctx, file, hex, role,
		    &res, NULL);
		goto out;
	}
	if (npols > 0) {
		if ((error = sp_policy_verify_chain(
		         ctx, chain, npols, at, &current)) < 0) {
			rc = finish(&common, cli_exit_code(error), ctx, file,
			    hex, role, &res, NULL);
			goto out;
		}
		if (role == NULL)
			role = info.role;
		if (role == NULL) {
			sp_err_set(ctx, SP_EVERIFY,
			    "the statement names no role; give --role");
			rc = finish(&common, CLI_EXIT_FAIL, ctx, file, hex,
			    role, &res, current);
			goto out;
		}
		if (info.role != NULL && strcmp(info.role, role) != 0) {
			sp_err_set(ctx, SP_EVERIFY,
			    "role not allowed: the signature is for role "
			    "'%s', not '%s'",
			    info.role, role);
			rc = finish(&common, CLI_EXIT_FAIL, ctx, file, hex,
			    role, &res, current);
			goto out;
		}
		vo.policy = current;
		vo.role = role;
	} else {
		vo.keys = keys;
		vo.nkeys = npubs;
		vo.threshold = (unsigned)threshold;
		role = info.role;
	}
	vo.at = at;
	if (role != NULL) {
		/* role may point into info, which is replaced below. */
		snprintf(rolebuf, sizeof(rolebuf), "%s", role);
		role = rolebuf;
		vo.role = vo.policy != NULL ? role : NULL;
	}
	if ((error = sp_dsse_verify(ctx, env, &vo, &res)) < 0) {
		rc = finish(&common, cli_exit_code(error), ctx, file, hex, role,
		    &res, current);
		goto out;
	}
	sp_statement_info_dispose(&info);
	if ((error = sp_statement_check(ctx, env, md, &info)) < 0) {
		rc = finish(&common, cli_exit_code(error), ctx, file, hex, role,
		    &res, current);
		goto out;
	}
	if (current != NULL && sp_policy_product(current) != NULL &&
	    info.product != NULL &&
	    strcmp(sp_policy_product(current), info.product) != 0) {
		sp_err_set(ctx, SP_EVERIFY,
		    "product mismatch: the signed manifest is for product "
		    "'%s' but the policy is for '%s'",
		    info.product, sp_policy_product(current));
		rc = finish(&common, CLI_EXIT_FAIL, ctx, file, hex, role, &res,
		    current);
		goto out;
	}
	rc = finish(&common, CLI_EXIT_OK, ctx, file, hex, role, &res, current);
out:
	sp_statement_info_dispose(&info);
	for (i = 0; i < npubs; i++)
		sp_key_free(keys[i]);
	for (i = 0; i < npols; i++)
		sp_policy_free(chain[i]);
	sp_dsse_free(env);
	sp_buf_dispose(&sigpath);
	return rc;
}
