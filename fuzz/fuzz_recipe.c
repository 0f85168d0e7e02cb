/*
 * Fuzz the recipe parser: an accepted recipe serialises to canonical JSON
 * that parses again to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srcproof/recipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sp_ctx *ctx = NULL;
	sp_recipe *r = NULL, *r2 = NULL;
	sp_buf a = SP_BUF_INIT, b = SP_BUF_INIT;

	if (sp_ctx_new(&ctx) < 0)
		return 0;
	if (sp_recipe_parse(ctx, &r, (const char *)data, size) == 0) {
		if (sp_recipe_serialize(ctx, r, &a) != 0 ||
		    sp_recipe_parse(ctx, &r2, a.ptr, a.size) != 0 ||
		    sp_recipe_serialize(ctx, r2, &b) != 0)
			abort();
		if (a.size != b.size || memcmp(a.ptr, b.ptr, a.size) != 0)
			abort();
	}
	sp_recipe_free(r);
	sp_recipe_free(r2);
	sp_buf_dispose(&a);
	sp_buf_dispose(&b);
	sp_ctx_free(ctx);
	return 0;
}
