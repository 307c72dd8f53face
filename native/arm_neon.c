/*
 * arm64 NEON path (compiled only on arm64, where NEON is baseline). Same algorithm as the x86
 * paths: TBL for the nibble lookups, EXT for the previous-byte vectors.
 */
#include <arm_neon.h>
#include <string.h>
#include "wsf.h"

uint32_t wsf_mask_neon(const uint8_t *src, uint8_t *dst, size_t len, uint32_t key) {
  const uint8x16_t k = vreinterpretq_u8_u32(vdupq_n_u32(key));
  uint8x16_t acc = vdupq_n_u8(0);
  size_t i = 0;
  for (; i + 64 <= len; i += 64) {
    uint8x16_t a = veorq_u8(vld1q_u8(src + i), k), b = veorq_u8(vld1q_u8(src + i + 16), k);
    uint8x16_t c = veorq_u8(vld1q_u8(src + i + 32), k), d = veorq_u8(vld1q_u8(src + i + 48), k);
    vst1q_u8(dst + i, a);
    vst1q_u8(dst + i + 16, b);
    vst1q_u8(dst + i + 32, c);
    vst1q_u8(dst + i + 48, d);
    acc = vorrq_u8(acc, vorrq_u8(vorrq_u8(a, b), vorrq_u8(c, d)));
  }
  for (; i + 16 <= len; i += 16) {
    uint8x16_t a = veorq_u8(vld1q_u8(src + i), k);
    vst1q_u8(dst + i, a);
    acc = vorrq_u8(acc, a);
  }
  uint32_t high = vmaxvq_u8(acc) >= 0x80;
  if (i < len) high |= wsf_mask_scalar(src + i, dst + i, len - i, key);
  return high;
}

static inline uint8x16_t nibble_errors(uint8x16_t cur, uint8x16_t prev, uint8x16_t t_ph, uint8x16_t t_pl,
                                       uint8x16_t t_ch) {
  uint8x16_t prev1 = vextq_u8(prev, cur, 15);
  uint8x16_t prev2 = vextq_u8(prev, cur, 14);
  uint8x16_t prev3 = vextq_u8(prev, cur, 13);
  uint8x16_t kinds = vandq_u8(vandq_u8(vqtbl1q_u8(t_ph, vshrq_n_u8(prev1, 4)),
                                       vqtbl1q_u8(t_pl, vandq_u8(prev1, vdupq_n_u8(0x0F)))),
                              vqtbl1q_u8(t_ch, vshrq_n_u8(cur, 4)));
  uint8x16_t third = vqsubq_u8(prev2, vdupq_n_u8(0xE0 - 0x80));
  uint8x16_t fourth = vqsubq_u8(prev3, vdupq_n_u8(0xF0 - 0x80));
  uint8x16_t must_cont = vandq_u8(vorrq_u8(third, fourth), vdupq_n_u8(0x80));
  return veorq_u8(kinds, must_cont);
}

int wsf_utf8_validate_neon(const uint8_t *p, size_t len) {
  static const uint8_t max_tail_bytes[16] = {255, 255, 255, 255, 255, 255, 255, 255,
                                             255, 255, 255, 255, 255, 0xEF, 0xDF, 0xBF};
  const uint8x16_t t_ph = vld1q_u8(wsf_utf8_prev_hi), t_pl = vld1q_u8(wsf_utf8_prev_lo);
  const uint8x16_t t_ch = vld1q_u8(wsf_utf8_cur_hi), max_tail = vld1q_u8(max_tail_bytes);
  uint8x16_t prev = vdupq_n_u8(0), err = vdupq_n_u8(0), open = vdupq_n_u8(0);
  size_t i = 0;
  for (; i < len; i += 16) {
    uint8x16_t a;
    if (i + 16 <= len) {
      a = vld1q_u8(p + i);
    } else {
      uint8_t pad[16] = {0}; /* ASCII padding: anything open at the end becomes TOO_SHORT */
      memcpy(pad, p + i, len - i);
      a = vld1q_u8(pad);
    }
    if (vmaxvq_u8(a) < 0x80) {
      err = vorrq_u8(err, open);
      open = vdupq_n_u8(0);
    } else {
      err = vorrq_u8(err, nibble_errors(a, prev, t_ph, t_pl, t_ch));
      open = vqsubq_u8(a, max_tail);
    }
    prev = a;
  }
  err = vorrq_u8(err, open);
  return vmaxvq_u8(err) == 0;
}
