{
  # One static library per ISA so each gets its own -m flags (never -march=native); the addon
  # links all three and picks a microkernel table at run time from CPU features.
  "target_defaults": {
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
    "cflags": ["-fPIC", "-O3", "-fno-math-errno"],
    "cflags_cc": ["-std=c++17", "-fexceptions", "-fPIC", "-O3", "-fno-math-errno"],
    "include_dirs": ["native"],
    "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17" }
  },
  "targets": [
    {
      "target_name": "microkernels_scalar",
      "type": "static_library",
      "sources": ["<!@(node scripts/list-sources.cjs scalar)"]
    },
    {
      "target_name": "microkernels_avx2",
      "type": "static_library",
      "sources": ["<!@(node scripts/list-sources.cjs avx2)"],
      "cflags_cc": ["-mavx2", "-mfma", "-mf16c"]
    },
    {
      "target_name": "microkernels_avx512",
      "type": "static_library",
      "sources": ["<!@(node scripts/list-sources.cjs avx512)"],
      "cflags_cc": ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mfma"]
    },
    {
      "target_name": "goldcrest",
      "dependencies": ["microkernels_scalar", "microkernels_avx2", "microkernels_avx512"],
      "sources": ["<!@(node scripts/list-sources.cjs runtime)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8"]
    }
  ]
}
