// SGD with momentum, Nesterov and weight decay (train/optimizer.h). Layer: train.
#include "trainer/optimizer.h"

#include "autograd/ops.h"

namespace staa::train {

Sgd::Sgd(std::vector<ParamGroup> groups, const SgdOptions& options)
    : groups_(std::move(groups)), options_(options) {
  STAA_CHECK(options.lr >= 0, "sgd: lr must be >= 0, got ", options.lr);
  STAA_CHECK(options.momentum >= 0, "sgd: momentum must be >= 0, got ", options.momentum);
  STAA_CHECK(!options.nesterov || (options.momentum > 0 && options.dampening == 0),
             "sgd: nesterov needs momentum > 0 and dampening 0");
  for (const ParamGroup& g : groups_) {
    STAA_CHECK(g.weight_decay >= 0, "sgd: weight_decay must be >= 0, got ", g.weight_decay);
    momentum_.emplace_back(g.params.size());
  }
}

void Sgd::step() {
  NoGradGuard no_grad;
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    const ParamGroup& group = groups_[gi];
    for (size_t i = 0; i < group.params.size(); ++i) {
      Tensor p = group.params[i];
      if (!p.grad().defined()) continue;
      sgd_step_(p, p.grad(), options_.momentum != 0 ? &momentum_[gi][i] : nullptr,
                {.lr = options_.lr,
                 .weight_decay = group.weight_decay,
                 .momentum = options_.momentum,
                 .dampening = options_.dampening,
                 .nesterov = options_.nesterov});
    }
  }
}

void Sgd::zero_grad() {
  for (ParamGroup& g : groups_)
    for (Tensor& p : g.params) p.set_grad(Tensor());
}

std::vector<std::pair<std::string, Tensor>> Sgd::state() const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (size_t gi = 0; gi < momentum_.size(); ++gi)
    for (size_t i = 0; i < momentum_[gi].size(); ++i)
      if (momentum_[gi][i].defined())
        out.emplace_back("momentum." + std::to_string(gi) + "." + std::to_string(i),
                         momentum_[gi][i]);
  return out;
}

void Sgd::load_state(const std::vector<std::pair<std::string, Tensor>>& named) {
  for (auto& group : momentum_)
    for (Tensor& b : group) b = Tensor();
  for (const auto& [name, t] : named) {
    size_t gi = 0, i = 0;
    char tail = 0;
    STAA_CHECK(std::sscanf(name.c_str(), "momentum.%zu.%zu%c", &gi, &i, &tail) == 2,
               "sgd: unexpected optimizer state key '", name, "'");
    STAA_CHECK(gi < groups_.size() && i < groups_[gi].params.size(), "sgd: state key '", name,
               "' names a parameter this optimizer does not have (", groups_.size(), " groups)");
    const Tensor& p = groups_[gi].params[i];
    STAA_CHECK(t.shape() == p.shape(), "sgd: state '", name, "' has shape ", t.shape(),
               ", its parameter ", p.shape());
    momentum_[gi][i] = t.to(p.dtype()).to(p.device()).clone();
  }
}

}  // namespace staa::train
