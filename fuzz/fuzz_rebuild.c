/*
 * Fuzz what srcproof rebuild reads from a bundle and renders: the input is
 * parsed as binaries/SHA256SUMS (accepted entries are safe relative paths,
 * strictly sorted, with lower-case hex), and as JSON taken for a verdict
 * predicate (or a statement's predicate), rendered as text and as HTML
 * (never a crash; the page never holds a script element).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../review/rebuild_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sp_buf text = SP_BUF_INIT, html = SP_BUF_INIT;
	sp_ctx *ctx = NULL;
	rb_sum *v = NULL;
	json_t *j = NULL, *pred;
	json_error_t jerr;
	size_t n = 0, i;

	if (sp_ctx_new(&ctx) < 0)
		return 0;
	if (rb_sums_parse(ctx, &v, &n, (const char *)data, size) == 0) {
		for (i = 0; i < n; i++) {
			if (!sp_path_is_safe_relative(
			        v[i].name, strlen(v[i].name)) ||
			    !sp_is_lower_hex(v[i].hex, 64, 32))
				abort();
			if (i > 0 && strcmp(v[i - 1].name, v[i].name) >= 0)
				abort();
		}
	}
	rb_sums_free(v, n);
	j = json_loadb((const char *)data, size,
	    JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, &jerr);
	if (j != NULL) {
		pred = json_object_get(j, "predicate");
		if (!json_is_object(pred))
			pred = j;
		if (sp_verdict_text(ctx, &text, pred) == 0 &&
		    sp_verdict_html(ctx, &html, pred) == 0 &&
		    (strstr(html.ptr, "<script") != NULL ||
		        strstr(html.ptr, "<img") != NULL))
			abort();
	}
	json_decref(j);
	sp_buf_dispose(&text);
	sp_buf_dispose(&html);
	sp_ctx_free(ctx);
	return 0;
}
