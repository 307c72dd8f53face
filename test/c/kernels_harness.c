/*
 * Plain C cross-check of every path's kernels against byte-XOR and the DFA (the DFA itself is
 * checked against an RFC 3629 reference by the vitest suite through the scalar path). Built
 * without Node by scripts/check-neon-qemu.sh, to run the NEON path on arm64 under qemu-user;
 * it runs on x86-64 as well. Exit status 0 when every result matched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../native/wsf.h"

static uint32_t seed = 2463534242u;
static uint32_t rnd(void) {
  seed ^= seed << 13;
  seed ^= seed >> 17;
  seed ^= seed << 5;
  return seed;
}

static const uint8_t *forms[] = {
  (const uint8_t *)"\xc0\x80", (const uint8_t *)"\xe0\x80\x80", (const uint8_t *)"\xed\xa0\x80",
  (const uint8_t *)"\xf4\x90\x80\x80", (const uint8_t *)"\xf5\x80", (const uint8_t *)"\x80",
  (const uint8_t *)"\xe1\x80", (const uint8_t *)"\xc3\xa9", (const uint8_t *)"\xe2\x82\xac",
  (const uint8_t *)"\xf0\x9f\x98\x80", (const uint8_t *)"\xf4\x8f\xbf\xbf", (const uint8_t *)"\xff",
};

int main(void) {
  if (wsf_dispatch_init()) {
    puts("dispatch init failed");
    return 1;
  }
  const wsf_path *paths[8];
  size_t np = wsf_available_paths(paths, 8);
  static uint8_t src[4200], dst[4200], buf[4200];
  long checks = 0;
  for (size_t pi = 0; pi < np; pi++) {
    const wsf_path *p = paths[pi];
    for (size_t len = 0; len <= 600; len++) {
      for (size_t a = 0; a < 8; a++) {
        uint32_t key = rnd();
        for (size_t i = 0; i < len + 8; i++) src[i] = (uint8_t)rnd();
        memset(dst, 0xa5, sizeof dst);
        /* Half the time the output is ASCII but for at most one byte: the returned flag must say
           whether any byte written has bit 7 set. */
        long hi = -1;
        if (len > 0 && rnd() % 2 == 0) {
          for (size_t i = 0; i < len; i++) src[a + i] = (uint8_t)((src[a + i] & 0x7f) ^ ((key >> (8 * (i & 3))) & 0x80));
          if (rnd() % 3 != 0) {
            hi = (long)(rnd() % len);
            src[a + hi] ^= 0x80;
          }
        }
        uint32_t high = p->mask(src + a, dst + (7 - a), len, key);
        int want_high = 0;
        for (size_t i = 0; i < len; i++) {
          if (dst[7 - a + i] != (uint8_t)(src[a + i] ^ (key >> (8 * (i & 3))))) {
            printf("%s: mask len %zu align %zu byte %zu\n", p->name, len, a, i);
            return 1;
          }
          want_high |= dst[7 - a + i] >= 0x80;
        }
        if ((high != 0) != want_high) {
          printf("%s: mask len %zu align %zu high byte at %ld: flag %u, want %d\n", p->name, len, a, hi, high, want_high);
          return 1;
        }
        if (dst[7 - a + len] != 0xa5) { printf("%s: mask wrote past the end\n", p->name); return 1; }
        checks++;
      }
    }
    for (int n = 0; n < 20000; n++) {
      size_t len = rnd() % 300, at = 0;
      while (at < len) { /* ASCII with UTF-8 forms, valid and invalid, sprinkled in */
        if (rnd() % 4 == 0) {
          const uint8_t *f = forms[rnd() % (sizeof forms / sizeof forms[0])];
          size_t fl = strlen((const char *)f);
          if (rnd() % 8 == 0) fl = 1 + rnd() % fl; /* truncated */
          for (size_t i = 0; i < fl && at < len; i++) buf[at++] = f[i];
        } else {
          buf[at++] = (uint8_t)(rnd() % 4 == 0 ? rnd() : 0x20 + rnd() % 90);
        }
      }
      if (rnd() % 3 == 0) { /* valid text of 2-4 byte characters, maybe one byte changed */
        size_t i = 0;
        while (i + 4 <= len) {
          const uint8_t *f = forms[7 + rnd() % 4];
          size_t fl = strlen((const char *)f);
          memcpy(buf + i, f, fl);
          i += fl;
        }
        len = i;
        if (len && rnd() % 2) buf[rnd() % len] = (uint8_t)rnd();
      }
      uint32_t want = wsf_utf8_dfa(WSF_UTF8_ACCEPT, buf, len);
      int ok = p->utf8_validate(buf, len);
      if (ok != (want == WSF_UTF8_ACCEPT)) { printf("%s: validate len %zu\n", p->name, len); return 1; }
      size_t k = len ? rnd() % (len + 1) : 0;
      uint32_t s1 = wsf_utf8_stream(p->utf8_validate, WSF_UTF8_ACCEPT, buf, k);
      if (s1 != wsf_utf8_dfa(WSF_UTF8_ACCEPT, buf, k)) { printf("%s: stream head %zu/%zu\n", p->name, k, len); return 1; }
      if (wsf_utf8_stream(p->utf8_validate, s1, buf + k, len - k) != want) { printf("%s: stream split %zu/%zu\n", p->name, k, len); return 1; }
      checks += 3;
    }
  }
  printf("kernels_harness: %ld checks passed on", checks);
  for (size_t pi = 0; pi < np; pi++) printf(" %s", paths[pi]->name);
  puts("");
  return 0;
}
