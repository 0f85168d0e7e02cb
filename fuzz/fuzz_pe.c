/*
 * Fuzz the PE/COFF parser: headers, section table, certificate table walk,
 * PKCS#7 Authenticode parsing (nested signatures, timestamps), region map,
 * Authenticode digests and the checksum over the input.
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
	pe_image pe;
	cmp_findings fs = {NULL, 0};
	cmp_regions rs;
	pe_csum cs;
	uint64_t end, off;
	size_t i;

	if (sp_ctx_new(&ctx) < 0)
		return 0;
	memset(&rs, 0, sizeof(rs));
	cmp_file_mem(&f, "fuzz.exe", data, size);
	(void)pe_detect(&f);
	if (pe_parse(ctx, &pe, &f, &fs, &rs) == 0) {
		int nids[PE_MAX_SIGNATURES];
		pe_auth_hash h;

		if (pe.data_end > size || pe.checksum_off + 4 > size)
			abort();
		for (i = 0; i < pe.nsigs; i++)
			nids[i] = pe.sigs[i].md_nid;
		if (pe_auth_hash_init(ctx, &h, &pe, nids, pe.nsigs) == 0) {
			(void)pe_auth_hash_update(
			    ctx, &h, 0, data, (size_t)pe.data_end);
			pe_auth_hash_dispose(&h);
		}
		for (i = 0; i < pe.nsigs && i < 2; i++) {
			uint8_t d[EVP_MAX_MD_SIZE];
			unsigned dl = 0;

			if (pe_md_fetch(ctx, pe.sigs[i].md_nid) != NULL)
				(void)pe_auth_digest_spec(
				    ctx, &pe, &f, pe.sigs[i].md_nid, d, &dl);
		}
		(void)pe_layout_has_gaps(&pe);
		if (cmp_regions_finish(ctx, &rs) == 0)
			for (off = 0; off < size; off += 97)
				(void)cmp_regions_find(&rs, off, &end);
		pe_dispose(&pe);
	}
	pe_csum_init(&cs);
	pe_csum_update(&cs, data, size);
	(void)pe_csum_final(&cs);
	cmp_regions_dispose(&rs);
	json_decref(fs.list);
	sp_ctx_free(ctx);
	return 0;
}
