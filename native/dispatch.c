/*
 * Path selection: once at load, from CPU features (x86-64: CPUID, plus XGETBV for AVX2 since the
 * OS must save the YMM registers, not only the CPU have them), then WSFRAME_NATIVE_PATH may force
 * a slower path for tests; setPath() switches in-process. The active path is one pointer read by
 * every call.
 */
#include <stdlib.h>
#include <string.h>
#include "wsf.h"
#if defined(WSF_X86) && defined(_MSC_VER)
#include <intrin.h>
#include <immintrin.h>
#elif defined(WSF_X86)
#include <cpuid.h>
#endif

static wsf_path paths[4];
static size_t npaths;
static const wsf_path *active;

#if defined(WSF_X86)
static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
#if defined(_MSC_VER)
  int x[4];
  __cpuidex(x, (int)leaf, (int)sub);
  for (int i = 0; i < 4; i++) r[i] = (uint32_t)x[i];
#else
  __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
#endif
}

static uint64_t xgetbv0(void) {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
#endif
}

static void detect_x86(int *ssse3, int *avx2) {
  uint32_t r[4];
  cpuid(0, 0, r);
  uint32_t max_leaf = r[0];
  cpuid(1, 0, r);
  uint32_t ecx1 = r[2];
  *ssse3 = (ecx1 >> 9) & 1;
  *avx2 = 0;
  int osxsave = (ecx1 >> 27) & 1, avx = (ecx1 >> 28) & 1;
  if (!osxsave || !avx || max_leaf < 7) return;
  if ((xgetbv0() & 0x6) != 0x6) return; /* XMM and YMM state enabled by the OS */
  cpuid(7, 0, r);
  *avx2 = (r[1] >> 5) & 1;
}
#endif

static void add(const char *name, wsf_mask_fn mask, wsf_utf8_validate_fn validate) {
  paths[npaths].name = name;
  paths[npaths].mask = mask;
  paths[npaths].utf8_validate = validate;
  npaths++;
}

const char *wsf_dispatch_init(void) {
  if (npaths == 0) {
    add("scalar", wsf_mask_scalar, wsf_utf8_validate_scalar);
#if defined(WSF_X86)
    int ssse3, avx2;
    detect_x86(&ssse3, &avx2);
    add("sse2", wsf_mask_sse2, ssse3 ? wsf_utf8_validate_ssse3 : wsf_utf8_validate_scalar);
    if (avx2) add("avx2", wsf_mask_avx2, wsf_utf8_validate_avx2);
#elif defined(WSF_ARM64)
    add("neon", wsf_mask_neon, wsf_utf8_validate_neon);
#endif
    active = &paths[npaths - 1];
    const char *forced = getenv("WSFRAME_NATIVE_PATH");
    if (forced && *forced) return wsf_set_path(forced);
  }
  return NULL;
}

const wsf_path *wsf_active(void) { return active; }

const char *wsf_set_path(const char *name) {
  for (size_t i = 0; i < npaths; i++) {
    if (strcmp(paths[i].name, name) == 0) {
      active = &paths[i];
      return NULL;
    }
  }
  return "this native path is not available on this CPU or platform";
}

size_t wsf_available_paths(const wsf_path **out, size_t cap) {
  size_t n = npaths < cap ? npaths : cap;
  for (size_t i = 0; i < n; i++) out[i] = &paths[i];
  return n;
}
