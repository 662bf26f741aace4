// rwkv7/quant/check_finite.hpp — LoadOptions::check_finite: refuses a model holding a NaN or an infinity, which
// would otherwise only show as NaN logits.
#pragma once

#include <cstring>

#include "blocks.hpp"
#include "../model/weights.hpp"

namespace rwkv7 {
namespace detail {

// Index of the first NaN or infinity among n values stored as `dtype` (all-ones exponent), or n if none.
inline std::size_t first_nonfinite(const std::byte* p, std::size_t n, DType dtype) {
  auto scan = [&](auto word, auto exponent) -> std::size_t {
    for (std::size_t i = 0; i < n; ++i) {
      decltype(word) v;
      std::memcpy(&v, p + i * sizeof v, sizeof v);
      if ((v & exponent) == exponent) return i;
    }
    return n;
  };
  switch (dtype) {
    case DType::f32: return scan(std::uint32_t{}, std::uint32_t{0x7f800000u});
    case DType::bf16: return scan(std::uint16_t{}, std::uint16_t{0x7f80u});
    case DType::f16: return scan(std::uint16_t{}, std::uint16_t{0x7c00u});
    default: {
      std::size_t at = n;
      with_block_loader(dtype, [&](auto load) {
        using Block = typename decltype(load)::Encoding;
        const std::size_t blocks = n / Block::kElements, bad = first_nonfinite_block<Block>(p, blocks);
        if (bad < blocks) at = bad * Block::kElements;  // the block's first element: its scale makes them all NaN or infinite
      });
      return at;
    }
  }
}

}  // namespace detail

// Refuses a model any of whose tensors holds a NaN or an infinity (LoadOptions::check_finite).
inline void check_finite(const ModelWeights& m) {
  for (const TensorView& t : m.table.tensors()) {
    const auto n = static_cast<std::size_t>(t.numel());
    const std::size_t at = detail::first_nonfinite(t.data, n, t.dtype);
    if (at < n)
      detail::fail(Errc::format, m.table.file() + ": tensor " + detail::in_quotes(t.name) + ": element " + std::to_string(at) +
                                     " is not finite (NaN or infinity)");
  }
}


}  // namespace rwkv7
