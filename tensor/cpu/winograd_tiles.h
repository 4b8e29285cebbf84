// Winograd F(4x4, 3x3) on tiles (tensor/cpu/winograd_tiles.cpp): the 1-D transforms, the output
// tiles of a geometry, the zero-padded images a chunk of tiles reads, and the per-channel
// transforms of 8 tiles at once (one vector lane per tile) that conv_winograd.cpp stores into its
// GEMM operands. Layer: tensor/cpu, private to conv_winograd.cpp. Math: conv_winograd.cpp's
// header comment.
#pragma once

#include <cstdint>

#include "tensor/cpu/kernel_util.h"
#include "tensor/ops/conv.h"

namespace staa::cpu::winograd {

constexpr int kElems = 36;  // 6 x 6 transformed values per tile

// Eight tiles at once: the transforms run across tiles, one vector lane per tile.
constexpr int kLanes = 8;
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));

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
inline PaddedImages padded_layout(const Conv2dGeometry& g, const Tiles& tiles, int64_t n0,
                                  float* out) {
  return PaddedImages{out, n0, g.c_in, 4 * tiles.rows + 2, 4 * tiles.cols + 4};
}

// Fills planes [p0, p1) of `padded` (plane q: image n0 + q / C, channel q % C) from src:
// [N, C, H, W] with the tile origins at (4 ti - pad_h, 4 tj - pad_w): the rows that tiles
// [first, first + count) read, no others (a chunk takes part of its first and last images).
void pad_planes(const float* src, const Conv2dGeometry& g, const Tiles& tiles,
                const PaddedImages& padded, int64_t first, int64_t count, int64_t p0, int64_t p1);

// Lanes l >= count of v[0, n) set to zero (bitwise: an Inf there must not turn into NaN).
void clear_lanes(Lanes* v, int n, int64_t count);

// V = B^T d B of input channel c for tiles [t0, t0 + count) (count <= kLanes; lanes past count:
// zero), from the padded images.
void input_transform(const PaddedImages& padded, const Tiles& tiles, int64_t c, int64_t t0,
                     int64_t count, Lanes v[kElems]);

// dM = A dY A^T of output channel c for tiles [t0, t0 + count) (lanes past count: zero).
// grad_y: [N, C_out, OH, OW]
void output_grad_transform(const float* grad_y, const Conv2dGeometry& g, const Tiles& tiles,
                           int64_t c, int64_t t0, int64_t count, Lanes dm[kElems]);

// y tiles [t0, t0 + count) of output channel c from the products M (element e at
// m + e * stride, row c, lines from t0 - first; row stride ld), plus bias. stream: the rows of
// pairs of whole tiles side by side go out by streaming stores (y past the caches,
// kStreamStoreBytes; the caller fences). y: [N, C_out, OH, OW]
void transform_outputs(const float* m, int64_t stride, int64_t ld, const Conv2dGeometry& g,
                       const Tiles& tiles, int64_t c, int64_t t0, int64_t count, int64_t first,
                       float bias, bool stream, float* y);

}  // namespace staa::cpu::winograd
