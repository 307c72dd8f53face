/*
 * x86-64 AVX2 path, compiled per function (target attribute) so the rest of the addon stays
 * baseline x86-64; dispatch.c selects it only when CPUID reports AVX2 and XGETBV shows the OS
 * saves the YMM state.
 */
#include <immintrin.h>
#include <string.h>
#include "wsf.h"

/* From this size on, mask() into a separate buffer bypasses the cache (glibc memcpy switches to
   non-temporal stores at a few MiB too). */
#define WSF_NT_THRESHOLD ((size_t)4 << 20)

/* 128 bytes: four loads, then four stores (src == dst is fine); `stream` is a constant at each
   call site, so each loop gets its own store instruction. Returns `acc` ORed with the bytes
   written. */
WSF_TARGET("avx2") WSF_INLINE __m256i xor128(const uint8_t *s, uint8_t *d, __m256i k, int stream, __m256i acc) {
  __m256i v[4];
  for (int q = 0; q < 4; q++) v[q] = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(s + 32 * q)), k);
  for (int q = 0; q < 4; q++) {
    if (stream) _mm256_stream_si256((__m256i *)(d + 32 * q), v[q]);
    else _mm256_storeu_si256((__m256i *)(d + 32 * q), v[q]);
  }
  return _mm256_or_si256(acc, _mm256_or_si256(_mm256_or_si256(v[0], v[1]), _mm256_or_si256(v[2], v[3])));
}

WSF_TARGET("avx2") uint32_t wsf_mask_avx2(const uint8_t *src, uint8_t *dst, size_t len, uint32_t key) {
  size_t i = 0;
  uint32_t lead_bytes = 0;
  if (len >= 512) {
    /* Align the stores: up to 31 single bytes, then rotate the key to the new phase. */
    size_t lead = (size_t)(-(uintptr_t)dst) & 31;
    for (; i < lead; i++) lead_bytes |= dst[i] = src[i] ^ (uint8_t)(key >> (8 * (i & 3)));
    unsigned r = 8 * (unsigned)(lead & 3);
    key = r ? (key >> r) | (key << (32 - r)) : key;
  }
  const __m256i k = _mm256_set1_epi32((int)key);
  const uint8_t *s = src + i;
  uint8_t *d = dst + i;
  size_t n = len - i, j = 0;
  __m256i acc = _mm256_setzero_si256();
  if (n >= WSF_NT_THRESHOLD && (s + n <= d || d + n <= s)) {
    /* Large, separate output: non-temporal stores (d is 32-byte aligned here) skip reading the
       destination lines into the cache, as memcpy does at these sizes. */
    for (; j + 128 <= n; j += 128) acc = xor128(s + j, d + j, k, 1, acc);
    _mm_sfence();
  }
  for (; j + 128 <= n; j += 128) acc = xor128(s + j, d + j, k, 0, acc);
  for (; j + 32 <= n; j += 32) {
    __m256i v = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(s + j)), k);
    _mm256_storeu_si256((__m256i *)(d + j), v);
    acc = _mm256_or_si256(acc, v);
  }
  uint32_t high = (_mm256_movemask_epi8(acc) != 0) | ((lead_bytes & 0x80) != 0);
  if (j + 16 <= n) {
    __m128i k4 = _mm256_castsi256_si128(k);
    __m128i v = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(s + j)), k4);
    _mm_storeu_si128((__m128i *)(d + j), v);
    high |= _mm_movemask_epi8(v) != 0;
    j += 16;
  }
  if (j < n) high |= wsf_mask_scalar(s + j, d + j, n - j, key);
  return high;
}

typedef struct {
  __m256i prev_hi, prev_lo, cur_hi, nib, hi_bit, max_tail;
} tables256;

WSF_TARGET("avx2") WSF_INLINE __m256i nibble_errors(const tables256 *t, __m256i cur, __m256i prev) {
  /* [prev.hi | cur.lo] so that alignr (per 128-bit lane) can reach across the lane boundary. */
  __m256i mid = _mm256_permute2x128_si256(prev, cur, 0x21);
  __m256i prev1 = _mm256_alignr_epi8(cur, mid, 15);
  __m256i prev2 = _mm256_alignr_epi8(cur, mid, 14);
  __m256i prev3 = _mm256_alignr_epi8(cur, mid, 13);
  __m256i ph = _mm256_and_si256(_mm256_srli_epi16(prev1, 4), t->nib);
  __m256i pl = _mm256_and_si256(prev1, t->nib);
  __m256i ch = _mm256_and_si256(_mm256_srli_epi16(cur, 4), t->nib);
  __m256i kinds = _mm256_and_si256(
      _mm256_and_si256(_mm256_shuffle_epi8(t->prev_hi, ph), _mm256_shuffle_epi8(t->prev_lo, pl)),
      _mm256_shuffle_epi8(t->cur_hi, ch));
  __m256i third = _mm256_subs_epu8(prev2, _mm256_set1_epi8((char)(0xE0 - 0x80)));
  __m256i fourth = _mm256_subs_epu8(prev3, _mm256_set1_epi8((char)(0xF0 - 0x80)));
  __m256i must_cont = _mm256_and_si256(_mm256_or_si256(third, fourth), t->hi_bit);
  return _mm256_xor_si256(kinds, must_cont);
}

WSF_TARGET("avx2") WSF_INLINE __m256i broadcast16(const uint8_t *table) {
  return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)table));
}

WSF_TARGET("avx2") int wsf_utf8_validate_avx2(const uint8_t *p, size_t len) {
  tables256 t;
  t.prev_hi = broadcast16(wsf_utf8_prev_hi);
  t.prev_lo = broadcast16(wsf_utf8_prev_lo);
  t.cur_hi = broadcast16(wsf_utf8_cur_hi);
  t.nib = _mm256_set1_epi8(0x0F);
  t.hi_bit = _mm256_set1_epi8((char)0x80);
  t.max_tail = _mm256_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                (char)0xEF, (char)0xDF, (char)0xBF);
  __m256i prev = _mm256_setzero_si256(), err = _mm256_setzero_si256(), open = _mm256_setzero_si256();
  size_t i = 0;
  while (i + 64 <= len) {
    __m256i a = _mm256_loadu_si256((const __m256i *)(p + i));
    __m256i b = _mm256_loadu_si256((const __m256i *)(p + i + 32));
    if (_mm256_movemask_epi8(_mm256_or_si256(a, b)) == 0) {
      err = _mm256_or_si256(err, open); /* ASCII here: whatever was open is cut short */
      open = _mm256_setzero_si256();
      i += 64;
      /* Runs of ASCII: 128 bytes per test, nothing else to carry. */
      while (i + 128 <= len) {
        __m256i w = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(p + i)),
                                    _mm256_loadu_si256((const __m256i *)(p + i + 32)));
        __m256i x = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(p + i + 64)),
                                    _mm256_loadu_si256((const __m256i *)(p + i + 96)));
        if (_mm256_movemask_epi8(_mm256_or_si256(w, x)) != 0) break;
        i += 128;
      }
      prev = _mm256_loadu_si256((const __m256i *)(p + i - 32));
      continue;
    }
    err = _mm256_or_si256(err, nibble_errors(&t, a, prev));
    err = _mm256_or_si256(err, nibble_errors(&t, b, a));
    open = _mm256_subs_epu8(b, t.max_tail);
    prev = b;
    i += 64;
    if ((i & 2047) == 0 && !_mm256_testz_si256(err, err)) return 0;
  }
  if (i < len) {
    uint8_t pad[64] = {0}; /* ASCII padding: anything open at the end becomes TOO_SHORT */
    memcpy(pad, p + i, len - i);
    __m256i a = _mm256_loadu_si256((const __m256i *)pad);
    __m256i b = _mm256_loadu_si256((const __m256i *)(pad + 32));
    err = _mm256_or_si256(err, nibble_errors(&t, a, prev));
    err = _mm256_or_si256(err, nibble_errors(&t, b, a)); /* b may be all padding: it closes a */
    open = _mm256_setzero_si256();
  }
  err = _mm256_or_si256(err, open);
  return _mm256_testz_si256(err, err);
}
