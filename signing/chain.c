/*
 * Signed update chains: every manifest of a chain signed under a trust
 * policy, with rollback, freeze and mix-and-match refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signing_int.h"
#include "srcproof/manifest.h"
#include "srcproof/util.h"

#include "banned.h"

/* Prefix the current error message with @p what. */
static int
prefix(sp_ctx *ctx, int error, const char *what)
{
	char msg[SP_ERRMSG_MAX], hint[SP_ERRMSG_MAX];

	snprintf(msg, sizeof(msg), "%s", sp_ctx_errmsg(ctx));
	snprintf(hint, sizeof(hint), "%s", sp_ctx_errhint(ctx));
	sp_err_set(ctx, error, "%s%s", what, msg);
	if (hint[0] != '\0')
		sp_err_hint(ctx, "%s", hint);
	return error;
}

int
sp_sign_verify_manifest_chain(sp_ctx *ctx, const char *const *paths,
    const char *const *sigpaths, size_t n, sp_policy *const *policies,
    size_t npolicies, int64_t at, sp_sign_chain_result *result)
{
	sp_sign_chain_result local;
	const sp_policy *policy = NULL;
	sp_statement_info info = {0};
	sp_manifest *m = NULL;
	sp_dsse *env = NULL;
	char first_product[300] = "", where[600];
	bool have_first = false;
	int64_t prev_signed = 0;
	size_t i;
	int error;

	if (result == NULL)
		result = &local;
	memset(result, 0, sizeof(*result));
	result->failed_at = SIZE_MAX;
	if ((error = sp_policy_verify_chain(
	         ctx, policies, npolicies, at, &policy)) < 0) {
		result->kind = SP_CHAIN_FAIL_POLICY;
		if (strncmp(sp_ctx_errmsg(ctx), "policy expired", 14) == 0) {
			result->kind = SP_CHAIN_FAIL_FREEZE;
			return prefix(ctx, error, "freeze: ");
		}
		return error;
	}
	for (i = 0; i < n; i++) {
		sp_sign_verify_opts o = SP_SIGN_VERIFY_OPTS_INIT;
		uint8_t md[SP_SHA256_LEN];
		const char *role, *product;

		result->failed_at = i;
		snprintf(where, sizeof(where), "'%s': ", paths[i]);
		if ((error = sp_manifest_load(ctx, &m, paths[i])) < 0 ||
		    (error = sp_dsse_load(ctx, &env, sigpaths[i])) < 0 ||
		    (error = sp_manifest_digest_file(ctx, md, paths[i])) < 0) {
			result->kind = SP_CHAIN_FAIL_INPUT;
			goto out;
		}
		role = sp_manifest_kind_of(m) == SP_MANIFEST_UPDATE ? "update"
		                                                    : "release";
		product = sp_manifest_product(m);
		/* Mix-and-match: every link is of the policy's product and
		 * of the first link's. */
		if (sp_policy_product(policy) != NULL &&
		    (product == NULL ||
		        strcmp(product, sp_policy_product(policy)) != 0)) {
			result->kind = SP_CHAIN_FAIL_MIX;
			error = sp_err_set(ctx, SP_EVERIFY,
			    "mix-and-match: '%s' is for product '%s' but the "
			    "policy is for '%s'",
			    paths[i], product ? product : "(none)",
			    sp_policy_product(policy));
			goto out;
		}
		if (!have_first) {
			snprintf(first_product, sizeof(first_product), "%s",
			    product ? product : "");
			have_first = true;
		} else if (strcmp(first_product, product ? product : "") != 0) {
			result->kind = SP_CHAIN_FAIL_MIX;
			error = sp_err_set(ctx, SP_EVERIFY,
			    "mix-and-match: '%s' is for product '%s' but the "
			    "chain starts with product '%s'",
			    paths[i], product ? product : "(none)",
			    first_product);
			goto out;
		}
		/* The signature: the policy's threshold for the manifest's
		 * kind, over a statement naming this file's digest. */
		if ((error = sp_statement_check(ctx, env, md, &info)) < 0) {
			result->kind = error == SP_EVERIFY
			                   ? SP_CHAIN_FAIL_SIGNATURE
			                   : SP_CHAIN_FAIL_INPUT;
			prefix(ctx, error, where);
			goto out;
		}
		if (info.role == NULL || strcmp(info.role, role) != 0) {
			result->kind = SP_CHAIN_FAIL_SIGNATURE;
			error = sp_err_set(ctx, SP_EVERIFY,
			    "'%s': role not allowed: %s %s manifest needs a "
			    "signature for role '%s', not '%s'",
			    paths[i], role[0] == 'u' ? "an" : "a", role, role,
			    info.role ? info.role : "(none)");
			goto out;
		}
		o.policy = policy;
		o.role = role;
		o.at = at;
		if ((error = sp_dsse_verify(ctx, env, &o, NULL)) < 0) {
			result->kind = SP_CHAIN_FAIL_SIGNATURE;
			prefix(ctx, error, where);
			goto out;
		}
		/* Rollback: a link signed before the link it follows. */
		if (info.signed_at == 0) {
			result->kind = SP_CHAIN_FAIL_SIGNATURE;
			error = sp_err_set(ctx, SP_EVERIFY,
			    "'%s': the signed statement has no signed_at time",
			    paths[i]);
			goto out;
		}
		if (i > 0 && info.signed_at < prev_signed) {
			char a[SP_TIME_STR_LEN], b[SP_TIME_STR_LEN];

			(void)sp_time_format(a, info.signed_at);
			(void)sp_time_format(b, prev_signed);
			result->kind = SP_CHAIN_FAIL_ROLLBACK;
			error = sp_err_set(ctx, SP_EVERIFY,
			    "rollback: '%s' was signed at %s, before '%s' that "
			    "it follows (signed at %s)",
			    paths[i], a, paths[i - 1], b);
			goto out;
		}
		if (info.signed_at > at) {
			char a[SP_TIME_STR_LEN], b[SP_TIME_STR_LEN];

			(void)sp_time_format(a, info.signed_at);
			(void)sp_time_format(b, at);
			result->kind = SP_CHAIN_FAIL_SIGNATURE;
			error = sp_err_set(ctx, SP_EVERIFY,
			    "'%s' claims to be signed at %s, after the time "
			    "of the check (%s)",
			    paths[i], a, b);
			goto out;
		}
		prev_signed = info.signed_at;
		sp_statement_info_dispose(&info);
		sp_manifest_free(m);
		m = NULL;
		sp_dsse_free(env);
		env = NULL;
	}
	result->failed_at = SIZE_MAX;
	result->policy_version = sp_policy_version(policy);
out:
	sp_statement_info_dispose(&info);
	sp_manifest_free(m);
	sp_dsse_free(env);
	return error;
}
