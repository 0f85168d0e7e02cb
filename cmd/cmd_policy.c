/*
 * srcproof policy: create, edit, sign, show and verify trust policies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_secret.h"
#include "srcproof/sign.h"
#include "srcproof/util.h"

#include "banned.h"

#define MAX_CHAIN 64

enum {
	OPT_EXPIRES = CLI_OPT_FIRST_FREE,
	OPT_PRODUCT,
	OPT_FROM,
	OPT_FORCE,
	OPT_ROLES,
	OPT_NOT_BEFORE,
	OPT_NOT_AFTER,
	OPT_KEY,
	OPT_PASSPHRASE_FD,
	OPT_AT,
};

static int
parse_time_arg(const char *cmd, const char *opt, const char *arg, int64_t *out)
{
	if (sp_time_parse(out, arg) < 0)
		return cli_usage_error(cmd,
		    "%s needs YYYY-MM-DDTHH:MM:SSZ, YYYY-MM-DD or @SECONDS, "
		    "not '%s'",
		    opt, arg);
	return 0;
}

static int
save(sp_ctx *ctx, const sp_policy *p, const char *path, unsigned flags)
{
	sp_buf out = SP_BUF_INIT;
	int error;

	if ((error = sp_policy_serialize(ctx, p, &out)) == 0)
		error = sp_write_file_atomic(
		    ctx, path, out.ptr, out.size, 0644, flags);
	sp_buf_dispose(&out);
	return error;
}

/* Report signatures that an edit removed. */
static void
edited(const struct cli_common *c, const char *path, size_t had)
{
	if (c->quiet || c->json)
		return;
	if (had > 0) {
		cli_warn("the edit removed %zu signature%s from '%s'", had,
		    had == 1 ? "" : "s", path);
		cli_hint(
		    "sign it again: srcproof policy sign %s --key KEY", path);
	}
}

static const char create_usage[] =
    "usage: srcproof policy create -o POLICY --expires TIME [--product NAME]\n"
    "                              [--from PREVIOUS] [--force] [--json]\n"
    "\n"
    "Create an unsigned trust policy: version 1, or PREVIOUS's version + 1\n"
    "with its product, keys and thresholds (rotation). Root threshold 1.\n"
    "\n"
    "options:\n"
    "  -o, --output POLICY  policy file to write\n"
    "  --expires TIME       expiry (YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD)\n"
    "  --product NAME       restrict the policy to one product\n"
    "  --from PREVIOUS      start from the previous policy version\n"
    "  --force              replace an existing POLICY\n"
    "  --json, -q, -h       JSON output, quiet, this help\n";

static int
policy_create(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"expires", required_argument, NULL, OPT_EXPIRES},
	    {"product", required_argument, NULL, OPT_PRODUCT},
	    {"from", required_argument, NULL, OPT_FROM},
	    {"force", no_argument, NULL, OPT_FORCE}, CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	const char *output = NULL, *product = NULL, *from = NULL;
	bool force = false, have_exp = false;
	int64_t expires = 0;
	sp_policy *prev = NULL, *p = NULL;
	int opt, exit_now = -1, rc = CLI_EXIT_OK;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv,
	            CLI_COMMON_SHORTOPTS "o:", longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, create_usage, &exit_now))
			continue;
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case OPT_EXPIRES:
			if (parse_time_arg("policy create", "--expires", optarg,
			        &expires) != 0)
				return CLI_EXIT_USAGE;
			have_exp = true;
			break;
		case OPT_PRODUCT:
			product = optarg;
			break;
		case OPT_FROM:
			from = optarg;
			break;
		case OPT_FORCE:
			force = true;
			break;
		default:
			return cli_bad_option("policy create", argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind != argc)
		return cli_usage_error(
		    "policy create", "unexpected argument '%s'", argv[optind]);
	if (output == NULL || !have_exp)
		return cli_usage_error(
		    "policy create", "-o POLICY and --expires TIME are needed");
	if ((from != NULL && sp_policy_load(ctx, &prev, from) < 0) ||
	    sp_policy_new(ctx, &p, prev, expires, product) < 0 ||
	    save(ctx, p, output, force ? 0 : SP_ATOMIC_EXCL) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json)
		rc = cli_json_print(
		    json_pack("{s:s, s:I}", "policy", output, "version",
		        (json_int_t)sp_policy_version(p)),
		    "policy");
	else if (!common.quiet) {
		fprintf(stderr, "srcproof: wrote policy version %llu to ",
		    (unsigned long long)sp_policy_version(p));
		cli_print_untrusted(stderr, output);
		fputs(" (unsigned)\n", stderr);
	}
out:
	sp_policy_free(prev);
	sp_policy_free(p);
	return rc;
}

static const char add_key_usage[] =
    "usage: srcproof policy add-key POLICY PUBKEY --roles ROLE[,ROLE...]\n"
    "                               [--not-before TIME] [--not-after TIME]\n"
    "\n"
    "Add a public key (SPKI PEM) with the roles it may sign for: root,\n"
    "release, update, review, rebuild, witness (cosigns log checkpoints)\n"
    "and log (signs them; Ed25519 keys only for these two). A role new to\n"
    "the policy gets threshold 1. Editing removes the policy's signatures.\n";

static int
split_roles(char *arg, const char **roles, size_t max, size_t *n)
{
	char *p = arg, *comma;

	*n = 0;
	while (p != NULL && *p != '\0') {
		if (*n == max)
			return -1;
		comma = strchr(p, ',');
		if (comma != NULL)
			*comma++ = '\0';
		roles[(*n)++] = p;
		p = comma;
	}
	return *n == 0 ? -1 : 0;
}

static int
policy_add_key(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"roles", required_argument, NULL, OPT_ROLES},
	    {"not-before", required_argument, NULL, OPT_NOT_BEFORE},
	    {"not-after", required_argument, NULL, OPT_NOT_AFTER},
	    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	char *rolearg = NULL;
	const char *roles[8];
	size_t nroles = 0, had;
	int64_t nb = 0, na = 0;
	sp_policy *p = NULL;
	sp_key *key = NULL;
	int opt, exit_now = -1, rc = CLI_EXIT_OK;

	cli_getopt_reset();
	while ((opt = getopt_long(
	            argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, add_key_usage, &exit_now))
			continue;
		switch (opt) {
		case OPT_ROLES:
			rolearg = optarg;
			break;
		case OPT_NOT_BEFORE:
			if (parse_time_arg("policy add-key", "--not-before",
			        optarg, &nb) != 0)
				return CLI_EXIT_USAGE;
			break;
		case OPT_NOT_AFTER:
			if (parse_time_arg("policy add-key", "--not-after",
			        optarg, &na) != 0)
				return CLI_EXIT_USAGE;
			break;
		default:
			return cli_bad_option("policy add-key", argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind + 2 != argc)
		return cli_usage_error(
		    "policy add-key", "expected POLICY and PUBKEY");
	if (rolearg == NULL || split_roles(rolearg, roles, 8, &nroles) < 0)
		return cli_usage_error(
		    "policy add-key", "--roles needs ROLE[,ROLE...]");
	if (sp_policy_load(ctx, &p, argv[optind]) < 0 ||
	    sp_key_load_public(ctx, &key, argv[optind + 1]) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	had = sp_dsse_sig_count(sp_policy_envelope(p));
	if (sp_policy_add_key(ctx, p, key, roles, nroles, nb, na) < 0 ||
	    save(ctx, p, argv[optind], 0) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	edited(&common, argv[optind], had);
	if (common.json)
		rc = cli_json_print(json_pack("{s:s, s:s}", "policy",
		                        argv[optind], "keyid", sp_key_id(key)),
		    "policy");
	else if (!common.quiet)
		printf("%s\n", sp_key_id(key));
out:
	sp_key_free(key);
	sp_policy_free(p);
	return rc;
}

static const char remove_key_usage[] =
    "usage: srcproof policy remove-key POLICY KEYID\n"
    "\n"
    "Remove a key from the policy and from every role. Editing removes the\n"
    "policy's signatures.\n";

static int
policy_remove_key(int argc, char **argv, sp_ctx *ctx)
{
	struct cli_common common = {0};
	sp_policy *p = NULL;
	size_t had;
	int exit_now = -1, rc = CLI_EXIT_OK;

	if ((exit_now = cli_common_only(argc, argv, "policy remove-key",
	         remove_key_usage, &common)) >= 0)
		return exit_now;
	if (optind + 2 != argc)
		return cli_usage_error(
		    "policy remove-key", "expected POLICY and KEYID");
	if (sp_policy_load(ctx, &p, argv[optind]) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	had = sp_dsse_sig_count(sp_policy_envelope(p));
	if (sp_policy_remove_key(ctx, p, argv[optind + 1]) < 0 ||
	    save(ctx, p, argv[optind], 0) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	edited(&common, argv[optind], had);
	if (common.json)
		rc = cli_json_print(
		    json_pack("{s:s, s:s}", "policy", argv[optind], "removed",
		        argv[optind + 1]),
		    "policy");
out:
	sp_policy_free(p);
	return rc;
}

static const char set_threshold_usage[] =
    "usage: srcproof policy set-threshold POLICY ROLE K\n"
    "\n"
    "Require K signatures for ROLE (root included); K may not exceed the\n"
    "number of keys with the role. Editing removes the policy's signatures.\n";

static int
policy_set_threshold(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	sp_policy *p = NULL;
	unsigned long k;
	size_t had;
	char *end;
	int opt, exit_now = -1, rc = CLI_EXIT_OK;

	cli_getopt_reset();
	while ((opt = getopt_long(
	            argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (cli_common_opt(
		        &common, opt, set_threshold_usage, &exit_now))
			continue;
		switch (opt) {
		default:
			return cli_bad_option("policy set-threshold", argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind + 3 != argc)
		return cli_usage_error(
		    "policy set-threshold", "expected POLICY ROLE K");
	k = strtoul(argv[optind + 2], &end, 10);
	if (*end != '\0' || k < 1 || k > 256)
		return cli_usage_error(
		    "policy set-threshold", "K must be a number from 1 to 256");
	if (sp_policy_load(ctx, &p, argv[optind]) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	had = sp_dsse_sig_count(sp_policy_envelope(p));
	if (sp_policy_set_threshold(ctx, p, argv[optind + 1], (unsigned)k) <
	        0 ||
	    save(ctx, p, argv[optind], 0) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	edited(&common, argv[optind], had);
	if (common.json)
		rc = cli_json_print(
		    json_pack("{s:s, s:s, s:i}", "policy", argv[optind], "role",
		        argv[optind + 1], "threshold", (int)k),
		    "policy");
out:
	sp_policy_free(p);
	return rc;
}

static const char set_expires_usage[] =
    "usage: srcproof policy set-expires POLICY TIME\n"
    "\n"
    "Change the expiry time. Editing removes the policy's signatures.\n";

static int
policy_set_expires(int argc, char **argv, sp_ctx *ctx)
{
	struct cli_common common = {0};
	sp_policy *p = NULL;
	int64_t t;
	size_t had;
	int exit_now = -1, rc = CLI_EXIT_OK;

	if ((exit_now = cli_common_only(argc, argv, "policy set-expires",
	         set_expires_usage, &common)) >= 0)
		return exit_now;
	if (optind + 2 != argc)
		return cli_usage_error(
		    "policy set-expires", "expected POLICY TIME");
	if (parse_time_arg(
	        "policy set-expires", "TIME", argv[optind + 1], &t) != 0)
		return CLI_EXIT_USAGE;
	if (sp_policy_load(ctx, &p, argv[optind]) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	had = sp_dsse_sig_count(sp_policy_envelope(p));
	if (sp_policy_set_expires(ctx, p, t) < 0 ||
	    save(ctx, p, argv[optind], 0) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	edited(&common, argv[optind], had);
	if (common.json)
		rc = cli_json_print(
		    json_pack("{s:s, s:s}", "policy", argv[optind], "expires",
		        argv[optind + 1]),
		    "policy");
out:
	sp_policy_free(p);
	return rc;
}

static const char sign_usage[] =
    "usage: srcproof policy sign POLICY --key KEY [--passphrase-fd N]\n"
    "\n"
    "Add a signature to the policy. A new version must be signed by the\n"
    "root threshold of the previous version and by its own.\n"
    "\n"
    "options:\n"
    "  -k, --key KEY        private key file or PKCS#11 URI\n"
    "  --passphrase-fd N    read the passphrase or PIN from descriptor N\n"
    "  --json, -q, -h       JSON output, quiet, this help\n";

static int
policy_sign(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"passphrase-fd", required_argument, NULL, OPT_PASSPHRASE_FD},
	    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	struct cli_secret secret = CLI_SECRET_INIT;
	const char *keyspec = NULL;
	sp_policy *p = NULL;
	sp_key *key = NULL;
	int opt, exit_now = -1, rc = CLI_EXIT_OK;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv,
	            CLI_COMMON_SHORTOPTS "k:", longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, sign_usage, &exit_now))
			continue;
		switch (opt) {
		case 'k':
			keyspec = optarg;
			break;
		case OPT_PASSPHRASE_FD:
			if (cli_secret_parse_fd(
			        &secret, "policy sign", optarg) != 0)
				return CLI_EXIT_USAGE;
			break;
		default:
			return cli_bad_option("policy sign", argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind + 1 != argc || keyspec == NULL)
		return cli_usage_error(
		    "policy sign", "expected POLICY and --key KEY");
	if (sp_policy_load(ctx, &p, argv[optind]) < 0 ||
	    sp_key_load_private(ctx, &key, keyspec, cli_secret_cb, &secret) <
	        0 ||
	    sp_policy_sign(ctx, p, key) < 0 ||
	    save(ctx, p, argv[optind], 0) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json)
		rc = cli_json_print(
		    json_pack("{s:s, s:s, s:i}", "policy", argv[optind],
		        "keyid", sp_key_id(key), "signatures",
		        (int)sp_dsse_sig_count(sp_policy_envelope(p))),
		    "policy");
	else if (!common.quiet)
		fprintf(stderr,
		    "srcproof: signed policy version %llu with key %s (%zu "
		    "signatures)\n",
		    (unsigned long long)sp_policy_version(p), sp_key_id(key),
		    sp_dsse_sig_count(sp_policy_envelope(p)));
out:
	sp_key_free(key);
	sp_policy_free(p);
	return rc;
}

static const char *const all_roles[] = {
    "root", "release", "update", "review", "rebuild", "witness", "log"};

static json_t *
policy_json(const sp_policy *p)
{
	json_t *doc, *keys, *roles;
	char t[SP_TIME_STR_LEN];
	size_t i, j;

	(void)sp_time_format(t, sp_policy_expires(p));
	doc = json_pack("{s:I, s:s, s:s?, s:[], s:{}, s:i}", "version",
	    (json_int_t)sp_policy_version(p), "expires", t, "product",
	    sp_policy_product(p), "keys", "thresholds", "signatures",
	    (int)sp_dsse_sig_count(sp_policy_envelope(p)));
	if (doc == NULL)
		return NULL;
	keys = json_object_get(doc, "keys");
	roles = json_object_get(doc, "thresholds");
	for (i = 0; i < sp_policy_key_count(p); i++) {
		const sp_key *k = sp_policy_key(p, i);
		const char *const *r;
		size_t nr;
		int64_t nb, na;
		json_t *jk, *jr = json_array();

		sp_policy_key_info(p, i, &r, &nr, &nb, &na);
		for (j = 0; jr != NULL && j < nr; j++)
			json_array_append_new(jr, json_string(r[j]));
		jk = json_pack("{s:s, s:s, s:o}", "id", sp_key_id(k),
		    "algorithm", sp_key_algorithm_name(k), "roles", jr);
		if (jk != NULL && nb != 0 && sp_time_format(t, nb) == 0)
			json_object_set_new(jk, "not_before", json_string(t));
		if (jk != NULL && na != 0 && sp_time_format(t, na) == 0)
			json_object_set_new(jk, "not_after", json_string(t));
		json_array_append_new(keys, jk);
	}
	for (i = 0; i < sizeof(all_roles) / sizeof(all_roles[0]); i++)
		if (sp_policy_threshold(p, all_roles[i]) > 0)
			json_object_set_new(roles, all_roles[i],
			    json_integer(sp_policy_threshold(p, all_roles[i])));
	return doc;
}

static const char show_usage[] =
    "usage: srcproof policy show POLICY [--json]\n"
    "\n"
    "Print a policy's version, expiry, product, keys and thresholds. The\n"
    "signatures are counted, not checked: use 'srcproof policy verify'.\n";

static int
policy_show(int argc, char **argv, sp_ctx *ctx)
{
	struct cli_common common = {0};
	sp_policy *p = NULL;
	json_t *doc, *v;
	size_t i;
	const char *k;
	int exit_now = -1, rc = CLI_EXIT_OK;

	if ((exit_now = cli_common_only(
	         argc, argv, "policy show", show_usage, &common)) >= 0)
		return exit_now;
	if (optind + 1 != argc)
		return cli_usage_error("policy show", "expected one POLICY");
	if (sp_policy_load(ctx, &p, argv[optind]) < 0)
		return cli_fail(ctx);
	doc = policy_json(p);
	if (common.json) {
		rc = cli_json_print(doc, "policy");
		goto out;
	}
	if (doc == NULL) {
		cli_error("out of memory");
		rc = CLI_EXIT_ERROR;
		goto out;
	}
	printf("version: %lld\nexpires: %s\n",
	    (long long)json_integer_value(json_object_get(doc, "version")),
	    json_string_value(json_object_get(doc, "expires")));
	if (sp_policy_product(p) != NULL) {
		printf("product: ");
		cli_print_untrusted(stdout, sp_policy_product(p));
		putchar('\n');
	}
	json_object_foreach(json_object_get(doc, "thresholds"), k, v) printf(
	    "role %s: threshold %lld\n", k, (long long)json_integer_value(v));
	json_array_foreach(json_object_get(doc, "keys"), i, v)
	{
		json_t *r;
		size_t j;

		printf("key %s %s roles",
		    json_string_value(json_object_get(v, "id")),
		    json_string_value(json_object_get(v, "algorithm")));
		json_array_foreach(json_object_get(v, "roles"), j, r)
		    printf("%s%s", j ? "," : " ", json_string_value(r));
		if (json_object_get(v, "not_before"))
			printf(" not_before %s",
			    json_string_value(
			        json_object_get(v, "not_before")));
		if (json_object_get(v, "not_after"))
			printf(" not_after %s",
			    json_string_value(json_object_get(v, "not_after")));
		putchar('\n');
	}
	printf("signatures: %zu (not checked)\n",
	    sp_dsse_sig_count(sp_policy_envelope(p)));
	json_decref(doc);
out:
	sp_policy_free(p);
	return rc;
}

static const char verify_usage[] =
    "usage: srcproof policy verify PINNED [NEXT ...] [--at TIME] [--json]\n"
    "\n"
    "Verify a chain of policies: PINNED (the first policy you trust) must\n"
    "be signed by its own root threshold; each NEXT must be the following\n"
    "version, signed by the root threshold of the one before and by its\n"
    "own; the last must not have expired at TIME (default: now).\n"
    "\n"
    "options:\n"
    "  --at TIME            check expiry at TIME (YYYY-MM-DDTHH:MM:SSZ, "
    "YYYY-MM-DD)\n"
    "  --json, -q, -h       JSON output (also when not verified), quiet, "
    "this help\n"
    "\n"
    "exit status: 0 verified, 1 not verified, 2 usage, 3 unreadable input.\n";

static int
policy_verify(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"at", required_argument, NULL, OPT_AT}, CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	sp_policy *chain[MAX_CHAIN] = {NULL};
	const sp_policy *cur = NULL;
	int64_t at = (int64_t)time(NULL);
	size_t n = 0, i;
	int opt, exit_now = -1, rc = CLI_EXIT_OK;

	cli_getopt_reset();
	while ((opt = getopt_long(
	            argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, verify_usage, &exit_now))
			continue;
		switch (opt) {
		case OPT_AT:
			if (parse_time_arg(
			        "policy verify", "--at", optarg, &at) != 0)
				return CLI_EXIT_USAGE;
			break;
		default:
			return cli_bad_option("policy verify", argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind == argc || argc - optind > MAX_CHAIN)
		return cli_usage_error(
		    "policy verify", "expected 1 to %d policies", MAX_CHAIN);
	for (i = (size_t)optind; i < (size_t)argc; i++, n++)
		if (sp_policy_load(ctx, &chain[n], argv[i]) < 0) {
			rc = cli_fail(ctx);
			goto out;
		}
	if (sp_policy_verify_chain(ctx, chain, n, at, &cur) < 0) {
		if (common.json)
			(void)cli_json_print(
			    json_pack("{s:b, s:I, s:s}", "verified", 0,
			        "policies", (json_int_t)n, "reason",
			        sp_ctx_errmsg(ctx)),
			    "policy");
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json) {
		json_t *doc = policy_json(cur);

		if (doc != NULL)
			json_object_set_new(doc, "verified", json_true());
		rc = cli_json_print(doc, "policy");
	} else if (!common.quiet)
		printf("OK: policy chain of %zu verified; current version "
		       "%llu\n",
		    n, (unsigned long long)sp_policy_version(cur));
out:
	for (i = 0; i < n; i++)
		sp_policy_free(chain[i]);
	return rc;
}

int
cmd_policy(int argc, char **argv, sp_ctx *ctx)
{
	static const struct cli_sub subs[] = {
	    {"create", policy_create, "create an unsigned policy"},
	    {"add-key", policy_add_key, "add a public key with its roles"},
	    {"remove-key", policy_remove_key, "remove a key"},
	    {"set-threshold", policy_set_threshold,
	        "set how many keys a role needs"},
	    {"set-expires", policy_set_expires, "change the expiry time"},
	    {"sign", policy_sign, "add a signature to the policy"},
	    {"show", policy_show, "print a policy"},
	    {"verify", policy_verify, "verify a chain of policies"},
	};

	return cli_dispatch("policy",
	    "Trust policies: keys, roles, thresholds, expiry and rotation.",
	    subs, sizeof(subs) / sizeof(subs[0]), argc, argv, ctx);
}
