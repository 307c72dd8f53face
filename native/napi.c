/*
 * Node-API entry points. Each call validates its arguments (the addon may be called directly,
 * not only through wsframe's JS layer) and throws TypeError / RangeError with Node's error codes;
 * no path aborts the process. Every napi_status is checked. Views of length 0 may carry a NULL
 * data pointer: the kernels are not called for them.
 */
#include <string.h>
#include <node_api.h>
#include "wsf.h"

/* Bumped when the exported functions change, so the JS loader can reject a stale binary. */
#define WSF_ADDON_ABI 2

static napi_value fail(napi_env env, int kind, const char *code, const char *msg) {
  /* If throwing itself fails an exception is already pending: returning is all we can do. */
  if (kind == 'T') napi_throw_type_error(env, code, msg);
  else if (kind == 'R') napi_throw_range_error(env, code, msg);
  else napi_throw_error(env, code, msg);
  return NULL;
}

#define TYPE_ERR(env, msg) fail(env, 'T', "ERR_INVALID_ARG_TYPE", msg)
#define RANGE_ERR(env, msg) fail(env, 'R', "ERR_OUT_OF_RANGE", msg)

static size_t element_size(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array: return 1;
    case napi_int16_array: case napi_uint16_array: return 2;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: return 4;
    default: return 8; /* float64, bigint64, biguint64 */
  }
}

/* The bytes of a TypedArray (Buffer included) or DataView; 0 and a pending TypeError otherwise. */
static int get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  napi_typedarray_type type;
  size_t n;
  void *d = NULL;
  if (napi_get_typedarray_info(env, v, &type, &n, &d, NULL, NULL) == napi_ok) {
    *data = (uint8_t *)d;
    *len = n * element_size(type);
    return 1;
  }
  bool is_dv = false;
  if (napi_is_dataview(env, v, &is_dv) == napi_ok && is_dv &&
      napi_get_dataview_info(env, v, &n, &d, NULL, NULL) == napi_ok) {
    *data = (uint8_t *)d;
    *len = n;
    return 1;
  }
  return 0;
}

/* An integer in [0, max]; on failure a TypeError/RangeError is pending and 0 is returned. */
static int get_uint(napi_env env, napi_value v, double max, const char *type_msg, const char *range_msg,
                    double *out) {
  double d;
  napi_status s = napi_get_value_double(env, v, &d);
  if (s != napi_ok) {
    TYPE_ERR(env, type_msg);
    return 0;
  }
  /* d <= max <= 2^53, so the int64 round trip is exact and cheaper than floor() (a libm call
     on baseline x86-64, which has no SSE4.1 round instruction). */
  if (!(d >= 0 && d <= max && (double)(int64_t)d == d)) {
    RANGE_ERR(env, range_msg);
    return 0;
  }
  *out = d;
  return 1;
}

#define GET_ARGS(env, info, n, argv)                                        \
  size_t argc = n;                                                          \
  napi_value argv[n];                                                       \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok)     \
    return fail(env, 'E', "ERR_INTERNAL", "wsframe: napi_get_cb_info failed");

#define KEY_TYPE "The \"key\" argument must be of type number"
#define KEY_RANGE "The value of \"key\" is out of range. It must be an integer >= 0 and <= 4294967295"

/* mask(source, key, output, offset, length): output[offset + i] = source[i] ^ keyByte(i & 3). */
static napi_value js_mask(napi_env env, napi_callback_info info) {
  GET_ARGS(env, info, 5, argv)
  uint8_t *src, *dst;
  size_t src_len, dst_len;
  double key, offset, length;
  if (!get_bytes(env, argv[0], &src, &src_len))
    return TYPE_ERR(env, "The \"source\" argument must be an instance of Buffer, TypedArray, or DataView");
  if (!get_uint(env, argv[1], 4294967295.0, KEY_TYPE, KEY_RANGE, &key)) return NULL;
  if (!get_bytes(env, argv[2], &dst, &dst_len))
    return TYPE_ERR(env, "The \"output\" argument must be an instance of Buffer, TypedArray, or DataView");
  if (!get_uint(env, argv[3], (double)dst_len, "The \"offset\" argument must be of type number",
                "The value of \"offset\" is out of range. It must be an integer >= 0 and <= output.length", &offset))
    return NULL;
  if (!get_uint(env, argv[4], (double)src_len, "The \"length\" argument must be of type number",
                "The value of \"length\" is out of range. It must be an integer >= 0 and <= source.length", &length))
    return NULL;
  if (length > (double)dst_len - offset)
    return RANGE_ERR(env, "The value of \"length\" is out of range. offset + length must be <= output.length");
  if (length > 0) wsf_active()->mask(src, dst + (size_t)offset, (size_t)length, (uint32_t)key);
  return NULL;
}

/* unmask(buffer, key): buffer[i] ^= keyByte(i & 3); returns true when every resulting byte is
   ASCII (< 0x80), which a reader uses to skip UTF-8 validation and decode text as latin1. */
static napi_value js_unmask(napi_env env, napi_callback_info info) {
  GET_ARGS(env, info, 2, argv)
  uint8_t *buf;
  size_t len;
  double key;
  if (!get_bytes(env, argv[0], &buf, &len))
    return TYPE_ERR(env, "The \"buffer\" argument must be an instance of Buffer, TypedArray, or DataView");
  if (!get_uint(env, argv[1], 4294967295.0, KEY_TYPE, KEY_RANGE, &key)) return NULL;
  uint32_t high = len > 0 ? wsf_active()->mask(buf, buf, len, (uint32_t)key) : 0;
  napi_value result;
  if (napi_get_boolean(env, high == 0, &result) != napi_ok)
    return fail(env, 'E', "ERR_INTERNAL", "wsframe: napi_get_boolean failed");
  return result;
}

/* isValidUtf8(buffer): boolean. */
static napi_value js_is_valid_utf8(napi_env env, napi_callback_info info) {
  GET_ARGS(env, info, 1, argv)
  uint8_t *buf;
  size_t len;
  if (!get_bytes(env, argv[0], &buf, &len))
    return TYPE_ERR(env, "The \"buffer\" argument must be an instance of Buffer, TypedArray, or DataView");
  napi_value result;
  if (napi_get_boolean(env, len == 0 || wsf_active()->utf8_validate(buf, len), &result) != napi_ok)
    return fail(env, 'E', "ERR_INTERNAL", "wsframe: napi_get_boolean failed");
  return result;
}

/* utf8Stream(state, buffer): the DFA state after the chunk. */
static napi_value js_utf8_stream(napi_env env, napi_callback_info info) {
  GET_ARGS(env, info, 2, argv)
  double state;
  uint8_t *buf;
  size_t len;
  if (!get_uint(env, argv[0], WSF_UTF8_STATES - 1, "The \"state\" argument must be of type number",
                "The value of \"state\" is out of range. It must be an integer >= 0 and <= 8", &state))
    return NULL;
  if (!get_bytes(env, argv[1], &buf, &len))
    return TYPE_ERR(env, "The \"chunk\" argument must be an instance of Buffer, TypedArray, or DataView");
  uint32_t s = (uint32_t)state;
  if (len > 0) s = wsf_utf8_stream(wsf_active()->utf8_validate, s, buf, len);
  napi_value result;
  if (napi_create_uint32(env, s, &result) != napi_ok)
    return fail(env, 'E', "ERR_INTERNAL", "wsframe: napi_create_uint32 failed");
  return result;
}

static napi_value js_path(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  if (napi_create_string_utf8(env, wsf_active()->name, NAPI_AUTO_LENGTH, &result) != napi_ok)
    return fail(env, 'E', "ERR_INTERNAL", "wsframe: napi_create_string_utf8 failed");
  return result;
}

static napi_value js_set_path(napi_env env, napi_callback_info info) {
  GET_ARGS(env, info, 1, argv)
  char name[16];
  size_t n;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &n) != napi_ok)
    return TYPE_ERR(env, "The \"name\" argument must be of type string");
  const char *err = wsf_set_path(name);
  if (err) return fail(env, 'T', "ERR_INVALID_ARG_VALUE", err);
  return js_path(env, info);
}

static napi_value js_paths(napi_env env, napi_callback_info info) {
  (void)info;
  const wsf_path *list[8];
  size_t n = wsf_available_paths(list, 8);
  napi_value arr, s;
  if (napi_create_array_with_length(env, n, &arr) != napi_ok)
    return fail(env, 'E', "ERR_INTERNAL", "wsframe: napi_create_array failed");
  for (size_t i = 0; i < n; i++) {
    if (napi_create_string_utf8(env, list[i]->name, NAPI_AUTO_LENGTH, &s) != napi_ok ||
        napi_set_element(env, arr, (uint32_t)i, s) != napi_ok)
      return fail(env, 'E', "ERR_INTERNAL", "wsframe: building the paths array failed");
  }
  return arr;
}

static napi_value init(napi_env env, napi_value exports) {
  const char *err = wsf_dispatch_init();
  if (err) return fail(env, 'E', "WSFRAME_ERR_BACKEND_UNAVAILABLE", "wsframe: WSFRAME_NATIVE_PATH names a path this CPU lacks");
  napi_value abi;
  if (napi_create_uint32(env, WSF_ADDON_ABI, &abi) != napi_ok)
    return fail(env, 'E', "ERR_INTERNAL", "wsframe: init failed");
  napi_property_descriptor props[] = {
    {"mask", NULL, js_mask, NULL, NULL, NULL, napi_enumerable, NULL},
    {"unmask", NULL, js_unmask, NULL, NULL, NULL, napi_enumerable, NULL},
    {"isValidUtf8", NULL, js_is_valid_utf8, NULL, NULL, NULL, napi_enumerable, NULL},
    {"utf8Stream", NULL, js_utf8_stream, NULL, NULL, NULL, napi_enumerable, NULL},
    {"path", NULL, js_path, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setPath", NULL, js_set_path, NULL, NULL, NULL, napi_enumerable, NULL},
    {"paths", NULL, js_paths, NULL, NULL, NULL, napi_enumerable, NULL},
    {"abi", NULL, NULL, NULL, NULL, abi, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok)
    return fail(env, 'E', "ERR_INTERNAL", "wsframe: napi_define_properties failed");
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
