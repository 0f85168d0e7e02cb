/*
 * Fuzz the manifest parser: whatever it accepts must serialize back to the
 * same bytes (only the canonical form is accepted), and every entry must
 * be found again by path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srcproof/manifest.h"
#include "srcproof/srcproof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sp_manifest *m = NULL;
	sp_buf again = SP_BUF_INIT;
	sp_manifest_diff_summary s;
	const sp_manifest *one[1];
	sp_ctx *ctx = NULL;
	size_t i, n;

	if (sp_ctx_new(&ctx) < 0)
		return 0;
	if (sp_manifest_parse(ctx, &m, (const char *)data, size) == 0) {
		if (sp_manifest_serialize(ctx, m, &again) != 0 ||
		    again.size != size || memcmp(again.ptr, data, size) != 0)
			abort();
		n = sp_manifest_entry_count(m);
		for (i = 0; i < n; i++) {
			const sp_manifest_entry *e = sp_manifest_entry_at(m, i);

			if (sp_manifest_find(m, e->path) != e)
				abort();
			if ((e->type == SP_MANIFEST_SYMLINK) !=
			    (e->link_target != NULL))
				abort();
		}
		if (sp_manifest_diff(ctx, m, m, NULL, NULL, &s) != 0 ||
		    s.unchanged != n || s.added || s.removed || s.changed ||
		    s.renamed || s.mode)
			abort();
		one[0] = m;
		if (sp_manifest_chain_check(ctx, one, 1, NULL) != 0)
			abort();
	} else if (m != NULL) {
		abort();
	}
	sp_manifest_free(m);
	sp_buf_dispose(&again);
	sp_ctx_free(ctx);
	return 0;
}
