/*
 * Tables of the SIMD UTF-8 validators (the nibble-lookup method of Keiser & Lemire, "Validating
 * UTF-8 in less than one instruction per byte", 2021). For every byte position the validators look
 * at the pair (previous byte, current byte) through three 16-entry tables indexed by the previous
 * byte's high nibble, its low nibble and the current byte's high nibble; each entry is a set of
 * error kinds, and the AND of the three sets is the set of kinds the pair exhibits. Each kind is a
 * product set (high nibbles of prev) x (low nibbles of prev) x (high nibbles of cur) listing only
 * invalid pairs, so the AND never flags a valid pair.
 *
 *   TOO_SHORT  C-F  *      0-7,C-F   lead byte not followed by a continuation
 *   TOO_LONG   0-7  *      8-B       continuation right after ASCII
 *   OVERLONG2  C    0-1    8-B       C0, C1 lead
 *   OVERLONG3  E    0      8-9       E0 80..9F
 *   SURROGATE  E    D      A-B       ED A0..BF
 *   F_80       F    0,5-F  8         F0 80..8F (overlong) and F5..FF 80..8F (too large)
 *   TOO_LARGE  F    4-F    9-B       F4 90..BF and F5..FF 90..BF
 *   TWO_CONTS  8-B  *      8-B       two continuations: valid only as the 3rd/4th byte
 *
 * TWO_CONTS is then XORed with "must be the 3rd or 4th byte" (byte i-2 >= E0 or byte i-3 >= F0),
 * which also catches sequences cut short after their 2nd or 3rd byte. Sequences still open at the
 * end of the input are caught by comparing the last three bytes with BF, DF and EF.
 */
#include "wsf.h"

#define TOO_SHORT 0x01
#define TOO_LONG 0x02
#define OVERLONG2 0x04
#define OVERLONG3 0x08
#define SURROGATE 0x10
#define F_80 0x20
#define TOO_LARGE 0x40
#define TWO_CONTS 0x80
#define ANY (TOO_SHORT | TOO_LONG | TWO_CONTS)

const uint8_t wsf_utf8_prev_hi[16] = {
  TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
  TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS,
  TOO_SHORT | OVERLONG2,                 /* C */
  TOO_SHORT,                             /* D */
  TOO_SHORT | OVERLONG3 | SURROGATE,     /* E */
  TOO_SHORT | F_80 | TOO_LARGE,          /* F */
};

const uint8_t wsf_utf8_prev_lo[16] = {
  ANY | OVERLONG2 | OVERLONG3 | F_80,    /* 0 */
  ANY | OVERLONG2,                       /* 1 */
  ANY, ANY,                              /* 2, 3 */
  ANY | TOO_LARGE,                       /* 4 */
  ANY | F_80 | TOO_LARGE, ANY | F_80 | TOO_LARGE, ANY | F_80 | TOO_LARGE, /* 5-7 */
  ANY | F_80 | TOO_LARGE, ANY | F_80 | TOO_LARGE, ANY | F_80 | TOO_LARGE, /* 8-A */
  ANY | F_80 | TOO_LARGE, ANY | F_80 | TOO_LARGE,                         /* B, C */
  ANY | F_80 | TOO_LARGE | SURROGATE,    /* D */
  ANY | F_80 | TOO_LARGE, ANY | F_80 | TOO_LARGE,                         /* E, F */
};

const uint8_t wsf_utf8_cur_hi[16] = {
  TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
  TOO_LONG | TWO_CONTS | OVERLONG2 | OVERLONG3 | F_80,       /* 8 */
  TOO_LONG | TWO_CONTS | OVERLONG2 | OVERLONG3 | TOO_LARGE,  /* 9 */
  TOO_LONG | TWO_CONTS | OVERLONG2 | SURROGATE | TOO_LARGE,  /* A */
  TOO_LONG | TWO_CONTS | OVERLONG2 | SURROGATE | TOO_LARGE,  /* B */
  TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,                /* C-F */
};
