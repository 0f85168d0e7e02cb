/*
 * Fuzz the BER walker of encrypted bundles (CMS AuthEnvelopedData and
 * EnvelopedData layouts) and OpenSSL's decoding of the rebuilt header.
 */
#include <openssl/cms.h>
#include <openssl/err.h>
#include <stdint.h>
#include <stdlib.h>

#include "../escrow/escrow_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sp_ctx *ctx = NULL;
	sp_buf der = SP_BUF_INIT;
	uint64_t off = 0;

	if (sp_ctx_new(&ctx) < 0)
		return 0;
	if (sp_cms__parse_layout(ctx, data, size, &der, &off) == 0) {
		const unsigned char *p = (const unsigned char *)der.ptr;
		CMS_ContentInfo *cms;

		if (off > size)
			abort();
		cms = d2i_CMS_ContentInfo(NULL, &p, (long)der.size);
		CMS_ContentInfo_free(cms);
		ERR_clear_error();
	} else if (sp_ctx_errmsg(ctx)[0] == '\0') {
		abort();
	}
	sp_buf_dispose(&der);
	sp_ctx_free(ctx);
	return 0;
}
