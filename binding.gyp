{
  "targets": [
    {
      "target_name": "wsframe",
      "sources": [
        "native/napi.c",
        "native/dispatch.c",
        "native/mask_scalar.c",
        "native/utf8_dfa.c",
        "native/utf8_stream.c",
        "native/utf8_tables.c"
      ],
      "defines": ["NAPI_VERSION=3"],
      "cflags_c": ["-std=c11", "-O3", "-fvisibility=hidden", "-Wall", "-Wextra"],
      "cflags!": ["-O2"],
      "xcode_settings": {
        "GCC_OPTIMIZATION_LEVEL": "3",
        "OTHER_CFLAGS": ["-std=c11", "-fvisibility=hidden"]
      },
      "conditions": [
        ["target_arch=='x64'", {
          "sources": ["native/x86_sse2.c", "native/x86_avx2.c"]
        }],
        ["target_arch=='arm64'", {
          "sources": ["native/arm_neon.c"]
        }]
      ]
    }
  ]
}
