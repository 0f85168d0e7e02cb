/*
 * Fuzz the trust-policy parser (envelope + body): anything that parses
 * must serialise and parse again to the same bytes, and verifying it must
 * not crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srcproof/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sp_ctx *ctx = NULL;
	sp_policy *p = NULL, *again = NULL;
	sp_buf a = SP_BUF_INIT, b = SP_BUF_INIT;
	const sp_policy *cur;
	size_t i;

	if (sp_ctx_new(&ctx) < 0)
		return 0;
	if (sp_policy_parse(ctx, &p, (const char *)data, size) == 0) {
		if (sp_policy_serialize(ctx, p, &a) != 0 ||
		    sp_policy_parse(ctx, &again, a.ptr, a.size) != 0 ||
		    sp_policy_serialize(ctx, again, &b) != 0 ||
		    a.size != b.size || memcmp(a.ptr, b.ptr, a.size) != 0)
			abort();
		for (i = 0; i < sp_policy_key_count(p); i++)
			(void)sp_key_id(sp_policy_key(p, i));
		(void)sp_policy_threshold(p, "release");
		if (sp_policy_verify_chain(ctx, &p, 1, 1, &cur) == 0 &&
		    cur != p)
			abort();
	}
	sp_policy_free(p);
	sp_policy_free(again);
	sp_buf_dispose(&a);
	sp_buf_dispose(&b);
	sp_ctx_free(ctx);
	return 0;
}
