// rwkv7/quant/quantize.hpp — LoadOptions::quant applied to a model's weight view at load.
#pragma once

#include <vector>

#include "../detail/huge_pages.hpp"
#include "../model/weights.hpp"
#include "int8.hpp"

namespace rwkv7 {

// Quantizes the large matrices (the four TimeMix projections, the FFN's, the head) to int8 with one scale per
// output row (symmetric, round to nearest): half the bytes of bf16 per decoded token, and the file's pages of
// each matrix are released once it is converted. LoRA factors, norms and the embedding stay as they are.
// All int8 matrices share one block in 2 MiB pages, laid out in the order a decode step reads them.
inline void quantize_int8(ModelWeights& m) {
  const std::vector<Linear*> order = large_matrices(m);
  auto aligned = [](std::size_t n) { return (n + 63) / 64 * 64; };
  // A variant binds only its own matrices; the others stay empty. Matrices already in a block encoding (GGUF
  // Q8_0, Q4_0, …) are used as stored: requantizing them would only add a second rounding.
  auto converts = [](const Linear& L) { return L.w.data && !L.transposed && L.w.dtype != DType::q8 && !is_block_encoding(L.w.dtype); };
  // Each matrix's bytes are padded to whole blocks of kInt8PackRows rows, so a backend can repack it in place.
  auto matrix_bytes = [&](const Linear& L) {
    const auto padded_rows = (static_cast<std::size_t>(L.out) + detail::kInt8PackRows - 1) / detail::kInt8PackRows * detail::kInt8PackRows;
    return aligned(padded_rows * static_cast<std::size_t>(L.in));
  };
  std::size_t total = 0;
  for (const Linear* L : order)
    if (converts(*L)) total += aligned(static_cast<std::size_t>(L->out) * sizeof(float)) + matrix_bytes(*L);
  // Left uninitialized (every byte used is written below): zeroing it first would add a whole pass over the
  // block before the one that writes it (docs/performance.md, "Kernel evidence").
  auto storage = detail::huge_page_bytes(total);
  std::byte* next = storage.get();
  for (Linear* L : order) {
    if (!converts(*L)) continue;
    const auto rows = static_cast<std::size_t>(L->out), cols = static_cast<std::size_t>(L->in);
    auto* scale = reinterpret_cast<float*>(next);
    auto* q = reinterpret_cast<std::int8_t*>(next + aligned(rows * sizeof(float)));
    next += aligned(rows * sizeof(float)) + matrix_bytes(*L);
    std::size_t done = 0;
    switch (L->w.dtype) {
      case DType::f32: done = detail::quantize_rows<detail::LoadF32>(L->w.data, rows, cols, scale, q); break;
      case DType::bf16: done = detail::quantize_rows<detail::LoadBF16>(L->w.data, rows, cols, scale, q); break;
      case DType::f16: done = detail::quantize_rows<detail::LoadF16>(L->w.data, rows, cols, scale, q); break;
      default: detail::fail(Errc::dtype, "quantize_int8: a matrix with an unsupported dtype");
    }
    if (done < rows)
      detail::fail(Errc::format, m.table.file() + ": tensor " + detail::in_quotes(L->w.name) + ": row " + std::to_string(done) +
                                     " holds a NaN or an infinity; it cannot be quantized");
    if (L->w.data != m.emb.data)  // a head tied to the embedding leaves the embedding in use
      m.table.release(L->w.data, encoded_bytes(L->w.dtype, rows * cols));  // the int8 copy replaces it
    L->w.dtype = DType::q8;
    L->w.data = reinterpret_cast<const std::byte*>(q);
    L->row_scale = scale;
  }
  m.owned.push_back(storage);
  if (total > 0) m.config.dtype = "int8";
}

}  // namespace rwkv7
