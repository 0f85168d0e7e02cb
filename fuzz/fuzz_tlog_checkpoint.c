/*
 * Fuzz the signed-note and checkpoint parsers, log signature and witness
 * cosignature verification, checkpoint comparison and the vkey parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srcproof/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Derived test vector keys (docs/spec/log.md). */
static const char log_vkey[] = "example.com/behind-the-sofa+13e30ba2+"
                               "ASmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X";
static const char w1_vkey[] =
    "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sp_ctx *ctx = NULL;
	sp_tlog_checkpoint *cp = NULL, *again = NULL;
	sp_tlog_verifier *lk = NULL, *wk = NULL, *v = NULL;
	sp_tlog_trust trust = SP_TLOG_TRUST_INIT;
	sp_tlog_verify_result res;
	const sp_tlog_verifier *ws[1];
	char *s;
	int rc;

	if (sp_ctx_new(&ctx) < 0)
		return 0;
	if (sp_tlog_verifier_parse(ctx, &lk, log_vkey) < 0 ||
	    sp_tlog_verifier_parse(ctx, &wk, w1_vkey) < 0)
		abort();
	if (sp_tlog_checkpoint_parse(ctx, &cp, (const char *)data, size) == 0) {
		size_t len;
		const char *text = sp_tlog_checkpoint_text(cp, &len);

		/* Parsing is deterministic and the text is kept as given. */
		if (len != size || memcmp(text, data, size) != 0)
			abort();
		if (sp_tlog_checkpoint_parse(ctx, &again, text, len) < 0 ||
		    sp_tlog_checkpoint_size(again) !=
		        sp_tlog_checkpoint_size(cp))
			abort();
		rc = sp_tlog_checkpoint_verify(ctx, cp, lk, NULL);
		if (rc != 0 && rc != SP_EVERIFY)
			abort();
		ws[0] = wk;
		trust.log_key = lk;
		trust.witnesses = ws;
		trust.nwitnesses = 1;
		trust.quorum = 1;
		rc = sp_tlog_checkpoint_cosigned(ctx, cp, &trust, &res);
		if (rc == 0 && res.cosigned < 1)
			abort();
		if (sp_tlog_checkpoints_compare(ctx, cp, again) != 0)
			abort();
	}
	/* The same bytes as a vkey. */
	if ((s = malloc(size + 1)) != NULL) {
		memcpy(s, data, size);
		s[size] = '\0';
		if (sp_tlog_verifier_parse(ctx, &v, s) == 0) {
			sp_buf b = SP_BUF_INIT;

			if (sp_tlog_verifier_vkey(ctx, v, &b) < 0)
				abort();
			sp_buf_dispose(&b);
		}
		free(s);
	}
	sp_tlog_verifier_free(v);
	sp_tlog_checkpoint_free(again);
	sp_tlog_checkpoint_free(cp);
	sp_tlog_verifier_free(lk);
	sp_tlog_verifier_free(wk);
	sp_ctx_free(ctx);
	return 0;
}
