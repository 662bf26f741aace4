// rwkv7/embedded_file.hpp — access to bytes linked into the binary by CMake's rwkv7_embed_file(). Pair with
// Model::from_bytes to run a model that ships inside the executable, without copying it.
#pragma once

#include <cstdint>
#include <string_view>

// Declares the symbols rwkv7_embed_file(<target> SYMBOL <file>) defines; use at namespace scope.
#define RWKV7_DECLARE_EMBEDDED_FILE(symbol)       \
  extern "C" const unsigned char symbol[];        \
  extern "C" const std::uint64_t symbol##_size;

// The embedded bytes as a string_view (pointer and size), e.g. Model::from_bytes(v.data(), v.size()).
#define RWKV7_EMBEDDED_FILE(symbol) \
  std::string_view(reinterpret_cast<const char*>(symbol), static_cast<std::size_t>(symbol##_size))
