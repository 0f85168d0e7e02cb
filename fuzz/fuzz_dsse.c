/*
 * Fuzz the DSSE envelope parser and the statement reader: anything that
 * parses must serialise and parse again to the same bytes.
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
	sp_dsse *env = NULL, *again = NULL;
	sp_buf a = SP_BUF_INIT, b = SP_BUF_INIT;
	sp_statement_info info;
	sp_sign_verify_opts o = SP_SIGN_VERIFY_OPTS_INIT;
	sp_sign_result r;
	uint8_t digest[32] = {0};

	if (sp_ctx_new(&ctx) < 0)
		return 0;
	if (sp_dsse_parse(ctx, &env, (const char *)data, size) == 0) {
		if (sp_dsse_serialize(ctx, env, &a) != 0 ||
		    sp_dsse_parse(ctx, &again, a.ptr, a.size) != 0 ||
		    sp_dsse_serialize(ctx, again, &b) != 0 ||
		    a.size != b.size || memcmp(a.ptr, b.ptr, a.size) != 0)
			abort();
		(void)sp_dsse_sig_keyid(env, 0);
		if (sp_statement_check(ctx, env, NULL, &info) == 0)
			sp_statement_info_dispose(&info);
		if (sp_statement_check(ctx, env, digest, &info) == 0)
			sp_statement_info_dispose(&info);
		/* No keys given: never verified. */
		o.payload_type = sp_dsse_payload_type(env);
		o.keys = NULL;
		o.nkeys = 0;
		if (sp_dsse_verify(ctx, env, &o, &r) == 0)
			abort();
	}
	sp_dsse_free(env);
	sp_dsse_free(again);
	sp_buf_dispose(&a);
	sp_buf_dispose(&b);
	sp_ctx_free(ctx);
	return 0;
}
