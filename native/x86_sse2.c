/*
 * x86-64 128-bit path. Masking uses SSE2 only (baseline x86-64). The UTF-8 validator needs
 * PSHUFB, so it is compiled for SSSE3 (per function) and dispatch.c pairs it with this path only
 * when CPUID reports SSSE3; without it the path validates with the scalar DFA.
 */
#include <emmintrin.h>
#include <tmmintrin.h>
#include <string.h>
#include "wsf.h"

uint32_t wsf_mask_sse2(const uint8_t *src, uint8_t *dst, size_t len, uint32_t key) {
  const __m128i k = _mm_set1_epi32((int)key);
  __m128i acc = _mm_setzero_si128();
  size_t i = 0;
  for (; i + 64 <= len; i += 64) {
    __m128i a = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(src + i)), k);
    __m128i b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(src + i + 16)), k);
    __m128i c = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(src + i + 32)), k);
    __m128i d = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(src + i + 48)), k);
    _mm_storeu_si128((__m128i *)(dst + i), a);
    _mm_storeu_si128((__m128i *)(dst + i + 16), b);
    _mm_storeu_si128((__m128i *)(dst + i + 32), c);
    _mm_storeu_si128((__m128i *)(dst + i + 48), d);
    acc = _mm_or_si128(acc, _mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d)));
  }
  for (; i + 16 <= len; i += 16) {
    __m128i a = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(src + i)), k);
    _mm_storeu_si128((__m128i *)(dst + i), a);
    acc = _mm_or_si128(acc, a);
  }
  uint32_t high = _mm_movemask_epi8(acc) != 0;
  /* i is a multiple of 4: the key phase is unchanged for the tail. */
  if (i < len) high |= wsf_mask_scalar(src + i, dst + i, len - i, key);
  return high;
}

typedef struct {
  __m128i prev_hi, prev_lo, cur_hi, nib, hi_bit;
  __m128i max_tail; /* BF, DF, EF at the last three bytes: above them a sequence is still open */
} tables128;

WSF_TARGET("ssse3") WSF_INLINE __m128i nibble_errors(const tables128 *t, __m128i cur, __m128i prev) {
  __m128i prev1 = _mm_alignr_epi8(cur, prev, 15);
  __m128i prev2 = _mm_alignr_epi8(cur, prev, 14);
  __m128i prev3 = _mm_alignr_epi8(cur, prev, 13);
  __m128i ph = _mm_and_si128(_mm_srli_epi16(prev1, 4), t->nib);
  __m128i pl = _mm_and_si128(prev1, t->nib);
  __m128i ch = _mm_and_si128(_mm_srli_epi16(cur, 4), t->nib);
  __m128i kinds = _mm_and_si128(_mm_and_si128(_mm_shuffle_epi8(t->prev_hi, ph), _mm_shuffle_epi8(t->prev_lo, pl)),
                                _mm_shuffle_epi8(t->cur_hi, ch));
  /* 3rd byte of a 3/4-byte sequence (i-2 >= E0) or 4th of a 4-byte one (i-3 >= F0): high bit set. */
  __m128i third = _mm_subs_epu8(prev2, _mm_set1_epi8((char)(0xE0 - 0x80)));
  __m128i fourth = _mm_subs_epu8(prev3, _mm_set1_epi8((char)(0xF0 - 0x80)));
  __m128i must_cont = _mm_and_si128(_mm_or_si128(third, fourth), t->hi_bit);
  return _mm_xor_si128(kinds, must_cont);
}

WSF_TARGET("ssse3") int wsf_utf8_validate_ssse3(const uint8_t *p, size_t len) {
  tables128 t;
  t.prev_hi = _mm_loadu_si128((const __m128i *)wsf_utf8_prev_hi);
  t.prev_lo = _mm_loadu_si128((const __m128i *)wsf_utf8_prev_lo);
  t.cur_hi = _mm_loadu_si128((const __m128i *)wsf_utf8_cur_hi);
  t.nib = _mm_set1_epi8(0x0F);
  t.hi_bit = _mm_set1_epi8((char)0x80);
  t.max_tail = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, (char)0xEF, (char)0xDF, (char)0xBF);
  __m128i prev = _mm_setzero_si128(), err = _mm_setzero_si128(), open = _mm_setzero_si128();
  size_t i = 0;
  for (; i + 32 <= len; i += 32) {
    __m128i a = _mm_loadu_si128((const __m128i *)(p + i));
    __m128i b = _mm_loadu_si128((const __m128i *)(p + i + 16));
    if (_mm_movemask_epi8(_mm_or_si128(a, b)) == 0) {
      err = _mm_or_si128(err, open); /* ASCII here: whatever was open is cut short */
      open = _mm_setzero_si128();
    } else {
      err = _mm_or_si128(err, nibble_errors(&t, a, prev));
      err = _mm_or_si128(err, nibble_errors(&t, b, a));
      open = _mm_subs_epu8(b, t.max_tail);
    }
    prev = b;
    if ((i & 1023) == 0 && _mm_movemask_epi8(_mm_cmpeq_epi8(err, _mm_setzero_si128())) != 0xFFFF) return 0;
  }
  for (; i < len; i += 16) {
    __m128i a;
    if (i + 16 <= len) {
      a = _mm_loadu_si128((const __m128i *)(p + i));
    } else {
      uint8_t pad[16] = {0}; /* ASCII padding: anything open at the end becomes TOO_SHORT */
      memcpy(pad, p + i, len - i);
      a = _mm_loadu_si128((const __m128i *)pad);
    }
    err = _mm_or_si128(err, nibble_errors(&t, a, prev));
    open = _mm_subs_epu8(a, t.max_tail);
    prev = a;
  }
  err = _mm_or_si128(err, open);
  return _mm_movemask_epi8(_mm_cmpeq_epi8(err, _mm_setzero_si128())) == 0xFFFF;
}
