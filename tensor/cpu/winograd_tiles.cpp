// Winograd F(4x4, 3x3) on tiles: the gathers, transforms and scatters of 8 tiles at a time
// (tensor/cpu/winograd_tiles.h). Layer: tensor/cpu. The AVX2 paths move 8 tiles' rows through
// register transposes; the plain loops are the portable path and the reference for them.
#include "tensor/cpu/winograd_tiles.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "tensor/cpu/gemm_kernels.h"

namespace staa::cpu::winograd {

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

void pad_planes(const float* src, const Conv2dGeometry& g, const Tiles& tiles,
                const PaddedImages& padded, int64_t first, int64_t count, int64_t p0, int64_t p1) {
  const int64_t size = padded.rows * padded.cols;
  // The chunk's planes lie one after another in src. Reading them is the first touch of the
  // input, from memory, so the planes about kPrefetchBytes ahead are prefetched (64ch 32px
  // forward, one thread: padding 11% -> 8% of the pass).
  constexpr int64_t kPrefetchBytes = 8192;
  const int64_t plane_bytes = g.in_plane() * int64_t{sizeof(float)};
  const int64_t ahead = ceil_div(kPrefetchBytes, plane_bytes);
  const int64_t planes = ((first + count - 1) / tiles.per_image + 1 - padded.n0) * g.c_in;
  const char* chunk = reinterpret_cast<const char*>(src + padded.n0 * g.c_in * g.in_plane());
  for (int64_t q = p0; q < p1; ++q) {
    if (q + ahead < planes)
      for (int64_t b = 0; b < plane_bytes; b += 64)
        __builtin_prefetch(chunk + (q + ahead) * plane_bytes + b);
    // Rows of the tiles of image n in the chunk: tile rows ti0 .. ti1 read rows 4 ti0 .. 4 ti1 + 5.
    const int64_t n = padded.n0 + q / g.c_in;
    const int64_t t0 = std::max(first, n * tiles.per_image) - n * tiles.per_image;
    const int64_t t1 = std::min(first + count, (n + 1) * tiles.per_image) - n * tiles.per_image;
    const int64_t r1 = 4 * ((t1 - 1) / tiles.cols) + 6;
    pad_rows(src + (n * g.c_in + q % g.c_in) * g.in_plane(), g.h, g.w, g.pad_h, g.pad_w,
             padded.cols, 4 * (t0 / tiles.cols), r1, padded.data + q * size);
  }
}

void clear_lanes(Lanes* v, int n, int64_t count) {
  typedef int32_t LaneBits __attribute__((vector_size(kLanes * sizeof(int32_t))));
  if (count >= kLanes) return;
  LaneBits keep;
  for (int l = 0; l < kLanes; ++l) keep[l] = l < count ? -1 : 0;
  for (int e = 0; e < n; ++e) v[e] = (Lanes)((LaneBits)v[e] & keep);
}

namespace {

#if defined(__AVX2__)
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
    gemm_detail::transpose_8x8_in_regs(r);
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
  // The next block of tiles of this channel (read after the other channels of this block): on
  // planes of 4+ tile columns its rows lie one block's height further down. From memory, in
  // short runs per channel that the hardware prefetcher does not follow.
  if (tiles.cols >= 4 && step[0] == g.out_w && step[kLanes - 1] == g.out_w) {
    const int64_t ahead = 4 * g.out_w * std::max<int64_t>(1, kLanes / tiles.cols);
    for (int i = 0; i < 4; ++i) {
      __builtin_prefetch(first[0] + i * g.out_w + ahead);
      __builtin_prefetch(first[kLanes - 1] + i * g.out_w + ahead + 3);
    }
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
                     int64_t c, int64_t t0, int64_t count, bool stream, float* y) {
  alignas(32) float rows[kLanes][16];  // tile l's 4x4, row-major
  Tiles::Position at[kLanes];
  tiles.locate(t0, count, at);
#if defined(__AVX2__)
  const __m256 b = _mm256_set1_ps(bias);
  // Tiles 2q and 2q + 1 whole and side by side (every pair: planes of 8 to 32+ outputs wide):
  // each row i of a pair is 8 consecutive floats, stored straight from the registers.
  float* pair[4];
  bool pairs = count == kLanes;
  for (int q = 0; q < 4 && pairs; ++q) {
    const Tiles::Position &l = at[2 * q], &r = at[2 * q + 1];
    pairs = r.n == l.n && r.ti == l.ti && r.tj == l.tj + 1 && 4 * l.ti + 4 <= g.out_h &&
            4 * l.tj + 8 <= g.out_w;
    pair[q] = y + (l.n * g.c_out + c) * g.out_plane() + 4 * l.ti * g.out_w + 4 * l.tj;
    stream = stream && reinterpret_cast<uintptr_t>(pair[q]) % 32 == 0 && g.out_w % 8 == 0;
  }
  if (pairs) {
    for (int i = 0; i < 4; ++i) {
      __m256 u[4];  // after the transpose: tile l's row i | tile l + 4's row i
      for (int j = 0; j < 4; ++j) u[j] = _mm256_add_ps((__m256)out[i * 4 + j], b);
      transpose_4x8(u);
      const __m256 runs[4] = {
          // row i of the pairs (0, 1), (2, 3), (4, 5), (6, 7)
          _mm256_permute2f128_ps(u[0], u[1], 0x20), _mm256_permute2f128_ps(u[2], u[3], 0x20),
          _mm256_permute2f128_ps(u[0], u[1], 0x31), _mm256_permute2f128_ps(u[2], u[3], 0x31)};
      for (int q = 0; q < 4; ++q) {
        if (stream) {
          store8<true>(pair[q] + i * g.out_w, runs[q]);
        } else {
          store8<false>(pair[q] + i * g.out_w, runs[q]);
        }
      }
    }
    return;
  }
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
  (void)stream;  // plain stores only
  for (int l = 0; l < kLanes; ++l)
    for (int e = 0; e < 16; ++e) rows[l][e] = out[e][l] + bias;
#endif
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

}  // namespace

void input_transform(const PaddedImages& padded, const Tiles& tiles, int64_t c, int64_t t0,
                     int64_t count, Lanes v[kElems]) {
  Lanes d[kElems], half[kElems];
  gather_inputs(padded, tiles, c, t0, count, d);
  for (int j = 0; j < 6; ++j) input_1d(d + j, 6, half + j, 6);          // columns
  for (int i = 0; i < 6; ++i) input_1d(half + 6 * i, 1, v + 6 * i, 1);  // rows
}

void output_grad_transform(const float* grad_y, const Conv2dGeometry& g, const Tiles& tiles,
                           int64_t c, int64_t t0, int64_t count, Lanes dm[kElems]) {
  Lanes dy[16], half[24];
  gather_output_grads(grad_y, g, tiles, c, t0, count, dy);
  for (int j = 0; j < 4; ++j) output_grad_1d(dy + j, 4, half + j, 4);          // [6][4]
  for (int i = 0; i < 6; ++i) output_grad_1d(half + 4 * i, 1, dm + 6 * i, 1);  // [6][6]
}

void transform_outputs(const float* m, int64_t stride, int64_t ld, const Conv2dGeometry& g,
                       const Tiles& tiles, int64_t c, int64_t t0, int64_t count, int64_t first,
                       float bias, bool stream, float* y) {
  // One 32-byte load per element (a memcpy became two 16-byte copies through the stack, which
  // the 32-byte reads of prod then waited on).
  typedef float UnalignedLanes
      __attribute__((vector_size(sizeof(Lanes)), aligned(4), __may_alias__));
  Lanes prod[kElems], half[24], out[16];
  const float* at = m + c * ld + (t0 - first);
  for (int e = 0; e < kElems; ++e)
    prod[e] = *reinterpret_cast<const UnalignedLanes*>(at + e * stride);
  for (int j = 0; j < 6; ++j) output_1d(prod + j, 6, half + j, 6);         // [4][6]
  for (int i = 0; i < 4; ++i) output_1d(half + 6 * i, 1, out + 4 * i, 1);  // [4][4]
  scatter_outputs(out, bias, g, tiles, c, t0, count, stream, y);
}

}  // namespace staa::cpu::winograd
