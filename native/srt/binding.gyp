# srt_native: Node-API binding of Debian's libsrt (package libsrt-openssl-dev).
# Build with `node native/srt/build.mjs` (or `npx node-gyp rebuild` here).
{
  "targets": [
    {
      "target_name": "srt_native",
      "sources": [
        "src/addon.cc",
        "src/reactor.cc",
        "src/socket_options.cc",
        "src/net_address.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc!": ["-std=gnu++17", "-fno-exceptions"],
      "libraries": ["<!@(node srt-config.mjs --libs)"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": {"GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17"}
        }]
      ]
    }
  ]
}
