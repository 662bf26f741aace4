// rwkv7/kernels/matmul.hpp — Y = W X over fp32/fp16/bf16 weights read in place from the file, for one
// or several columns (tokens of a chunk, or one token of each of several sequences). Decoding reads every
// weight once per token, so this is where the time goes; with several columns each weight row is read once
// from memory and reused from cache for every column.
//
// Two kernel sets: ExactKernels (plain C++, the reference the fast path is tested against) and SimdKernels
// (xsimd). Each output row is computed by one thread with one fixed summation order, so results do not depend
// on the thread count or on how columns are batched.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <span>
#include <type_traits>
#include <vector>

#include "../detail/cache_aligned.hpp"
#include "../detail/isa.hpp"
#include "../detail/thread_pool.hpp"
#include "../io/tensor.hpp"
#include "../quant/blocks.hpp"
#include "../quant/int8.hpp"
#include "../quant/widen.hpp"
#include "block_products.hpp"
#include "int8_products.hpp"
#include "lanes.hpp"
#include "packed_bf16.hpp"
#include "simd_dot.hpp"
#include "wkv7.hpp"

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

struct ExactKernels {
  // Sixteen partial sums in a fixed order; no reassociation by the compiler (no -ffast-math needed).
  template <class Load, class Act>
  static float dot(const std::byte* row, const Act* x, std::size_t in) {
    constexpr std::size_t kLanes = 16;
    float acc[kLanes] = {};
    std::size_t i = 0;
    for (; i + kLanes <= in; i += kLanes)
      for (std::size_t l = 0; l < kLanes; ++l) acc[l] = Load::at(row, i + l) * activation(x, i + l) + acc[l];
    float tail = 0.0f;
    for (; i < in; ++i) tail = Load::at(row, i) * activation(x, i) + tail;
    float sum = 0.0f;
    for (std::size_t l = 0; l < kLanes; ++l) sum += acc[l];
    return sum + tail;
  }
  template <class Load, std::size_t C>
  static void transposed_tile(const std::byte* w, std::size_t in, std::size_t out, const float* const* xs, float* const* ys) {
    for (std::size_t c = 0; c < C; ++c) {
      std::fill(ys[c], ys[c] + out, 0.0f);
      for (std::size_t i = 0; i < in; ++i)
        for (std::size_t o = 0; o < out; ++o) ys[c][o] = Load::at(w + i * out * Load::size, o) * xs[c][i] + ys[c][o];
    }
  }
  template <class Load, std::size_t R, std::size_t C, class Act>
  static void dot_tile(const std::byte* const* rows, const Act* const* xs, std::size_t in, float* out) {
    for (std::size_t r = 0; r < R; ++r)
      for (std::size_t c = 0; c < C; ++c) out[r * C + c] = dot<Load>(rows[r], xs[c], in);
  }
  template <class Block, std::size_t R, std::size_t C>
  static void block_tile(const std::byte* const* rows, const float* const* xs, std::size_t in, float* out) {
    for (std::size_t r = 0; r < R; ++r)
      for (std::size_t c = 0; c < C; ++c) out[r * C + c] = block_dot_exact<Block>(rows[r], xs[c], in);
  }
  static constexpr auto wkv7_step = detail::wkv7_step;
  template <class Load>
  static constexpr std::size_t decode_rows = 4;
  template <class Load, class Act>
  static constexpr std::size_t tile_columns = 4;
  static constexpr bool kPackedBf16 = false;
  static constexpr bool kUnpackedBf16 = false;
  static constexpr bool kInt8Packed = false;
  template <class F>
  static void elementwise(std::size_t n, F&& f) { each_scalar(n, f); }
};

#if RWKV7_SIMD
struct SimdKernels {
  template <class Load, std::size_t R, std::size_t C, class Act>
  static void dot_tile(const std::byte* const* rows, const Act* const* xs, std::size_t in, float* out) {
    simd::dot_tile<Load, R, C>(rows, xs, in, out);
  }
  template <class Load, std::size_t C>
  static void transposed_tile(const std::byte* w, std::size_t in, std::size_t out, const float* const* xs, float* const* ys) {
    simd::transposed_tile<Load, C>(w, in, out, xs, ys);
  }
  template <class Block, std::size_t R, std::size_t C>
  static void block_tile(const std::byte* const* rows, const float* const* xs, std::size_t in, float* out) {
    simd::block_tile<Block, R, C>(rows, xs, in, out);
  }
  static constexpr auto wkv7_step = detail::wkv7_step_simd;
  template <class Load>
  static constexpr std::size_t decode_rows = simd::kDecodeRows<Load>;
  template <class Load, class Act>
  static constexpr std::size_t tile_columns = simd::kRowTileColumns<Load, Act>;
  template <class Load, class Act>
  static void dot_rows(const std::byte* w, std::size_t stride, std::size_t count, const Act* x, const float* permuted, std::size_t in, float* y) {
    simd::dot_rows<Load>(w, stride, count, x, permuted, in, y);
  }
#if defined(__AVX512BF16__)
  static constexpr bool kPackedBf16 = true;
  static constexpr std::size_t kPackedRows = simd::kPackedRows, kPackedColumns = simd::kPackedColumns;
  static constexpr std::size_t kPackedMinColumns = simd::kPackedMinColumns;
  static_assert(kPackedRows == kInt8PackRows, "MatMul::subset_by_blocks takes one block size");
  static constexpr auto pack_rows = simd::pack_rows;
  static constexpr auto pack_matrix = simd::pack_matrix;
  static constexpr auto packed_matrix_words = simd::packed_matrix_words;
  template <std::size_t C>
  static void packed_tile(const std::uint32_t* packed, std::size_t pairs, const std::uint16_t* const* xs, float* const* ys, std::size_t live) {
    simd::packed_tile<C>(packed, pairs, xs, ys, live);
  }
#else
  static constexpr bool kPackedBf16 = false;
#endif
#if defined(__AVX512F__)
  // Exact products over bf16 weights sum in the unpacks' lane order (see dot_rows_bf16_unpacked and
  // widened_tile), with the activations permuted once per product by permute_rounds.
  static constexpr bool kUnpackedBf16 = true;
  static constexpr auto permute_rounds = simd::permute_rounds;
  static constexpr auto widen_rounds = simd::widen_rounds;
  static constexpr std::size_t kRound = simd::kRound;
  template <std::size_t R, std::size_t C>
  static void widened_tile(const float* const* wide, const float* const* xps, std::size_t first, std::size_t last, float* sums,
                           const std::byte* const* rows, const float* const* xs, std::size_t in, float* out) {
    simd::widened_tile<R, C>(wide, xps, first, last, reinterpret_cast<__m512*>(sums), rows, xs, in, out);
  }
#else
  static constexpr bool kUnpackedBf16 = false;
#endif
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
  static constexpr bool kInt8Packed = true;
  static constexpr std::size_t kInt8PackedColumns = simd::kInt8PackedColumns;
  static constexpr std::size_t kInt8PackedRows = simd::kPackedRows;
  static_assert(kInt8PackedRows == kInt8PackRows, "MatMul::subset_by_blocks takes one block size");
  static constexpr auto pack_int8_rows = simd::pack_rows;  // 4 bytes of a row are one word, as 2 bf16 are
  static constexpr auto flip_packed = simd::flip_packed;
  template <std::size_t C>
  static void int8_packed_tile(const std::uint32_t* packed, const Int8Columns& x, std::size_t c0, float* const* ys, std::size_t live) {
    simd::int8_packed_tile<C>(packed, x, c0, ys, live);
  }
#else
  static constexpr bool kInt8Packed = false;  // the plain loops (int8 activations pay off with VNNI only)
#endif
  template <class F>
  static void elementwise(std::size_t n, F&& f) { each_vector(n, f); }
};
#else
using SimdKernels = ExactKernels;  // no SIMD instruction set here: the reference kernels are the fast path
#endif

template <class F>
inline void with_loader(DType t, F&& f) {
  switch (t) {
    case DType::f32: f(LoadF32{}); break;
    case DType::bf16: f(LoadBF16{}); break;
    case DType::f16: f(LoadF16{}); break;
    case DType::q8: f(LoadQ8{}); break;
    case DType::q8_0:
    case DType::q4_0:
    case DType::q4_1:
    case DType::q5_0:
    case DType::q5_1:
    case DType::q4_k:
    case DType::q5_k:
    case DType::q6_k:
    case DType::unsupported: fail(Errc::dtype, std::string("a tensor encoded as ") + dtype_name(t) + " reached a kernel");
  }
}

// Buffers one thread's share of a product keeps between calls (growing them per product would cost page faults
// that outweigh the work). Owned by whoever owns the call's scratch, one per thread of its executor.
struct KernelScratch {
  CacheAlignedVector<float> wide, sums;  // widened bf16 rows and partial sums (exact chunk products)
  std::vector<std::uint32_t> packed;     // repacked bf16 or int8 rows (bf16- or int8-activation chunk products)
};

template <class K>
struct MatMul {
  Executor exec;
  // One per thread of exec; products whose kernels keep no buffers (one column, int8, fp32) do not touch it.
  KernelScratch* scratch = nullptr;
  // Activations::bf16: activations entering products with bf16 weights are rounded to bf16 here (AVX512-BF16 then
  // multiplies them at twice the fp32 rate). Null for exact fp32 activations.
  CacheAlignedVector<std::uint16_t>* bf16_activations = nullptr;
  // Where exact products over bf16 weights keep their activations permuted into the unpacks' lane order (null:
  // the widening-load kernels, the same bits).
  CacheAlignedVector<float>* permuted_activations = nullptr;
  // Activations::int8: activations entering products with int8 weights are quantized here (int8_products.hpp).
  // Null for fp32 activations.
  Int8ActivationBuffer* int8_activations = nullptr;

  // One product's output rows as work that any thread can take a range of: the kernel input (x, or x rounded to
  // bf16) and the routine that computes rows [begin, end) for all n columns. Ranges start on multiples of grain.
  struct Rows {
    const Linear* m;
    const void* x;
    std::size_t n;
    float* y;
    std::size_t count, work, grain;  // output rows; multiply-adds per row
    void (*run)(const Rows&, std::size_t begin, std::size_t end, KernelScratch* scratch);
    const float* permuted = nullptr;  // x through K::permute_rounds, column by column, where the kernels take it
    Int8Columns quantized{};          // x quantized, where the kernels take int8 activations
    void operator()(std::size_t begin, std::size_t end, KernelScratch* scratch) const { run(*this, begin, end, scratch); }
  };
  struct Product {
    const Linear& m;
    const float* x;
    float* y;
  };

  // Y[c] = W X[c] for n packed columns (X: n × in, Y: n × out).
  void operator()(const Linear& m, const float* x, std::size_t n, float* y) const {
    if (m.transposed) return transposed(m, x, n, y);
    Buffers buffers = reserve(static_cast<std::size_t>(m.in) * n, int8_blocks(static_cast<std::size_t>(m.in)) * n);
    const Rows r = rows_of(m, x, n, y, buffers);
    exec.parallel_indexed(r.count, r.work, [&](std::size_t begin, std::size_t end, unsigned t) { r(begin, end, thread_scratch(t)); }, r.grain);
  }

  // Independent products over the same n columns, and `items` other independent pieces of work of about
  // `item_work` multiply-adds each (item(i) does piece i), as one parallel job. A decode step is a string of
  // short jobs, and each costs a fork and a join (a cache line crossing cores each way; docs/performance.md,
  // "Kernel evidence") besides the threads' uneven finish; a layer's r, k and v products and its four LoRA gates
  // share one.
  template <class Item>
  void together(std::initializer_list<Product> products, std::size_t n, std::size_t items, std::size_t item_work, Item&& item) const {
    constexpr std::size_t kMaxProducts = 4;
    if (products.size() > kMaxProducts) fail(Errc::argument, "MatMul::together: too many products");
    std::size_t values = 0, blocks = 0;
    for (const Product& p : products) values += static_cast<std::size_t>(p.m.in) * n, blocks += int8_blocks(static_cast<std::size_t>(p.m.in)) * n;
    Buffers buffers = reserve(values, blocks);
    Rows rows[kMaxProducts];
    std::size_t count = 0, grain = 1, work = items * item_work;
    for (const Product& p : products) {
      if (p.m.transposed) fail(Errc::argument, "MatMul::together: a product in [in, out] storage");
      rows[count] = rows_of(p.m, p.x, n, p.y, buffers);
      grain = std::max(grain, rows[count].grain);  // grains are 1, 4 or 32: the largest is a multiple of the others
      work += rows[count].count * rows[count].work;
      ++count;
    }
    // One index space: each item takes `grain` units (the range holding its first unit runs it), then each
    // product's rows, padded to a multiple of grain so that every range of them starts on one.
    std::size_t first[kMaxProducts + 1];
    first[0] = items * grain;
    for (std::size_t p = 0; p < count; ++p) first[p + 1] = first[p] + (rows[p].count + grain - 1) / grain * grain;
    const std::size_t units = first[count];
    if (units == 0) return;
    exec.parallel_indexed(units, (work + units - 1) / units, [&](std::size_t begin, std::size_t end, unsigned t) {
      for (std::size_t i = (begin + grain - 1) / grain; i * grain < std::min(end, first[0]); ++i) item(i);
      for (std::size_t p = 0; p < count; ++p) {
        const std::size_t lo = std::max(begin, first[p]), hi = std::min(end, first[p] + rows[p].count);
        if (lo < hi) rows[p](lo - first[p], hi - first[p], thread_scratch(t));
      }
    }, grain);
  }

  // Only the listed output rows (a partial LM head) for one column: y[j] = (W x)[ids[j]].
  void subset(const Linear& m, const float* x, std::span<const std::uint32_t> ids, float* y) const {
    const auto in = static_cast<std::size_t>(m.in);
    auto row_of = [&](std::size_t k) { return std::size_t{ids[k]}; };
    const bool blocks = with_block_loader(m.w.dtype, [&](auto load) {
      exec.parallel(ids.size(), in, [&](std::size_t begin, std::size_t end) {
        block_rows<typename decltype(load)::Encoding>(m.w.data, in, x, 1, row_of, y, ids.size(), begin, end);
      }, kTileRows);
    });
    if (blocks) return;
    with_loader(m.w.dtype, [&](auto load) {
      using Load = decltype(load);
      auto run = [&](const auto* xk) {
        exec.parallel(ids.size(), in, [&](std::size_t begin, std::size_t end) {
          tiles<Load, kTileRows>(m.w.data, m.row_scale, in, xk, 1, row_of, y, ids.size(), begin, end);
        }, kTileRows);
      };
      if constexpr (std::is_same_v<Load, LoadBF16>) {
        if (m.packed) return packed_subset(m, x, ids, y);
        if (std::uint16_t* rounded = reserve(in, 0).rounded) return run(round_to_bf16(x, in, rounded));
      }
      if constexpr (std::is_same_v<Load, LoadQ8>) {
        if (int8_activations) {
          const Buffers b = reserve(in, int8_blocks(in));
          const Int8Columns q = quantize_columns(x, 1, in, b.q, b.scale, b.offset);
          if (m.packed) return int8_packed_subset(m, q, ids, y);
          return exec.parallel(ids.size(), in, [&](std::size_t begin, std::size_t end) {
            for (std::size_t k = begin; k < end; ++k) {
              int8_rows_exact(m.w.data + std::size_t{ids[k]} * in, in, 1, q, 0, y + k);
              y[k] *= m.row_scale[ids[k]];
            }
          });
        }
      }
      run(x);
    });
  }

 private:
  // Scattered rows (a partial LM head) and chunks go in tiles of kTileRows × the kernel set's tile_columns (4,
  // or 3 where each row is summed in two chains): each weight vector loaded serves every column of the tile and
  // each activation vector 4 rows. A single column (decoding) is memory-bound; how many rows its tiles take is
  // the kernel set's decode_rows (see simd_dot.hpp). The LoRA factors go in tiles of kTileColumns.
  static constexpr std::size_t kTileRows = 4, kTileColumns = 4;

  // The scratch of thread t; kernels that keep buffers only run where the caller gave some (a MatMul without
  // scratch has no rounding or permuting buffers either, so it never picks them).
  KernelScratch* thread_scratch(unsigned t) const { return scratch ? scratch + t : nullptr; }

  // Where this call's activations go, each product's after the previous one's: rounded to bf16, permuted, or
  // quantized to int8 (null where this MatMul has no such buffer). Reserved for all of a call's products before
  // any is written, so no later growth moves an earlier product's.
  struct Buffers {
    std::uint16_t* rounded;
    float* permuted;
    std::int8_t* q;
    float* scale;
    std::int32_t* offset;
  };
  Buffers reserve(std::size_t values, std::size_t blocks) const {
    Buffers b{};
    if (bf16_activations) {
      if (bf16_activations->size() < values) bf16_activations->resize(values);
      b.rounded = bf16_activations->data();
    }
    if (permuted_activations) {
      if (permuted_activations->size() < values) permuted_activations->resize(values);
      b.permuted = permuted_activations->data();
    }
    if (int8_activations) {
      int8_activations->reserve(values, blocks);
      b.q = int8_activations->q.data(), b.scale = int8_activations->scale.data(), b.offset = int8_activations->offset.data();
    }
    return b;
  }

  static const std::uint16_t* round_to_bf16(const float* x, std::size_t count, std::uint16_t* out) {
    for (std::size_t i = 0; i < count; ++i) out[i] = float_to_bf16(x[i]);
    return out;
  }

  // Prepares m's product with x for row ranges: rounds x into `rounded` where the kernels take bf16 activations
  // (bf16 weights and a rounding buffer), or permutes x into `permuted` for the unpacks' lane order (bf16 weights,
  // fp32 activations; once per product, whatever the threads' ranges), and picks the routine for this weight type and column count.
  // The buffers' pointers then move past this product's part.
  Rows rows_of(const Linear& m, const float* x, std::size_t n, float* y, Buffers& buffers) const {
    if ((buffers.rounded || buffers.permuted || buffers.q) && !scratch) fail(Errc::argument, "MatMul: activation buffers without per-thread scratch");
    const auto in = static_cast<std::size_t>(m.in);
    Rows r{&m, x, n, y, static_cast<std::size_t>(m.out), in * n, 1, nullptr};
    std::uint16_t* rounded = buffers.rounded;
    float* permuted = buffers.permuted;
    const Buffers mine = buffers;
    if (buffers.rounded) buffers.rounded += in * n;
    if (buffers.permuted) buffers.permuted += in * n;
    if (buffers.q) {
      const std::size_t blocks = int8_blocks(in) * n;
      buffers.q += in * n, buffers.scale += blocks, buffers.offset += blocks;
    }
    // Block-encoded weights take fp32 activations whatever the buffers offer (the blocks' scales are fp32 work).
    if (with_block_loader(m.w.dtype, [&](auto load) { r.run = &block_range<typename decltype(load)::Encoding>; })) {
      r.grain = kTileRows;
      return r;
    }
    if (m.packed && !(m.w.dtype == DType::q8 ? mine.q != nullptr : rounded != nullptr)) fail(Errc::argument, "MatMul: packed weights without the activations their kernels take");
    with_loader(m.w.dtype, [&](auto load) {
      using Load = decltype(load);
      if constexpr (std::is_same_v<Load, LoadQ8>) {
        if (mine.q) {
          r.quantized = quantize_columns(x, n, in, mine.q, mine.scale, mine.offset);
          return choose_int8(r);
        }
      }
      if constexpr (std::is_same_v<Load, LoadBF16>) {
        if (rounded) {
          r.x = round_to_bf16(x, n * in, rounded);
          return choose<Load, std::uint16_t>(r);
        }
        if constexpr (K::kUnpackedBf16) {
          if (permuted) {
            for (std::size_t c = 0; c < n; ++c) K::permute_rounds(x + c * in, in, permuted + c * in);
            r.permuted = permuted;
          }
        }
      }
      choose<Load, float>(r);
    });
    return r;
  }

  // Rows of a matrix the backend packed (Linear::packed): each 32-row block they fall in is computed whole, and
  // the rows asked for are taken from it (times their scales, int8), so they are the bits the full product gives.
  // block_of(first, live, out) computes the block of rows [first, first + live).
  template <class BlockOf>
  void subset_by_blocks(const Linear& m, std::span<const std::uint32_t> ids, float* y, BlockOf&& block_of) const {
    constexpr std::size_t kRows = kInt8PackRows;  // the packed layouts' block (static_asserts in the kernel sets)
    exec.parallel(ids.size(), static_cast<std::size_t>(m.in), [&](std::size_t begin, std::size_t end) {
      float block[kRows];
      std::size_t computed = static_cast<std::size_t>(-1);
      for (std::size_t k = begin; k < end; ++k) {
        const std::size_t first = ids[k] / kRows * kRows;
        if (first != computed) {
          block_of(first, std::min(kRows, static_cast<std::size_t>(m.out) - first), block);
          computed = first;
        }
        y[k] = m.row_scale ? block[ids[k] - first] * m.row_scale[ids[k]] : block[ids[k] - first];
      }
    });
  }
  void packed_subset(const Linear& m, const float* x, std::span<const std::uint32_t> ids, float* y) const {
    if constexpr (K::kPackedBf16) {
      const auto in = static_cast<std::size_t>(m.in);
      const std::uint16_t* rounded = round_to_bf16(x, in, rounded_for_packed(in));
      subset_by_blocks(m, ids, y, [&](std::size_t first, std::size_t live, float* block) {
        float* ys[1] = {block};
        K::template packed_tile<1>(packed_block(m, first), in / 2, &rounded, ys, live);
      });
    } else {
      fail(Errc::argument, "MatMul: packed bf16 weights reached kernels that do not read them");
    }
  }
  void int8_packed_subset(const Linear& m, const Int8Columns& x, std::span<const std::uint32_t> ids, float* y) const {
    if constexpr (K::kInt8Packed) {
      subset_by_blocks(m, ids, y, [&](std::size_t first, std::size_t live, float* block) {
        float* ys[1] = {block};
        K::template int8_packed_tile<1>(int8_packed_block(m, first), x, 0, ys, live);
      });
    } else {
      fail(Errc::argument, "MatMul: packed int8 weights reached kernels that do not read them");
    }
  }
  std::uint16_t* rounded_for_packed(std::size_t values) const {
    std::uint16_t* rounded = reserve(values, 0).rounded;
    if (!rounded) fail(Errc::argument, "MatMul: packed bf16 weights without bf16 activations");
    return rounded;
  }
  // The packed block holding rows [first, first + 32): 2 bf16 or 4 int8 inputs a word.
  static const std::uint32_t* packed_block(const Linear& m, std::size_t first) {
    return reinterpret_cast<const std::uint32_t*>(m.w.data) + first * (static_cast<std::size_t>(m.in) / 2);
  }
  static const std::uint32_t* int8_packed_block(const Linear& m, std::size_t first) {
    return reinterpret_cast<const std::uint32_t*>(m.w.data) + first * (static_cast<std::size_t>(m.in) / 4);
  }

  // int8 activations (so int8 weights): where the CPU has VNNI, weights the backend packed go through their blocks
  // and others through blocks repacked here; else (or for inputs that are not a multiple of 4) the plain loops.
  void choose_int8(Rows& r) const {
    if constexpr (K::kInt8Packed) {
      if (r.m->packed) {
        r.run = &int8_prepacked_range;
        r.grain = K::kInt8PackedRows;
        return;
      }
      if (r.m->in % 4 == 0) {
        r.run = &int8_packed_range;
        r.grain = K::kInt8PackedRows;
        return;
      }
    }
    r.run = &int8_rows_range;
  }

  static void int8_rows_range(const Rows& r, std::size_t begin, std::size_t end, KernelScratch*) {
    const auto in = static_cast<std::size_t>(r.m->in);
    for (std::size_t c = 0; c < r.n; ++c) {
      float* y = r.y + c * r.count;
      int8_rows_exact(r.m->w.data + begin * in, in, end - begin, r.quantized, c, y + begin);
      for (std::size_t k = begin; k < end; ++k) y[k] *= r.m->row_scale[k];
    }
  }

  static void int8_packed_range(const Rows& r, std::size_t begin, std::size_t end, KernelScratch* scratch) {
    if constexpr (K::kInt8Packed) {
      const auto in = static_cast<std::size_t>(r.m->in);
      const std::size_t words = in / 4;
      std::vector<std::uint32_t>& packed = scratch->packed;
      if (packed.size() < words * K::kInt8PackedRows) packed.resize(words * K::kInt8PackedRows);
      for (std::size_t k = begin; k < end; k += K::kInt8PackedRows) {
        const std::size_t live = std::min(K::kInt8PackedRows, end - k);
        const std::byte* tile_rows[K::kInt8PackedRows];
        for (std::size_t j = 0; j < live; ++j) tile_rows[j] = r.m->w.data + (k + j) * in;
        K::pack_int8_rows(tile_rows, live, words, packed.data());
        K::flip_packed(packed.data(), words * K::kInt8PackedRows);
        int8_block_columns(r, packed.data(), k, live);
      }
    }
  }
  static void int8_prepacked_range(const Rows& r, std::size_t begin, std::size_t end, KernelScratch*) {
    if constexpr (K::kInt8Packed) {
      for (std::size_t k = begin; k < end; k += K::kInt8PackedRows)
        int8_block_columns(r, int8_packed_block(*r.m, k), k, std::min(K::kInt8PackedRows, end - k));
    }
  }
  // Every column of r against the packed block of rows [k, k + live), scaled by the rows' scales.
  static void int8_block_columns(const Rows& r, const std::uint32_t* block, std::size_t k, std::size_t live) {
    if constexpr (K::kInt8Packed) {
      for_column_tiles<K::kInt8PackedColumns>(r.n, [&](std::size_t c, auto width) {
        constexpr std::size_t Cw = decltype(width)::value;
        float* ys[Cw];
        for (std::size_t j = 0; j < Cw; ++j) ys[j] = r.y + (c + j) * r.count + k;
        K::template int8_packed_tile<Cw>(block, r.quantized, c, ys, live);
      });
      for (std::size_t c = 0; c < r.n; ++c)
        for (std::size_t j = 0; j < live; ++j) r.y[c * r.count + k + j] *= r.m->row_scale[k + j];
    }
  }

  // Chunks of bf16 activations (so bf16 weights) take the packed kernels where the CPU has them; one column takes
  // rows one at a time where the kernel set streams them so (decode_rows 1, see simd_dot.hpp); else row tiles.
  template <class Load, class Act>
  static void choose(Rows& r) {
    if constexpr (K::kPackedBf16 && std::is_same_v<Act, std::uint16_t>) {
      if (r.m->packed) {
        r.run = &prepacked_range;
        r.grain = K::kPackedRows;
        return;
      }
      if (r.n >= K::kPackedMinColumns && r.m->in % 2 == 0) {
        r.run = &packed_range;
        r.grain = K::kPackedRows;
        return;
      }
    }
    if (r.n == 1) {
      if constexpr (K::template decode_rows<Load> == 1) {
        r.run = &decode_range<Load, Act>;
      } else {
        r.run = &tile_range<Load, K::template decode_rows<Load>, Act>;
        r.grain = K::template decode_rows<Load>;
      }
      return;
    }
    r.run = &tile_range<Load, kTileRows, Act>;
    if constexpr (K::kUnpackedBf16 && std::is_same_v<Load, LoadBF16> && std::is_same_v<Act, float>) {
      if (r.permuted) r.run = &widened_range;
    }
    r.grain = kTileRows;
  }

  // [in, out] storage (LoRA factors, small): threads take whole column tiles.
  void transposed(const Linear& m, const float* x, std::size_t n, float* y) const {
    const auto in = static_cast<std::size_t>(m.in), out = static_cast<std::size_t>(m.out);
    with_loader(m.w.dtype, [&](auto load) {
      using Load = decltype(load);
      const std::size_t column_tiles = (n + kTileColumns - 1) / kTileColumns;
      exec.parallel(column_tiles, kTileColumns * in * out, [&](std::size_t t0, std::size_t t1) {
        const std::size_t first = t0 * kTileColumns, last = std::min(n, t1 * kTileColumns);
        for_column_tiles<kTileColumns>(last - first, [&](std::size_t c, auto width) {
          constexpr std::size_t Cw = decltype(width)::value;
          const float* xs[Cw];
          float* ys[Cw];
          for (std::size_t j = 0; j < Cw; ++j) xs[j] = x + (first + c + j) * in, ys[j] = y + (first + c + j) * out;
          K::template transposed_tile<Load, Cw>(m.w.data, in, out, xs, ys);
        });
      });
    });
  }

  // Calls f(first column, width) over n columns in tiles of Columns, then one narrower tile; width is a
  // compile-time constant so the kernels unroll over columns.
  template <std::size_t Columns, class F>
  static void for_column_tiles(std::size_t n, F&& f) {
    std::size_t c = 0;
    for (; c + Columns <= n; c += Columns) f(c, std::integral_constant<std::size_t, Columns>{});
    if (c < n) with_width<Columns - 1>(n - c, [&](auto width) { f(c, width); });
  }
  // f(width) with width == w as a compile-time constant, 1 ≤ w ≤ Max.
  template <std::size_t Max, class F>
  static void with_width(std::size_t w, F&& f) {
    if constexpr (Max >= 1) {
      if (w == Max) f(std::integral_constant<std::size_t, Max>{});
      else with_width<Max - 1>(w, f);
    }
  }

  // One column, rows one at a time: each thread streams its contiguous range.
  template <class Load, class Act>
  static void decode_range(const Rows& r, std::size_t begin, std::size_t end, KernelScratch*) {
    const auto in = static_cast<std::size_t>(r.m->in);
    K::template dot_rows<Load>(r.m->w.data + begin * in * Load::size, in * Load::size, end - begin, static_cast<const Act*>(r.x), r.permuted, in,
                               r.y + begin);
    if (r.m->row_scale)
      for (std::size_t k = begin; k < end; ++k) r.y[k] *= r.m->row_scale[k];
  }

  template <class Load, std::size_t R, class Act>
  static void tile_range(const Rows& r, std::size_t begin, std::size_t end, KernelScratch*) {
    tiles<Load, R>(r.m->w.data, r.m->row_scale, static_cast<std::size_t>(r.m->in), static_cast<const Act*>(r.x), r.n,
                   identity, r.y, r.count, begin, end);
  }

  // Exact chunk products of bf16 rows (simd::widened_tile): rows [begin, end) in groups of kWidenedTiles tiles of
  // kTileRows. For each block of kWidenedRounds rounds the group's rows are widened once into a per-thread buffer,
  // then each column tile runs the block for every tile of the group, so its activations are loaded from L2 once
  // for the group. Rows longer than a block keep each tile's sums between blocks in another per-thread buffer.
  // Two tiles a group and blocks of 24 rounds (3 KiB of fp32 a row) were the fastest of the sizes tried
  // (docs/performance.md, "Kernel evidence"); at 32 rounds the 4 KiB stride between the buffer's rows aliases in L1.
  static constexpr std::size_t kWidenedTiles = 2, kWidenedRounds = 24;
  static void widened_range(const Rows& r, std::size_t begin, std::size_t end, KernelScratch* scratch) {
    if constexpr (K::kUnpackedBf16) {
      constexpr std::size_t R = kTileRows, Cmax = K::template tile_columns<LoadBF16, float>, G = kWidenedTiles, B = kWidenedRounds;
      constexpr std::size_t kSumFloats = 2 * R * Cmax * 16;  // one tile's sums: 2·R·C vectors of 16
      const auto in = static_cast<std::size_t>(r.m->in);
      const std::size_t rounds = in / K::kRound, column_tiles = (r.n + Cmax - 1) / Cmax;
      const auto* x = static_cast<const float*>(r.x);
      CacheAlignedVector<float>& wide = scratch->wide;
      CacheAlignedVector<float>& sums = scratch->sums;
      if (wide.size() < G * R * B * K::kRound) wide.resize(G * R * B * K::kRound);
      if (rounds > B && sums.size() < G * column_tiles * kSumFloats) sums.resize(G * column_tiles * kSumFloats);
      for (std::size_t g = begin; g < end; g += G * R) {
        const std::size_t tiles = std::min(G, (end - g + R - 1) / R);
        const std::byte* rows[G][R];
        float* wides[G][R];
        for (std::size_t t = 0; t < tiles; ++t)
          for (std::size_t j = 0; j < R; ++j) {
            rows[t][j] = r.m->w.data + std::min(g + t * R + j, end - 1) * in * 2;  // the last tile repeats its final row
            wides[t][j] = wide.data() + (t * R + j) * B * K::kRound;
          }
        for (std::size_t first = 0;; first += B) {
          const std::size_t last = std::min(rounds, first + B);
          for (std::size_t t = 0; t < tiles; ++t)
            for (std::size_t j = 0; j < R; ++j) K::widen_rounds(rows[t][j], first, last - first, wides[t][j]);
          for_column_tiles<Cmax>(r.n, [&](std::size_t c, auto width) {
            constexpr std::size_t Cw = decltype(width)::value;
            const float *xs[Cw], *xps[Cw];
            for (std::size_t j = 0; j < Cw; ++j) xs[j] = x + (c + j) * in, xps[j] = r.permuted + (c + j) * in + first * K::kRound;
            for (std::size_t t = 0; t < tiles; ++t) {
              float tile[R * Cw];
              K::template widened_tile<R, Cw>(wides[t], xps, first, last, sums.data() + (t * column_tiles + c / Cmax) * kSumFloats, rows[t], xs, in, tile);
              const std::size_t k = g + t * R;
              if (last == rounds) store_tile<Cw>(tile, std::min(R, end - k), r.m->row_scale, identity, k, c, r.y, r.count);
            }
          });
          if (last >= rounds) break;
        }
      }
    }
  }

  // Chunk products of bf16 weights and bf16 activations through repacked row blocks (packed_bf16.hpp); a block's
  // results do not depend on where it starts.
  static void packed_range(const Rows& r, std::size_t begin, std::size_t end, KernelScratch* scratch) {
    const auto in = static_cast<std::size_t>(r.m->in);
    const std::size_t pairs = in / 2;
    const auto* x = static_cast<const std::uint16_t*>(r.x);
    std::vector<std::uint32_t>& packed = scratch->packed;
    if (packed.size() < pairs * K::kPackedRows) packed.resize(pairs * K::kPackedRows);
    for (std::size_t k = begin; k < end; k += K::kPackedRows) {
      const std::size_t live = std::min(K::kPackedRows, end - k);
      const std::byte* tile_rows[K::kPackedRows];
      for (std::size_t j = 0; j < live; ++j) tile_rows[j] = r.m->w.data + (k + j) * in * 2;
      K::pack_rows(tile_rows, live, pairs, packed.data());
      for_column_tiles<K::kPackedColumns>(r.n, [&](std::size_t c, auto width) {
        constexpr std::size_t Cw = decltype(width)::value;
        const std::uint16_t* xs[Cw];
        float* ys[Cw];
        for (std::size_t j = 0; j < Cw; ++j) xs[j] = x + (c + j) * in, ys[j] = r.y + (c + j) * r.count + k;
        K::template packed_tile<Cw>(packed.data(), pairs, xs, ys, live);
      });
    }
  }

  // Products over a matrix the backend packed at load (Linear::packed), one column or many.
  static void prepacked_range(const Rows& r, std::size_t begin, std::size_t end, KernelScratch*) {
    if constexpr (K::kPackedBf16) {
      const auto in = static_cast<std::size_t>(r.m->in);
      const auto* x = static_cast<const std::uint16_t*>(r.x);
      for (std::size_t k = begin; k < end; k += K::kPackedRows) {
        const std::size_t live = std::min(K::kPackedRows, end - k);
        for_column_tiles<K::kPackedColumns>(r.n, [&](std::size_t c, auto width) {
          constexpr std::size_t Cw = decltype(width)::value;
          const std::uint16_t* xs[Cw];
          float* ys[Cw];
          for (std::size_t j = 0; j < Cw; ++j) xs[j] = x + (c + j) * in, ys[j] = r.y + (c + j) * r.count + k;
          K::template packed_tile<Cw>(packed_block(*r.m, k), in / 2, xs, ys, live);
        });
      }
    }
  }

  // Block-encoded weights (block_products.hpp): output rows [begin, end) in tiles of kTileRows × kTileColumns,
  // the last row tile repeating its final row.
  template <class Block>
  static void block_range(const Rows& r, std::size_t begin, std::size_t end, KernelScratch*) {
    block_rows<Block>(r.m->w.data, static_cast<std::size_t>(r.m->in), static_cast<const float*>(r.x), r.n, identity, r.y, r.count, begin, end);
  }
  template <class Block, class RowOf>
  static void block_rows(const std::byte* w, std::size_t in, const float* x, std::size_t n, RowOf row_of, float* y, std::size_t ld_y,
                         std::size_t begin, std::size_t end) {
    const std::size_t row_bytes = in / Block::kElements * Block::kBytes;
    for (std::size_t k = begin; k < end; k += kTileRows) {
      const std::size_t live = std::min(kTileRows, end - k);
      const std::byte* tile_rows[kTileRows];
      for (std::size_t j = 0; j < kTileRows; ++j) tile_rows[j] = w + row_of(k + std::min(j, live - 1)) * row_bytes;
      for_column_tiles<kTileColumns>(n, [&](std::size_t c, auto width) {
        constexpr std::size_t Cw = decltype(width)::value;
        const float* xs[Cw];
        for (std::size_t j = 0; j < Cw; ++j) xs[j] = x + (c + j) * in;
        float tile[kTileRows * Cw];
        K::template block_tile<Block, kTileRows, Cw>(tile_rows, xs, in, tile);
        store_tile<Cw>(tile, live, nullptr, row_of, k, c, y, ld_y);
      });
    }
  }

  // Writes the first `live` rows of a tile of Cw columns, output rows k, k+1, … (weight rows row_of(k), …) and
  // columns c, c+1, …, into y (ld_y floats a column), times each row's scale where rows carry one (int8).
  template <std::size_t Cw, class RowOf>
  static void store_tile(const float* tile, std::size_t live, const float* row_scale, RowOf row_of, std::size_t k, std::size_t c, float* y,
                         std::size_t ld_y) {
    for (std::size_t i = 0; i < live; ++i) {
      const float scale = row_scale ? row_scale[row_of(k + i)] : 1.0f;
      for (std::size_t j = 0; j < Cw; ++j) y[(c + j) * ld_y + k + i] = tile[i * Cw + j] * scale;
    }
  }
  static constexpr auto identity = [](std::size_t k) { return k; };

  // Output rows [begin, end) in tiles of R; the last tile repeats its final row rather than needing more kernels.
  template <class Load, std::size_t R, class Act, class RowOf>
  static void tiles(const std::byte* w, const float* row_scale, std::size_t in, const Act* x, std::size_t n, RowOf row_of,
                    float* y, std::size_t ld_y, std::size_t begin, std::size_t end) {
    for (std::size_t k = begin; k < end; k += R) {
      const std::size_t live = std::min(R, end - k);
      const std::byte* tile_rows[R];
      for (std::size_t j = 0; j < R; ++j) tile_rows[j] = w + row_of(k + std::min(j, live - 1)) * in * Load::size;
      for_column_tiles<K::template tile_columns<Load, Act>>(n, [&](std::size_t c, auto width) {
        constexpr std::size_t Cw = decltype(width)::value;
        const Act* xs[Cw];
        for (std::size_t j = 0; j < Cw; ++j) xs[j] = x + (c + j) * in;
        float tile[R * Cw];
        K::template dot_tile<Load, R, Cw>(tile_rows, xs, in, tile);
        store_tile<Cw>(tile, live, row_scale, row_of, k, c, y, ld_y);
      });
    }
  }
};

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
