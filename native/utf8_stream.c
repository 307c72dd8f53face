/*
 * Streaming UTF-8 validation on top of a one-shot kernel. The result equals the pure DFA's:
 *   1. resume an open sequence with the DFA until it is back at a boundary (or rejects);
 *   2. hold back the final sequence if it starts with a lead byte (it may be incomplete);
 *   3. validate the bulk in between with the one-shot kernel (SIMD on SIMD paths);
 *   4. run the held-back bytes (at most 4) through the DFA.
 * When step 3 fails the DFA would also reject: the bulk starts at a boundary and ends either at
 * the end of the chunk or right before a lead byte, so "invalid" and "cut short" both mean an
 * invalid prefix.
 */
#include "wsf.h"

uint32_t wsf_utf8_stream(wsf_utf8_validate_fn validate, uint32_t state, const uint8_t *p, size_t len) {
  if (state >= WSF_UTF8_STATES) return WSF_UTF8_REJECT;
  size_t i = 0;
  while (state != WSF_UTF8_ACCEPT) {
    if (state == WSF_UTF8_REJECT || i == len) return state;
    state = wsf_utf8_dfa(state, p + i, 1);
    i++;
  }
  /* The last non-continuation byte among the last four. */
  size_t end = len;
  size_t stop = len - i > 4 ? len - 4 : i;
  for (size_t k = len; k > stop; k--) {
    uint8_t b = p[k - 1];
    if ((b & 0xC0) != 0x80) {
      if (b >= 0xC0) end = k - 1;
      break;
    }
  }
  if (end > i && !validate(p + i, end - i)) return WSF_UTF8_REJECT;
  return wsf_utf8_dfa(WSF_UTF8_ACCEPT, p + end, len - end);
}
