/*
 * Scalar UTF-8 validation: the RFC 3629 §4 grammar as a DFA over byte classes, with the state
 * numbers of ts/backend.ts. Used by the scalar path, and by every path for the few bytes at the
 * edges of a streamed chunk (resuming a sequence, and the final incomplete sequence).
 */
#include <string.h>
#include "wsf.h"

/* Byte classes: bytes that every state treats alike. */
enum { C_ASCII, C_80_8F, C_90_9F, C_A0_BF, C_BAD, C_C2_DF, C_E0, C_E1_EF, C_ED, C_F0, C_F1_F3, C_F4, C_N };

static uint8_t byte_class(uint8_t b) {
  if (b < 0x80) return C_ASCII;
  if (b < 0x90) return C_80_8F;
  if (b < 0xA0) return C_90_9F;
  if (b < 0xC0) return C_A0_BF;
  if (b < 0xC2) return C_BAD;
  if (b < 0xE0) return C_C2_DF;
  if (b == 0xE0) return C_E0;
  if (b == 0xED) return C_ED;
  if (b < 0xF0) return C_E1_EF;
  if (b == 0xF0) return C_F0;
  if (b < 0xF4) return C_F1_F3;
  if (b == 0xF4) return C_F4;
  return C_BAD;
}

#define R WSF_UTF8_REJECT
/* next[state][class] */
static const uint8_t next[WSF_UTF8_STATES][C_N] = {
  /*              ASCII 80-8F 90-9F A0-BF  bad  C2-DF  E0  E1-EF  ED   F0  F1-F3  F4 */
  /* 0 accept */ { 0,    R,    R,    R,    R,    2,    5,    3,    6,   7,    4,   8 },
  /* 1 reject */ { R,    R,    R,    R,    R,    R,    R,    R,    R,   R,    R,   R },
  /* 2 need1  */ { R,    0,    0,    0,    R,    R,    R,    R,    R,   R,    R,   R },
  /* 3 need2  */ { R,    2,    2,    2,    R,    R,    R,    R,    R,   R,    R,   R },
  /* 4 need3  */ { R,    3,    3,    3,    R,    R,    R,    R,    R,   R,    R,   R },
  /* 5 E0     */ { R,    R,    R,    2,    R,    R,    R,    R,    R,   R,    R,   R },
  /* 6 ED     */ { R,    2,    2,    R,    R,    R,    R,    R,    R,   R,    R,   R },
  /* 7 F0     */ { R,    R,    3,    3,    R,    R,    R,    R,    R,   R,    R,   R },
  /* 8 F4     */ { R,    3,    R,    R,    R,    R,    R,    R,    R,   R,    R,   R },
};
#undef R

/* Flattened table: step[state * 256 + byte], built once from the two tables above. */
static uint8_t step[WSF_UTF8_STATES * 256];
static int step_ready;

static void build_step(void) {
  for (unsigned s = 0; s < WSF_UTF8_STATES; s++)
    for (unsigned b = 0; b < 256; b++) step[s * 256 + b] = next[s][byte_class((uint8_t)b)];
  step_ready = 1;
}

uint32_t wsf_utf8_dfa(uint32_t state, const uint8_t *p, size_t len) {
  if (!step_ready) build_step(); /* idempotent: a racing second build writes the same bytes */
  if (state >= WSF_UTF8_STATES) return WSF_UTF8_REJECT;
  for (size_t i = 0; i < len && state != WSF_UTF8_REJECT; i++) state = step[state * 256 + p[i]];
  return state;
}

/* ASCII runs 8 bytes at a time, the DFA for everything else. */
int wsf_utf8_validate_scalar(const uint8_t *p, size_t len) {
  if (!step_ready) build_step();
  uint32_t state = WSF_UTF8_ACCEPT;
  size_t i = 0;
  while (i < len) {
    if (state == WSF_UTF8_ACCEPT) {
      while (i + 8 <= len) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ull) break;
        i += 8;
      }
      if (i >= len) break;
    }
    state = step[state * 256 + p[i++]];
    if (state == WSF_UTF8_REJECT) return 0;
  }
  return state == WSF_UTF8_ACCEPT;
}
