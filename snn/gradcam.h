// Probes of one spiking layer: Grad-CAM on its spike maps, aggregated over time steps and channels
// to one h x w map per sample as the paper's Fig. 4, and the layer's spikes for rasters. Layer:
// snn. Invariants: a probe runs in eval mode from a fresh state and restores the model's training
// flag and requires_grad of its parameters; it leaves no gradient in the parameters and no node
// on the tape; it refuses to start while the tape holds nodes of someone else's backward.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "snn/network.h"

namespace staa::snn {

// Grad-CAM of one spiking layer for a batch. With A the layer's spikes and
// score_b = the target class's logit averaged over T (what forward() classifies by):
//   G[t, b, c, y, x]  = d score_b / d A[t, b, c, y, x]
//   alpha[t, b, c]    = mean over (y, x) of G[t, b, c]        (one weight per step and channel)
//   raw[b, y, x]      = ReLU( sum over t and c of alpha[t, b, c] A[t, b, c, y, x] )
//   maps[b, y, x]     = raw[b, y, x] / max over (y, x) of raw[b]   (a map of zeros stays zero)
// Samples do not interact in eval mode, so one backward of sum_b score_b gives every G.
struct GradCam {
  std::string layer;             // dotted name of the spiking layer
  Tensor activations;            // A: [T, B, C, h, w], the layer's spikes
  Tensor gradients;              // G: [T, B, C, h, w]
  Tensor weights;                // alpha: [T, B, C]
  Tensor raw;                    // [B, h, w], unnormalised
  Tensor maps;                   // [B, h, w], in [0, 1]
  Tensor logits;                 // [B, K], averaged over T
  std::vector<int64_t> targets;  // the class explained for each sample
};

// input: [B, C, H, W] (static) or [T, B, C, H, W] (frames). `layer` is a dotted name of
// spiking_layers(model) or "last". `targets`: one class per sample; empty: the predicted class
// (the arg max of the T-mean logits, first on ties). Throws naming the layer names for an unknown
// layer, and for a layer whose output is not [T*B, C, h, w].
GradCam gradcam(SpikingNetwork& model, const std::string& layer, const Tensor& input,
                const std::vector<int64_t>& targets = {});

// The aggregation of Grad-CAM alone. activations, gradients: [T, B, C, h, w] -> weights
// [T, B, C] and raw [B, h, w] (the formulas above); exposed for tests and for other gradients.
struct CamParts {
  Tensor weights;
  Tensor raw;
};
CamParts cam_from_gradients(const Tensor& activations, const Tensor& gradients);
// raw [B, h, w] -> each map divided by its maximum (zero maps stay zero).
Tensor normalize_maps(const Tensor& raw);

// The spikes of one layer for a batch (no gradients): [T, B, C, ...] as the layer emits them.
Tensor record_spikes(SpikingNetwork& model, const std::string& layer, const Tensor& input);

// "last" -> the name of the model's last spiking layer; another name is returned when it is a
// spiking layer, else the error lists the spiking layers.
std::string resolve_spiking_layer(nn::Module& model, const std::string& layer);

}  // namespace staa::snn
