// rwkv7/token.hpp — the token id type shared by tokenizers, the model and the sampler.
#pragma once

#include <cstdint>

namespace rwkv7 {

using Token = std::uint32_t;  // id 0 is end-of-text

}  // namespace rwkv7
