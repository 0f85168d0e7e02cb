/*
 * Fuzz the ELF parser (both classes and byte orders, section names,
 * build-id notes, .gnu_debuglink) and the kernel module signature trailer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../review/compare_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sp_ctx *ctx = NULL;
	cmp_file f;
	elf_info e;
	kmod_sig k;
	cmp_regions rs;
	uint64_t limit = size, end, off;

	if (sp_ctx_new(&ctx) < 0)
		return 0;
	memset(&rs, 0, sizeof(rs));
	cmp_file_mem(&f, "fuzz.elf", data, size);
	(void)elf_detect(&f);
	if (kmod_parse(ctx, &k, &f) == 0 && k.present) {
		if (k.module_len + k.sig_len + 40 != size)
			abort();
		limit = k.module_len;
	}
	if (elf_parse(ctx, &e, &f, limit, &rs) == 0) {
		if (e.has_build_id && e.build_id_off + e.build_id_len > limit)
			abort();
		if (e.has_debuglink && e.debuglink_crc_off + 4 > limit)
			abort();
		if (cmp_regions_finish(ctx, &rs) == 0)
			for (off = 0; off < size; off += 61)
				(void)cmp_regions_find(&rs, off, &end);
	}
	elf_dispose(&e);
	cmp_regions_dispose(&rs);
	sp_ctx_free(ctx);
	return 0;
}
