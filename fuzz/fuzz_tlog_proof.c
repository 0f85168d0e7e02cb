/*
 * Fuzz the proof file parser (C2SP tlog-proof) and offline verification,
 * and the log entry parser on the entry a proof carries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srcproof/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The key of the seed proofs (fuzz/corpora/fuzz_tlog_proof). */
static const char log_vkey[] = "example.com/behind-the-sofa+13e30ba2+"
                               "ASmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X";
static const char w1_vkey[] =
    "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sp_ctx *ctx = NULL;
	sp_tlog_proof *p = NULL;
	sp_tlog_verifier *lk = NULL, *wk = NULL;
	sp_tlog_trust trust = SP_TLOG_TRUST_INIT;
	sp_tlog_verify_result res;
	const sp_tlog_verifier *ws[1];

	if (sp_ctx_new(&ctx) < 0)
		return 0;
	if (sp_tlog_verifier_parse(ctx, &lk, log_vkey) < 0 ||
	    sp_tlog_verifier_parse(ctx, &wk, w1_vkey) < 0)
		abort();
	if (sp_tlog_proof_parse(ctx, &p, (const char *)data, size) == 0) {
		size_t elen;
		const uint8_t *e = sp_tlog_proof_entry(p, &elen);
		sp_tlog_entry parsed;
		int rc;

		if (e != NULL &&
		    sp_tlog_entry_parse(ctx, &parsed, e, elen) == 0) {
			sp_buf b = SP_BUF_INIT;

			/* Canonical: re-encoding gives the same bytes. */
			if (sp_tlog_entry_encode(ctx, &b, &parsed) < 0 ||
			    b.size != elen || memcmp(b.ptr, e, elen) != 0)
				abort();
			sp_buf_dispose(&b);
		}
		ws[0] = wk;
		trust.log_key = lk;
		trust.witnesses = ws;
		trust.nwitnesses = 1;
		trust.quorum = 0;
		rc = sp_tlog_proof_verify(ctx, p, &trust, NULL, 0, &res);
		if (rc == 0 && (!res.log_signature_ok || !res.inclusion_ok))
			abort();
	}
	sp_tlog_proof_free(p);
	sp_tlog_verifier_free(lk);
	sp_tlog_verifier_free(wk);
	sp_ctx_free(ctx);
	return 0;
}
