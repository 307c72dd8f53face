/* Scalar masking: 8 bytes per step through memcpy (unaligned-safe), then single bytes. */
#include <string.h>
#include "wsf.h"

void wsf_mask_scalar(const uint8_t *src, uint8_t *dst, size_t len, uint32_t key) {
  uint64_t k = (uint64_t)key | ((uint64_t)key << 32);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  k = __builtin_bswap64(k); /* key byte 0 must meet the byte at the lowest address */
#endif
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, src + i, 8);
    w ^= k;
    memcpy(dst + i, &w, 8);
  }
  for (; i < len; i++) dst[i] = src[i] ^ (uint8_t)(key >> (8 * (i & 3)));
}
