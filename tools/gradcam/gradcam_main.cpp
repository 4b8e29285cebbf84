// tools/gradcam checkpoint=A [checkpoint2=B] layer=<name|last> samples=0,1,2 out=DIR [data_dir=]
// [alpha=0.5]: Grad-CAM of a spiking layer (snn/gradcam.h, aggregated over T and C as the paper's
// Fig. 4) for test samples, one PNG per sample: the input | A's map over it | B's map over it.
// Layer: tools.
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "snn/gradcam.h"
#include "tools/viz/cli.h"
#include "tools/viz/picture.h"

namespace {

using namespace staa;
using namespace staa::tools;

constexpr const char* kHelp =
    "usage: gradcam checkpoint=A.safetensors [checkpoint2=B.safetensors] layer=<name|last>\n"
    "               samples=0,1,2 out=DIR [data_dir=DIR] [alpha=0.5]\n"
    "For each test sample writes DIR/gradcam_<sample>.png: the input, then each checkpoint's\n"
    "Grad-CAM of `layer` for its predicted class over it (jet colour map blended at `alpha`).\n"
    "The map: A = the layer's spikes [T, C, h, w], G = d(T-mean logit of the class)/dA,\n"
    "cam = ReLU(sum over t, c of mean_hw(G[t, c]) A[t, c]) / its maximum, upsampled bilinearly.\n"
    "layer: a spiking layer's dotted name (an unknown name lists them) or 'last'.\n"
    "Both checkpoints must come from the same dataset; its test split is read from the first\n"
    "run's data_dir unless data_dir is given.\n";

// One checkpoint's map over the sample, with its caption.
Column cam_column(RunModel& run, const std::string& layer, const RunSample& sample,
                  const data::Image& picture, double alpha) {
  const snn::GradCam cam = snn::gradcam(*run.model, layer, sample.input);
  const int64_t h = cam.maps.shape()[1], w = cam.maps.shape()[2];
  const std::vector<double> heat =
      upsample_bilinear(cam.maps.to_vector(), h, w, picture.height(), picture.width());
  const int64_t predicted = cam.targets[0];
  const double p = softmax(cam.logits, 1).to_vector()[static_cast<size_t>(predicted)];
  char probability[16];
  std::snprintf(probability, sizeof probability, "%.2f", p);
  return {overlay_heat(picture, heat, alpha),
          {run.options.get("model") + ", " + neuron_label(run.options.get("neuron")),
           "layer " + cam.layer + " (" + std::to_string(h) + "x" + std::to_string(w) + ")",
           "pred " + std::to_string(predicted) + " (p " + probability + ")" +
               (predicted == sample.label ? ", right" : ", wrong")}};
}

int run(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help") {
    std::cout << kHelp;
    return argc < 2 ? 2 : 0;
  }
  const Args args("gradcam", {argv + 1, argv + argc}, {"checkpoint", "layer", "samples", "out"},
                  {"checkpoint2", "data_dir", "alpha"});
  const double alpha = args.real("alpha", 0.5, 0.0, 1.0);
  std::vector<RunModel> runs{load_run_model(args.text("checkpoint"))};
  if (args.has("checkpoint2")) {
    runs.push_back(load_run_model(args.text("checkpoint2")));
    STAA_CHECK(runs[1].dataset == runs[0].dataset && runs[1].in_channels == runs[0].in_channels,
               "gradcam: checkpoint2 was trained on ", runs[1].dataset, ", checkpoint on ",
               runs[0].dataset, "; compare runs of one dataset");
  }
  const train::DataSplits data = load_run_data(runs[0], args.text("data_dir"));
  const std::vector<int64_t> samples = args.integers("samples", 0, data.test->size() - 1);
  const std::string layer = args.text("layer"), out = args.text("out");
  for (RunModel& run : runs) snn::resolve_spiking_layer(*run.model, layer);  // fail before writing
  std::filesystem::create_directories(out);

  for (int64_t index : samples) {
    const RunSample sample = load_run_sample(data, index);
    const Shape& s = sample.picture.shape;
    const int64_t scale = display_scale(s[s.ndim() - 2], s[s.ndim() - 1]);
    const data::Image picture = sample_picture(sample.picture, scale, sample.stretch);
    std::vector<Column> columns{
        {picture,
         {"input", "sample " + std::to_string(index), "label " + std::to_string(sample.label)}}};
    for (RunModel& run : runs) columns.push_back(cam_column(run, layer, sample, picture, alpha));
    columns.push_back({colour_bar(picture.height() - 2 * kLineHeight, "0", "max"), {}});
    const data::Image page =
        side_by_side(columns, "Grad-CAM, " + runs[0].dataset + " test " + std::to_string(index));
    const std::string path = out + "/gradcam_" + std::to_string(index) + ".png";
    data::write_png(path, page);
    std::cout << path << " (" << page.width() << " x " << page.height() << ")\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return staa::tools::run_tool(argc, argv, run);
}
