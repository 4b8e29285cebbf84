// Float 3x3 stride-1 conv2d by Winograd's minimal filtering F(4x4, 3x3) (Lavin and Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2016). Layer: tensor/cpu.
//
// The output is cut into 4x4 tiles; tile t reads the 6x6 input block starting at
// (4 ti - pad_h, 4 tj - pad_w). For one channel pair with 3x3 kernel g and input block d,
//   Y = A^T [ (G g G^T) .* (B^T d B) ] A
// is exactly the tile's 4x4 outputs (interpolation at the points 0, 1, -1, 2, -2, inf). Summed
// over input channels this is, per element e of the 6x6 transformed domain, one GEMM:
//   M[e] (C_out x tiles) = U[e] (C_out x C_in) V[e] (C_in x tiles),
// U[e] = (G g G^T)[e] per channel pair, V[e] = (B^T d B)[e] per (channel, tile), and 36 GEMMs of
// C_out C_in tiles multiply-adds replace the 144 per tile of a direct convolution: 4x fewer.
// Backward-data at stride 1 is the forward of grad_y with the flipped, transposed kernel and
// padding 2 - pad; backward-weight follows from the same identity:
//   dU[e] = sum over tiles of dM[e] V[e]^T with dM = A dY A^T, and grad_g = G^T dU G.
// The price is rounding: the transforms scale values by up to 4 (B), 1/24 (G) and 8 (A), so f32
// results carry errors about 10x those of a direct sum (tests/test_conv.cpp bounds them;
// set_allow_winograd(false) turns this path off). Measurements: tools/bench/conv/NOTES.md.
#include "tensor/cpu/conv_winograd.h"

#include <omp.h>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "tensor/backend.h"
#include "tensor/cpu/gemm.h"
#include "tensor/cpu/gemm_kernels.h"
#include "tensor/cpu/winograd_tiles.h"
#include "tensor/tensor.h"

namespace staa::cpu {
namespace {

using gemm_detail::PanelSource;
using gemm_detail::SgemmKernel;
using namespace winograd;  // Lanes, Tiles, the tile transforms

// Below this many channels on either side the transforms cost more than the GEMMs save (per
// pass with CONV_WINOGRAD=0 in conv_bench: at 16 channels forward and backward-data 1.2-1.7x the
// implicit GEMM, backward-weight on par; at 32, 1.7-2x and 1.1x).
constexpr int64_t kMinChannels = 16;
// Tiles per chunk (forward_chunk_tiles, weight_chunk_tiles). Forward: each thread's chunk keeps 36
// (C_in + C_out) floats per tile in flight; 48 measured best among 24, 48 and 96 (one thread, best
// of 3 runs: 5-25% over 96 on the ResNet-20 shapes, 24 between them). Backward-weight: see
// weight_chunk_tiles; 1M floats measured best among 256K-4M on the 64 and 128 channel shapes,
// min(C_in, C_out) on the 256 and 512 channel ones.
constexpr int64_t kForwardChunkTiles = 48;
// Channel pairs C_in C_out up to which U (36 floats per pair: 9.4 MB at 256 x 256) stays in L3
// across the forward's chunks; past it each chunk reads U from memory, so chunks grow with it
// (forward_chunk_tiles) and output blocks stop (forward_out_block).
constexpr int64_t kCachedKernelPairs = 256 * 256;
// A forward chunk's products M (36 C_out floats per tile) past this many floats (1 MB, twice a
// Zen 3 core's L2) go through the GEMMs and output transforms kOutBlockRows output channels at a
// time (forward_out_block). 256ch 8px, 2 threads, 8 alternating rounds: forward 30.3 -> 26.2 ms,
// backward-data 24.9 -> 23.5 ms (minima; medians 34.5 -> 28.9, 28.6 -> 26.0); on one thread
// (CPU time) rows of 16-32 gave the same, 8 and 64 less. 128ch (0.9 MB): no difference.
constexpr int64_t kOutBlockFloats = int64_t{1} << 18;
constexpr int64_t kOutBlockRows = 24;
constexpr int64_t kWeightChunkFloats = int64_t{1} << 20;
// Input planes padded per grab of the backward-weight's shared loop: about this many floats.
constexpr int64_t kPadRunFloats = 4096;

// The 36 operands of a kind lie one cache line more than their size (rounded up to whole lines)
// apart: each starts 64-byte aligned as the GEMM panels must, and since sizes are often
// multiples of 4 KiB, 36 streams at such a spacing would all fall into the same L1 sets (the
// transforms write or read all 36 at once).
int64_t operand_stride(int64_t floats) {
  return round_up(floats, 16) + 16;
}

// Where element (depth p, line l) of a transformed operand lives in a chunk's buffer: the packed
// B-panel layout of sgemm (slabs of kc depths, each a run of nr-line micro-panels), so the GEMMs
// read it in place.
struct PanelLayout {
  int64_t width;  // lines, rounded up to whole micro-panels
  int64_t depth, kc, nr;
  int64_t offset(int64_t p, int64_t l) const {
    const int64_t p0 = p / kc * kc, slab_depth = std::min(kc, depth - p0);
    return p0 * width + l / nr * slab_depth * nr + (p - p0) * nr + l % nr;
  }
  // Stores v[e] into lines [l0, l0 + kLanes) at depth p of operand e (at out + e * stride);
  // l0 a multiple of kLanes, nr too (the lanes are one run).
  void store(const Lanes* v, int64_t p, int64_t l0, int64_t stride, float* out) const {
    float* at = out + offset(p, l0);
    for (int e = 0; e < kElems; ++e) std::memcpy(at + e * stride, &v[e], sizeof(Lanes));
  }
};

// A GEMM operand already in packed layout (PanelLayout with the kernel's width and kc).
// Lines from first_line on (a multiple of the panel width): a block of the operand's rows.
class PackedPanels final : public PanelSource {
 public:
  PackedPanels(const float* base, int64_t width, int64_t first_line = 0)
      : base_(base), width_(width), first_line_(first_line) {}
  const float* panels(int64_t l0, int64_t, int64_t p0, int64_t depth, float*) const override {
    return base_ + p0 * width_ + (first_line_ + l0) * depth;
  }
  PackedPanels from_line(int64_t line) const { return {base_, width_, first_line_ + line}; }

 private:
  const float* base_;
  int64_t width_, first_line_;
};

// The forward's V of input channel c for tiles [t0, t0 + count), stored at line t0 - first of
// each element's operand (elements `stride` floats apart).
void transform_inputs(const PaddedImages& padded, const Tiles& tiles, int64_t c, int64_t t0,
                      int64_t count, int64_t first, const PanelLayout& layout, int64_t stride,
                      float* out) {
  Lanes v[kElems];
  input_transform(padded, tiles, c, t0, count, v);
  layout.store(v, c, t0 - first, stride, out);
}

// Backward-weight operands: lines = channels (A: the kernel's mr-wide panels of dM's C_out
// rows; B: nr-wide panels of V^T's C_in columns), depth = a chunk's tiles (the GEMM's depth:
// one slab, the chunk is at most the kernel's kc): element (tile t, channel c) at
// (c / w) depth w + t w + c % w.
// Written 8 channels x 8 tiles at a time: per element e the 8 channel vectors (lanes = tiles)
// are transposed into 8 tile vectors, each stored as two 4-float runs (w % 4 == 0).
struct ChannelPanels {
  int64_t depth, w;
  int64_t lines(int64_t channels) const { return round_up(round_up(channels, kLanes), w); }
  // vals[k][e]: channel c0 + k's transform for tiles [t, t + kLanes) of the chunk.
  void store(const Lanes vals[kLanes][kElems], int64_t c0, int64_t t, int64_t stride,
             float* out) const {
    for (int e = 0; e < kElems; ++e) {
      alignas(32) float tile_rows[kLanes][kLanes];  // [tile][channel]
#if defined(__AVX2__)
      __m256 r[kLanes];  // after the transpose: tile l's 8 channels
      for (int k = 0; k < kLanes; ++k) r[k] = (__m256)vals[k][e];
      gemm_detail::transpose_8x8_in_regs(r);
      float* run = out + e * stride + c0 / w * depth * w + t * w + c0 % w;  // tile t, c0
      if (w % kLanes == 0) {  // the 8 channels are one run of each tile's line
        for (int l = 0; l < kLanes; ++l) _mm256_storeu_ps(run + l * w, r[l]);
        continue;
      }
      if (w == 4) {  // channels c0 .. c0 + 3 in one panel, c0 + 4 .. c0 + 7 in the next
        for (int l = 0; l < kLanes; l += 2) {
          _mm256_storeu_ps(run + l * 4, _mm256_permute2f128_ps(r[l], r[l + 1], 0x20));
          _mm256_storeu_ps(run + depth * 4 + l * 4, _mm256_permute2f128_ps(r[l], r[l + 1], 0x31));
        }
        continue;
      }
      for (int l = 0; l < kLanes; ++l) _mm256_store_ps(tile_rows[l], r[l]);
#else
      for (int k = 0; k < kLanes; ++k)
        for (int l = 0; l < kLanes; ++l) tile_rows[l][k] = vals[k][e][l];
#endif
      float* base = out + e * stride;
      for (int l = 0; l < kLanes; ++l)
        for (int k = 0; k < kLanes; k += 4) {
          const int64_t c = c0 + k;
          std::memcpy(base + c / w * depth * w + (t + l) * w + c % w, &tile_rows[l][k],
                      4 * sizeof(float));
        }
    }
  }
};

// Transforms channels [c0, c0 + kLanes) (past `channels`: zero) of tiles [t0, t0 + count) with
// transform(c, v) and stores them at tile t0 - first of `panels`.
template <typename Transform>
void transform_channel_group(int64_t c0, int64_t channels, int64_t t0, int64_t first,
                             const ChannelPanels& panels, int64_t stride, float* out,
                             Transform&& transform) {
  Lanes vals[kLanes][kElems];
  for (int k = 0; k < kLanes; ++k) {
    if (c0 + k < channels) {
      transform(c0 + k, vals[k]);
    } else {
      for (int e = 0; e < kElems; ++e) vals[k][e] = Lanes{};
    }
  }
  panels.store(vals, c0, t0 - first, stride, out);
}

// sgemm's micro-kernel, as the operand layouts here need it: whole lane blocks of tiles per
// B micro-panel (nr % kLanes == 0) and 4-float runs of channels in every panel (mr, nr % 4).
const SgemmKernel& winograd_kernel() {
  const SgemmKernel& kern = gemm_detail::chosen_sgemm_kernel();
  STAA_CHECK(kern.nr % kLanes == 0 && kern.mr % 4 == 0, "conv2d (Winograd): micro-kernel tile ",
             kern.mr, "x", kern.nr, " is not a multiple of 4x", kLanes);
  return kern;
}

// The transformed kernels U[e] = G k G^T of every channel pair (a, b) of the forward geometry g
// (a < C_out, b < C_in), packed once as the A operands of the 36 GEMMs: sgemm's mr-row
// micro-panels per kc-deep slab (as conv_implicit.cpp packs weights), operand e from e * stride().
// Forward: k = w[a, b]; flipped (backward-data, where g is the geometry of grad_y -> grad_x):
// k[i][j] = w[b, a, 2 - i, 2 - j] with w: [C_in of g, C_out of g, 3, 3].
// U is 36 C_in C_out floats (38 MB at 512 channels), far past the caches: it is written four
// depths at a time, so that each 64-byte line (4 depths x 4 rows when mr = 4) is written whole,
// by streaming stores. One depth at a time wrote a quarter of each line, and the line had left
// L2 before the next quarter came: four reads of U from memory, 20% of a 512-channel conv.
// Threads take blocks of kLanes rows, each row block all its depths in turn: the kernels' rows
// are read in order (w[a, b] for a run of b), and each micro-panel of U is written as one run
// (512ch forward 29.5 -> 26.8 ms, 256ch 26.6 -> 24.4; by depths first, each thread swept all rows
// for every 4 depths, and wrote one line per micro-panel at a time).
class TransformedKernels {
 public:
  TransformedKernels(const SgemmKernel& kern, const float* w, const Conv2dGeometry& g, bool flipped)
      : layout_{round_up(g.c_out, kern.mr), g.c_in,
                gemm_detail::sgemm_blocking(kern, g.c_out, 1, g.c_in).kc, kern.mr},
        store_(Tensor::empty(Shape{kElems * stride()}, kF32)) {
    const int64_t rows = g.c_out, cols = g.c_in, blocks = ceil_div(layout_.width, kLanes);
    std::vector<int64_t> starts;  // groups of up to kDepths columns, none across a slab
    for (int64_t p0 = 0; p0 < cols; p0 += layout_.kc)
      for (int64_t b0 = p0; b0 < std::min(cols, p0 + layout_.kc); b0 += kDepths)
        starts.push_back(b0);
    const int64_t groups = static_cast<int64_t>(starts.size());
#pragma omp parallel if (rows * cols > 4096)
    {
#pragma omp for schedule(static)
      for (int64_t block = 0; block < blocks; ++block) {  // rows a0 .. a0 + kLanes at once
        for (int64_t q = 0; q < groups; ++q) {
          const int64_t b0 = starts[q],
                        slab_end = std::min(cols, (b0 / layout_.kc + 1) * layout_.kc);
          const int depths = static_cast<int>(std::min<int64_t>(kDepths, slab_end - b0));
          alignas(32) float flat[kDepths][kElems][kLanes];
          for (int d = 0; d < depths; ++d)
            transform(w, rows, cols, flipped, b0 + d, block, flat[d]);
          store(flat, b0, depths, block * kLanes);
        }
      }
#if defined(__AVX2__)
      _mm_sfence();  // the streaming stores are visible before the GEMMs read U
#endif
    }
  }
  int64_t stride() const {
    return operand_stride(layout_.width * layout_.depth);
  }
  PackedPanels operand(int e) const {
    return PackedPanels(store_.data<float>() + e * stride(), layout_.width);
  }

 private:
  static constexpr int kDepths = 4;  // columns b transformed and stored together

  // out[e][l] = U[e] of pair (block kLanes + l, b) (0 past the last row).
  static void transform(const float* w, int64_t rows, int64_t cols, bool flipped, int64_t b,
                        int64_t block, float out[kElems][kLanes]) {
    const int64_t a0 = block * kLanes, lanes = std::min<int64_t>(kLanes, rows - a0);
    const float* k[kLanes];  // the 9 taps of pair (a0 + l, b)
    for (int l = 0; l < kLanes; ++l) {
      const int64_t a = a0 + std::min<int64_t>(l, lanes - 1);
      k[l] = flipped ? w + (b * rows + a) * 9 : w + (a * cols + b) * 9;
    }
    Lanes taps[9], half[18], u[kElems];
    load_taps(k, taps);
    if (flipped) std::reverse(taps, taps + 9);
    clear_lanes(taps, 9, lanes);
    for (int j = 0; j < 3; ++j) kernel_1d(taps + j, 3, half + j, 3);       // [6][3]
    for (int i = 0; i < 6; ++i) kernel_1d(half + 3 * i, 1, u + 6 * i, 1);  // [6][6]
    std::memcpy(out, u, sizeof u);
  }

  // Depths [b0, b0 + depths) (one slab) of rows [a0, a0 + kLanes) of every operand. Rows a0,
  // a0 + 1, ... are consecutive within a micro-panel, consecutive depths mr floats apart; the
  // next panel's first row at the same depth comes (slab_depth - 1) mr floats after the last
  // one; mr % 4 == 0.
  void store(const float flat[kDepths][kElems][kLanes], int64_t b0, int depths, int64_t a0) {
    const int64_t mr = layout_.nr,
                  slab_depth = std::min(layout_.kc, layout_.depth - b0 / layout_.kc * layout_.kc);
    float* packed = store_.data<float>();
    int64_t at = layout_.offset(b0, a0), in_panel = a0 % mr;
    for (int l = 0; l < kLanes && a0 + l < layout_.width; l += 4) {
      for (int e = 0; e < kElems; ++e) {
        float* to = packed + e * stride() + at;
#if defined(__AVX2__)
        if (mr == 4 && depths == kDepths && reinterpret_cast<uintptr_t>(to) % 32 == 0) {
          // One whole line: depths b0 .. b0 + 3 of rows a0 + l .. a0 + l + 3.
          const __m256 d01 = _mm256_loadu2_m128(&flat[1][e][l], &flat[0][e][l]);
          const __m256 d23 = _mm256_loadu2_m128(&flat[3][e][l], &flat[2][e][l]);
          _mm256_stream_ps(to, d01);
          _mm256_stream_ps(to + 8, d23);
          continue;
        }
#endif
        for (int d = 0; d < depths; ++d)
          std::memcpy(to + d * mr, &flat[d][e][l], 4 * sizeof(float));
      }
      at += 4;
      if ((in_panel += 4) == mr) in_panel = 0, at += (slab_depth - 1) * mr;
    }
  }

  // taps[q][l] = k[l][q]
  static void load_taps(const float* const k[kLanes], Lanes taps[9]) {
#if defined(__AVX2__)
    __m256 r[8];
    for (int l = 0; l < kLanes; ++l) r[l] = _mm256_loadu_ps(k[l]);
    gemm_detail::transpose_8x8_in_regs(r);
    for (int q = 0; q < 8; ++q) taps[q] = (Lanes)r[q];
    float last[kLanes];
    for (int l = 0; l < kLanes; ++l) last[l] = k[l][8];
    std::memcpy(&taps[8], last, sizeof(Lanes));
#else
    for (int q = 0; q < 9; ++q)
      for (int l = 0; l < kLanes; ++l) taps[q][l] = k[l][q];
#endif
  }

  PanelLayout layout_;  // lines: rows a (mr-wide panels), depth: columns b
  Tensor store_;
};

// Tiles per chunk of the forward (and backward-data), a multiple of kLanes: kForwardChunkTiles,
// times C_in C_out / kCachedKernelPairs when above 1 (every chunk streams all of U: 38 MB at 512
// channels), evened out so that the threads get the same number of chunks.
int64_t forward_chunk_tiles(const Conv2dGeometry& g, const Tiles& tiles, int threads) {
  const int64_t chunk =
      kForwardChunkTiles * std::max<int64_t>(1, g.c_in * g.c_out / kCachedKernelPairs);
  const int64_t chunks = round_up(ceil_div(tiles.count, chunk), threads);
  return round_up(ceil_div(tiles.count, chunks), kLanes);
}

// Output channels per round of the forward's 36 GEMMs and output transforms: all of them, unless
// a chunk's products (36 C_out chunk floats) outgrow the caches while U still fits them
// (kCachedKernelPairs; beyond, each round would read V again from memory, past U).
// Then kOutBlockRows at a time: the output transform reads its 36 rows from L2, not L3.
int64_t forward_out_block(const Conv2dGeometry& g, int64_t width) {
  const bool blocked =
      kElems * g.c_out * width > kOutBlockFloats && g.c_in * g.c_out <= kCachedKernelPairs;
  return blocked ? round_up(kOutBlockRows, winograd_kernel().mr) : g.c_out;
}

// Tiles per chunk of the backward-weight, a multiple of kLanes: the GEMMs accumulate into all of
// dU (36 C_out C_in floats) once per chunk, so chunks are long: about kWeightChunkFloats of
// transformed inputs and gradients, at least min(C_in, C_out) tiles, at most max_depth (the
// kernel's kc: each chunk's operands are one slab deep).
int64_t weight_chunk_tiles(const Conv2dGeometry& g, const Tiles& tiles, int64_t max_depth) {
  const int64_t chunk =
      std::max(kWeightChunkFloats / (kElems * (g.c_in + g.c_out)), std::min(g.c_in, g.c_out));
  return std::min(round_up(std::min(chunk, tiles.count), kLanes), max_depth / kLanes * kLanes);
}

// Floats of the padded images under one chunk of `chunk` tiles (at most ceil(chunk / per_image)
// + 1 images).
int64_t padded_floats(const Conv2dGeometry& g, const Tiles& tiles, int64_t chunk) {
  const int64_t images = ceil_div(chunk, tiles.per_image) + 1;
  return images * g.c_in * (4 * tiles.rows + 2) * (4 * tiles.cols + 4);
}

// This thread's scratch of `count` floats, 64-byte aligned as the GEMM micro-kernels read
// their panels; it only grows.
float* thread_scratch(int64_t count) {
  constexpr int64_t kAlign = 64 / sizeof(float);
  static thread_local std::vector<float> buffer;
  if (static_cast<int64_t>(buffer.size()) < count + kAlign)
    buffer.resize(static_cast<size_t>(count + kAlign));
  const auto address = reinterpret_cast<uintptr_t>(buffer.data());
  return buffer.data() + (round_up(int64_t(address), 64) - int64_t(address)) / sizeof(float);
}

// y = conv(src, kernels) + bias for the forward geometry g. Each thread takes whole chunks of
// tiles: transform, 36 single-threaded GEMMs, transform back.
void winograd_forward(const float* src, const TransformedKernels& u, const float* bias,
                      const Conv2dGeometry& g, float* y) {
  const SgemmKernel& kern = winograd_kernel();
  const Tiles tiles(g);
  const int threads = static_cast<int>(std::min<int64_t>(team_size(), tiles.count));
  const int64_t chunk = forward_chunk_tiles(g, tiles, threads),
                chunks = ceil_div(tiles.count, chunk);
  const int64_t width = round_up(chunk, kern.nr);
  const PanelLayout layout{width, g.c_in,
                           gemm_detail::sgemm_blocking(kern, g.c_out, chunk, g.c_in).kc, kern.nr};
  const int64_t v_stride = operand_stride(g.c_in * width),
                m_stride = operand_stride(g.c_out * width);
  const int64_t padded_size = padded_floats(g, tiles, chunk);
  const bool stream = streams_output(g.n * g.c_out * g.out_plane());
  const int64_t out_block = forward_out_block(g, width);
#pragma omp parallel num_threads(threads)
  {
    float* v = thread_scratch(kElems * (v_stride + m_stride) + padded_size);
    float* m = v + kElems * v_stride;
#pragma omp for schedule(dynamic)
    for (int64_t q = 0; q < chunks; ++q) {
      const int64_t first = q * chunk, count = std::min(chunk, tiles.count - first);
      const int64_t n0 = first / tiles.per_image, n1 = (first + count - 1) / tiles.per_image + 1;
      const PaddedImages padded = padded_layout(g, tiles, n0, m + kElems * m_stride);
      pad_planes(src, g, tiles, padded, first, count, 0, (n1 - n0) * g.c_in);
      for (int64_t c = 0; c < g.c_in; ++c)
        for (int64_t t = first; t < first + count; t += kLanes)
          transform_inputs(padded, tiles, c, t, std::min<int64_t>(kLanes, first + count - t), first,
                           layout, v_stride, v);
      for (int64_t c0 = 0; c0 < g.c_out; c0 += out_block) {
        const int64_t rows = std::min(out_block, g.c_out - c0);
        for (int e = 0; e < kElems; ++e)
          gemm_detail::sgemm_from_panels(kern, rows, count, g.c_in, u.operand(e).from_line(c0),
                                         PackedPanels(v + e * v_stride, width), 0.0f,
                                         m + e * m_stride + c0 * width, width);
        for (int64_t c = c0; c < c0 + rows; ++c)
          for (int64_t t = first; t < first + count; t += kLanes)
            transform_outputs(m, m_stride, width, g, tiles, c, t,
                              std::min<int64_t>(kLanes, first + count - t), first,
                              bias ? bias[c] : 0.0f, stream, y);
      }
    }
#if defined(__AVX2__)
    if (stream) _mm_sfence();  // y's streaming stores are visible before the region ends
#endif
  }
}

}  // namespace

bool conv_winograd_supported(const Conv2dGeometry& g) {
  return allow_winograd() && g.groups == 1 && g.kh == 3 && g.kw == 3 && g.stride_h == 1 &&
         g.stride_w == 1 && g.dil_h == 1 && g.dil_w == 1 && g.pad_h <= 2 && g.pad_w <= 2 &&
         g.c_in >= kMinChannels && g.c_out >= kMinChannels && g.out_h >= 4 && g.out_w >= 4 &&
         g.h >= 4 && g.w >= 4;
}

void conv_forward_winograd(const float* x, const float* w, const float* bias,
                           const Conv2dGeometry& g, float* y) {
  const TransformedKernels u(winograd_kernel(), w, g, false);
  winograd_forward(x, u, bias, g, y);
}

void conv_backward_data_winograd(const float* grad_y, const float* w, const Conv2dGeometry& g,
                                 float* grad_x) {
  Conv2dGeometry gt = g;  // grad_y -> grad_x as a forward
  gt.c_in = g.c_out, gt.h = g.out_h, gt.w = g.out_w;
  gt.c_out = g.c_in, gt.out_h = g.h, gt.out_w = g.w;
  gt.pad_h = 2 - g.pad_h, gt.pad_w = 2 - g.pad_w;
  const TransformedKernels u(winograd_kernel(), w, gt, true);
  winograd_forward(grad_y, u, nullptr, gt, grad_x);
}

// Backward-weight: all threads on one chunk of tiles at a time, the transforms split over
// channels, then the 36 GEMMs dU[e] += dM[e] V[e]^T split over e with a fixed owner per e, so
// every sum keeps its order: bit-identical from run to run, and on any number of threads.
// (Each thread on its own chunks with its own dU, summed at the end, was 15-25% slower on the
// 64 and 128 channel shapes: twice the chunk buffers and dU in the caches, and the sum.)
void conv_backward_weight_winograd(const float* grad_y, const float* x, const Conv2dGeometry& g,
                                   float* grad_w) {
  const SgemmKernel& kern = winograd_kernel();
  const Tiles tiles(g);
  const int64_t chunk = weight_chunk_tiles(g, tiles, kern.kc);
  const int64_t chunks = ceil_div(tiles.count, chunk);
  const ChannelPanels a_max{chunk, kern.mr}, b_max{chunk, kern.nr};  // dM, V^T at most
  const int64_t v_stride = operand_stride(b_max.lines(g.c_in) * chunk),
                m_stride = operand_stride(a_max.lines(g.c_out) * chunk);
  const int64_t plane = g.c_out * g.c_in, du_stride = operand_stride(plane);
  const int64_t padded_size = padded_floats(g, tiles, chunk);
  // V, dM and the padded images, a whole number of cache lines (dU's panels stay aligned).
  const int64_t chunk_size = round_up(kElems * (v_stride + m_stride) + padded_size, 16);
  const int threads = team_size();
  Tensor scratch = Tensor::empty(Shape{chunk_size + kElems * du_stride}, kF32);
  float* const v = scratch.data<float>();
  float* const dm = v + kElems * v_stride;
  float* const du = v + chunk_size;  // [36][C_out][C_in] (+ pad)
  const int64_t groups_in = ceil_div(g.c_in, kLanes), groups_out = ceil_div(g.c_out, kLanes);
#pragma omp parallel num_threads(threads)
  for (int64_t q = 0; q < chunks; ++q) {
    // The chunk's transformed inputs and output gradients; the GEMM depth is its tiles rounded
    // up to whole lane blocks (the extra lanes are zero).
    const int64_t first = q * chunk, count = std::min(chunk, tiles.count - first);
    const int64_t used = ceil_div(count, kLanes), depth = used * kLanes;
    const ChannelPanels a_panels{depth, kern.mr}, b_panels{depth, kern.nr};
    const int64_t n0 = first / tiles.per_image, n1 = (first + count - 1) / tiles.per_image + 1;
    const PaddedImages padded = padded_layout(g, tiles, n0, dm + kElems * m_stride);
    // Planes in runs of about kPadRunFloats (one grab of the shared loop each: 4x4 planes one
    // by one spent more on the grabs than on the copies).
    const int64_t planes = (n1 - n0) * g.c_in,
                  run = std::max<int64_t>(1, kPadRunFloats / g.in_plane());
#pragma omp for schedule(dynamic)
    for (int64_t p = 0; p < planes; p += run)
      pad_planes(x, g, tiles, padded, first, count, p, std::min(planes, p + run));
#pragma omp for schedule(dynamic, 4)
    for (int64_t item = 0; item < (groups_in + groups_out) * used; ++item) {
      const int64_t group = item / used, t = first + item % used * kLanes;
      const int64_t lanes = std::min<int64_t>(kLanes, first + count - t);
      if (group < groups_in) {
        transform_channel_group(
            group * kLanes, g.c_in, t, first, b_panels, v_stride, v,
            [&](int64_t c, Lanes* out) { input_transform(padded, tiles, c, t, lanes, out); });
      } else {
        transform_channel_group((group - groups_in) * kLanes, g.c_out, t, first, a_panels, m_stride,
                                dm, [&](int64_t c, Lanes* out) {
                                  output_grad_transform(grad_y, g, tiles, c, t, lanes, out);
                                });
      }
    }
#pragma omp for schedule(static)
    for (int e = 0; e < kElems; ++e) {  // both operands already packed (one slab of depth)
      const PackedPanels dm_e(dm + e * m_stride, a_max.lines(g.c_out));
      const PackedPanels vt_e(v + e * v_stride, b_max.lines(g.c_in));
      gemm_detail::sgemm_from_panels(kern, g.c_out, g.c_in, depth, dm_e, vt_e, q == 0 ? 0.0f : 1.0f,
                                     du + e * du_stride, g.c_in);
    }
  }
  // grad_w = G^T dU G, kLanes channel pairs at once. dU is 36 rows a plane apart (38 MB at 512
  // channels, from memory): each row is prefetched kAhead floats on (the 36 streams outran the
  // hardware prefetcher: the loads were 20% of the 512-channel pass).
  constexpr int64_t kAhead = 128;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t p0 = 0; p0 < plane; p0 += kLanes) {
    const int64_t lanes = std::min<int64_t>(kLanes, plane - p0);
    Lanes grads[kElems], half[18], taps[9];
    if (p0 % 16 == 0 && p0 + kAhead < plane)
      for (int e = 0; e < kElems; ++e) __builtin_prefetch(du + e * du_stride + p0 + kAhead);
    for (int e = 0; e < kElems; ++e) {
      if (lanes == kLanes) {
        std::memcpy(&grads[e], du + e * du_stride + p0, sizeof(Lanes));
        continue;
      }
      for (int l = 0; l < kLanes; ++l) grads[e][l] = l < lanes ? du[e * du_stride + p0 + l] : 0.0f;
    }
    for (int j = 0; j < 6; ++j) kernel_grad_1d(grads + j, 6, half + j, 6);  // [3][6]
    for (int i = 0; i < 3; ++i) kernel_grad_1d(half + 6 * i, 1, taps + 3 * i, 1);
    for (int l = 0; l < lanes; ++l)
      for (int q = 0; q < 9; ++q) grad_w[(p0 + l) * 9 + q] = taps[q][l];
  }
}

}  // namespace staa::cpu
