/*
 * wsframe native kernels: shared declarations.
 *
 * The kernels mirror the AssemblyScript ones (assembly/) and the contract in ts/backend.ts:
 *   - a masking key is a u32 holding the four key bytes little-endian (key byte j = key >> 8j);
 *     a payload starting mid-key is handled by the caller rotating the key;
 *   - the streaming UTF-8 DFA uses the state numbers below, identical in every backend.
 * Kernels trust their arguments (the N-API layer in napi.c validates them). Every load and store
 * is unaligned-safe: no pointer is ever assumed aligned.
 */
#ifndef WSF_H
#define WSF_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define WSF_TARGET(x) __attribute__((target(x)))
#define WSF_INLINE static inline __attribute__((always_inline))
#else
#define WSF_TARGET(x)
#define WSF_INLINE static __forceinline
#endif

/* DFA states (ts/backend.ts). */
enum {
  WSF_UTF8_ACCEPT = 0, /* at a character boundary, all valid */
  WSF_UTF8_REJECT = 1, /* invalid byte seen; sticky */
  WSF_UTF8_NEED1 = 2,  /* one more continuation 80-BF */
  WSF_UTF8_NEED2 = 3,  /* two more */
  WSF_UTF8_NEED3 = 4,  /* three more */
  WSF_UTF8_E0 = 5,     /* after E0: next A0-BF (no overlong 3-byte forms) */
  WSF_UTF8_ED = 6,     /* after ED: next 80-9F (no surrogates) */
  WSF_UTF8_F0 = 7,     /* after F0: next 90-BF (no overlong 4-byte forms) */
  WSF_UTF8_F4 = 8,     /* after F4: next 80-8F (nothing above U+10FFFF) */
  WSF_UTF8_STATES = 9
};

/* dst[i] = src[i] ^ keybyte(i & 3); src == dst allowed (unmask). Returns nonzero when some byte
   written has its high bit set (not ASCII): the OR rides along in registers, so a reader learns
   whether a text payload is ASCII without a second pass over it. */
typedef uint32_t (*wsf_mask_fn)(const uint8_t *src, uint8_t *dst, size_t len, uint32_t key);
/* 1 when p[0..len) is complete, valid UTF-8; 0 otherwise. */
typedef int (*wsf_utf8_validate_fn)(const uint8_t *p, size_t len);

/* One code path: a complete set of kernels. */
typedef struct {
  const char *name;
  wsf_mask_fn mask;
  wsf_utf8_validate_fn utf8_validate;
} wsf_path;

/* Scalar kernels (mask_scalar.c, utf8_dfa.c): every platform. */
uint32_t wsf_mask_scalar(const uint8_t *src, uint8_t *dst, size_t len, uint32_t key);
int wsf_utf8_validate_scalar(const uint8_t *p, size_t len);
/* One DFA step per byte from `state`; returns WSF_UTF8_REJECT as soon as it is reached. */
uint32_t wsf_utf8_dfa(uint32_t state, const uint8_t *p, size_t len);

#if defined(__x86_64__) || defined(_M_X64)
#define WSF_X86 1
uint32_t wsf_mask_sse2(const uint8_t *src, uint8_t *dst, size_t len, uint32_t key);
int wsf_utf8_validate_ssse3(const uint8_t *p, size_t len);
uint32_t wsf_mask_avx2(const uint8_t *src, uint8_t *dst, size_t len, uint32_t key);
int wsf_utf8_validate_avx2(const uint8_t *p, size_t len);
#endif

#if defined(__aarch64__) || defined(_M_ARM64)
#define WSF_ARM64 1
uint32_t wsf_mask_neon(const uint8_t *src, uint8_t *dst, size_t len, uint32_t key);
int wsf_utf8_validate_neon(const uint8_t *p, size_t len);
#endif

/* Dispatch (dispatch.c). The active path is picked once at load; tests may switch it. */
const wsf_path *wsf_active(void);
/* Picks the best path, then applies WSFRAME_NATIVE_PATH; returns an error message or NULL. */
const char *wsf_dispatch_init(void);
/* Switches to the named path; returns an error message or NULL. */
const char *wsf_set_path(const char *name);
/* Available paths, best last; returns the count. */
size_t wsf_available_paths(const wsf_path **out, size_t cap);

/* The one-shot kernel of the active path, and the streaming validator built on it (utf8_stream.c). */
uint32_t wsf_utf8_stream(wsf_utf8_validate_fn validate, uint32_t state, const uint8_t *p, size_t len);

/* Nibble-lookup tables of the SIMD UTF-8 validators (utf8_tables.c): see that file. */
extern const uint8_t wsf_utf8_prev_hi[16];
extern const uint8_t wsf_utf8_prev_lo[16];
extern const uint8_t wsf_utf8_cur_hi[16];

#endif
