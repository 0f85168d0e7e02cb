/*
 * Fuzz the escrow bundle reader: an archive (plain, zstd or gzip tar) read
 * from memory with every structural check and the INDEX comparison.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../escrow/escrow_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sp_escrow_read_options o = SP_ESCROW_READ_OPTIONS_INIT;
	sp_ctx *ctx = NULL;
	sp_bundle b;
	size_t i;
	int error;

	if (sp_ctx_new(&ctx) < 0)
		return 0;
	/* Small limits keep each run fast; the checks are the same. */
	o.max_total = (uint64_t)64 << 20;
	o.max_members = 4096;
	o.max_ratio = 1000;
	sp_bundle_init(&b);
	error = sp_bundle_read_mem(ctx, &b, data, size, &o);
	if (error == 0) {
		/* Accepted: INDEX matched and every name is valid, sorted. */
		if (!b.index_ok)
			abort();
		for (i = 0; i < b.nmembers; i++) {
			if (!sp_escrow__name_ok(
			        b.members[i].name, b.members[i].name_len))
				abort();
			if (i > 0 && strcmp(b.members[i - 1].name,
			                 b.members[i].name) >= 0)
				abort();
		}
	} else if (sp_ctx_errmsg(ctx)[0] == '\0') {
		abort(); /* every refusal says why */
	}
	sp_bundle_dispose(&b);
	sp_ctx_free(ctx);
	return 0;
}
