/*
 * Fuzz the INDEX parser and the SHA256SUMS normaliser: accepted INDEX
 * entries are sorted and valid; normalising twice changes nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../escrow/escrow_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sp_ctx *ctx = NULL;
	sp_index_entry *v = NULL;
	char *arena = NULL;
	sp_buf a = SP_BUF_INIT, b = SP_BUF_INIT, line = SP_BUF_INIT;
	size_t n = 0, i;

	if (sp_ctx_new(&ctx) < 0)
		return 0;
	if (sp_index_parse(
	        ctx, &v, &n, &arena, (const char *)data, size, 100000) == 0) {
		/* Writing the entries back gives the input. */
		if (sp_buf_puts(&line, SP_ESCROW_INDEX_MAGIC "\n") < 0)
			abort();
		for (i = 0; i < n; i++) {
			if (!sp_escrow__name_ok(v[i].name, v[i].name_len))
				abort();
			if (strlen(v[i].name) != v[i].name_len)
				abort();
			if (sp_index_line(&line, v[i].name, v[i].sha256,
			        v[i].symlink) < 0)
				abort();
		}
		if (line.size != size || memcmp(line.ptr, data, size) != 0)
			abort();
	}
	if (sp_escrow__sums_canonical(
	        ctx, &a, (const char *)data, size, "fuzz") == 0) {
		if (sp_escrow__sums_canonical(ctx, &b,
		        a.ptr != NULL ? a.ptr : "", a.size, "fuzz") != 0)
			abort();
		if (a.size != b.size ||
		    (a.size > 0 && memcmp(a.ptr, b.ptr, a.size) != 0))
			abort();
	}
	free(v);
	free(arena);
	sp_buf_dispose(&a);
	sp_buf_dispose(&b);
	sp_buf_dispose(&line);
	sp_ctx_free(ctx);
	return 0;
}
