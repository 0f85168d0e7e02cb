/*
 * Fuzz the release configuration parser: anything is refused with a
 * configuration error or accepted as a consistent configuration.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srcproof/release.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sp_ctx *ctx = NULL;
	sp_release_config *cfg = NULL;
	int error;

	if (sp_ctx_new(&ctx) < 0)
		return 0;
	error = sp_release_config_parse(
	    ctx, &cfg, (const char *)data, size, "base");
	if (error == 0) {
		const char *out = sp_release_config_output(cfg);

		if (cfg == NULL ||
		    (out != NULL && out[0] != '/' && strncmp(out, "base/", 5)))
			abort(); /* relative paths are resolved */
	} else if ((error != SP_EINVALID && error != SP_ELIMIT &&
	               error != SP_ENOMEM) ||
	           cfg != NULL || sp_ctx_errmsg(ctx)[0] == '\0') {
		abort();
	}
	sp_release_config_free(cfg);
	sp_ctx_free(ctx);
	return 0;
}
