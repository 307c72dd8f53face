/* Scalar masking: 8 bytes per step through memcpy (unaligned-safe), then single bytes. Returns the
   high bits of the bytes written, ORed (nonzero: not all ASCII). */
#include <string.h>
#include "wsf.h"

uint32_t wsf_mask_scalar(const uint8_t *src, uint8_t *dst, size_t len, uint32_t key) {
  uint64_t k = (uint64_t)key | ((uint64_t)key << 32);
  uint64_t acc = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  k = __builtin_bswap64(k); /* key byte 0 must meet the byte at the lowest address */
#endif
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, src + i, 8);
    w ^= k;
    acc |= w;
    memcpy(dst + i, &w, 8);
  }
  uint32_t tail = 0;
  for (; i < len; i++) tail |= dst[i] = src[i] ^ (uint8_t)(key >> (8 * (i & 3)));
  return ((acc & 0x8080808080808080ull) != 0) | ((tail & 0x80) != 0);
}
