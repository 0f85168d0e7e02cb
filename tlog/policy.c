/*
 * Log and witness keys from a trust policy (docs/spec/policy.md, section
 * 6): a policy holds bare Ed25519 public keys, a signed note names its
 * signers, and the key ID (which commits to the name and the key) pairs
 * them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srcproof/util.h"
#include "tlog_int.h"
#include "util_int.h"

#include "banned.h"

void
sp_tlog_verifiers_free(sp_tlog_verifier **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		sp_tlog_verifier_free(v[i]);
	free(v);
}

/* The first signature line of @p cp with the key ID of (its name, @p type,
 * @p pub), or NULL. */
static int
paired_line(sp_ctx *ctx, const sp_tlog_checkpoint *cp, int type,
    const uint8_t pub[32], const tlog_sig **out)
{
	uint8_t id[4];
	size_t i;
	int error;

	*out = NULL;
	for (i = 0; i < cp->note.nsigs; i++) {
		const tlog_sig *s = &cp->note.sigs[i];

		if (s->rawlen < 4)
			continue;
		if ((error = tlog_key_id(ctx, id, s->name, type, pub)) < 0)
			return error;
		if (memcmp(id, s->raw, 4) == 0) {
			*out = s;
			return 0;
		}
	}
	return 0;
}

int
sp_tlog_policy_verifiers(sp_ctx *ctx, sp_tlog_verifier ***out, size_t *n,
    size_t *outside, const sp_tlog_checkpoint *cp, const sp_policy *policy,
    const char *role, int type, int64_t at)
{
	sp_tlog_verifier **v = NULL;
	size_t i, count = 0, nkeys;
	int error = 0;

	SP_ASSERT_ARG(ctx, out != NULL && n != NULL && cp != NULL &&
	                       policy != NULL && role != NULL);
	*out = NULL;
	*n = 0;
	if (outside != NULL)
		*outside = 0;
	if (type != SP_TLOG_SIG_ED25519 && type != SP_TLOG_SIG_COSIGNATURE)
		return sp_err_set(ctx, SP_EINVALID, "unknown signature type");
	nkeys = sp_policy_key_count(policy);
	if ((v = sp_calloc(ctx, nkeys + 1, sizeof(*v))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	for (i = 0; i < nkeys; i++) {
		const sp_key *k = sp_policy_key(policy, i);
		const tlog_sig *s;
		uint8_t pub[32];

		if (!sp_policy_key_has_role(policy, i, role) ||
		    sp_key_algorithm(k) != SP_KEY_ED25519)
			continue;
		if ((error = sp_key_ed25519_raw(ctx, k, pub)) < 0 ||
		    (error = paired_line(ctx, cp, type, pub, &s)) < 0)
			goto out;
		if (s == NULL)
			continue;
		if (!sp_policy_key_valid_at(policy, i, at)) {
			if (outside != NULL)
				(*outside)++;
			continue;
		}
		if ((error = tlog_verifier_new(
		         ctx, &v[count], s->name, type, pub)) < 0)
			goto out;
		count++;
	}
	*out = v;
	*n = count;
	v = NULL;
out:
	sp_tlog_verifiers_free(v, count);
	return error;
}

int
sp_tlog_checkpoint_verify_policy(sp_ctx *ctx, const sp_tlog_checkpoint *cp,
    const sp_policy *policy, int64_t at, const char *origin,
    sp_tlog_verifier **log_key)
{
	sp_tlog_verifier **v = NULL;
	unsigned threshold = sp_policy_threshold(policy, "log");
	size_t i, n = 0, outside = 0, named = 0;
	char when[SP_TIME_STR_LEN];
	int error;

	if (log_key != NULL)
		*log_key = NULL;
	if (threshold == 0)
		return sp_err_set(ctx, SP_EINVALID,
		    "policy version %llu names no log key",
		    (unsigned long long)sp_policy_version(policy));
	if ((error = sp_tlog_policy_verifiers(ctx, &v, &n, &outside, cp, policy,
	         "log", SP_TLOG_SIG_ED25519, at)) < 0)
		return error;
	if (sp_time_format(when, at) < 0)
		snprintf(when, sizeof(when), "@%lld", (long long)at);
	for (i = 0; i < sp_policy_key_count(policy); i++)
		named += sp_policy_key_has_role(policy, i, "log");
	if (n < threshold) {
		if (n == 0 && outside == 0)
			error = sp_err_set(ctx, SP_EVERIFY,
			    "checkpoint of '%s' is not signed by a log key of "
			    "policy version %llu (it names %zu; the "
			    "checkpoint's %zu signature line(s) are from "
			    "other keys)",
			    cp->origin,
			    (unsigned long long)sp_policy_version(policy),
			    named, cp->note.nsigs);
		else
			error = sp_err_set(ctx, SP_EVERIFY,
			    "checkpoint of '%s' is signed by %zu of the %u "
			    "required log key(s) of policy version %llu valid "
			    "at %s (%zu more outside their validity window)",
			    cp->origin, n, threshold,
			    (unsigned long long)sp_policy_version(policy), when,
			    outside);
		goto out;
	}
	/* Every line paired with a log key of the policy must verify. */
	for (i = 0; i < n; i++)
		if ((error = sp_tlog_checkpoint_verify(ctx, cp, v[i], origin)) <
		    0)
			goto out;
	if (log_key != NULL) {
		*log_key = v[0];
		v[0] = NULL;
	}
out:
	sp_tlog_verifiers_free(v, n);
	return error;
}
