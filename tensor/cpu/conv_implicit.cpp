// Float conv2d as implicit GEMM on sgemm's loop nest (gemm_detail::sgemm_from_panels). Layer:
// tensor/cpu. cols [C_in KH KW, positions] is never stored: its GEMM panels are packed straight
// from x. Forward y_n = W cols(x_n), W packed once per call; backward-data at stride 1 is the
// forward of grad_y with the flipped, transposed W (1x1 strided: W^T G spread out); backward-
// weight grad_W = G cols^T. Small C_in, groups and f64 stay on conv.cpp's im2col path.
// Derivations: autograd/ops/conv.cpp; plans and measurements: tools/bench/conv/NOTES.md.
#include "tensor/cpu/conv_implicit.h"

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "tensor/cpu/gemm_kernels.h"
#include "tensor/cpu/kernel_util.h"
#include "tensor/tensor.h"

namespace staa::cpu {
namespace {

using gemm_detail::PanelSource;
using gemm_detail::SgemmKernel;

// Columns (positions) per GEMM call on small planes, images batched: backward-weight takes
// kChunkColumns; forward and backward-data, whose product is copied out to NCHW, as many as
// keep that product near kChunkOutputFloats (in L2 for the copy), within
// [kMinChunkColumns, kChunkColumns]. Planes above half of that run one image per call.
// 2048 columns for every C_out made the 1x1 256->512 8px forward ~25% slower (one thread).
constexpr int64_t kChunkColumns = 2048;
constexpr int64_t kMinChunkColumns = 256;
constexpr int64_t kChunkOutputFloats = 32768;

// Forward and backward-weight run implicit only with at least kMinRows rows of cols (C_in KH
// KW), backward-data with at least kMinDataChannels input channels: below them the panel
// packing costs more than the GEMM saves (conv1 3->64, 27 rows: backward-weight 0.023 s vs
// 0.021 s, forward ~5-10% slower, one thread).
constexpr int64_t kMinDataChannels = 16;
constexpr int64_t kMinRows = 64;

// Per-thread scratch that only grows; one slot per simultaneous use.
enum ScratchSlot { kPaddedSlot, kColumnSlot, kRowSlot, kSlots };
template <typename T>
T* thread_scratch(ScratchSlot slot, int64_t count) {
  static thread_local std::vector<T> buffers[kSlots];
  std::vector<T>& buf = buffers[slot];
  if (static_cast<int64_t>(buf.size()) < count) buf.resize(static_cast<size_t>(count));
  return buf.data();
}

// The images of one chunk, zero padded, with the offset tables that turn the column matrix into
// a gather: cols[r][t] = data[row[r] + col[t]] for row r = (c, i, j) and column t = (image, oh,
// ow) of the chunk. Both tables run on to whole micro-panels with offset 0.
struct ChunkTaps {
  const float* data;   // [count, C_in, H + 2 ph, W + 2 pw]
  int64_t size;        // floats readable from data on (at least the count images)
  const int32_t* row;  // [C_in KH KW]: c Hp Wp + i dh Wp + j dw
  const int32_t* col;  // [count P]: image C_in Hp Wp + oh sh Wp + ow sw
};

// Zero-padded copy of `planes` planes. x: [planes, H, W], out: [planes, H + 2 ph, W + 2 pw]
void pad_planes(const float* x, const Conv2dGeometry& g, int64_t planes, float* out) {
  const int64_t hp = g.h + 2 * g.pad_h, wp = g.w + 2 * g.pad_w;
  for (int64_t q = 0; q < planes; ++q)
    pad_plane(x + q * g.in_plane(), g.h, g.w, g.pad_h, g.pad_w, hp, wp, out + q * hp * wp);
}

// The ChunkTaps of images [n0, n0 + count), in this thread's scratch. x: [N, C_in, H, W];
// width: the micro-panel width the tables are rounded up to.
ChunkTaps chunk_taps(const float* x, const Conv2dGeometry& g, int64_t n0, int64_t count,
                     int width) {
  const int64_t wp = g.w + 2 * g.pad_w, plane = (g.h + 2 * g.pad_h) * wp;
  const float* images = x + n0 * g.c_in * g.in_plane();
  ChunkTaps taps{images, (g.n - n0) * g.c_in * g.in_plane(), nullptr, nullptr};
  if (g.pad_h != 0 || g.pad_w != 0) {
    float* padded = thread_scratch<float>(kPaddedSlot, count * g.c_in * plane);
    pad_planes(images, g, count * g.c_in, padded);
    taps.data = padded;
    taps.size = count * g.c_in * plane;
  }
  const int64_t rows = g.col_rows_group(), cols = count * g.out_plane();
  int32_t* row = thread_scratch<int32_t>(kRowSlot, round_up(rows, width));
  int32_t* col = thread_scratch<int32_t>(kColumnSlot, round_up(cols, width));
  for (int64_t r = 0; r < round_up(rows, width); ++r) {
    const int64_t c = r / (g.kh * g.kw), i = r / g.kw % g.kh, j = r % g.kw;
    row[r] = r < rows ? static_cast<int32_t>(c * plane + i * g.dil_h * wp + j * g.dil_w) : 0;
  }
  for (int64_t t = 0; t < round_up(cols, width); ++t) {
    const int64_t image = t / g.out_plane(), oh = t % g.out_plane() / g.out_w, ow = t % g.out_w;
    const int64_t offset = image * g.c_in * plane + oh * g.stride_h * wp + ow * g.stride_w;
    col[t] = t < cols ? static_cast<int32_t>(offset) : 0;
  }
  taps.row = row;
  taps.col = col;
  return taps;
}

// op(A) = a (a: [m, k] with row stride ld, or [k, m] when trans) packed once for every GEMM of a
// call: the slab of depth [p0, p0 + kc) holds all m rows as mr-wide panels, from offset
// p0 * round_up(m, mr).
class PackedWeights final : public PanelSource {
 public:
  PackedWeights(const SgemmKernel& kern, const float* a, int64_t ld, bool trans, int64_t m,
                int64_t k)
      : m_pad_(round_up(m, kern.mr)), store_(Tensor::empty(Shape{m_pad_ * k}, kF32)) {
    const int64_t kc = gemm_detail::sgemm_blocking(kern, m, 1, k).kc;
    float* data = store_.data<float>();
#pragma omp parallel for schedule(static) if (m * k > (int64_t{1} << 16))
    for (int64_t p0 = 0; p0 < k; p0 += kc) {
      const float* src = trans ? a + p0 * ld : a + p0;
      gemm_detail::sgemm_pack_panels(kern.mr, src, ld, trans, m, std::min(kc, k - p0),
                                     data + p0 * m_pad_);
    }
  }
  const float* panels(int64_t l0, int64_t, int64_t p0, int64_t depth, float*) const override {
    return store_.data<float>() + p0 * m_pad_ + l0 * depth;  // panel l0 / mr of the slab
  }

 private:
  int64_t m_pad_;
  Tensor store_;
};

// How eight offsets col[0..8) of a chunk step: offsets strictly increase within a chunk, so
// end-to-end differences tell. kRun: one row run (stride 1); kHalves: two runs of four (4-wide
// rows); kStride2: every other value of one row; kStride2Halves: every other value of two runs
// of seven (4-wide rows of a stride-2 conv); kScattered: anything else (gathered).
enum RunKind { kRun, kHalves, kStride2, kStride2Halves, kScattered };
inline RunKind run_kind(const int32_t* col) {
  if (col[7] - col[0] == 7) return kRun;
  if (col[3] - col[0] == 3 && col[7] - col[4] == 3) return kHalves;
  if (col[7] - col[0] == 14) return kStride2;
  if (col[3] - col[0] == 6 && col[7] - col[4] == 6) return kStride2Halves;
  return kScattered;
}

#if defined(__AVX2__)
// The eight values at[col[e]], e < 8, loaded as `kind` allows. col: [8]. The stride-2 kinds read
// one float past at[col[7]]: kMasked where that may lie past the end of the data, plain loads
// elsewhere (masked loads cost ~4% of a 1x1 stride-2 forward on Zen 3).
template <RunKind kind, bool kMasked = false>
inline __m256 load8(const float* at, const int32_t* col) {
  if constexpr (kind == kRun) {
    return _mm256_loadu_ps(at + col[0]);
  } else if constexpr (kind == kHalves) {
    return _mm256_loadu2_m128(at + col[4], at + col[0]);
  } else if constexpr (kind == kStride2 || kind == kStride2Halves) {
    // Even lanes of two runs (the 8th value of the second is not read): 0 2 8 10 4 6 12 14
    // (kStride2Halves: a0 a2 b0 b2 a4 a6 b4 b6), then the middle quarters swapped.
    const __m256i seven = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, -1, 0);
    const float* second = at + (kind == kStride2 ? col[0] + 8 : col[4]);
    const __m256 lo = kind == kStride2 || !kMasked ? _mm256_loadu_ps(at + col[0])
                                                   : _mm256_maskload_ps(at + col[0], seven);
    const __m256 hi = kMasked ? _mm256_maskload_ps(second, seven) : _mm256_loadu_ps(second);
    const __m256 evens = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(evens), _MM_SHUFFLE(3, 1, 2, 0)));
  } else {
    const __m256i idx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col));
    return _mm256_i32gather_ps(at, idx, 4);
  }
}
#endif

// Calls f(std::integral_constant<RunKind, kind>, std::bool_constant<masked>) for the run-time
// kind and masking (only the stride-2 kinds read past their values: masked stays false for the
// others).
template <typename F>
inline void with_kind(RunKind kind, bool masked, F&& f) {
  const auto go = [&](auto k) {
    if constexpr (k.value == kStride2 || k.value == kStride2Halves)
      if (masked) return f(k, std::true_type{});
    return f(k, std::false_type{});
  };
  switch (kind) {
    case kRun:
      return go(std::integral_constant<RunKind, kRun>{});
    case kHalves:
      return go(std::integral_constant<RunKind, kHalves>{});
    case kStride2:
      return go(std::integral_constant<RunKind, kStride2>{});
    case kStride2Halves:
      return go(std::integral_constant<RunKind, kStride2Halves>{});
    default:
      return go(std::integral_constant<RunKind, kScattered>{});
  }
}

// op(B) = cols of a chunk: depth = rows (c, i, j), lines = columns (image, oh, ow). Block by
// block of `block` columns (one image's plane, rounded to groups of 8), all depths of a block in
// turn: a block reads its image from start to end, one stream the hardware prefetcher follows.
// Row by row across a chunk's images read one stream per image (16 at 256->512 8px), and the
// loads waited on memory. Within a block, row by row: each row of cols reads along one row of the
// image; panel by panel instead read the C_in rows, a plane apart, in turn (64 rows 4 KiB apart
// share one L1 set).
class ImageColumns final : public PanelSource {
 public:
  ImageColumns(const ChunkTaps& taps, int nr, int64_t block)
      : taps_(taps), nr_(nr), block_(round_up(block, 8)) {}
  const float* panels(int64_t l0, int64_t lines, int64_t p0, int64_t depth,
                      float* buf) const override {
    const int64_t width = round_up(lines, nr_), nr = nr_, panel = depth * nr;
    const float* data = taps_.data;
    const int32_t* col = taps_.col + l0;   // [width]
    const int32_t* rows = taps_.row + p0;  // [depth]
#if defined(__AVX2__)
    // Groups of 8 columns, each loaded as its kind allows, runs of one kind at a time; where each
    // group goes in a panel, worked out once per block.
    constexpr int64_t kMaxGroups = 512;
    RunKind kinds[kMaxGroups];
    int64_t places[kMaxGroups];
    const int64_t reach = *std::max_element(rows, rows + depth) + 1;
    for (int64_t s0 = 0; s0 < width; s0 += std::min(block_, 8 * kMaxGroups)) {
      const int64_t s1 = std::min({width, s0 + block_, s0 + 8 * kMaxGroups});
      int64_t last = 0;  // the block's largest offset
      for (int64_t l = s0; l < s1; l += 8) {
        kinds[(l - s0) / 8] = run_kind(col + l);
        places[(l - s0) / 8] = l / nr * panel + l % nr;
        last = std::max<int64_t>(last, col[l + 7]);
      }
      const bool masked = reach + last >= taps_.size;
      // Blocks of 64+ columns (planes of 16+ px: the rows of a stride-2 conv skip every other
      // line, which the hardware prefetcher follows late) prefetch the depth kAhead rows on:
      // 1x1 stride-2 forward ~2% (128->256) and ~10% (64->128) faster; 8px planes lost by it.
      const bool prefetch = s1 - s0 >= 64;
      constexpr int64_t kAhead = 4;
      for (int64_t r0 = s0; r0 < s1;) {
        const RunKind kind = kinds[(r0 - s0) / 8];
        int64_t r1 = r0 + 8;
        while (r1 < s1 && kinds[(r1 - s0) / 8] == kind) r1 += 8;
        with_kind(kind, masked, [&](auto k, auto m) {
          for (int64_t d = 0; d < depth; ++d) {
            const float* at = data + rows[d];
            float* out = buf + d * nr;
            if (prefetch && d + kAhead < depth)
              for (int64_t l = r0; l < r1; l += 8)
                _mm_prefetch(reinterpret_cast<const char*>(data + rows[d + kAhead] + col[l]),
                             _MM_HINT_T0);
            for (int64_t l = r0; l < r1; l += 8)
              _mm256_store_ps(out + places[(l - s0) / 8], load8<k.value, m.value>(at, col + l));
          }
        });
        r0 = r1;
      }
    }
#else
    for (int64_t d = 0; d < depth; ++d)
      for (int64_t l = 0; l < width; ++l)
        buf[l / nr * panel + d * nr + l % nr] = data[rows[d] + col[l]];
#endif
    return buf;
  }

 private:
  ChunkTaps taps_;
  int nr_;
  int64_t block_;
};

// op(B) = cols^T of a chunk: depth = columns (image, oh, ow), lines = rows (c, i, j). Blocks of
// 8 rows x 8 columns are loaded as rows and transposed in registers; all rows of `block` columns
// (one image's plane) before the next, so that each image is read start to end (ImageColumns).
class ImageColumnsT final : public PanelSource {
 public:
  ImageColumnsT(const ChunkTaps& taps, int nr, int64_t block)
      : taps_(taps), nr_(nr), block_(round_up(block, 8)) {}
  const float* panels(int64_t l0, int64_t lines, int64_t p0, int64_t depth,
                      float* buf) const override {
    const int64_t width = round_up(lines, nr_);
    const auto out_at = [&](int64_t l) { return buf + l / nr_ * depth * nr_ + l % nr_; };
    int64_t whole = 0;  // depths done 8 at a time
#if defined(__AVX2__)
    whole = depth / 8 * 8;
    for (int64_t d0 = 0; d0 < whole; d0 += block_) {
      const int64_t d1 = std::min(whole, d0 + block_);
      for (int64_t l = 0; l < width; l += 8) {
        const int32_t* rows = taps_.row + l0 + l;  // [8]
        const int64_t last_row = *std::max_element(rows, rows + 8);
        for (int64_t d = d0; d < d1; d += 8) {
          const int32_t* col = taps_.col + p0 + d;  // [8]
          __m256 block[8];
          const bool masked = last_row + col[7] + 1 >= taps_.size;
          with_kind(run_kind(col), masked, [&](auto kind, auto m) {
            for (int e = 0; e < 8; ++e)
              block[e] = load8<kind.value, m.value>(taps_.data + rows[e], col);
          });
          gemm_detail::transpose_8x8_regs(block, out_at(l) + d * nr_, nr_);
        }
      }
    }
#endif
    for (int64_t l = 0; l < width; l += 8) {
      const int32_t* rows = taps_.row + l0 + l;  // [8]
      float* out = out_at(l);
      for (int64_t d = whole; d < depth; ++d)
        for (int e = 0; e < 8; ++e) out[d * nr_ + e] = taps_.data[taps_.col[p0 + d] + rows[e]];
    }
    return buf;
  }

 private:
  ChunkTaps taps_;
  int nr_;
  int64_t block_;
};

#if defined(__AVX2__)
// dst[q * dst_stride + l] = src[l * ld + q] for 4 lines x 8 steps (lines l, steps q): four
// 128-bit rows per half.
inline void transpose_4x8(const float* src, int64_t ld, float* dst, int64_t dst_stride) {
  const __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + ld);
  const __m256 r2 = _mm256_loadu_ps(src + 2 * ld), r3 = _mm256_loadu_ps(src + 3 * ld);
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  const __m256 steps[4] = {_mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)),   // 0 | 4
                           _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2)),   // 1 | 5
                           _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)),   // 2 | 6
                           _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2))};  // 3 | 7
  for (int q = 0; q < 4; ++q) {
    _mm_storeu_ps(dst + q * dst_stride, _mm256_castps256_ps128(steps[q]));
    _mm_storeu_ps(dst + (q + 4) * dst_stride, _mm256_extractf128_ps(steps[q], 1));
  }
}
#endif

// op(A) = grad_y of images [n0, ...) as [C_out, positions]: lines = channels, depth = positions
// (runs of one plane each). With AVX2, four channels at a time by 4 x 8 transposes.
class GradRows final : public PanelSource {
 public:
  GradRows(const float* gy, const Conv2dGeometry& g, int64_t n0, int mr)
      : gy_(gy), g_(g), n0_(n0), mr_(mr) {}
  const float* panels(int64_t l0, int64_t lines, int64_t p0, int64_t depth,
                      float* buf) const override {
    const int64_t plane = g_.out_plane();
    for (int64_t d = 0, t = p0; d < depth;) {  // image by image: each read start to end
      const int64_t image = n0_ + t / plane, p = t % plane, seg = std::min(plane - p, depth - d);
      const float* in = gy_ + (image * g_.c_out + l0) * plane + p;  // line l at in + l plane
      int64_t l = 0;
#if defined(__AVX2__)
      if (mr_ % 4 == 0)
        for (; l + 4 <= lines; l += 4)
          copy_lines<4>(in + l * plane, seg, line_out(buf, l, depth) + d * mr_);
#endif
      for (; l < lines; ++l) copy_lines<1>(in + l * plane, seg, line_out(buf, l, depth) + d * mr_);
      d += seg;
      t += seg;
    }
    for (int64_t l = lines; l < round_up(lines, mr_); ++l) {
      float* out = line_out(buf, l, depth);
      for (int64_t d = 0; d < depth; ++d) out[d * mr_] = 0.0f;
    }
    return buf;
  }

 private:
  // Line l's lane of its panel in buf.
  float* line_out(float* buf, int64_t l, int64_t depth) const {
    return buf + l / mr_ * depth * mr_ + l % mr_;
  }

  // kLines channels (a plane apart from in on) x seg positions: out[s * mr_ + i] (lane i of step
  // s).
  template <int kLines>
  void copy_lines(const float* in, int64_t seg, float* out) const {
    const int64_t plane = g_.out_plane();
    int64_t s = 0;
#if defined(__AVX2__)
    if constexpr (kLines == 4)
      for (; s + 8 <= seg; s += 8) transpose_4x8(in + s, plane, out + s * mr_, mr_);
#endif
    for (; s < seg; ++s)
      for (int i = 0; i < kLines; ++i) out[s * mr_ + i] = in[i * plane + s];
  }

  const float* gy_;
  const Conv2dGeometry& g_;
  int64_t n0_;
  int mr_;
};

// Where implicit_conv's products go: y [N, C, OH, OW] plus bias, or (strided pointwise
// backward-data) positions (oh sh, ow sw) of grad_x [N, C, h, w], its other positions zeroed.
struct ConvOutput {
  float* y;
  const float* bias = nullptr;
  int64_t stride_h = 1, stride_w = 1, h = 0, w = 0;  // strides > 1: spread into h x w planes
  bool stream = false;  // spread by streaming stores where the planes allow (kStreamStoreBytes)
};

// row[0, n) to every stride-th place of dst[0, w), zeros between and after: with AVX2 at stride
// 2, four or eight values interleaved with zeros per 8-float store. kStream: streaming stores
// (dst 32-byte aligned, w a multiple of 16 and 2 n: no plain-store tail).
template <bool kStream>
inline void spread_row(const float* row, int64_t n, int64_t stride, int64_t w, float* dst) {
  int64_t j = 0;
#if defined(__AVX2__)
  if (stride == 2) {
    const __m256 zero = _mm256_setzero_ps();
    for (; 2 * (j + 8) <= w; j += 8) {
      const __m256 v = _mm256_loadu_ps(row + j);
      const __m256 lo = _mm256_unpacklo_ps(v, zero), hi = _mm256_unpackhi_ps(v, zero);
      store8<kStream>(dst + 2 * j, _mm256_permute2f128_ps(lo, hi, 0x20));
      store8<kStream>(dst + 2 * j + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
    }
    for (; 2 * (j + 4) <= w; j += 4) {
      const __m128 v = _mm_loadu_ps(row + j), zero4 = _mm_setzero_ps();
      _mm256_storeu_ps(dst + 2 * j,
                       _mm256_set_m128(_mm_unpackhi_ps(v, zero4), _mm_unpacklo_ps(v, zero4)));
    }
  }
#endif
  zero_row(dst + stride * j, w - stride * j);
  for (; j < n; ++j) dst[j * stride] = row[j];
}

// One plane of w^T grad_y spread to every stride-th position of an h x w plane, zeros elsewhere;
// kStream: by streaming stores (spread_plane_streams). from: [OH, OW], to: [h, w]
template <bool kStream>
void spread_plane(const float* from, const Conv2dGeometry& g, const ConvOutput& out, float* to) {
  const auto zero = [&](float* row) {
#if defined(__AVX2__)
    if constexpr (kStream) return stream_zero_row(row, out.w);
#endif
    zero_row(row, out.w);
  };
  const float* end = to + out.h * out.w;
  for (int64_t oh = 0; oh < g.out_h; ++oh) {
    spread_row<kStream>(from + oh * g.out_w, g.out_w, out.stride_w, out.w, to);
    to += out.w;
    for (int64_t s = 1; s < out.stride_h && to < end; ++s, to += out.w) zero(to);
  }
  for (; to < end; to += out.w) zero(to);
}

// Whether spread_plane may stream into `to`: out.stream asks for it, and every store is a whole
// aligned 8-float run (stride 2, rows of a multiple of 16 floats, twice the product's rows).
bool spread_plane_streams(const Conv2dGeometry& g, const ConvOutput& out, const float* to) {
#if defined(__AVX2__)
  return out.stream && out.stride_w == 2 && out.w % 16 == 0 && out.w == 2 * g.out_w &&
         reinterpret_cast<uintptr_t>(to) % 32 == 0;
#else
  (void)g, (void)out, (void)to;
  return false;
#endif
}

// mat: [C, count * P] (images side by side) -> images n0 .. n0 + count of out.y.
void store_images(const float* mat, const Conv2dGeometry& g, const ConvOutput& out, int64_t n0,
                  int64_t count) {
  const int64_t channels = g.c_out, plane = g.out_plane();
  const bool spread = out.stride_h > 1 || out.stride_w > 1;
  const int64_t to_plane = spread ? out.h * out.w : plane;
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t c = 0; c < channels; ++c) {
      const float* from = mat + (c * count + i) * plane;
      float* to = out.y + ((n0 + i) * channels + c) * to_plane;
      if (spread) {
        if (spread_plane_streams(g, out, to)) {
          spread_plane<true>(from, g, out, to);
        } else {
          spread_plane<false>(from, g, out, to);
        }
        continue;
      }
      if (out.bias == nullptr) {
        copy_row(from, plane, to);
        continue;
      }
      const float b = out.bias[c];
      for (int64_t p = 0; p < plane; ++p) to[p] = from[p] + b;
    }
  }
#if defined(__AVX2__)
  if (out.stream) _mm_sfence();  // the streaming stores are visible when the chunk is done
#endif
}

// Images per chunk: about chunk_columns columns (a multiple of `threads` chunks in all), one
// image when the plane is more than half of that; few enough for int32 offsets into the padded
// chunk.
int64_t chunk_images(const Conv2dGeometry& g, int threads, int64_t chunk_columns) {
  const int64_t plane = g.out_plane();
  if (plane * 2 > chunk_columns) return 1;
  const int64_t wanted = round_up(ceil_div(g.n * plane, chunk_columns), threads);
  const int64_t padded_image = g.c_in * (g.h + 2 * g.pad_h) * (g.w + 2 * g.pad_w);
  const int64_t max_count = std::max<int64_t>(1, (int64_t{1} << 30) / padded_image);
  return std::min(ceil_div(g.n, std::min(wanted, g.n)), max_count);
}

// out = a cols(x) for every image (g describes x -> y, a its packed [C_out, C_in KH KW]).
// Threads take chunks of images; large planes run one image per GEMM straight into out.y.
void implicit_conv(const SgemmKernel& kern, const PackedWeights& a, const float* x,
                   const Conv2dGeometry& g, const ConvOutput& out) {
  const int64_t m = g.c_out, k = g.col_rows_group(), plane = g.out_plane();
  const int threads = static_cast<int>(std::min<int64_t>(team_size(), g.n));
  const int64_t columns = std::clamp(kChunkOutputFloats / m, kMinChunkColumns, kChunkColumns);
  const int64_t count = chunk_images(g, threads, columns), chunks = ceil_div(g.n, count);
  const bool direct = count == 1 && out.stride_h == 1 && out.stride_w == 1;
  const Tensor out_ws = Tensor::empty(Shape{direct ? 1 : threads * m * count * plane}, kF32);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    const int64_t n0 = chunk * count, images = std::min(count, g.n - n0);
    const ImageColumns b(chunk_taps(x, g, n0, images, kern.nr), kern.nr, plane);
    if (direct) {
      float* y = out.y + n0 * m * plane;  // [C_out, P]
      gemm_detail::sgemm_from_panels(kern, m, plane, k, a, b, 0.0f, y, plane);
      if (out.bias)
        for (int64_t c = 0; c < m; ++c)
          for (int64_t p = 0; p < plane; ++p) y[c * plane + p] += out.bias[c];
    } else {
      float* mat = out_ws.data<float>() + omp_get_thread_num() * m * count * plane;
      gemm_detail::sgemm_from_panels(kern, m, images * plane, k, a, b, 0.0f, mat, images * plane);
      store_images(mat, g, out, n0, images);
    }
  }
}

// 1 x 1, unpadded, strided: grad_x[ci, oh sh, ow sw] = sum over co of w[co, ci] grad_y[co, oh, ow],
// other positions 0: the product w^T grad_y (a 1 x 1 stride-1 "convolution" of grad_y) spread out.
void backward_data_pointwise_strided(const float* grad_y, const float* w, const Conv2dGeometry& g,
                                     float* grad_x) {
  Conv2dGeometry gt = g;  // grad_y -> w^T grad_y, [N, C_in, OH, OW]
  gt.c_in = g.c_out, gt.h = g.out_h, gt.w = g.out_w, gt.c_out = g.c_in;
  gt.stride_h = gt.stride_w = 1;
  const SgemmKernel& kern = gemm_detail::chosen_sgemm_kernel();
  const PackedWeights a(kern, w, g.c_in, true, g.c_in, g.c_out);
  const bool stream = streams_output(g.n * g.c_in * g.in_plane());
  implicit_conv(kern, a, grad_y, gt,
                ConvOutput{grad_x, nullptr, g.stride_h, g.stride_w, g.h, g.w, stream});
}

}  // namespace

bool conv_implicit_supported(const Conv2dGeometry& g) {
  return g.groups == 1 && g.col_rows_group() >= kMinRows;
}

bool conv_backward_weight_implicit_supported(const Conv2dGeometry& g) {
  return conv_implicit_supported(g);
}

bool conv_backward_data_implicit_supported(const Conv2dGeometry& g) {
  // Each gathered grad_y element feeds C_in multiply-adds: below kMinDataChannels the gather
  // costs more than the GEMM saves (im2col path: GEMM into columns, then col2im).
  if (g.groups != 1 || g.c_in < kMinDataChannels) return false;
  if (g.stride_h == 1 && g.stride_w == 1)
    return g.pad_h <= g.dil_h * (g.kh - 1) && g.pad_w <= g.dil_w * (g.kw - 1);
  return g.kh == 1 && g.kw == 1 && g.pad_h == 0 && g.pad_w == 0;
}

void conv_forward_implicit(const float* x, const float* w, const float* bias,
                           const Conv2dGeometry& g, float* y) {
  const SgemmKernel& kern = gemm_detail::chosen_sgemm_kernel();
  const int64_t k = g.col_rows_group();
  const PackedWeights a(kern, w, k, false, g.c_out, k);
  implicit_conv(kern, a, x, g, ConvOutput{y, bias});
}

// Stride 1: grad_x[ci, h, w] = sum over co, i, j of grad_y[co, h + pad - i d, w + pad - j d]
// w[co, ci, i, j], i.e. a convolution of grad_y (padding d (K - 1) - pad) with
// w'[ci, co, i', j'] = w[co, ci, KH - 1 - i', KW - 1 - j'].
void conv_backward_data_implicit(const float* grad_y, const float* w, const Conv2dGeometry& g,
                                 float* grad_x) {
  if (g.stride_h != 1 || g.stride_w != 1)
    return backward_data_pointwise_strided(grad_y, w, g, grad_x);
  const int64_t taps = g.kh * g.kw, k = g.c_out * taps;
  Tensor flipped = Tensor::empty(Shape{g.c_in * k}, kF32);  // w': [C_in, C_out, KH, KW]
  float* wt = flipped.data<float>();
#pragma omp parallel for schedule(static) if (g.c_in * k > (int64_t{1} << 16))
  for (int64_t co = 0; co < g.c_out; ++co)
    for (int64_t ci = 0; ci < g.c_in; ++ci)
      for (int64_t t = 0; t < taps; ++t)
        wt[(ci * g.c_out + co) * taps + (taps - 1 - t)] = w[(co * g.c_in + ci) * taps + t];
  Conv2dGeometry gt = g;
  gt.c_in = g.c_out, gt.h = g.out_h, gt.w = g.out_w;
  gt.c_out = g.c_in, gt.out_h = g.h, gt.out_w = g.w;
  gt.pad_h = g.dil_h * (g.kh - 1) - g.pad_h, gt.pad_w = g.dil_w * (g.kw - 1) - g.pad_w;
  const SgemmKernel& kern = gemm_detail::chosen_sgemm_kernel();
  const PackedWeights a(kern, wt, k, false, g.c_in, k);
  implicit_conv(kern, a, grad_y, gt, ConvOutput{grad_x});
}

// Each thread takes a fixed share of the chunks (static: which chunk lands in which partial never
// changes, so the sums are bit-identical from run to run, as deterministic training needs), each
// into its own partial (thread 0 straight into grad_w); the partials are summed at the end.
void conv_backward_weight_implicit(const float* grad_y, const float* x, const Conv2dGeometry& g,
                                   float* grad_w) {
  const SgemmKernel& kern = gemm_detail::chosen_sgemm_kernel();
  const int64_t m = g.c_out, rows = g.col_rows_group(), plane = g.out_plane();
  const int threads = static_cast<int>(std::min<int64_t>(team_size(), g.n));
  const int64_t count = chunk_images(g, threads, kChunkColumns), chunks = ceil_div(g.n, count);
  const Tensor partials = Tensor::empty(Shape{(threads - 1) * m * rows + 1}, kF32);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    float* out = t == 0 ? grad_w : partials.data<float>() + (t - 1) * m * rows;  // [C_out, rows]
    bool first = true;
#pragma omp for schedule(static) nowait
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
      const int64_t n0 = chunk * count, images = std::min(count, g.n - n0);
      const GradRows a(grad_y, g, n0, kern.mr);
      const ImageColumnsT b(chunk_taps(x, g, n0, images, kern.nr), kern.nr, plane);
      gemm_detail::sgemm_from_panels(kern, m, rows, images * plane, a, b, first ? 0.0f : 1.0f, out,
                                     rows);
      first = false;
    }
    if (first) std::fill(out, out + m * rows, 0.0f);
  }
  const float* parts = partials.data<float>();
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t e = 0; e < m * rows; ++e)
    for (int t = 1; t < threads; ++t) grad_w[e] += parts[(t - 1) * m * rows + e];
}

}  // namespace staa::cpu
