/*
 * Fuzz the escaping of untrusted text (UTF-8 decoding, terminal and HTML).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srcproof/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sp_buf t = SP_BUF_INIT, h = SP_BUF_INIT;
	size_t i;

	if (sp_escape_terminal(&t, (const char *)data, size) == 0) {
		/* The result never holds a control byte and is clean UTF-8. */
		for (i = 0; i < t.size; i++) {
			unsigned char c = (unsigned char)t.ptr[i];

			if (c < 0x20 || c == 0x7f)
				abort();
		}
		if (!sp_is_clean_utf8(t.ptr, t.size))
			abort();
	}
	if (sp_escape_html(&h, (const char *)data, size) == 0) {
		if (memchr(h.ptr, '<', h.size) != NULL ||
		    memchr(h.ptr, '"', h.size) != NULL)
			abort();
	}
	(void)sp_is_clean_utf8((const char *)data, size);
	(void)sp_path_is_safe_relative((const char *)data, size);
	sp_buf_dispose(&t);
	sp_buf_dispose(&h);
	return 0;
}
