/*
 * Fuzz the ELF parser (both classes and byte orders, section names,
 * build-id notes, .gnu_debuglink), the kernel module signature trailer and
 * its PKCS#7 (both SignerInfo forms), and compressed modules (xz, zstd,
 * gzip: detection, bounded decompression, framing checks).
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../review/compare_int.h"

#define FUZZ_MAX_DECOMPRESSED ((uint64_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_module_signature(sp_ctx *ctx, const cmp_file *f, const kmod_sig *k)
{
	cmp_findings fs = {NULL, 0};
	kmod_cms m;
	uint8_t dg[EVP_MAX_MD_SIZE];
	const char *why = NULL;
	char *subject = NULL;
	int n;

	if (kmod_cms_load(ctx, &m, f, k, &fs) == 0) {
		if (m.cms == NULL || m.si == NULL || m.md == NULL ||
		    m.by_key_id != (m.key_id != NULL))
			abort();
		memset(dg, 0, sizeof(dg));
		n = EVP_MD_get_size(m.md);
		if (n > 0 && (size_t)n <= sizeof(dg))
			(void)kmod_cms_verify(
			    ctx, &m, NULL, dg, (size_t)n, &why, &subject);
		free(subject);
		kmod_cms_dispose(&m);
	}
	json_decref(fs.list);
}

static void
fuzz_compressed(sp_ctx *ctx, const cmp_file *f)
{
	cmp_compression c = cmp_compression_detect(f);
	cmp_findings fs = {NULL, 0};
	cmp_file d;
	bool is_elf = false;

	if (c == CMP_COMP_NONE)
		return;
	(void)cmp_decompress_peek(ctx, f, c, &is_elf);
	/* The framing walkers, also on data the decoders refuse. */
	(void)cmp_compression_framing(ctx, f, c, &fs);
	if (cmp_decompress(ctx, &d, f, c, FUZZ_MAX_DECOMPRESSED,
	        "fuzz (decompressed)", &fs) == 0) {
		if (d.size > FUZZ_MAX_DECOMPRESSED || d.fd < 0)
			abort();
		cmp_file_close(&d);
	}
	json_decref(fs.list);
}

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
	fuzz_compressed(ctx, &f);
	if (kmod_parse(ctx, &k, &f) == 0 && k.present) {
		if (k.module_len + k.sig_len + 40 != size)
			abort();
		limit = k.module_len;
		fuzz_module_signature(ctx, &f, &k);
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
