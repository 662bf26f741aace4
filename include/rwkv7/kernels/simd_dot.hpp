// rwkv7/kernels/simd_dot.hpp — the SIMD inner loops of the CPU backend: dot products of a weight row (fp32,
// bf16 or fp16, read in place) with fp32 (or bf16-rounded) activations, as register tiles; and the products with
// [in, out]-stored (LoRA) matrices.
// Arithmetic uses xsimd; widening bf16/fp16 loads use the ISA's own instructions where xsimd has none, with a
// portable fallback. The arch is xsimd::default_arch, i.e. what the compiler flags (-march) allow; where there is
// none (RWKV7_SIMD 0) this header is empty and the reference kernels serve as the fast path.
#pragma once

#include "../quant/int8.hpp"
#include "../quant/widen.hpp"
#include "../detail/isa.hpp"

#if RWKV7_SIMD
#include <type_traits>

#include <xsimd/xsimd.hpp>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace rwkv7::detail::simd {
inline namespace RWKV7_ISA_NAMESPACE {

using Arch = xsimd::default_arch;
using Floats = xsimd::batch<float, Arch>;
constexpr std::size_t kWidth = Floats::size;

// a·b + c rounded once. xsimd 8's AVX-512 arch has no fma of its own and falls back to a*b + c, one instruction
// only where the compiler contracts it, which this project's builds forbid (-ffp-contract=off: contraction
// decided per inlined copy broke chunk/token bit-identity). AVX2 (fma3) and NEON have xsimd's own.
inline Floats fmadd(Floats a, Floats b, Floats c) {
#if defined(__AVX512F__)
  return _mm512_fmadd_ps(a, b, c);
#else
  return xsimd::fma(a, b, c);
#endif
}

// Register tiles are arrays indexed by loops of compile-time length; they must be unrolled so that every
// accumulator lives in a register. GCC unrolls them by itself only at -O3: at -O2 (CMake's RelWithDebInfo) the
// accumulators would stay in memory (docs/performance.md, "Kernel evidence").
#ifndef RWKV7_UNROLL
#define RWKV7_UNROLL _Pragma("GCC unroll 32")
#endif
// For helpers that take or return a register tile: called out of line, the tile goes through memory at every
// call, and the compiler's inlining budget for a large kernel decides that differently from build to build.
#if defined(__GNUC__)
#define RWKV7_TILE_INLINE inline __attribute__((always_inline))
#else
#define RWKV7_TILE_INLINE inline
#endif

// kWidth consecutive elements of a weight row, starting at element i, as fp32.
template <class Load>
inline Floats load(const std::byte* p, std::size_t i) {
  if constexpr (std::is_same_v<Load, LoadF32>) {
    return Floats::load_unaligned(reinterpret_cast<const float*>(p) + i);
  } else if constexpr (std::is_same_v<Load, LoadQ8>) {
#if defined(__AVX512F__)
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))));
#elif defined(__AVX2__)
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + i))));
#else
    alignas(64) float tmp[kWidth];
    for (std::size_t k = 0; k < kWidth; ++k) tmp[k] = Load::at(p, i + k);
    return Floats::load_aligned(tmp);
#endif
  } else {
#if defined(__AVX512F__)  // xsimd's default arch is then 16 floats wide
    const auto* h = reinterpret_cast<const std::uint16_t*>(p) + i;
    __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(h));
    if constexpr (std::is_same_v<Load, LoadBF16>) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(raw), 16));
    else return _mm512_cvtph_ps(raw);
#elif defined(__AVX2__) && defined(__F16C__)  // 8 floats wide
    const auto* h = reinterpret_cast<const std::uint16_t*>(p) + i;
    __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h));
    if constexpr (std::is_same_v<Load, LoadBF16>) return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(raw), 16));
    else return _mm256_cvtph_ps(raw);
#elif defined(__aarch64__)  // NEON: 4 floats wide
    static_assert(kWidth == 4, "xsimd's default arch on AArch64 is expected to be neon64");
    std::uint16_t raw_bits[4];
    std::memcpy(raw_bits, p + 2 * i, sizeof raw_bits);  // rows need not be 2-byte aligned in the file
    const uint16x4_t raw = vld1_u16(raw_bits);
    if constexpr (std::is_same_v<Load, LoadBF16>) return vreinterpretq_f32_u32(vshll_n_u16(raw, 16));
    else return vcvt_f32_f16(vreinterpret_f16_u16(raw));
#else
    alignas(64) float tmp[kWidth];
    for (std::size_t k = 0; k < kWidth; ++k) tmp[k] = Load::at(p, i + k);
    return Floats::load_aligned(tmp);
#endif
  }
}

// Lane sums of N accumulators: out[k] = Σ lanes of acc[k]. With AVX-512, sixteen are reduced together (a
// transpose-and-add tree: ~2 instructions per vector instead of ~7) in the same order a lone vector is reduced
// (halves, quarters, adjacent pairs, last pair), so the result of an accumulator never depends on its company.
// (maskz_ forms with a full mask: the plain shuffles trip GCC 12's -Wuninitialized inside its own header.)
#if defined(__AVX512F__)
RWKV7_TILE_INLINE float reduce(__m512 v) {
  const __m512 h = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xffff, v, v, _MM_SHUFFLE(3, 2, 3, 2)));
  const __m512 q = _mm512_add_ps(h, _mm512_maskz_shuffle_f32x4(0xffff, h, h, _MM_SHUFFLE(1, 1, 1, 1)));
  const __m512 p = _mm512_add_ps(_mm512_shuffle_ps(q, q, _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_ps(q, q, _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm512_cvtss_f32(p) + _mm512_cvtss_f32(_mm512_shuffle_ps(p, p, _MM_SHUFFLE(1, 1, 1, 1)));
}

RWKV7_TILE_INLINE void reduce16(const __m512* v, float* out) {
  __m512 halves[8], quarters[4], pairs[2];
  RWKV7_UNROLL
  for (int k = 0; k < 8; ++k)
    halves[k] = _mm512_add_ps(_mm512_maskz_shuffle_f32x4(0xffff, v[2 * k], v[2 * k + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                              _mm512_maskz_shuffle_f32x4(0xffff, v[2 * k], v[2 * k + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  RWKV7_UNROLL
  for (int k = 0; k < 4; ++k)
    quarters[k] = _mm512_add_ps(_mm512_maskz_shuffle_f32x4(0xffff, halves[2 * k], halves[2 * k + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                                _mm512_maskz_shuffle_f32x4(0xffff, halves[2 * k], halves[2 * k + 1], _MM_SHUFFLE(3, 1, 3, 1)));
  RWKV7_UNROLL
  for (int k = 0; k < 2; ++k)
    pairs[k] = _mm512_add_ps(_mm512_shuffle_ps(quarters[2 * k], quarters[2 * k + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_ps(quarters[2 * k], quarters[2 * k + 1], _MM_SHUFFLE(3, 1, 3, 1)));
  const __m512 sums = _mm512_add_ps(_mm512_shuffle_ps(pairs[0], pairs[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                    _mm512_shuffle_ps(pairs[0], pairs[1], _MM_SHUFFLE(3, 1, 3, 1)));
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sums);
  for (int j = 0; j < 4; ++j)
    for (int m = 0; m < 4; ++m) out[j + 4 * m] = lanes[4 * j + m];  // lane 4j+m holds vector j+4m
}

template <class V, std::size_t N>
RWKV7_TILE_INLINE void reduce_all(const V (&acc)[N], float* out) {
  std::size_t k = 0;
  for (; k + 16 <= N; k += 16) {
    __m512 v[16];
    RWKV7_UNROLL
    for (std::size_t j = 0; j < 16; ++j) v[j] = acc[k + j];
    reduce16(v, out + k);
  }
  if constexpr (N % 16 >= 4) {
    __m512 v[16];
    RWKV7_UNROLL
    for (std::size_t j = 0; j < 16; ++j) v[j] = k + j < N ? __m512(acc[k + j]) : _mm512_setzero_ps();
    float all[16];
    reduce16(v, all);
    for (std::size_t j = 0; k + j < N; ++j) out[k + j] = all[j];
  } else {
    for (; k < N; ++k) out[k] = reduce(acc[k]);
  }
}
#else
template <std::size_t N>
RWKV7_TILE_INLINE void reduce_all(const Floats (&acc)[N], float* out) {
  for (std::size_t k = 0; k < N; ++k) out[k] = xsimd::hadd(acc[k]);
}
#endif

// Decoding (one column) is memory-bound. With AVX-512, and elsewhere where a step of the dot product covers at
// least 32 bytes of a row (AVX2 over fp32), rows go one at a time: the weights are then read in address order,
// which the hardware prefetcher follows; 4-row tiles, even with software prefetch, decode slower.
// AVX-512 sums each row in two chains with the activations' first steps held in registers (dot_rows below); with
// that, int8 rows too decode faster one at a time than in 4-row tiles (their chunk products then take 4 × 3
// tiles, kRowTileColumns). Elsewhere narrower steps (AVX2 or NEON over 16-bit weights, int8) would make one row's
// multiply-add chain the bound, so they keep 4-row tiles. Those read 4 short interleaved streams that the
// hardware does not pick up: while one tile is summed, the same number of bytes is prefetched linearly
// kPrefetchTiles tiles further on (a harmless hint when the rows are not consecutive). With several columns the
// rows are re-read from L1 for each column tile and hints only cost load slots (docs/performance.md, "Kernel
// evidence").
#if defined(__AVX512F__)
constexpr bool kRowsHeld = true;
#else
constexpr bool kRowsHeld = false;
#endif
template <class Load>
constexpr std::size_t kDecodeRows = kRowsHeld || kWidth * Load::size >= 32 ? 1 : 4;
constexpr std::size_t kPrefetchTiles = 2;
// A hint per 64-byte line of [p, p + bytes); never faults, wherever p points.
template <int Locality = 3>
inline void prefetch_lines(const std::byte* p, std::size_t bytes) {
  for (std::size_t b = 0; b < bytes; b += 64) __builtin_prefetch(p + b, 0, Locality);
}
inline void prefetch_ahead(const std::byte* first_row, std::size_t tile_bytes, std::size_t done, std::size_t step) {
  prefetch_lines(first_row + kPrefetchTiles * tile_bytes + done, step);
}

// Pins a vector to a register. Some tunings (GCC's -mtune=znver3, which -march=native picks on AMD EPYC) fold
// the activation load into each of the R FMAs that use it: R times the loads in a loop that is bound by loads
// (docs/performance.md, "Kernel evidence"). The empty asm makes the loaded value opaque, so it is loaded once.
inline void keep_in_register(Floats& x) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  typename Floats::register_type r = x;
  __asm__("" : "+v"(r));
  x = r;
#else
  (void)x;
#endif
}
#if defined(__AVX512BF16__)
inline void keep_in_register(__m512bh& x) { __asm__("" : "+v"(x)); }
#endif

inline Floats load_activations(const float* x, std::size_t i) { return Floats::load_unaligned(x + i); }
inline Floats load_activations(const std::uint16_t* x, std::size_t i) { return load<LoadBF16>(reinterpret_cast<const std::byte*>(x), i); }

// How a dot product of a weight row with activations advances, one step of kStep elements: fp32 multiply-adds
// of the widened weights, or for bf16 weights with bf16 activations the AVX512-BF16 pair instruction (32 pairs
// per step at twice the fp32 FMA rate).
// Where rows go one at a time, one accumulator per row made each fp32 step wait for the previous one (4 cycles
// for 32 bytes of bf16 weights): a 2688-wide row is 168 dependent multiply-adds, more than the out-of-order
// window hides, so such rows could not stream at the memory's rate. So a row's steps are dealt in turn to
// kChains accumulators, step k into chain k mod kChains, each chain summed in step order, then the chains added
// in order and reduced. Two chains rather than four (which gain little more) so chunk tiles keep every chain of
// every (row, column) pair in registers (kRowTileColumns). The pair instruction carries 64 bytes a step: one
// chain, as a second gains nothing. Where 4-row tiles decode, the rows are the independent chains; with 16
// vector registers (AVX2) two chains' tiles would not fit (docs/performance.md, "Kernel evidence").
#if defined(__AVX512F__) || defined(__aarch64__)
constexpr std::size_t kVectorRegisters = 32;
#else
constexpr std::size_t kVectorRegisters = 16;
#endif
template <class Load, class Act>
struct RowSteps {
  static constexpr std::size_t kStep = kWidth;
  static constexpr std::size_t kChains = kDecodeRows<Load> == 1 && kVectorRegisters == 32 ? 2 : 1;
  using W = Floats;
  using X = Floats;
  using Acc = Floats;
  static Acc zero() { return Floats(0.0f); }
  static W weights(const std::byte* row, std::size_t i) { return load<Load>(row, i); }
  static X x_at(const Act* x, std::size_t i) { return load_activations(x, i); }
  static Acc madd(Acc acc, W w, X x) { return fmadd(w, x, acc); }
  static Acc add(Acc a, Acc b) { return a + b; }
};
#if defined(__AVX512BF16__)
template <>
struct RowSteps<LoadBF16, std::uint16_t> {
  static constexpr std::size_t kStep = 32;
  static constexpr std::size_t kChains = 1;
  using W = __m512bh;
  using X = __m512bh;
  using Acc = __m512;
  static Acc zero() { return _mm512_setzero_ps(); }
  static W weights(const std::byte* row, std::size_t i) { return (__m512bh)_mm512_loadu_si512(row + 2 * i); }
  static X x_at(const std::uint16_t* x, std::size_t i) { return (__m512bh)_mm512_loadu_si512(x + i); }
  static Acc madd(Acc acc, W w, X x) { return _mm512_dpbf16_ps(acc, w, x); }
  static Acc add(Acc a, Acc b) { return _mm512_add_ps(a, b); }
};
#endif

// Columns per tile of a chunk product: 4 rows × 4 columns of accumulators; with two chains 4 × 3 (24 of the 32
// registers; 4 × 2 would leave the widening of the weights the bound; docs/performance.md, "Kernel evidence").
template <class Load, class Act>
constexpr std::size_t kRowTileColumns = RowSteps<Load, Act>::kChains == 1 ? 4 : 3;

// The tile every row-major product is built from: out[r·C + c] = Σ_i rows[r][i]·xs[c][i] for R weight rows and
// C activation columns, so each weight vector is loaded (and widened) once for C columns and each activation
// vector once for R rows. Every (row, column) pair is summed in the chains above, then reduced by the same
// reduction, then the scalar tail: the same bits in whatever tile shape it is computed, and as dot_rows computes
// it, so a token gives identical logits alone, in a prefill chunk or in a batch, on any number of threads.
template <class Load, std::size_t R, std::size_t C, class Act>
inline void dot_tile(const std::byte* const* rows, const Act* const* xs, std::size_t n, float* out) {
  using S = RowSteps<Load, Act>;
  constexpr std::size_t chains = S::kChains;
  const std::size_t steps = n / S::kStep;
  typename S::Acc acc[chains][R * C];
  RWKV7_UNROLL
  for (auto& chain : acc)
    RWKV7_UNROLL
    for (auto& a : chain) a = S::zero();
  auto step = [&](typename S::Acc (&chain)[R * C], std::size_t i) {
    typename S::W w[R];
    if constexpr (C == 1 && R > 1) prefetch_ahead(rows[0], R * n * Load::size, R * i * Load::size, R * S::kStep * Load::size);
    RWKV7_UNROLL
    for (std::size_t r = 0; r < R; ++r) w[r] = S::weights(rows[r], i);
    RWKV7_UNROLL
    for (std::size_t c = 0; c < C; ++c) {
      typename S::X x = S::x_at(xs[c], i);
      keep_in_register(x);
      RWKV7_UNROLL
      for (std::size_t r = 0; r < R; ++r) chain[r * C + c] = S::madd(chain[r * C + c], w[r], x);
    }
  };
  std::size_t k = 0;
  for (; k + chains <= steps; k += chains)
    RWKV7_UNROLL
    for (std::size_t j = 0; j < chains; ++j) step(acc[j], (k + j) * S::kStep);
  for (std::size_t j = 0; k + j < steps; ++j) step(acc[j], (k + j) * S::kStep);
  typename S::Acc total[R * C];
  RWKV7_UNROLL
  for (std::size_t t = 0; t < R * C; ++t) {
    total[t] = acc[0][t];
    RWKV7_UNROLL
    for (std::size_t j = 1; j < chains; ++j) total[t] = S::add(total[t], acc[j][t]);
  }
  reduce_all(total, out);
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t j = steps * S::kStep; j < n; ++j) out[r * C + c] = Load::at(rows[r], j) * activation(xs[c], j) + out[r * C + c];
}

// Decoding with rows taken one at a time (kDecodeRows == 1): y[k] = (row k)·x for `count` rows `stride` bytes
// apart, each summed as dot_tile sums it: the same chains, reduction and tail, the same bits. With AVX-512 (32
// vector registers) the first kHeldSteps steps of x stay in registers across all rows: re-loaded from L1 for
// every row, as the tiles do, they kept one core's weight stream below the streaming-read rate.
// Rows longer than kPrefetchRowBytes (the FFN value matrix, 2688 wide) also hint the line kDecodePrefetch bytes
// ahead as each line is summed: the hardware prefetcher alone does not stream them at a plain sum's rate, while
// on 1536-byte rows the same hints gain nothing or cost a little. Steps narrower than 32 bytes (int8 weights:
// 16) hint on every row: the out-of-order window then spans half the bytes.
// Shorter rows hint the line kShortRowPrefetch ahead into L2 (prefetcht1): harmless when the core computes at
// its usual rate, and when its vector units are slowed they keep the kernels reading near a plain sum's
// bandwidth (docs/performance.md, "Kernel evidence").
#if defined(__AVX512F__)
constexpr std::size_t kDecodePrefetch = 8192, kPrefetchRowBytes = 4096, kShortRowPrefetch = 4096, kHeldSteps = 16;
template <class Load, std::size_t Ahead, int Locality, class Act>
inline void dot_rows_held(const std::byte* w, std::size_t stride, std::size_t count, const Act* x, std::size_t n, float* y) {
  using S = RowSteps<Load, Act>;
  constexpr std::size_t chains = S::kChains, round_bytes = chains * S::kStep * Load::size;
  static_assert(kHeldSteps % chains == 0, "held steps must keep each step in its chain");
  const std::size_t steps = n / S::kStep;
  typename S::X held[kHeldSteps];
  RWKV7_UNROLL
  for (std::size_t h = 0; h < kHeldSteps; ++h) held[h] = S::x_at(x, h * S::kStep);
  for (std::size_t r = 0; r < count; ++r) {
    const std::byte* row = w + r * stride;
    typename S::Acc acc[chains];
    RWKV7_UNROLL
    for (auto& a : acc) a = S::zero();
    prefetch_lines<Locality>(row + Ahead, kHeldSteps * S::kStep * Load::size);
    RWKV7_UNROLL
    for (std::size_t h = 0; h < kHeldSteps; ++h) acc[h % chains] = S::madd(acc[h % chains], S::weights(row, h * S::kStep), held[h]);
    auto step = [&](typename S::Acc& chain, std::size_t i) { chain = S::madd(chain, S::weights(row, i), S::x_at(x, i)); };
    std::size_t k = kHeldSteps;
    for (; k + chains <= steps; k += chains) {
      prefetch_lines<Locality>(row + Ahead + k * S::kStep * Load::size, round_bytes);
      RWKV7_UNROLL
      for (std::size_t j = 0; j < chains; ++j) step(acc[j], (k + j) * S::kStep);
    }
    for (std::size_t j = 0; k + j < steps; ++j) step(acc[j], (k + j) * S::kStep);
    typename S::Acc sums[1] = {acc[0]};
    RWKV7_UNROLL
    for (std::size_t j = 1; j < chains; ++j) sums[0] = S::add(sums[0], acc[j]);
    float out;
    reduce_all(sums, &out);
    for (std::size_t i = steps * S::kStep; i < n; ++i) out = Load::at(row, i) * activation(x, i) + out;
    y[r] = out;
  }
}

// Exact decode of bf16 rows (fp32 activations): a round of 32 weights is one 64-byte load widened by two unpacks
// against zero, one instruction per 16 weights where the widening load takes two (zero-extend, shift). An unpack
// works within 128-bit lanes: the low one yields elements 0-3, 8-11, 16-19, 24-27 of the round, the high one the
// rest. So the activations are permuted to match (by the caller, see below) and at the end of each row the two sums are
// permuted back into the two chains of dot_tile, whose lanes hold the same elements summed in the same order:
// the bits are dot_tile's. The permuted activations come from the caller (MatMul keeps them, one pass per
// product, not per range of rows). Fewer instructions per weight let the row stream faster than the widening
// load does (docs/performance.md, "Kernel evidence").
constexpr std::size_t kRound = 32;
// x's whole 32-element rounds (n / 32 of them) in the unpacks' lane order, into out.
inline void permute_rounds(const float* x, std::size_t n, float* out) {
  const __m512i to_low = _mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
  const __m512i to_high = _mm512_setr_epi32(4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
  for (std::size_t k = 0; k < n / kRound; ++k) {
    const __m512 a = _mm512_loadu_ps(x + k * kRound), b = _mm512_loadu_ps(x + k * kRound + 16);
    _mm512_storeu_ps(out + k * kRound, _mm512_permutex2var_ps(a, to_low, b));
    _mm512_storeu_ps(out + k * kRound + 16, _mm512_permutex2var_ps(a, to_high, b));
  }
}
// The low and high unpacks' sums of a row, back into dot_tile's two chains (elements 0-15 and 16-31 of each
// round), the 16-step a row's length may leave added to chain 0 as dot_tile does, then the two chains added.
inline __m512 unpacked_chains(__m512 low, __m512 high, const std::byte* row, const float* x, std::size_t n) {
  const __m512i chain0 = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
  const __m512i chain1 = _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
  __m512 even = _mm512_permutex2var_ps(low, chain0, high);
  const std::size_t i = n / kRound * kRound;
  if (i + 16 <= n) even = _mm512_fmadd_ps(load<LoadBF16>(row, i), _mm512_loadu_ps(x + i), even);
  return _mm512_add_ps(even, _mm512_permutex2var_ps(low, chain1, high));
}

template <std::size_t Ahead, int Locality>
inline void dot_rows_bf16_unpacked(const std::byte* w, std::size_t stride, std::size_t count, const float* x, const float* xp, std::size_t n,
                                   float* y) {
  constexpr std::size_t kHeldRounds = kHeldSteps / 2;
  const std::size_t rounds = n / kRound;
  const __m512i zero = _mm512_setzero_si512();
  __m512 held[kHeldSteps];
  RWKV7_UNROLL
  for (std::size_t h = 0; h < kHeldSteps; ++h) held[h] = _mm512_loadu_ps(xp + h * 16);
  for (std::size_t r = 0; r < count; ++r) {
    const std::byte* row = w + r * stride;
    auto round = [&](__m512& low, __m512& high, std::size_t k, __m512 x_low, __m512 x_high) {
      const __m512i v = _mm512_loadu_si512(row + k * kRound * 2);
      low = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_unpacklo_epi16(zero, v)), x_low, low);
      high = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_unpackhi_epi16(zero, v)), x_high, high);
    };
    __m512 low = _mm512_setzero_ps(), high = _mm512_setzero_ps();
    prefetch_lines<Locality>(row + Ahead, kHeldRounds * kRound * 2);
    RWKV7_UNROLL
    for (std::size_t k = 0; k < kHeldRounds; ++k) round(low, high, k, held[2 * k], held[2 * k + 1]);
    for (std::size_t k = kHeldRounds; k < rounds; ++k) {
      prefetch_lines<Locality>(row + Ahead + k * kRound * 2, kRound * 2);
      round(low, high, k, _mm512_loadu_ps(xp + k * kRound), _mm512_loadu_ps(xp + k * kRound + 16));
    }
    float out = reduce(unpacked_chains(low, high, row, x, n));
    for (std::size_t i = n / 16 * 16; i < n; ++i) out = LoadBF16::at(row, i) * x[i] + out;
    y[r] = out;
  }
}
// Chunks of exact bf16 products: dot_tile's sums (R rows × C columns, the same bits) in the unpacks' lane order
// of dot_rows_bf16_unpacked. Widening inside the tile (two unpacks per round and row, on the ports the
// multiply-adds use) would take issue slots from the multiply-adds (docs/performance.md, "Kernel evidence");
// instead a block of each row is widened once into `wide` (widen_rounds) and serves every column tile from L1.
// xps[c] is column c through permute_rounds; the tails read xs[c]. Rows longer than a block keep each tile's
// sums in `sums` (2·R·C vectors) between blocks, so every chain still adds its rounds in order: the bits do not
// depend on the block size.
inline void widen_rounds(const std::byte* row, std::size_t first_round, std::size_t rounds, float* wide) {
  const __m512i zero = _mm512_setzero_si512();
  for (std::size_t k = 0; k < rounds; ++k) {
    const __m512i v = _mm512_loadu_si512(row + (first_round + k) * kRound * 2);
    _mm512_store_ps(wide + k * kRound, _mm512_castsi512_ps(_mm512_unpacklo_epi16(zero, v)));
    _mm512_store_ps(wide + k * kRound + 16, _mm512_castsi512_ps(_mm512_unpackhi_epi16(zero, v)));
  }
}
// Rounds [first, last) of the tile: wide[r] and xps[c] point at round `first`. Starts from zero at round 0, else
// from `sums`; after the row's last round writes the R·C results to out, else stores the sums.
template <std::size_t R, std::size_t C>
inline void widened_tile(const float* const* wide, const float* const* xps, std::size_t first, std::size_t last, __m512* sums,
                         const std::byte* const* rows, const float* const* xs, std::size_t n, float* out) {
  __m512 low[R * C], high[R * C];
  RWKV7_UNROLL
  for (std::size_t t = 0; t < R * C; ++t) {
    low[t] = first == 0 ? _mm512_setzero_ps() : sums[t];
    high[t] = first == 0 ? _mm512_setzero_ps() : sums[R * C + t];
  }
  for (std::size_t k = 0; k < last - first; ++k) {
    __m512 x[C];
    RWKV7_UNROLL
    for (std::size_t c = 0; c < C; ++c) {
      x[c] = _mm512_loadu_ps(xps[c] + k * kRound);
      __asm__("" : "+v"(x[c]));  // as keep_in_register: loaded once, not folded into each multiply-add (so are w)
    }
    RWKV7_UNROLL
    for (std::size_t r = 0; r < R; ++r) {
      __m512 w = _mm512_load_ps(wide[r] + k * kRound);
      __asm__("" : "+v"(w));
      RWKV7_UNROLL
      for (std::size_t c = 0; c < C; ++c) low[r * C + c] = _mm512_fmadd_ps(w, x[c], low[r * C + c]);
    }
    RWKV7_UNROLL
    for (std::size_t c = 0; c < C; ++c) {
      x[c] = _mm512_loadu_ps(xps[c] + k * kRound + 16);
      __asm__("" : "+v"(x[c]));
    }
    RWKV7_UNROLL
    for (std::size_t r = 0; r < R; ++r) {
      __m512 w = _mm512_load_ps(wide[r] + k * kRound + 16);
      __asm__("" : "+v"(w));
      RWKV7_UNROLL
      for (std::size_t c = 0; c < C; ++c) high[r * C + c] = _mm512_fmadd_ps(w, x[c], high[r * C + c]);
    }
  }
  if (last < n / kRound) {
    RWKV7_UNROLL
    for (std::size_t t = 0; t < R * C; ++t) {
      sums[t] = low[t];
      sums[R * C + t] = high[t];
    }
    return;
  }
  __m512 total[R * C];
  RWKV7_UNROLL
  for (std::size_t r = 0; r < R; ++r)
    RWKV7_UNROLL
    for (std::size_t c = 0; c < C; ++c) total[r * C + c] = unpacked_chains(low[r * C + c], high[r * C + c], rows[r], xs[c], n);
  reduce_all(total, out);
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t j = n / 16 * 16; j < n; ++j) out[r * C + c] = LoadBF16::at(rows[r], j) * xs[c][j] + out[r * C + c];
}
#endif

// `permuted`: x through permute_rounds, or null; exact bf16 rows take the unpacking kernel only with it (the same bits).
template <class Load, class Act>
inline void dot_rows(const std::byte* w, std::size_t stride, std::size_t count, const Act* x, const float* permuted, std::size_t n, float* y) {
#if defined(__AVX512F__)
  using S = RowSteps<Load, Act>;
  if (n >= kHeldSteps * S::kStep) {
    const bool far = n * Load::size > kPrefetchRowBytes || S::kStep * Load::size < 32;
    if constexpr (std::is_same_v<Load, LoadBF16> && std::is_same_v<Act, float>) {
      if (permuted) {
        if (far) dot_rows_bf16_unpacked<kDecodePrefetch, 3>(w, stride, count, x, permuted, n, y);
        else dot_rows_bf16_unpacked<kShortRowPrefetch, 2>(w, stride, count, x, permuted, n, y);
        return;
      }
    }
    if (far) dot_rows_held<Load, kDecodePrefetch, 3>(w, stride, count, x, n, y);
    else dot_rows_held<Load, kShortRowPrefetch, 2>(w, stride, count, x, n, y);
    return;
  }
#endif
  (void)permuted;
  for (std::size_t k = 0; k < count; ++k) {
    const std::byte* row = w + k * stride;
    dot_tile<Load, 1, 1>(&row, &x, n, y + k);
  }
}

// Y = Wᵀ-stored products (W kept as [in, out], the LoRA factors): y[c][o] = Σ_i w[i][o]·x[c][i] for C columns,
// kBlock vectors of outputs at a time held in registers across the whole sum (no store per term). Each output
// is one chain in i order, so the tile shape never changes the bits.
// For one column (decoding) these small matrices (~0.1 MB) are read once each, and the hardware prefetcher
// barely gets going before one ends. So each step also hints the bytes kTransposedPrefetch further on (the
// rest of the matrix, then the next factor that follows it in the file), which the prefetcher would not yet
// fetch. With several columns the matrix is re-read from cache for every column tile.
// One column over more outputs than a block (the up-projections, [64, 768]) would take one pass per block, each
// reading 128 bytes of every 1536-byte row; instead the rows are read in address order and the running sums
// kept in y (L1), each output's multiply-adds still in i order: the same bits, in one pass over the matrix
// (docs/performance.md, "Kernel evidence").
constexpr std::size_t kTransposedPrefetch = 16 * 1024;
template <class Load, std::size_t C>
inline void transposed_tile(const std::byte* w, std::size_t in, std::size_t out, const float* const* xs, float* const* ys) {
  constexpr std::size_t kBlock = 4;
  std::size_t o = 0;
  if (C == 1 && out > kBlock * kWidth) {
    const std::size_t vectors = out / kWidth * kWidth;
    float* y = ys[0];
    for (; o < vectors; o += kWidth) Floats(0.0f).store_unaligned(y + o);
    for (std::size_t i = 0; i < in; ++i) {
      const std::byte* row = w + i * out * Load::size;
      prefetch_lines(row + kTransposedPrefetch, vectors * Load::size);
      const Floats x(xs[0][i]);
      for (std::size_t v = 0; v < vectors; v += kWidth) fmadd(load<Load>(row, v), x, Floats::load_unaligned(y + v)).store_unaligned(y + v);
    }
  }
  auto block = [&](auto vectors) {
    constexpr std::size_t B = decltype(vectors)::value;
    Floats acc[B][C];
    RWKV7_UNROLL
    for (auto& row : acc)
      RWKV7_UNROLL
      for (auto& a : row) a = Floats(0.0f);
    for (std::size_t i = 0; i < in; ++i) {
      const std::byte* row = w + i * out * Load::size;
      if constexpr (C == 1) prefetch_lines(row + o * Load::size + kTransposedPrefetch, B * kWidth * Load::size);
      Floats wv[B];
      RWKV7_UNROLL
      for (std::size_t b = 0; b < B; ++b) wv[b] = load<Load>(row, o + b * kWidth);
      RWKV7_UNROLL
      for (std::size_t c = 0; c < C; ++c) {
        const Floats x(xs[c][i]);
        RWKV7_UNROLL
        for (std::size_t b = 0; b < B; ++b) acc[b][c] = fmadd(wv[b], x, acc[b][c]);
      }
    }
    RWKV7_UNROLL
    for (std::size_t b = 0; b < B; ++b)
      RWKV7_UNROLL
      for (std::size_t c = 0; c < C; ++c) acc[b][c].store_unaligned(ys[c] + o + b * kWidth);
    o += B * kWidth;
  };
  while (o + kBlock * kWidth <= out) block(std::integral_constant<std::size_t, kBlock>{});
  while (o + kWidth <= out) block(std::integral_constant<std::size_t, 1>{});
  for (; o < out; ++o)
    for (std::size_t c = 0; c < C; ++c) {
      float sum = 0.0f;
      for (std::size_t i = 0; i < in; ++i) sum = Load::at(w + i * out * Load::size, o) * xs[c][i] + sum;
      ys[c][o] = sum;
    }
}

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail::simd
#endif  // RWKV7_SIMD
