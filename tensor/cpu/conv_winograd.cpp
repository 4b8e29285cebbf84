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
#include "tensor/tensor.h"

namespace staa::cpu {
namespace {

using gemm_detail::PanelSource;
using gemm_detail::SgemmKernel;

constexpr int kElems = 36;  // 6 x 6 transformed values per tile
// Below this many channels on either side the transforms cost more than the GEMMs save (per
// pass with CONV_WINOGRAD=0 in conv_bench: at 16 channels forward and backward-data 1.2-1.7x the
// implicit GEMM, backward-weight on par; at 32, 1.7-2x and 1.1x).
constexpr int64_t kMinChannels = 16;
// Tiles per chunk (chunk_tiles). Forward: each thread's chunk keeps 36 (C_in + C_out) floats per
// tile in flight; 48 measured best among 24, 48 and 96 (one thread, best of 3 runs: 5-25% over
// 96 on the ResNet-20 shapes, 24 between them). Backward-weight: see chunk_tiles; 1M floats
// measured best among 256K-4M on the 64 and 128 channel shapes, min(C_in, C_out) on the 256
// and 512 channel ones.
constexpr int64_t kForwardChunkTiles = 48;
constexpr int64_t kWeightChunkFloats = int64_t{1} << 20;
// Backward-weight gives each thread its own dU while the extra copies stay within this many
// floats (up to 256 x 256 channels on 2 threads; 512 channels share one dU of 38 MB).
constexpr int64_t kMaxPartialFloats = int64_t{3} << 20;

// The 36 operands of a kind lie one cache line more than their size (rounded up to whole lines)
// apart: each starts 64-byte aligned as the GEMM panels must, and since sizes are often
// multiples of 4 KiB, 36 streams at such a spacing would all fall into the same L1 sets (the
// transforms write or read all 36 at once).
int64_t operand_stride(int64_t floats) {
  return (floats + 15) / 16 * 16 + 16;
}

// Eight tiles at once: the transforms run across tiles, one vector lane per tile.
constexpr int kLanes = 8;
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}
int64_t round_up(int64_t a, int64_t b) {
  return ceil_div(a, b) * b;
}

// The transforms, on six (or four, or three) values spaced `is` apart, written `os` apart.
// B^T: inputs -> transformed inputs.
template <typename V>
void input_1d(const V* d, int is, V* o, int os) {
  o[0] = 4.0f * d[0] - 5.0f * d[2 * is] + d[4 * is];
  o[os] = -4.0f * (d[is] + d[2 * is]) + d[3 * is] + d[4 * is];
  o[2 * os] = 4.0f * (d[is] - d[2 * is]) - d[3 * is] + d[4 * is];
  o[3 * os] = 2.0f * (d[3 * is] - d[is]) - d[2 * is] + d[4 * is];
  o[4 * os] = 2.0f * (d[is] - d[3 * is]) - d[2 * is] + d[4 * is];
  o[5 * os] = 4.0f * d[is] - 5.0f * d[3 * is] + d[5 * is];
}

// A^T: six products -> four outputs.
template <typename V>
void output_1d(const V* m, int is, V* o, int os) {
  const V s12 = m[is] + m[2 * is], d12 = m[is] - m[2 * is];
  const V s34 = m[3 * is] + m[4 * is], d34 = m[3 * is] - m[4 * is];
  o[0] = m[0] + s12 + s34;
  o[os] = d12 + 2.0f * d34;
  o[2 * os] = s12 + 4.0f * s34;
  o[3 * os] = d12 + 8.0f * d34 + m[5 * is];
}

// A (the adjoint of output_1d): four output gradients -> six product gradients.
template <typename V>
void output_grad_1d(const V* dy, int is, V* o, int os) {
  const V even = dy[0] + dy[2 * is], odd = dy[is] + dy[3 * is];
  const V even4 = dy[0] + 4.0f * dy[2 * is], odd8 = 2.0f * dy[is] + 8.0f * dy[3 * is];
  o[0] = dy[0];
  o[os] = even + odd;
  o[2 * os] = even - odd;
  o[3 * os] = even4 + odd8;
  o[4 * os] = even4 - odd8;
  o[5 * os] = dy[3 * is];
}

// G: three kernel taps -> six transformed taps.
template <typename V>
void kernel_1d(const V* g, int is, V* o, int os) {
  constexpr float k6 = 1.0f / 6, k12 = 1.0f / 12, k24 = 1.0f / 24;
  const V outer = g[0] + g[2 * is];
  o[0] = 0.25f * g[0];
  o[os] = -k6 * (outer + g[is]);
  o[2 * os] = -k6 * (outer - g[is]);
  o[3 * os] = k24 * g[0] + k12 * g[is] + k6 * g[2 * is];
  o[4 * os] = k24 * g[0] - k12 * g[is] + k6 * g[2 * is];
  o[5 * os] = g[2 * is];
}

// G^T (the adjoint of kernel_1d): six transformed-tap gradients -> three tap gradients.
template <typename V>
void kernel_grad_1d(const V* u, int is, V* o, int os) {
  constexpr float k6 = 1.0f / 6, k12 = 1.0f / 12, k24 = 1.0f / 24;
  const V s12 = u[is] + u[2 * is], s34 = u[3 * is] + u[4 * is];
  o[0] = 0.25f * u[0] - k6 * s12 + k24 * s34;
  o[os] = k6 * (u[2 * is] - u[is]) + k12 * (u[3 * is] - u[4 * is]);
  o[2 * os] = k6 * (s34 - s12) + u[5 * is];
}

// Output tiles of one geometry: tile t = (image, ti, tj), 4x4 outputs from (4 ti, 4 tj).
struct Tiles {
  int64_t rows, cols, per_image, count;
  explicit Tiles(const Conv2dGeometry& g)
      : rows(ceil_div(g.out_h, 4)),
        cols(ceil_div(g.out_w, 4)),
        per_image(rows * cols),
        count(g.n * rows * cols) {}
  struct Position {
    int64_t n, ti, tj;
  };
  // Positions of tiles t0, t0 + 1, ... (count of them, at most kLanes); past count, the last.
  void locate(int64_t t0, int64_t count, Position* out) const;
};

void Tiles::locate(int64_t t0, int64_t count, Position* out) const {
  Position p{t0 / per_image, t0 % per_image / cols, t0 % cols};
  for (int l = 0; l < kLanes; ++l) {
    out[l] = p;
    if (l + 1 >= count) continue;
    if (++p.tj == cols) {
      p.tj = 0;
      if (++p.ti == rows) p.ti = 0, ++p.n;
    }
  }
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
  // l0 a multiple of kLanes.
  void store(const Lanes* v, int64_t p, int64_t l0, int64_t stride, float* out) const {
    if (nr % kLanes == 0) {  // the lanes are one run
      float* at = out + offset(p, l0);
      for (int e = 0; e < kElems; ++e) std::memcpy(at + e * stride, &v[e], sizeof(Lanes));
      return;
    }
    for (int l = 0; l < kLanes; ++l) {
      float* at = out + offset(p, l0 + l);
      for (int e = 0; e < kElems; ++e) at[e * stride] = v[e][l];
    }
  }
};

// A GEMM operand already in packed layout (PanelLayout with the kernel's width and kc).
class PackedPanels final : public PanelSource {
 public:
  PackedPanels(const float* base, int64_t width) : base_(base), width_(width) {}
  const float* panels(int64_t l0, int64_t, int64_t p0, int64_t depth, float*) const override {
    return base_ + p0 * width_ + l0 * depth;
  }

 private:
  const float* base_;
  int64_t width_;
};

// The images under a chunk of tiles, zero padded so that every tile's 6x6 block lies inside
// and each of its rows can be read 8 floats wide: image n's channel c is the plane at
// data + ((n - n0) C + c) plane, tile (ti, tj)'s block starts at row 4 ti, column 4 tj.
struct PaddedImages {
  float* data;
  int64_t n0, channels, rows, cols;  // rows = 4 tile rows + 2, cols = 4 tile columns + 4
  const float* block(int64_t n, int64_t c, int64_t ti, int64_t tj) const {
    return data + (((n - n0) * channels + c) * rows + 4 * ti) * cols + 4 * tj;
  }
};

// The padded layout of the images from n0 on, in out.
PaddedImages padded_layout(const Conv2dGeometry& g, const Tiles& tiles, int64_t n0, float* out) {
  return PaddedImages{out, n0, g.c_in, 4 * tiles.rows + 2, 4 * tiles.cols + 4};
}

// Fills planes [p0, p1) of `padded` (plane q: image n0 + q / C, channel q % C) from src:
// [N, C, H, W] with the tile origins at (4 ti - pad_h, 4 tj - pad_w).
void pad_planes(const float* src, const Conv2dGeometry& g, const PaddedImages& padded, int64_t p0,
                int64_t p1) {
  const int64_t size = padded.rows * padded.cols;
  for (int64_t q = p0; q < p1; ++q) {
    float* plane = padded.data + q * size;
    const float* in = src + (padded.n0 * g.c_in + q) * g.in_plane();
    // Plain loops: the rows are short, and memcpy / memset calls cost more than the copy.
    for (int64_t e = 0; e < g.pad_h * padded.cols; ++e) plane[e] = 0.0f;
    for (int64_t h = 0; h < g.h; ++h) {
      float* line = plane + (g.pad_h + h) * padded.cols;
      const float* from = in + h * g.w;
      for (int64_t j = 0; j < g.pad_w; ++j) line[j] = 0.0f;
      for (int64_t j = 0; j < g.w; ++j) line[g.pad_w + j] = from[j];
      for (int64_t j = g.pad_w + g.w; j < padded.cols; ++j) line[j] = 0.0f;
    }
    for (int64_t e = (g.pad_h + g.h) * padded.cols; e < size; ++e) plane[e] = 0.0f;
  }
}

// Lanes l >= count of v[0, n) set to zero (bitwise: an Inf there must not turn into NaN).
void clear_lanes(Lanes* v, int n, int64_t count) {
  typedef int32_t LaneBits __attribute__((vector_size(kLanes * sizeof(int32_t))));
  if (count >= kLanes) return;
  LaneBits keep;
  for (int l = 0; l < kLanes; ++l) keep[l] = l < count ? -1 : 0;
  for (int e = 0; e < n; ++e) v[e] = (Lanes)((LaneBits)v[e] & keep);
}

#if defined(__AVX2__)
// r[l][q] -> r[q][l] for an 8 x 8 block in registers.
inline void transpose_8x8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int l = 0; l < 8; l += 2) {
    t[l] = _mm256_unpacklo_ps(r[l], r[l + 1]);
    t[l + 1] = _mm256_unpackhi_ps(r[l], r[l + 1]);
  }
  for (int g = 0; g < 8; g += 4)
    for (int h = 0; h < 2; ++h) {
      u[g + 2 * h] = _mm256_shuffle_ps(t[g + h], t[g + 2 + h], _MM_SHUFFLE(1, 0, 1, 0));
      u[g + 2 * h + 1] = _mm256_shuffle_ps(t[g + h], t[g + 2 + h], _MM_SHUFFLE(3, 2, 3, 2));
    }
  for (int q = 0; q < 4; ++q) {
    r[q] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x20);
    r[q + 4] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x31);
  }
}

// Four vectors a[j] (lane = tile) <-> u[l] = (tile l's a[0..3] | tile l + 4's a[0..3]): the same
// in-lane 4 x 4 transpose both ways.
inline void transpose_4x8(__m256 a[4]) {
  const __m256 t0 = _mm256_unpacklo_ps(a[0], a[1]), t1 = _mm256_unpackhi_ps(a[0], a[1]);
  const __m256 t2 = _mm256_unpacklo_ps(a[2], a[3]), t3 = _mm256_unpackhi_ps(a[2], a[3]);
  a[0] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  a[1] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  a[2] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  a[3] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
}
#endif

// d[i * 6 + j][l]: the 6x6 input block of channel c of tile t0 + l (lanes past count: zero).
void gather_inputs(const PaddedImages& padded, const Tiles& tiles, int64_t c, int64_t t0,
                   int64_t count, Lanes d[kElems]) {
  Tiles::Position at[kLanes];
  tiles.locate(t0, count, at);
  const float* block[kLanes];
  for (int l = 0; l < kLanes; ++l) block[l] = padded.block(at[l].n, c, at[l].ti, at[l].tj);
#if defined(__AVX2__)
  for (int i = 0; i < 6; ++i) {  // row i of the 8 blocks, transposed: columns across the lanes
    __m256 r[8];
    for (int l = 0; l < kLanes; ++l) r[l] = _mm256_loadu_ps(block[l] + i * padded.cols);
    transpose_8x8(r);
    for (int j = 0; j < 6; ++j) d[i * 6 + j] = (Lanes)r[j];
  }
#else
  for (int l = 0; l < kLanes; ++l)
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j) d[i * 6 + j][l] = block[l][i * padded.cols + j];
#endif
  clear_lanes(d, kElems, count);
}

// dy[i * 4 + j][l]: the 4x4 output gradients of channel c of tile t0 + l (zero past the edge and
// past count). grad_y: [N, C_out, OH, OW]
void gather_output_grads(const float* grad_y, const Conv2dGeometry& g, const Tiles& tiles,
                         int64_t c, int64_t t0, int64_t count, Lanes dy[16]) {
  // Row i of tile l's 4x4 at first[l] + i * step: in grad_y for whole tiles, else in `copy`
  // (zero past the edge and past count).
  alignas(32) float copy[kLanes][16];
  const float* first[kLanes];
  int64_t step[kLanes];
  Tiles::Position at[kLanes];
  tiles.locate(t0, count, at);
  for (int l = 0; l < kLanes; ++l) {
    const auto [n, ti, tj] = at[l];
    const float* tile = grad_y + (n * g.c_out + c) * g.out_plane() + 4 * ti * g.out_w + 4 * tj;
    const int64_t h = std::min<int64_t>(4, g.out_h - 4 * ti),
                  w = std::min<int64_t>(4, g.out_w - 4 * tj);
    if (l < count && h == 4 && w == 4) {
      first[l] = tile, step[l] = g.out_w;
      continue;
    }
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j)
        copy[l][i * 4 + j] = l < count && i < h && j < w ? tile[i * g.out_w + j] : 0.0f;
    first[l] = copy[l], step[l] = 4;
  }
#if defined(__AVX2__)
  for (int i = 0; i < 4; ++i) {
    __m256 u[4];
    for (int l = 0; l < 4; ++l)
      u[l] = _mm256_set_m128(_mm_loadu_ps(first[l + 4] + i * step[l + 4]),
                             _mm_loadu_ps(first[l] + i * step[l]));
    transpose_4x8(u);
    for (int j = 0; j < 4; ++j) dy[i * 4 + j] = (Lanes)u[j];
  }
#else
  for (int l = 0; l < kLanes; ++l)
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) dy[i * 4 + j][l] = first[l][i * step[l] + j];
#endif
}

// Writes out[i * 4 + j][l] + bias to tile t0 + l's outputs (l < count, clipped at the edge).
// y: [N, C_out, OH, OW]
void scatter_outputs(Lanes out[16], float bias, const Conv2dGeometry& g, const Tiles& tiles,
                     int64_t c, int64_t t0, int64_t count, float* y) {
  alignas(32) float rows[kLanes][16];  // tile l's 4x4, row-major
#if defined(__AVX2__)
  const __m256 b = _mm256_set1_ps(bias);
  for (int i = 0; i < 4; ++i) {
    __m256 u[4];
    for (int j = 0; j < 4; ++j) u[j] = _mm256_add_ps((__m256)out[i * 4 + j], b);
    transpose_4x8(u);
    for (int l = 0; l < 4; ++l) {
      _mm_store_ps(rows[l] + 4 * i, _mm256_castps256_ps128(u[l]));
      _mm_store_ps(rows[l + 4] + 4 * i, _mm256_extractf128_ps(u[l], 1));
    }
  }
#else
  for (int l = 0; l < kLanes; ++l)
    for (int e = 0; e < 16; ++e) rows[l][e] = out[e][l] + bias;
#endif
  Tiles::Position at[kLanes];
  tiles.locate(t0, count, at);
  for (int l = 0; l < count; ++l) {
    const auto [n, ti, tj] = at[l];
    float* plane = y + (n * g.c_out + c) * g.out_plane() + 4 * ti * g.out_w + 4 * tj;
    const int64_t h = std::min<int64_t>(4, g.out_h - 4 * ti),
                  w = std::min<int64_t>(4, g.out_w - 4 * tj);
    for (int64_t i = 0; i < h; ++i) {
      if (w == 4) {
        std::memcpy(plane + i * g.out_w, rows[l] + 4 * i, 4 * sizeof(float));
      } else {
        for (int64_t j = 0; j < w; ++j) plane[i * g.out_w + j] = rows[l][4 * i + j];
      }
    }
  }
}

// V = B^T d B of channel c for tiles [t0, t0 + count) (count <= kLanes; missing lanes are zero),
// stored at line t0 - first of each element's operand (elements `stride` floats apart).
void input_transform(const PaddedImages& padded, const Tiles& tiles, int64_t c, int64_t t0,
                     int64_t count, Lanes v[kElems]) {
  Lanes d[kElems], half[kElems];
  gather_inputs(padded, tiles, c, t0, count, d);
  for (int j = 0; j < 6; ++j) input_1d(d + j, 6, half + j, 6);          // columns
  for (int i = 0; i < 6; ++i) input_1d(half + 6 * i, 1, v + 6 * i, 1);  // rows
}
void transform_inputs(const PaddedImages& padded, const Tiles& tiles, int64_t c, int64_t t0,
                      int64_t count, int64_t first, const PanelLayout& layout, int64_t stride,
                      float* out) {
  Lanes v[kElems];
  input_transform(padded, tiles, c, t0, count, v);
  layout.store(v, c, t0 - first, stride, out);
}

// dM = A dY A^T of output channel c for tiles [t0, t0 + count) (lanes past count: zero).
void output_grad_transform(const float* grad_y, const Conv2dGeometry& g, const Tiles& tiles,
                           int64_t c, int64_t t0, int64_t count, Lanes dm[kElems]) {
  Lanes dy[16], half[24];
  gather_output_grads(grad_y, g, tiles, c, t0, count, dy);
  for (int j = 0; j < 4; ++j) output_grad_1d(dy + j, 4, half + j, 4);          // [6][4]
  for (int i = 0; i < 6; ++i) output_grad_1d(half + 4 * i, 1, dm + 6 * i, 1);  // [6][6]
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
      __m256 r[kLanes];
      for (int k = 0; k < kLanes; ++k) r[k] = (__m256)vals[k][e];
      transpose_8x8(r);
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

// y tiles [t0, t0 + count) of output channel c from the products M (element e at
// m + e * stride, row c, lines from t0 - first; row stride ld), plus bias.
void transform_outputs(const float* m, int64_t stride, int64_t ld, const Conv2dGeometry& g,
                       const Tiles& tiles, int64_t c, int64_t t0, int64_t count, int64_t first,
                       float bias, float* y) {
  Lanes prod[kElems], half[24], out[16];
  for (int e = 0; e < kElems; ++e)
    std::memcpy(&prod[e], m + e * stride + c * ld + (t0 - first), sizeof(Lanes));
  for (int j = 0; j < 6; ++j) output_1d(prod + j, 6, half + j, 6);         // [4][6]
  for (int i = 0; i < 4; ++i) output_1d(half + 6 * i, 1, out + 4 * i, 1);  // [4][4]
  scatter_outputs(out, bias, g, tiles, c, t0, count, y);
}

// The transformed kernels U[e] = G k G^T of every channel pair (a, b) of the forward geometry g
// (a < C_out, b < C_in), packed once as the A operands of the 36 GEMMs: sgemm's mr-row
// micro-panels per kc-deep slab (as conv_implicit.cpp packs weights), operand e from e * stride().
// Forward: k = w[a, b]; flipped (backward-data, where g is the geometry of grad_y -> grad_x):
// k[i][j] = w[b, a, 2 - i, 2 - j] with w: [C_in of g, C_out of g, 3, 3].
class TransformedKernels {
 public:
  TransformedKernels(const SgemmKernel& kern, const float* w, const Conv2dGeometry& g, bool flipped)
      : layout_{round_up(g.c_out, kern.mr), g.c_in,
                gemm_detail::sgemm_blocking(kern, g.c_out, 1, g.c_in).kc, kern.mr},
        store_(Tensor::empty(Shape{kElems * stride()}, kF32)) {
    STAA_CHECK(kern.mr % 4 == 0, "conv2d (Winograd): micro-kernel rows ", kern.mr,
               " are not a multiple of 4");
    const int64_t rows = g.c_out, cols = g.c_in, blocks = ceil_div(layout_.width, kLanes);
    float* packed = store_.data<float>();
#pragma omp parallel for schedule(static) if (rows * cols > 4096)
    for (int64_t b = 0; b < cols; ++b) {
      for (int64_t block = 0; block < blocks; ++block) {  // rows a0 .. a0 + kLanes at once
        const int64_t a0 = block * kLanes, lanes = std::min<int64_t>(kLanes, rows - a0);
        const float* k[kLanes];  // the 9 taps of pair (a0 + l, b)
        for (int l = 0; l < kLanes; ++l) {
          const int64_t a = a0 + std::min<int64_t>(l, lanes - 1);
          k[l] = flipped ? w + (b * rows + a) * 9 : w + (a * cols + b) * 9;
        }
        Lanes taps[9], half[18], out[kElems];
        load_taps(k, taps);
        if (flipped) std::reverse(taps, taps + 9);
        clear_lanes(taps, 9, lanes);
        for (int j = 0; j < 3; ++j) kernel_1d(taps + j, 3, half + j, 3);         // [6][3]
        for (int i = 0; i < 6; ++i) kernel_1d(half + 3 * i, 1, out + 6 * i, 1);  // [6][6]
        // Lines a0, a0 + 1, ... are consecutive within a micro-panel, the next panel's first line
        // at the same depth comes (slab_depth - 1) mr floats after the last one; mr % 4 == 0.
        alignas(32) float flat[kElems][kLanes];
        std::memcpy(flat, out, sizeof flat);
        const int64_t slab_depth = std::min(layout_.kc, cols - b / layout_.kc * layout_.kc);
        int64_t at = layout_.offset(b, a0), in_panel = a0 % layout_.nr;
        for (int l = 0; l < kLanes && a0 + l < layout_.width; l += 4) {
          for (int e = 0; e < kElems; ++e)
            std::memcpy(packed + e * stride() + at, &flat[e][l], 4 * sizeof(float));
          at += 4;
          if ((in_panel += 4) == layout_.nr) in_panel = 0, at += (slab_depth - 1) * layout_.nr;
        }
      }
    }
  }
  int64_t stride() const {
    return operand_stride(layout_.width * layout_.depth);
  }
  PackedPanels operand(int e) const {
    return PackedPanels(store_.data<float>() + e * stride(), layout_.width);
  }

 private:
  // taps[q][l] = k[l][q]
  static void load_taps(const float* const k[kLanes], Lanes taps[9]) {
#if defined(__AVX2__)
    __m256 r[8];
    for (int l = 0; l < kLanes; ++l) r[l] = _mm256_loadu_ps(k[l]);
    transpose_8x8(r);
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

// Tiles per chunk, a multiple of kLanes. Forward (and backward-data): kForwardChunkTiles, times
// C_in C_out / 256^2 when above 1 (every chunk streams all of U: 36 C_in C_out floats, 38 MB at
// 512 channels), evened out so that the threads get the same number of chunks. Backward-weight:
// the GEMMs accumulate into all of dU (36 C_out C_in floats) once per chunk, so chunks are long:
// about kWeightChunkFloats of transformed inputs and gradients, at least min(C_in, C_out) tiles.
int64_t chunk_tiles(const Conv2dGeometry& g, const Tiles& tiles, int threads, bool weight) {
  if (weight) {
    const int64_t chunk =
        std::max(kWeightChunkFloats / (kElems * (g.c_in + g.c_out)), std::min(g.c_in, g.c_out));
    return round_up(std::min(chunk, tiles.count), kLanes);
  }
  const int64_t chunk = kForwardChunkTiles * std::max<int64_t>(1, g.c_in * g.c_out / (256 * 256));
  const int64_t chunks = round_up(ceil_div(tiles.count, chunk), threads);
  return round_up(ceil_div(tiles.count, chunks), kLanes);
}

int team_size() {
  return omp_in_parallel() ? 1 : omp_get_max_threads();
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
  const SgemmKernel& kern = gemm_detail::chosen_sgemm_kernel();
  const Tiles tiles(g);
  const int threads = static_cast<int>(std::min<int64_t>(team_size(), tiles.count));
  const int64_t chunk = chunk_tiles(g, tiles, threads, false),
                chunks = ceil_div(tiles.count, chunk);
  const int64_t width = round_up(chunk, kern.nr);
  const PanelLayout layout{width, g.c_in,
                           gemm_detail::sgemm_blocking(kern, g.c_out, chunk, g.c_in).kc, kern.nr};
  const int64_t v_stride = operand_stride(g.c_in * width),
                m_stride = operand_stride(g.c_out * width);
  // A chunk's tiles span at most ceil(chunk / per_image) + 1 images.
  const int64_t images = ceil_div(chunk, tiles.per_image) + 1;
  const int64_t padded_size = images * g.c_in * (4 * tiles.rows + 2) * (4 * tiles.cols + 4);
#pragma omp parallel num_threads(threads)
  {
    float* v = thread_scratch(kElems * (v_stride + m_stride) + padded_size);
    float* m = v + kElems * v_stride;
#pragma omp for schedule(dynamic)
    for (int64_t q = 0; q < chunks; ++q) {
      const int64_t first = q * chunk, count = std::min(chunk, tiles.count - first);
      const int64_t n0 = first / tiles.per_image, n1 = (first + count - 1) / tiles.per_image + 1;
      const PaddedImages padded = padded_layout(g, tiles, n0, m + kElems * m_stride);
      pad_planes(src, g, padded, 0, (n1 - n0) * g.c_in);
      for (int64_t c = 0; c < g.c_in; ++c)
        for (int64_t t = first; t < first + count; t += kLanes)
          transform_inputs(padded, tiles, c, t, std::min<int64_t>(kLanes, first + count - t), first,
                           layout, v_stride, v);
      for (int e = 0; e < kElems; ++e)
        gemm_detail::sgemm_from_panels(kern, g.c_out, count, g.c_in, u.operand(e),
                                       PackedPanels(v + e * v_stride, width), 0.0f,
                                       m + e * m_stride, width);
      for (int64_t c = 0; c < g.c_out; ++c)
        for (int64_t t = first; t < first + count; t += kLanes)
          transform_outputs(m, m_stride, width, g, tiles, c, t,
                            std::min<int64_t>(kLanes, first + count - t), first,
                            bias ? bias[c] : 0.0f, y);
    }
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
  const TransformedKernels u(gemm_detail::chosen_sgemm_kernel(), w, g, false);
  winograd_forward(x, u, bias, g, y);
}

void conv_backward_data_winograd(const float* grad_y, const float* w, const Conv2dGeometry& g,
                                 float* grad_x) {
  Conv2dGeometry gt = g;  // grad_y -> grad_x as a forward
  gt.c_in = g.c_out, gt.h = g.out_h, gt.w = g.out_w;
  gt.c_out = g.c_in, gt.out_h = g.h, gt.out_w = g.w;
  gt.pad_h = 2 - g.pad_h, gt.pad_w = 2 - g.pad_w;
  const TransformedKernels u(gemm_detail::chosen_sgemm_kernel(), w, gt, true);
  winograd_forward(grad_y, u, nullptr, gt, grad_x);
}

// Backward-weight in one of two ways. Small dU (at most kMaxPartialFloats for all threads'
// partials): each thread takes a fixed share of the chunks (static, so every sum keeps its order
// from run to run) and accumulates into its own dU, summed at the end; no barriers. Large dU
// (512 channels): all threads on one chunk at a time, transforms split over channels,
// then the 36 GEMMs dU[e] += dM[e] V[e]^T split over e with a fixed owner per e. Either way the
// results are bit-identical from run to run.
void conv_backward_weight_winograd(const float* grad_y, const float* x, const Conv2dGeometry& g,
                                   float* grad_w) {
  const SgemmKernel& kern = gemm_detail::chosen_sgemm_kernel();
  const Tiles tiles(g);
  const int64_t chunk = std::min(chunk_tiles(g, tiles, 1, true), kern.kc / kLanes * kLanes);
  const int64_t chunks = ceil_div(tiles.count, chunk);
  const ChannelPanels a_max{chunk, kern.mr}, b_max{chunk, kern.nr};  // dM, V^T at most
  const int64_t v_stride = operand_stride(b_max.lines(g.c_in) * chunk),
                m_stride = operand_stride(a_max.lines(g.c_out) * chunk);
  const int64_t plane = g.c_out * g.c_in, du_stride = operand_stride(plane);
  const int64_t images = ceil_div(chunk, tiles.per_image) + 1;
  const int64_t padded_size = images * g.c_in * (4 * tiles.rows + 2) * (4 * tiles.cols + 4);
  // Per copy: V, dM and the padded images, a whole number of cache lines (panels stay aligned).
  const int64_t chunk_size = round_up(kElems * (v_stride + m_stride) + padded_size, 16);
  int threads = static_cast<int>(std::min<int64_t>(team_size(), chunks));
  const bool partials = threads > 1 && (threads - 1) * kElems * du_stride <= kMaxPartialFloats;
  if (!partials) threads = team_size();
  const int copies = partials ? threads : 1;  // chunk buffers and dU
  Tensor scratch = Tensor::empty(Shape{copies * (chunk_size + kElems * du_stride)}, kF32);
  float* const base = scratch.data<float>();
  float* const du0 = base + copies * chunk_size;  // [36][C_out][C_in] (+ pad) per copy
  const int64_t groups_in = ceil_div(g.c_in, kLanes), groups_out = ceil_div(g.c_out, kLanes);

  // One chunk's transformed inputs and output gradients, the work split by `split` (an omp for
  // when all threads share the chunk, a plain loop when one thread owns it). Returns the GEMM
  // depth: the chunk's tiles rounded up to whole lane blocks (the extra lanes are zero).
  const auto transform_chunk = [&](int64_t q, float* buf, auto&& split) {
    float* v = buf;
    float* dm = v + kElems * v_stride;
    const int64_t first = q * chunk, count = std::min(chunk, tiles.count - first);
    const int64_t used = ceil_div(count, kLanes);
    const ChannelPanels a_panels{used * kLanes, kern.mr}, b_panels{used * kLanes, kern.nr};
    const int64_t n0 = first / tiles.per_image, n1 = (first + count - 1) / tiles.per_image + 1;
    const PaddedImages padded = padded_layout(g, tiles, n0, dm + kElems * m_stride);
    split((n1 - n0) * g.c_in, [&](int64_t p) { pad_planes(x, g, padded, p, p + 1); });
    split((groups_in + groups_out) * used, [&](int64_t item) {
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
    });
    return used * kLanes;
  };
  // dU[e] (+)= dM[e] V[e]^T, both operands already packed (one slab of `depth`).
  const auto accumulate = [&](const float* buf, int64_t depth, int e, bool overwrite, float* du) {
    const PackedPanels dm(buf + kElems * v_stride + e * m_stride, a_max.lines(g.c_out));
    const PackedPanels vt(buf + e * v_stride, b_max.lines(g.c_in));
    gemm_detail::sgemm_from_panels(kern, g.c_out, g.c_in, depth, dm, vt, overwrite ? 0.0f : 1.0f,
                                   du + e * du_stride, g.c_in);
  };
  if (partials) {
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num();
      float* buf = base + t * chunk_size;
      float* du = du0 + t * kElems * du_stride;
      const auto serial = [](int64_t n, auto&& f) {
        for (int64_t i = 0; i < n; ++i) f(i);
      };
      bool first = true;
#pragma omp for schedule(static) nowait
      for (int64_t q = 0; q < chunks; ++q) {
        const int64_t depth = transform_chunk(q, buf, serial);
        for (int e = 0; e < kElems; ++e) accumulate(buf, depth, e, first, du);
        first = false;
      }
      if (first) std::fill(du, du + kElems * du_stride, 0.0f);
    }
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < kElems * du_stride; ++i)
      for (int t = 1; t < threads; ++t) du0[i] += du0[t * kElems * du_stride + i];
  } else {
#pragma omp parallel num_threads(threads)
    {
      const auto shared = [](int64_t n, auto&& f) {
#pragma omp for schedule(dynamic, 4)
        for (int64_t i = 0; i < n; ++i) f(i);
      };
      for (int64_t q = 0; q < chunks; ++q) {
        const int64_t depth = transform_chunk(q, base, shared);
#pragma omp for schedule(static)
        for (int e = 0; e < kElems; ++e) accumulate(base, depth, e, q == 0, du0);
      }
    }
  }
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t p0 = 0; p0 < plane; p0 += kLanes) {  // kLanes channel pairs at once
    const int64_t lanes = std::min<int64_t>(kLanes, plane - p0);
    Lanes grads[kElems], half[18], taps[9];
    for (int e = 0; e < kElems; ++e)
      for (int l = 0; l < kLanes; ++l) grads[e][l] = l < lanes ? du0[e * du_stride + p0 + l] : 0.0f;
    for (int j = 0; j < 6; ++j) kernel_grad_1d(grads + j, 6, half + j, 6);  // [3][6]
    for (int i = 0; i < 3; ++i) kernel_grad_1d(half + 6 * i, 1, taps + 3 * i, 1);
    for (int l = 0; l < lanes; ++l)
      for (int q = 0; q < 9; ++q) grad_w[(p0 + l) * 9 + q] = taps[q][l];
  }
}

}  // namespace staa::cpu
