/*
 * Unit tests for the binary comparison: PE and ELF parsers on synthetic
 * images (every refusal), certificate-table walking, module signature
 * trailers, region maps, logical views, Authenticode hashing by pieces,
 * the PE checksum, and sp_compare_files on generated files.
 */
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "compare_int.h"
#include "sp_test.h"
#include "srcproof/compare.h"
#include "srcproof/rebuild.h"
#include "srcproof/srcproof.h"

static char tmpdir[256];
static sp_ctx *ctx;

static int
group_setup(void **state)
{
	(void)state;
	if (sp_test_mkdtemp(tmpdir, sizeof(tmpdir), "review") < 0)
		return -1;
	return sp_ctx_new(&ctx);
}

static int
group_teardown(void **state)
{
	(void)state;
	sp_ctx_free(ctx);
	return sp_test_rmtree(tmpdir);
}

static void
le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
le32(uint8_t *p, uint32_t v)
{
	cmp_put_le32(p, v);
}

/*
 * A minimal PE image: DOS header, e_lfanew 0x40, one section '.text' of
 * 0x200 bytes at 0x200, SizeOfHeaders 0x200, 16 data directories.
 * Returns the offsets of interest.
 */
struct pe_layout {
	size_t size, opt, sectab, certdir, checksum;
};

static struct pe_layout
make_pe(uint8_t *b, bool plus)
{
	struct pe_layout l;
	uint16_t optsz = plus ? 0xf0 : 0xe0;
	size_t i;

	memset(b, 0, 0x400);
	b[0] = 'M';
	b[1] = 'Z';
	le32(b + 0x3c, 0x40);
	memcpy(b + 0x40, "PE\0\0", 4);
	le16(b + 0x44, plus ? 0x8664 : 0x14c);
	le16(b + 0x46, 1);
	le16(b + 0x54, optsz);
	l.opt = 0x58;
	le16(b + l.opt, plus ? 0x20b : 0x10b);
	le32(b + l.opt + 60, 0x200);
	le32(b + l.opt + (plus ? 108 : 92), 16);
	l.checksum = l.opt + 64;
	l.certdir = l.opt + (plus ? 112 : 96) + 32;
	l.sectab = l.opt + optsz;
	memcpy(b + l.sectab, ".text", 5);
	le32(b + l.sectab + 8, 0x100);
	le32(b + l.sectab + 12, 0x1000);
	le32(b + l.sectab + 16, 0x200);
	le32(b + l.sectab + 20, 0x200);
	for (i = 0x200; i < 0x400; i++)
		b[i] = (uint8_t)(i * 7);
	l.size = 0x400;
	return l;
}

static int
parse_pe_mem(
    const uint8_t *b, size_t n, pe_image *pe, cmp_findings *fs, cmp_regions *rs)
{
	cmp_file f;

	cmp_file_mem(&f, "mem.exe", b, n);
	return pe_parse(ctx, pe, &f, fs, rs);
}

static void
test_review_pe__parses_minimal_images(void **state)
{
	uint8_t b[0x400];
	pe_image pe;
	cmp_findings fs = {NULL, 0};
	cmp_regions rs;
	const cmp_region *r;
	uint64_t end;
	int plus;

	(void)state;
	for (plus = 0; plus < 2; plus++) {
		struct pe_layout l = make_pe(b, plus);
		cmp_file f;

		memset(&rs, 0, sizeof(rs));
		cmp_file_mem(&f, "mem.exe", b, l.size);
		assert_true(pe_detect(&f));
		assert_int_equal(parse_pe_mem(b, l.size, &pe, &fs, &rs), 0);
		assert_int_equal(pe.plus, plus);
		assert_int_equal(pe.nsections, 1);
		assert_int_equal(pe.checksum_off, l.checksum);
		assert_int_equal(pe.certdir_off, l.certdir);
		assert_int_equal(pe.data_end, l.size);
		assert_int_equal(pe.nsigs, 0);
		assert_false(pe_layout_has_gaps(&pe));
		assert_int_equal(cmp_regions_finish(ctx, &rs), 0);
		r = cmp_regions_find(&rs, l.checksum + 1, &end);
		assert_non_null(r);
		assert_string_equal(r->label, "optional header.CheckSum");
		assert_int_equal(r->kind, CMP_RK_NORMALIZED);
		r = cmp_regions_find(&rs, 0x300, &end);
		assert_non_null(r);
		assert_string_equal(r->label, "section '.text'");
		assert_int_equal(end, 0x400);
		r = cmp_regions_find(&rs, 0x44 + 4, &end);
		assert_string_equal(r->label, "COFF header.TimeDateStamp");
		r = cmp_regions_find(&rs, l.certdir, &end);
		assert_string_equal(
		    r->label, "data directory[4] (Certificate)");
		pe_dispose(&pe);
		cmp_regions_dispose(&rs);
	}
	json_decref(fs.list);
}

static void
expect_pe_error(const uint8_t *b, size_t n, const char *msg)
{
	pe_image pe;
	cmp_findings fs = {NULL, 0};

	assert_int_equal(parse_pe_mem(b, n, &pe, &fs, NULL), SP_EPARSE);
	if (strstr(sp_ctx_errmsg(ctx), msg) == NULL)
		fail_msg("'%s' does not say '%s'", sp_ctx_errmsg(ctx), msg);
	pe_dispose(&pe);
	json_decref(fs.list);
}

static void
test_review_pe__refuses_malformed_headers(void **state)
{
	uint8_t b[0x400], c[0x400];
	struct pe_layout l = make_pe(b, true);

	(void)state;
	expect_pe_error(b, 40, "truncated DOS header");
	memcpy(c, b, sizeof(c));
	le32(c + 0x3c, 0xfffffff0);
	expect_pe_error(c, l.size, "points past the end of the file");
	memcpy(c, b, sizeof(c));
	memcpy(c + 0x40, "PX\0\0", 4);
	expect_pe_error(c, l.size, "no PE signature");
	expect_pe_error(b, 0x60, "truncated optional header");
	memcpy(c, b, sizeof(c));
	le16(c + l.opt, 0x107);
	expect_pe_error(c, l.size, "unknown optional header magic");
	memcpy(c, b, sizeof(c));
	le16(c + 0x54, 0x40);
	expect_pe_error(c, l.size, "optional header too small");
	memcpy(c, b, sizeof(c));
	le32(c + l.opt + 108, 0x20000000);
	expect_pe_error(c, l.size, "NumberOfRvaAndSizes");
	memcpy(c, b, sizeof(c));
	le16(c + 0x46, 0xffff);
	expect_pe_error(c, l.size, "section table");
	memcpy(c, b, sizeof(c));
	le32(c + l.sectab + 16, 0x10000);
	expect_pe_error(c, l.size, "runs past the end of the file");
	memcpy(c, b, sizeof(c));
	le32(c + l.sectab + 20, 0x100);
	expect_pe_error(c, l.size, "overlaps the headers");
	memcpy(c, b, sizeof(c));
	le32(c + l.opt + 60, 0x10000);
	expect_pe_error(c, l.size, "SizeOfHeaders");
}

static void
test_review_pe__overlapping_sections(void **state)
{
	uint8_t b[0x400];
	struct pe_layout l = make_pe(b, true);

	(void)state;
	/* A second section entry overlapping the first. */
	le16(b + 0x46, 2);
	memcpy(b + l.sectab + 40, ".data", 5);
	le32(b + l.sectab + 40 + 16, 0x100);
	le32(b + l.sectab + 40 + 20, 0x300);
	expect_pe_error(b, l.size, "sections '.text' and '.data' overlap");
}

/* Append a certificate table made of @p n raw bytes to image @p b. */
static size_t
with_cert_table(uint8_t *b, struct pe_layout l, const uint8_t *t, size_t n)
{
	memcpy(b + l.size, t, n);
	le32(b + l.certdir, (uint32_t)l.size);
	le32(b + l.certdir + 4, (uint32_t)n);
	return l.size + n;
}

static void
test_review_pe__certificate_table_walk(void **state)
{
	uint8_t b[0x600], t[64];
	struct pe_layout l;
	pe_image pe;
	cmp_findings fs = {NULL, 0};
	size_t n;

	(void)state;
	/* An X.509 entry (type 1) is data no signature covers. */
	l = make_pe(b, true);
	memset(t, 0, sizeof(t));
	le32(t, 16);
	le16(t + 4, 0x200);
	le16(t + 6, 1);
	n = with_cert_table(b, l, t, 16);
	assert_int_equal(parse_pe_mem(b, n, &pe, &fs, NULL), 0);
	assert_int_equal(fs.nfail, 1);
	assert_int_equal(pe.cert_entries, 1);
	assert_int_equal(pe.data_end, l.size);
	pe_dispose(&pe);
	json_decref(fs.list);
	fs.list = NULL;
	fs.nfail = 0;
	/* Non-zero padding after a short entry. */
	le32(t, 12);
	t[12] = 0xee;
	n = with_cert_table(b, l, t, 16);
	assert_int_equal(parse_pe_mem(b, n, &pe, &fs, NULL), 0);
	assert_int_equal(fs.nfail, 2);
	pe_dispose(&pe);
	json_decref(fs.list);
	fs.list = NULL;
	fs.nfail = 0;
	/* dwLength 0, past the table; a table not at EOF; misaligned. */
	le32(t, 0);
	n = with_cert_table(b, l, t, 16);
	expect_pe_error(b, n, "dwLength 0");
	le32(t, 24);
	n = with_cert_table(b, l, t, 16);
	expect_pe_error(b, n, "past the end of the table");
	le32(t, 16);
	n = with_cert_table(b, l, t, 16);
	expect_pe_error(b, n + 8, "not at the end of the file");
	le32(b + l.certdir, (uint32_t)l.size + 4);
	le32(b + l.certdir + 4, 12);
	expect_pe_error(b, n, "not a multiple of 8");
	/* Half-empty entry. */
	le32(b + l.certdir, 0);
	le32(b + l.certdir + 4, 16);
	expect_pe_error(b, n, "half empty");
	/* A type-2 entry that is not PKCS#7. */
	le32(t, 16);
	le16(t + 6, 2);
	memset(t + 8, 0x30, 8);
	n = with_cert_table(b, l, t, 16);
	expect_pe_error(b, n, "malformed PKCS#7");
}

static void
test_review_pe__checksum(void **state)
{
	pe_csum c;
	uint8_t b[5] = {0x01, 0x02, 0xff, 0xff, 0x07};

	(void)state;
	/* Words 0x0201 + 0xffff + 0x0007 with end-around carry, + length. */
	pe_csum_init(&c);
	pe_csum_update(&c, b, 5);
	assert_int_equal(
	    pe_csum_final(&c), ((0x0201 + 0xffff) & 0xffff) + 1 + 7 + 5);
	/* Byte by byte gives the same as one piece. */
	pe_csum_init(&c);
	pe_csum_update(&c, b, 1);
	pe_csum_update(&c, b + 1, 3);
	pe_csum_update(&c, b + 4, 1);
	assert_int_equal(
	    pe_csum_final(&c), ((0x0201 + 0xffff) & 0xffff) + 1 + 7 + 5);
}

static void
test_review_pe__authenticode_by_pieces(void **state)
{
	uint8_t b[0x400], d1[64], d2[64], d3[64];
	struct pe_layout l = make_pe(b, true);
	pe_image pe;
	cmp_findings fs = {NULL, 0};
	cmp_file f;
	pe_auth_hash h;
	int nid = NID_sha256;
	unsigned n1 = 0, n2 = 0, n3 = 0;
	size_t off;
	EVP_MD_CTX *m = EVP_MD_CTX_new();

	(void)state;
	/* Odd length: the digest covers zero padding to 8. */
	cmp_file_mem(&f, "mem.exe", b, l.size - 3);
	assert_int_equal(pe_parse(ctx, &pe, &f, &fs, NULL), SP_EPARSE);
	le32(b + l.sectab + 16, 0x1f8); /* section ends 3 bytes early */
	assert_int_equal(pe_parse(ctx, &pe, &f, &fs, NULL), 0);
	/* One piece: the caller feeds the padded image. */
	memset(b + l.size - 3, 0, 3);
	assert_int_equal(pe_auth_hash_init(ctx, &h, &pe, &nid, 1), 0);
	assert_int_equal(pe_auth_hash_update(ctx, &h, 0, b, l.size), 0);
	assert_int_equal(pe_auth_hash_final(ctx, &h, nid, d1, &n1), 0);
	pe_auth_hash_dispose(&h);
	/* Same in 7-byte pieces, padding fed as zeros. */
	{
		uint8_t p[0x400];

		memcpy(p, b, l.size);
		memset(p + l.size - 3, 0, 3);
		assert_int_equal(pe_auth_hash_init(ctx, &h, &pe, &nid, 1), 0);
		for (off = 0; off < l.size; off += 7)
			assert_int_equal(
			    pe_auth_hash_update(ctx, &h, off, p + off,
			        l.size - off < 7 ? l.size - off : 7),
			    0);
		assert_int_equal(pe_auth_hash_final(ctx, &h, nid, d2, &n2), 0);
		pe_auth_hash_dispose(&h);
	}
	assert_int_equal(n1, 32);
	assert_memory_equal(d1, d2, 32);
	/* By hand: skip CheckSum and the certificate entry, pad to 8. */
	{
		uint8_t z[3] = {0};

		assert_int_equal(EVP_DigestInit_ex(m, EVP_sha256(), NULL), 1);
		EVP_DigestUpdate(m, b, l.checksum);
		EVP_DigestUpdate(
		    m, b + l.checksum + 4, l.certdir - l.checksum - 4);
		EVP_DigestUpdate(
		    m, b + l.certdir + 8, l.size - 3 - l.certdir - 8);
		EVP_DigestUpdate(m, z, 3);
		EVP_DigestFinal_ex(m, d3, &n3);
	}
	assert_memory_equal(d1, d3, 32);
	/* The specification's order gives the same for this layout. */
	assert_int_equal(pe_auth_digest_spec(ctx, &pe, &f, nid, d3, &n3), 0);
	assert_memory_equal(d1, d3, 32);
	EVP_MD_CTX_free(m);
	pe_dispose(&pe);
	json_decref(fs.list);
}

/*
 * Authenticode digests of the committed seed fuzz/corpora/fuzz_pe/
 * minimal64.exe as osslsigncode 2.9 computed them (an independent
 * implementation), and its PE checksum: docs/spec/compare.md.
 */
static void
test_review_pe__osslsigncode_vectors(void **state)
{
	static const char want256[] =
	    "e5cdc6bc0336531bfcb52f8b8148803887c48c4cd57744622cb3e6a939240bdb";
	static const char want1[] = "66f58dbfc43af88ca9d082de41eac8b3d1b4970f";
	char path[1024], hex[2 * EVP_MAX_MD_SIZE + 1];
	sp_buf data = SP_BUF_INIT;
	cmp_file f;
	pe_image pe;
	cmp_findings fs = {NULL, 0};
	pe_auth_hash h;
	pe_csum cs;
	int nids[2] = {NID_sha256, NID_sha1};
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/fuzz/corpora/fuzz_pe/minimal64.exe",
	    SP_SOURCE_DIR);
	assert_int_equal(sp_read_file(ctx, &data, path, 1 << 20, 0), 0);
	assert_int_equal(data.size, 1024);
	cmp_file_mem(&f, "minimal64.exe", data.ptr, data.size);
	assert_int_equal(pe_parse(ctx, &pe, &f, &fs, NULL), 0);
	assert_int_equal(pe_auth_hash_init(ctx, &h, &pe, nids, 2), 0);
	assert_int_equal(pe_auth_hash_update(
	                     ctx, &h, 0, (const uint8_t *)data.ptr, data.size),
	    0);
	assert_int_equal(pe_auth_hash_final(ctx, &h, NID_sha256, d, &dl), 0);
	sp_hex_encode(hex, d, dl);
	assert_string_equal(hex, want256);
	assert_int_equal(pe_auth_hash_final(ctx, &h, NID_sha1, d, &dl), 0);
	sp_hex_encode(hex, d, dl);
	assert_string_equal(hex, want1);
	pe_auth_hash_dispose(&h);
	pe_csum_init(&cs);
	pe_csum_update(&cs, (const uint8_t *)data.ptr, data.size);
	assert_int_equal(pe_csum_final(&cs), 0xc34c);
	pe_dispose(&pe);
	json_decref(fs.list);
	sp_buf_dispose(&data);
}

/* ---- ELF -------------------------------------------------------------------
 */

static void
put(uint8_t *p, bool be, int bytes, uint64_t v)
{
	int i;

	for (i = 0; i < bytes; i++)
		p[be ? bytes - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

/*
 * A small ELF with sections: [1] .note.gnu.build-id, [2] .gnu_debuglink,
 * [3] .shstrtab. Class and byte order chosen by the caller.
 */
static size_t
make_elf(uint8_t *b, bool is64, bool be)
{
	static const char names[] =
	    "\0.note.gnu.build-id\0.gnu_debuglink\0.shstrtab";
	size_t eh = is64 ? 64 : 52, she = is64 ? 64 : 40, off, shoff, i;
	int w = is64 ? 8 : 4;

	memset(b, 0, 1024);
	memcpy(b, "\177ELF", 4);
	b[4] = is64 ? 2 : 1;
	b[5] = be ? 2 : 1;
	b[6] = 1;
	put(b + 16, be, 2, 2);
	put(b + 18, be, 2, 0x3e);
	/* note at 0x100: namesz 4, descsz 20, type 3, "GNU\0", desc */
	off = 0x100;
	put(b + off, be, 4, 4);
	put(b + off + 4, be, 4, 20);
	put(b + off + 8, be, 4, 3);
	memcpy(b + off + 12, "GNU", 4);
	for (i = 0; i < 20; i++)
		b[off + 16 + i] = (uint8_t)(0xa0 + i);
	/* debuglink at 0x140: "prog.debug\0" pad to 12, CRC */
	memcpy(b + 0x140, "prog.debug", 11);
	put(b + 0x140 + 12, be, 4, 0x11223344);
	memcpy(b + 0x160, names, sizeof(names));
	shoff = 0x200;
	put(b + (is64 ? 40 : 32), be, w, shoff);
	put(b + (is64 ? 58 : 46), be, 2, she);
	put(b + (is64 ? 60 : 48), be, 2, 4);
	put(b + (is64 ? 62 : 50), be, 2, 3);
	put(b + (is64 ? 52 : 40), be, 2, eh);
	{
		struct {
			uint32_t name, type;
			uint64_t off, size;
		} s[4] = {{0, 0, 0, 0}, {1, 7, 0x100, 36}, {20, 1, 0x140, 16},
		    {35, 3, 0x160, sizeof(names)}};

		for (i = 0; i < 4; i++) {
			uint8_t *p = b + shoff + i * she;

			put(p, be, 4, s[i].name);
			put(p + 4, be, 4, s[i].type);
			put(p + (is64 ? 24 : 16), be, w, s[i].off);
			put(p + (is64 ? 32 : 20), be, w, s[i].size);
		}
	}
	return shoff + 4 * she;
}

static void
test_review_elf__all_classes_and_byte_orders(void **state)
{
	uint8_t b[1024];
	int is64, be;

	(void)state;
	for (is64 = 0; is64 < 2; is64++)
		for (be = 0; be < 2; be++) {
			size_t n = make_elf(b, is64, be);
			cmp_file f;
			elf_info e;
			cmp_regions rs;
			const cmp_region *r;
			uint64_t end;

			memset(&rs, 0, sizeof(rs));
			cmp_file_mem(&f, "mem.elf", b, n);
			assert_true(elf_detect(&f));
			assert_int_equal(elf_parse(ctx, &e, &f, n, &rs), 0);
			assert_int_equal(e.is64, is64);
			assert_int_equal(e.be, be);
			assert_int_equal(e.nsections, 4);
			assert_true(e.has_build_id);
			assert_int_equal(e.build_id_off, 0x110);
			assert_int_equal(e.build_id_len, 20);
			assert_int_equal(e.build_id[0], 0xa0);
			assert_true(e.has_debuglink);
			assert_int_equal(e.debuglink_crc_off, 0x14c);
			assert_int_equal(e.debuglink_crc, 0x11223344);
			assert_string_equal(e.debuglink_name, "prog.debug");
			assert_int_equal(cmp_regions_finish(ctx, &rs), 0);
			r = cmp_regions_find(&rs, 0x112, &end);
			assert_int_equal(r->kind, CMP_RK_BUILD_ID);
			r = cmp_regions_find(&rs, 0x14c, &end);
			assert_int_equal(r->kind, CMP_RK_DEBUGLINK_CRC);
			r = cmp_regions_find(&rs, 0x142, &end);
			assert_string_equal(
			    r->label, "section '.gnu_debuglink'");
			r = cmp_regions_find(&rs, 16, &end);
			assert_string_equal(r->label, "ELF header.e_type");
			elf_dispose(&e);
			cmp_regions_dispose(&rs);
		}
}

static void
expect_elf_error(const uint8_t *b, size_t n, const char *msg)
{
	cmp_file f;
	elf_info e;

	cmp_file_mem(&f, "mem.elf", b, n);
	assert_int_equal(elf_parse(ctx, &e, &f, n, NULL), SP_EPARSE);
	if (strstr(sp_ctx_errmsg(ctx), msg) == NULL)
		fail_msg("'%s' does not say '%s'", sp_ctx_errmsg(ctx), msg);
	elf_dispose(&e);
}

static void
test_review_elf__refuses_bogus_offsets(void **state)
{
	uint8_t b[1024], c[1024];
	size_t n = make_elf(b, true, false);

	(void)state;
	expect_elf_error(b, 20, "truncated ELF header");
	memcpy(c, b, n);
	c[4] = 3;
	expect_elf_error(c, n, "bad ELF identification");
	memcpy(c, b, n);
	put(c + 40, false, 8, 0xffffffffffff0000ull);
	expect_elf_error(c, n, "section header table offset");
	memcpy(c, b, n);
	put(c + 60, false, 2, 0xfff0);
	expect_elf_error(c, n, "runs past the end of the file");
	memcpy(c, b, n);
	put(c + 0x200 + 64 + 24, false, 8, 0x7fffffffffffffffull);
	expect_elf_error(c, n, "lies outside the file");
	memcpy(c, b, n);
	put(c + 0x200 + 64 + 32, false, 8, 0xffffffffffffffffull);
	expect_elf_error(c, n, "lies outside the file");
	memcpy(c, b, n);
	put(c + 62, false, 2, 9);
	expect_elf_error(c, n, "e_shstrndx 9 is not a section");
	memcpy(c, b, n);
	put(c + 58, false, 2, 12);
	expect_elf_error(c, n, "bad e_shentsize");
	memcpy(c, b, n);
	put(c + 56, false, 2, 100);
	put(c + 54, false, 2, 56);
	put(c + 32, false, 8, 64);
	expect_elf_error(c, n, "program header table");
}

static void
test_review_kmod__trailer(void **state)
{
	uint8_t b[256];
	cmp_file f;
	kmod_sig k;

	(void)state;
	memset(b, 0x11, sizeof(b));
	memcpy(b + 256 - 28, KMOD_MARKER, 28);
	memset(b + 256 - 40, 0, 12);
	b[256 - 40 + 2] = 2;
	b[256 - 40 + 11] = 100; /* sig_len, big-endian */
	cmp_file_mem(&f, "m.ko", b, sizeof(b));
	assert_int_equal(kmod_parse(ctx, &k, &f), 0);
	assert_true(k.present);
	assert_int_equal(k.sig_len, 100);
	assert_int_equal(k.module_len, 256 - 40 - 100);
	b[256 - 40 + 10] = 1; /* sig_len 356: too long */
	assert_int_equal(kmod_parse(ctx, &k, &f), SP_EPARSE);
	b[256 - 40 + 10] = 0;
	b[256 - 40] = 1; /* algo must be zero for PKCS#7 */
	assert_int_equal(kmod_parse(ctx, &k, &f), SP_EPARSE);
	b[256 - 40] = 0;
	b[256 - 40 + 2] = 1;
	assert_int_equal(kmod_parse(ctx, &k, &f), SP_EPARSE);
	b[256 - 2] = 'X'; /* no marker: not signed */
	assert_int_equal(kmod_parse(ctx, &k, &f), 0);
	assert_false(k.present);
}

/* A throw-away P-256 key and self-signed certificate with a
 * subjectKeyIdentifier. */
static void
make_signer(EVP_PKEY **pk, X509 **cert, const char *cn)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	X509_NAME *name;

	*pk = EVP_EC_gen("P-256");
	assert_non_null(*pk);
	*cert = X509_new();
	assert_non_null(*cert);
	assert_int_equal(X509_set_version(*cert, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(*cert), 7), 1);
	name = X509_get_subject_name(*cert);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                     (const unsigned char *)cn, -1, -1, 0),
	    1);
	assert_int_equal(X509_set_issuer_name(*cert, name), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(*cert), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(*cert), 86400));
	assert_int_equal(X509_set_pubkey(*cert, *pk), 1);
	X509V3_set_ctx(&v3, *cert, *cert, NULL, NULL, 0);
	ext =
	    X509V3_EXT_conf_nid(NULL, &v3, NID_subject_key_identifier, "hash");
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(*cert, ext, -1), 1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(*cert, *pk, EVP_sha256()) > 0);
}

/* module || CMS over @p over (flags) || record || marker, into b. */
#define SIGN_FILE (CMS_DETACHED | CMS_NOCERTS | CMS_NOATTR)
static size_t
signed_module(uint8_t *b, size_t cap, const uint8_t *mod, size_t modlen,
    const uint8_t *over, size_t overlen, EVP_PKEY *pk, X509 *cert,
    unsigned flags)
{
	BIO *in = BIO_new_mem_buf(over, (int)overlen);
	CMS_ContentInfo *cms;
	unsigned char *der = NULL;
	int n;

	assert_non_null(in);
	cms = CMS_sign(cert, pk, NULL, in, flags | CMS_BINARY | CMS_NOSMIMECAP);
	assert_non_null(cms);
	n = i2d_CMS_ContentInfo(cms, &der);
	assert_true(n > 0 && modlen + (size_t)n + 40 <= cap);
	memcpy(b, mod, modlen);
	memcpy(b + modlen, der, (size_t)n);
	memset(b + modlen + n, 0, 12);
	b[modlen + n + 2] = 2;
	b[modlen + n + 8] = (uint8_t)(n >> 24);
	b[modlen + n + 9] = (uint8_t)(n >> 16);
	b[modlen + n + 10] = (uint8_t)(n >> 8);
	b[modlen + n + 11] = (uint8_t)n;
	memcpy(b + modlen + n + 12, KMOD_MARKER, KMOD_MARKER_LEN);
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return modlen + (size_t)n + 40;
}

static void
sha256_of(const uint8_t *p, size_t n, uint8_t out[32])
{
	unsigned l = 0;

	assert_int_equal(EVP_Digest(p, n, out, &l, EVP_sha256(), NULL), 1);
}

/* Load the trailer of b[0..n) and verify it over @p content. */
static int
kmod_check(const uint8_t *b, size_t n, const uint8_t *content,
    size_t contentlen, X509 *extra, kmod_cms *m, const char **why,
    size_t *nfail)
{
	cmp_file f;
	kmod_sig k;
	cmp_findings fs = {NULL, 0};
	uint8_t dg[32];
	char *subject = NULL;
	int error;

	cmp_file_mem(&f, "m.ko", b, n);
	assert_int_equal(kmod_parse(ctx, &k, &f), 0);
	assert_true(k.present);
	if ((error = kmod_cms_load(ctx, m, &f, &k, &fs)) < 0) {
		json_decref(fs.list);
		return error;
	}
	*nfail = fs.nfail;
	json_decref(fs.list);
	sha256_of(content, contentlen, dg);
	error = kmod_cms_verify(ctx, m, extra, dg, sizeof(dg), why, &subject);
	if (error == 0)
		assert_string_equal(subject, "CN=module key");
	free(subject);
	return error;
}

static void
test_review_kmod__signer_by_key_id(void **state)
{
	static uint8_t b[8192];
	uint8_t mod[600], other[600];
	EVP_PKEY *pk, *pk2;
	X509 *cert, *cert2;
	kmod_cms m;
	const char *why = NULL;
	const ASN1_OCTET_STRING *skid;
	char skid_hex[2 * 64 + 1];
	size_t n, nfail = 99, i;
	uint32_t siglen;

	(void)state;
	for (i = 0; i < sizeof(mod); i++)
		mod[i] = other[i] = (uint8_t)(i * 31);
	other[300] ^= 1;
	make_signer(&pk, &cert, "module key");
	make_signer(&pk2, &cert2, "module key"); /* same names, other key */
	skid = X509_get0_subject_key_id(cert);
	assert_non_null(skid);
	sp_hex_encode(skid_hex, skid->data, (size_t)skid->length);

	/* sign-file -k: keyid, no certificate, no signed attributes. */
	n = signed_module(b, sizeof(b), mod, sizeof(mod), mod, sizeof(mod), pk,
	    cert, CMS_USE_KEYID | SIGN_FILE);
	assert_int_equal(
	    kmod_check(b, n, mod, sizeof(mod), NULL, &m, &why, &nfail),
	    SP_EVERIFY);
	assert_true(m.by_key_id);
	assert_string_equal(m.key_id, skid_hex);
	assert_null(m.issuer);
	assert_false(m.signed_attrs);
	assert_int_equal(nfail, 0);
	assert_string_equal(why, "signer certificate not in the signature");
	kmod_cms_dispose(&m);
	assert_int_equal(
	    kmod_check(b, n, mod, sizeof(mod), cert, &m, &why, &nfail), 0);
	assert_null(why);
	kmod_cms_dispose(&m);
	assert_int_equal(
	    kmod_check(b, n, mod, sizeof(mod), cert2, &m, &why, &nfail),
	    SP_EVERIFY);
	assert_string_equal(why,
	    "signer certificate neither in the signature nor the given one");
	kmod_cms_dispose(&m);
	/* Other content: the signature does not verify. */
	assert_int_equal(
	    kmod_check(b, n, other, sizeof(other), cert, &m, &why, &nfail),
	    SP_EVERIFY);
	assert_string_equal(why, "signature over the content does not verify");
	kmod_cms_dispose(&m);

	/* keyid with signed attributes and the certificate inside. */
	n = signed_module(b, sizeof(b), mod, sizeof(mod), mod, sizeof(mod), pk,
	    cert, CMS_USE_KEYID | CMS_DETACHED);
	assert_int_equal(
	    kmod_check(b, n, mod, sizeof(mod), NULL, &m, &why, &nfail), 0);
	assert_true(m.by_key_id);
	assert_true(m.signed_attrs);
	kmod_cms_dispose(&m);
	assert_int_equal(
	    kmod_check(b, n, other, sizeof(other), NULL, &m, &why, &nfail),
	    SP_EVERIFY);
	assert_string_equal(
	    why, "messageDigest attribute does not match the signed content");
	kmod_cms_dispose(&m);
	/* Signed over other bytes, checked over the module. */
	n = signed_module(b, sizeof(b), mod, sizeof(mod), other, sizeof(other),
	    pk, cert, CMS_USE_KEYID | SIGN_FILE);
	assert_int_equal(
	    kmod_check(b, n, mod, sizeof(mod), cert, &m, &why, &nfail),
	    SP_EVERIFY);
	kmod_cms_dispose(&m);

	/* issuerAndSerialNumber form. */
	n = signed_module(b, sizeof(b), mod, sizeof(mod), mod, sizeof(mod), pk,
	    cert, SIGN_FILE);
	assert_int_equal(
	    kmod_check(b, n, mod, sizeof(mod), cert, &m, &why, &nfail), 0);
	assert_false(m.by_key_id);
	assert_null(m.key_id);
	assert_string_equal(m.issuer, "CN=module key");
	assert_string_equal(m.serial, "07");
	kmod_cms_dispose(&m);
	/* The other key's certificate has the same issuer and serial: the
	 * signature still does not verify with its key. */
	assert_int_equal(
	    kmod_check(b, n, mod, sizeof(mod), cert2, &m, &why, &nfail),
	    SP_EVERIFY);
	assert_string_equal(why, "signature over the content does not verify");
	kmod_cms_dispose(&m);

	/* Bytes after the DER inside sig_len: a fail finding. */
	memmove(b + n - 40 + 4, b + n - 40, 40);
	memset(b + n - 40, 0, 4);
	n += 4;
	siglen = cmp_be32(b + n - 32) + 4;
	b[n - 32] = (uint8_t)(siglen >> 24);
	b[n - 31] = (uint8_t)(siglen >> 16);
	b[n - 30] = (uint8_t)(siglen >> 8);
	b[n - 29] = (uint8_t)siglen;
	assert_int_equal(
	    kmod_check(b, n, mod, sizeof(mod), cert, &m, &why, &nfail), 0);
	assert_int_equal(nfail, 1);
	kmod_cms_dispose(&m);
	/* Content embedded in the signature: a fail finding. */
	n = signed_module(b, sizeof(b), mod, sizeof(mod), mod, sizeof(mod), pk,
	    cert, CMS_USE_KEYID | CMS_NOCERTS | CMS_NOATTR);
	assert_int_equal(
	    kmod_check(b, n, mod, sizeof(mod), cert, &m, &why, &nfail), 0);
	assert_int_equal(nfail, 1);
	kmod_cms_dispose(&m);

	/* Garbage instead of DER: a parse error. */
	memset(b + sizeof(mod), 0x30, 16);
	assert_int_equal(
	    kmod_check(b, n, mod, sizeof(mod), cert, &m, &why, &nfail),
	    SP_EPARSE);
	assert_null(m.cms);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(pk2);
	X509_free(cert);
	X509_free(cert2);
}

/* ---- compressed modules ---------------------------------------------------
 */

static void
put_le32(uint8_t *p, uint32_t v)
{
	cmp_put_le32(p, v);
}

/* A hand-made xz stream (CRC32 check, one block, one uncompressed LZMA2
 * chunk) holding @p data (1..64 bytes); returns its length (<= 128). */
static size_t
make_xz(uint8_t *b, const uint8_t *data, size_t n)
{
	static const uint8_t magic[6] = {0xfd, '7', 'z', 'X', 'Z', 0};
	size_t o = 0, blk, unpadded, ix;

	memcpy(b, magic, 6);
	b[6] = 0;
	b[7] = 1; /* CRC32 */
	put_le32(b + 8, (uint32_t)crc32(0, b + 6, 2));
	o = blk = 12;
	/* Block header: size 12, no sizes, one filter LZMA2 (dict 4 KiB). */
	memset(b + o, 0, 12);
	b[o] = 2;
	b[o + 2] = 0x21;
	b[o + 3] = 1;
	b[o + 4] = 0;
	put_le32(b + o + 8, (uint32_t)crc32(0, b + o, 8));
	o += 12;
	b[o++] = 1; /* uncompressed chunk, dictionary reset */
	b[o++] = 0;
	b[o++] = (uint8_t)(n - 1);
	memcpy(b + o, data, n);
	o += n;
	b[o++] = 0; /* end of LZMA2 data */
	unpadded = o - blk;
	while ((o - blk) % 4 != 0)
		b[o++] = 0;
	put_le32(b + o, (uint32_t)crc32(0, data, (uInt)n));
	o += 4;
	unpadded += 4;
	/* Index: one record. */
	ix = o;
	b[o++] = 0;
	b[o++] = 1;
	b[o++] = (uint8_t)unpadded;
	b[o++] = (uint8_t)n;
	while ((o - ix) % 4 != 0)
		b[o++] = 0;
	put_le32(b + o, (uint32_t)crc32(0, b + ix, (uInt)(o - ix)));
	o += 4;
	/* Footer. */
	put_le32(b + o + 4, (uint32_t)((o - ix) / 4 - 1));
	b[o + 8] = 0;
	b[o + 9] = 1;
	put_le32(b + o, (uint32_t)crc32(0, b + o + 4, 6));
	b[o + 10] = 'Y';
	b[o + 11] = 'Z';
	return o + 12;
}

/* A zstd frame with one raw block (single segment, 1-byte size). */
static size_t
make_zstd(uint8_t *b, const uint8_t *data, size_t n)
{
	uint32_t bh = 1 | (uint32_t)(n << 3); /* last, raw */

	b[0] = 0x28;
	b[1] = 0xb5;
	b[2] = 0x2f;
	b[3] = 0xfd;
	b[4] = 0x20; /* single segment, FCS 1 byte, no checksum */
	b[5] = (uint8_t)n;
	b[6] = (uint8_t)bh;
	b[7] = (uint8_t)(bh >> 8);
	b[8] = (uint8_t)(bh >> 16);
	memcpy(b + 9, data, n);
	return 9 + n;
}

/* A gzip member with one stored deflate block. */
static size_t
make_gzip(uint8_t *b, const uint8_t *data, size_t n)
{
	static const uint8_t hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

	memcpy(b, hdr, 10);
	b[10] = 1; /* BFINAL, stored */
	b[11] = (uint8_t)n;
	b[12] = 0;
	b[13] = (uint8_t)~n;
	b[14] = 0xff;
	memcpy(b + 15, data, n);
	put_le32(b + 15 + n, (uint32_t)crc32(0, data, (uInt)n));
	put_le32(b + 19 + n, (uint32_t)n);
	return 23 + n;
}

/* Decompress b[0..n): the findings' fail count, or an error code. */
static int
decompress_mem(const uint8_t *b, size_t n, uint64_t max, uint8_t *out,
    size_t *outlen, size_t *nfail)
{
	cmp_file f, d;
	cmp_findings fs = {NULL, 0};
	cmp_compression c;
	int error;

	cmp_file_mem(&f, "mem", b, n);
	c = cmp_compression_detect(&f);
	assert_int_not_equal(c, CMP_COMP_NONE);
	error = cmp_decompress(ctx, &d, &f, c, max, "mem (decompressed)", &fs);
	*nfail = fs.nfail;
	json_decref(fs.list);
	if (error < 0)
		return error;
	assert_string_equal(d.name, "mem (decompressed)");
	assert_true(d.size <= 256);
	*outlen = (size_t)d.size;
	assert_int_equal(cmp_read(ctx, &d, 0, out, *outlen, "x"), 0);
	cmp_file_close(&d);
	return 0;
}

static void
test_review_compressed__detect_decompress_framing(void **state)
{
	static const uint8_t elf[] = "\177ELF and the rest of a module";
	uint8_t b[512], out[256];
	size_t n, m, outlen = 0, nfail = 99, i;
	cmp_file f;
	bool is_elf = false;
	size_t (*make[3])(uint8_t *, const uint8_t *, size_t) = {
	    make_xz, make_zstd, make_gzip};
	static const cmp_compression kinds[3] = {
	    CMP_COMP_XZ, CMP_COMP_ZSTD, CMP_COMP_GZIP};

	(void)state;
	for (i = 0; i < 3; i++) {
		n = make[i](b, elf, sizeof(elf) - 1);
		cmp_file_mem(&f, "mem", b, n);
		assert_int_equal(cmp_compression_detect(&f), kinds[i]);
		assert_int_equal(
		    cmp_decompress_peek(ctx, &f, kinds[i], &is_elf), 0);
		assert_true(is_elf);
		assert_int_equal(
		    decompress_mem(b, n, 1 << 20, out, &outlen, &nfail), 0);
		assert_int_equal(nfail, 0);
		assert_int_equal(outlen, sizeof(elf) - 1);
		assert_memory_equal(out, elf, outlen);
		/* The cap. */
		assert_int_equal(
		    decompress_mem(b, n, 10, out, &outlen, &nfail), SP_ELIMIT);
		assert_non_null(strstr(
		    sp_ctx_errmsg(ctx), "decompresses to more than 10 bytes"));
		/* A second stream after the first: a fail finding. */
		m = make[i](b + n, elf, 4);
		assert_int_equal(
		    decompress_mem(b, n + m, 1 << 20, out, &outlen, &nfail), 0);
		assert_int_equal(nfail, 1);
		/* Not ELF inside. */
		n = make[i](b, (const uint8_t *)"text", 4);
		cmp_file_mem(&f, "mem", b, n);
		assert_int_equal(
		    cmp_decompress_peek(ctx, &f, kinds[i], &is_elf), 0);
		assert_false(is_elf);
	}
	/* Magic only: a name means nothing, short files are not compressed. */
	cmp_file_mem(&f, "x.ko.xz", elf, sizeof(elf) - 1);
	assert_int_equal(cmp_compression_detect(&f), CMP_COMP_NONE);
	cmp_file_mem(&f, "x.xz", b, 5);
	assert_int_equal(cmp_compression_detect(&f), CMP_COMP_NONE);
	assert_string_equal(cmp_compression_name(CMP_COMP_ZSTD), "zstd");

	/* xz: stream padding, a bad index CRC, a truncated file. */
	n = make_xz(b, elf, sizeof(elf) - 1);
	memset(b + n, 0, 4);
	assert_int_equal(
	    decompress_mem(b, n + 4, 1 << 20, out, &outlen, &nfail), 0);
	assert_int_equal(nfail, 1);
	{
		cmp_findings fs = {NULL, 0};

		b[n - 12 - 1] ^= 1; /* index CRC */
		cmp_file_mem(&f, "mem", b, n);
		assert_int_equal(
		    cmp_compression_framing(ctx, &f, CMP_COMP_XZ, &fs), 0);
		assert_int_equal(fs.nfail, 1);
		assert_non_null(
		    strstr(json_string_value(json_object_get(
		               json_array_get(fs.list, 0), "message")),
		        "malformed xz index"));
		json_decref(fs.list);
	}
	n = make_xz(b, elf, sizeof(elf) - 1);
	assert_int_equal(
	    decompress_mem(b, n - 20, 1 << 20, out, &outlen, &nfail),
	    SP_EPARSE);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "corrupt xz data"));

	/* zstd: a reserved block type, a truncated block, RLE blocks. */
	{
		cmp_findings fs = {NULL, 0};

		n = make_zstd(b, elf, sizeof(elf) - 1);
		b[6] |= 6; /* block type 3 */
		cmp_file_mem(&f, "mem", b, n);
		assert_int_equal(
		    cmp_compression_framing(ctx, &f, CMP_COMP_ZSTD, &fs), 0);
		assert_int_equal(fs.nfail, 1);
		b[6] &= (uint8_t)~6;
		cmp_file_mem(&f, "mem", b, n - 1);
		assert_int_equal(
		    cmp_compression_framing(ctx, &f, CMP_COMP_ZSTD, &fs), 0);
		assert_int_equal(fs.nfail, 2);
		/* Two RLE blocks of 100 bytes: 5 + 1 + 2 * 4 bytes. */
		b[4] = 0x20;
		b[5] = 200;
		b[6] = (uint8_t)(2 | (100 << 3));
		b[7] = (uint8_t)((100 << 3) >> 8);
		b[8] = 0;
		b[9] = 'A';
		b[10] = (uint8_t)(1 | 2 | (100 << 3));
		b[11] = (uint8_t)((100 << 3) >> 8);
		b[12] = 0;
		b[13] = 'B';
		cmp_file_mem(&f, "mem", b, 14);
		assert_int_equal(
		    cmp_compression_framing(ctx, &f, CMP_COMP_ZSTD, &fs), 0);
		assert_int_equal(fs.nfail, 2);
		json_decref(fs.list);
		assert_int_equal(
		    decompress_mem(b, 14, 1 << 20, out, &outlen, &nfail), 0);
		assert_int_equal(nfail, 0);
		assert_int_equal(outlen, 200);
		assert_int_equal(out[0], 'A');
		assert_int_equal(out[99], 'A');
		assert_int_equal(out[100], 'B');
		assert_int_equal(out[199], 'B');
	}
	/* gzip: corrupt deflate data. */
	n = make_gzip(b, elf, sizeof(elf) - 1);
	b[13] ^= 0xff; /* NLEN no longer ~LEN */
	assert_int_equal(
	    decompress_mem(b, n, 1 << 20, out, &outlen, &nfail), SP_EPARSE);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "corrupt gzip data"));
	n = make_gzip(b, elf, sizeof(elf) - 1);
	assert_int_equal(
	    decompress_mem(b, n - 3, 1 << 20, out, &outlen, &nfail), SP_EPARSE);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "gzip data"));
}

/* ---- regions and views
 * ------------------------------------------------------- */

static void
test_review_regions__most_specific_wins(void **state)
{
	cmp_regions rs;
	const cmp_region *r;
	uint64_t end;

	(void)state;
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(cmp_region_add(ctx, &rs, 0, 100, 0, "outer"), 0);
	assert_int_equal(cmp_region_add(ctx, &rs, 10, 10, 1, "inner"), 0);
	assert_int_equal(cmp_region_add(ctx, &rs, 200, 10, 0, "far"), 0);
	assert_int_equal(cmp_region_add(ctx, &rs, 5, 0, 0, "empty"), 0);
	assert_int_equal(cmp_regions_finish(ctx, &rs), 0);
	r = cmp_regions_find(&rs, 0, &end);
	assert_string_equal(r->label, "outer");
	assert_int_equal(end, 10);
	r = cmp_regions_find(&rs, 15, &end);
	assert_string_equal(r->label, "inner");
	assert_int_equal(end, 20);
	r = cmp_regions_find(&rs, 20, &end);
	assert_string_equal(r->label, "outer");
	assert_int_equal(end, 100);
	assert_null(cmp_regions_find(&rs, 150, &end));
	assert_int_equal(end, 200);
	assert_null(cmp_regions_find(&rs, 500, &end));
	assert_int_equal(end, UINT64_MAX);
	cmp_regions_dispose(&rs);
}

static void
test_review_view__pad_tail_patches(void **state)
{
	uint8_t data[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, tail[3] = {7, 7, 7};
	uint8_t buf[16], raw[16];
	uint8_t pz[2] = {0xaa, 0xbb};
	cmp_file f;
	cmp_view v;
	size_t rawlen = 0;

	(void)state;
	cmp_file_mem(&f, "mem", data, sizeof(data));
	cmp_view_init(&v, &f, 10);
	v.pad_to = 16;
	v.tail = tail;
	v.tail_len = 0; /* tail tested below */
	cmp_view_patch(&v, 9, pz, 2);
	assert_int_equal(cmp_view_size(&v), 16);
	assert_int_equal(cmp_view_read(ctx, &v, 8, buf, 8, raw, &rawlen), 0);
	assert_int_equal(rawlen, 2);
	assert_int_equal(raw[1], 10);
	assert_int_equal(buf[0], 9);
	assert_int_equal(buf[1], 0xaa);
	assert_int_equal(buf[2], 0xbb);
	assert_int_equal(buf[3], 0);
	v.tail_len = 3;
	assert_int_equal(cmp_view_read(ctx, &v, 15, buf, 4, NULL, NULL), 0);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 7);
	assert_int_equal(
	    cmp_view_read(ctx, &v, 15, buf, 5, NULL, NULL), SP_EPARSE);
}

/* ---- sp_compare_files
 * -------------------------------------------------------- */

static void
write_file(const char *name, const void *p, size_t n, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

static void
test_review_compare__bytes_ranges_and_cap(void **state)
{
	uint8_t a[4096], b[4100];
	char pa[512], pb[512];
	sp_compare_options o = SP_COMPARE_OPTIONS_INIT;
	sp_compare_result *res = NULL;
	const sp_compare_summary *s;
	json_t *doc = NULL;
	int i;

	(void)state;
	for (i = 0; i < 4096; i++)
		a[i] = (uint8_t)(i * 13);
	memcpy(b, a, sizeof(a));
	b[100] ^= 1;
	b[104] ^= 1; /* merged with 100 (gap <= 8) */
	b[1000] ^= 1;
	b[2000] ^= 1;
	memset(b + 4096, 9, 4);
	write_file("a.bin", a, sizeof(a), pa, sizeof(pa));
	write_file("b.bin", b, sizeof(b), pb, sizeof(pb));
	o.max_ranges = 2;
	assert_int_equal(sp_compare_files(ctx, &res, pa, pb, &o), 0);
	s = sp_compare_result_summary(res);
	assert_int_equal(s->verdict, SP_VERDICT_DIFFERENT);
	assert_string_equal(s->method, "bytes");
	assert_int_equal(s->ranges_total, 4);
	assert_int_equal(s->nranges, 2);
	assert_int_equal(s->bytes_differing, 5 + 1 + 1 + 4);
	assert_int_equal(sp_compare_result_json(ctx, &doc, res), 0);
	assert_int_equal(
	    json_integer_value(json_object_get(
	        json_array_get(json_object_get(doc, "ranges"), 0), "offset")),
	    100);
	assert_int_equal(
	    json_integer_value(json_object_get(doc, "ranges_omitted")), 2);
	json_decref(doc);
	sp_compare_result_free(res);
	/* Identical. */
	assert_int_equal(sp_compare_files(ctx, &res, pa, pa, NULL), 0);
	s = sp_compare_result_summary(res);
	assert_int_equal(s->verdict, SP_VERDICT_IDENTICAL);
	assert_true(sp_verdict_is_match(s->verdict));
	assert_memory_equal(s->shipped_sha256, s->rebuilt_sha256, 32);
	sp_compare_result_free(res);
}

static void
test_review_compare__errors_are_results(void **state)
{
	char pa[512], missing[600];
	sp_compare_result *res = NULL;
	sp_compare_options o = SP_COMPARE_OPTIONS_INIT;
	const sp_compare_summary *s;
	sp_buf t = SP_BUF_INIT;
	uint8_t b[0x400];

	(void)state;
	make_pe(b, false);
	write_file("p.exe", b, 0x100, pa, sizeof(pa)); /* truncated */
	snprintf(missing, sizeof(missing), "%s/missing", tmpdir);
	assert_int_equal(sp_compare_files(ctx, &res, missing, pa, NULL), 0);
	s = sp_compare_result_summary(res);
	assert_int_equal(s->verdict, SP_VERDICT_ERROR);
	assert_int_equal(s->error_code, SP_ENOTFOUND);
	assert_false(sp_verdict_is_match(s->verdict));
	/* Nothing read, nothing to attest. */
	assert_false(s->have_digests);
	assert_int_equal(sp_verdict_compare_statement(
	                     ctx, &t, res, "p.exe", 1700000000, "0.1.0"),
	    SP_EINVALID);
	sp_buf_dispose(&t);
	sp_compare_result_free(res);
	write_file("q.exe", b, 0x400, missing, sizeof(missing));
	assert_int_equal(sp_compare_files(ctx, &res, pa, missing, NULL), 0);
	s = sp_compare_result_summary(res);
	assert_int_equal(s->verdict, SP_VERDICT_ERROR);
	assert_int_equal(s->error_code, SP_EPARSE);
	assert_non_null(strstr(s->error, "truncated"));
	assert_int_equal(sp_ctx_errcode(ctx), SP_EPARSE);
	/* Both files were read: their digests are kept, and the ERROR
	 * verdict can be attested (with the error as its reason). */
	assert_true(s->have_digests);
	{
		uint8_t want[32];
		uint64_t size;

		assert_int_equal(sp_sha256_file(ctx, want, &size, pa), 0);
		assert_memory_equal(s->shipped_sha256, want, 32);
		assert_int_equal(sp_sha256_file(ctx, want, &size, missing), 0);
		assert_memory_equal(s->rebuilt_sha256, want, 32);
	}
	assert_int_equal(sp_verdict_compare_statement(
	                     ctx, &t, res, "p.exe", 1700000000, "0.1.0"),
	    0);
	assert_non_null(strstr(t.ptr, "\"verdict\":\"ERROR\""));
	assert_non_null(strstr(t.ptr, "\"method\":\"none\""));
	assert_non_null(strstr(t.ptr, "truncated"));
	sp_buf_dispose(&t);
	sp_err_set(ctx, SP_EPARSE, "%s", s->error);
	assert_int_equal(sp_compare_result_text(ctx, &t, res), 0);
	assert_non_null(strstr(t.ptr, "verdict    ERROR"));
	sp_buf_dispose(&t);
	assert_int_equal(sp_compare_result_html(ctx, &t, res), 0);
	assert_non_null(strstr(t.ptr, ">ERROR<"));
	sp_buf_dispose(&t);
	sp_compare_result_free(res);
	/* Bad options. */
	o.version = 99;
	assert_int_equal(sp_compare_files(ctx, &res, pa, pa, &o), SP_EINVALID);
	assert_null(res);
	o.version = SP_COMPARE_OPTIONS_VERSION;
	o.diffoscope = true;
	assert_int_equal(sp_compare_files(ctx, &res, pa, pa, &o), SP_EINVALID);
	assert_string_equal(sp_verdict_name(SP_VERDICT_EXPLAINED_DIFFERENCE),
	    "EXPLAINED_DIFFERENCE");
	assert_string_equal(sp_verdict_name((sp_verdict)42), "ERROR");
}

static void
test_review_compare__unsigned_pe_and_elf(void **state)
{
	uint8_t a[0x400], b[0x400], e1[1024], e2[1024];
	char pa[512], pb[512];
	sp_compare_result *res = NULL;
	const sp_compare_summary *s;
	size_t n;

	(void)state;
	make_pe(a, true);
	make_pe(b, true);
	b[0x250] ^= 0xff;
	write_file("a.exe", a, sizeof(a), pa, sizeof(pa));
	write_file("b.exe", b, sizeof(b), pb, sizeof(pb));
	assert_int_equal(sp_compare_files(ctx, &res, pa, pb, NULL), 0);
	s = sp_compare_result_summary(res);
	assert_int_equal(s->verdict, SP_VERDICT_DIFFERENT);
	assert_string_equal(s->shipped_format, "pe32+");
	assert_int_equal(s->ranges_total, 1);
	sp_compare_result_free(res);
	/* ELF: only build-id and debuglink CRC differ -> explained. */
	n = make_elf(e1, true, true);
	memcpy(e2, e1, n);
	e2[0x110] ^= 1;
	e2[0x113] ^= 1;
	e2[0x14f] ^= 1;
	write_file("a.elf", e1, n, pa, sizeof(pa));
	write_file("b.elf", e2, n, pb, sizeof(pb));
	assert_int_equal(sp_compare_files(ctx, &res, pa, pb, NULL), 0);
	s = sp_compare_result_summary(res);
	assert_int_equal(s->verdict, SP_VERDICT_EXPLAINED_DIFFERENCE);
	assert_string_equal(s->method, "elf");
	assert_int_equal(s->ranges_total, 2);
	sp_compare_result_free(res);
	/* One more byte in .shstrtab: different. */
	e2[0x165] ^= 1;
	write_file("b.elf", e2, n, pb, sizeof(pb));
	assert_int_equal(sp_compare_files(ctx, &res, pa, pb, NULL), 0);
	assert_int_equal(
	    sp_compare_result_summary(res)->verdict, SP_VERDICT_DIFFERENT);
	sp_compare_result_free(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_review_pe__parses_minimal_images),
	    cmocka_unit_test(test_review_pe__refuses_malformed_headers),
	    cmocka_unit_test(test_review_pe__overlapping_sections),
	    cmocka_unit_test(test_review_pe__certificate_table_walk),
	    cmocka_unit_test(test_review_pe__checksum),
	    cmocka_unit_test(test_review_pe__authenticode_by_pieces),
	    cmocka_unit_test(test_review_pe__osslsigncode_vectors),
	    cmocka_unit_test(test_review_elf__all_classes_and_byte_orders),
	    cmocka_unit_test(test_review_elf__refuses_bogus_offsets),
	    cmocka_unit_test(test_review_kmod__trailer),
	    cmocka_unit_test(test_review_kmod__signer_by_key_id),
	    cmocka_unit_test(test_review_compressed__detect_decompress_framing),
	    cmocka_unit_test(test_review_regions__most_specific_wins),
	    cmocka_unit_test(test_review_view__pad_tail_patches),
	    cmocka_unit_test(test_review_compare__bytes_ranges_and_cap),
	    cmocka_unit_test(test_review_compare__errors_are_results),
	    cmocka_unit_test(test_review_compare__unsigned_pe_and_elf),
	};

	return cmocka_run_group_tests_name(
	    "review/compare", tests, group_setup, group_teardown);
}
