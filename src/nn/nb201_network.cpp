#include "d2a/nn/nb201_network.h"

#include <torch/torch.h>

#include <stdexcept>

#include "d2a/error.h"
#include "d2a/nn/batch_norm.h"

namespace d2a {

Nb201FixedCellImpl::Nb201FixedCellImpl(const Nb201FixedCellOptions& options_) : options(options_) {
  reset();
}

void Nb201FixedCellImpl::reset() {
  for (int e = 0; e < kNb201NumEdges; ++e) {
    edges[e] = make_nb201_op(options.cell().op(e), options.channels());
    if (!edges[e].is_empty()) register_module("edge" + std::to_string(e), edges[e].ptr());
  }
}

torch::Tensor Nb201FixedCellImpl::forward(const torch::Tensor& x) {
  // An undefined tensor stands for an all-zero node, so that nothing is allocated or added for
  // zeros unless an op really has to read them.
  std::array<torch::Tensor, kNb201NumNodes> nodes;
  nodes[0] = x;
  for (int e = 0; e < kNb201NumEdges; ++e) {
    if (edges[e].is_empty()) continue;
    const auto [from, to] = kNb201Edges[e];
    torch::Tensor input = nodes[from];
    if (!input.defined()) {
      const Nb201Op op = options.cell().op(e);
      // Identity and average pooling map zeros to zeros; a conv's BN shifts them.
      if (op == Nb201Op::kSkipConnect || op == Nb201Op::kAvgPool3x3) continue;
      input = torch::zeros_like(x);
    }
    torch::Tensor out = edges[e].forward(input);
    nodes[to] = nodes[to].defined() ? nodes[to] + out : out;
  }
  return nodes[3].defined() ? nodes[3] : torch::zeros_like(x);
}

Nb201NetworkImpl::Nb201NetworkImpl(const Nb201NetworkOptions& options_) : options(options_) {
  reset();
}

void Nb201NetworkImpl::reset() {
  const Nb201MacroConfig& m = options.macro();
  if (m.channels <= 0 || m.cells_per_stage <= 0 || m.input_channels <= 0 || m.num_classes < 2) {
    throw bad_input("invalid NAS-Bench-201 network: channels " + std::to_string(m.channels) +
                    ", cells per stage " + std::to_string(m.cells_per_stage) + ", input channels " +
                    std::to_string(m.input_channels) + ", classes " +
                    std::to_string(m.num_classes) +
                    " (need positive sizes and at least 2 classes)");
  }
  std::int64_t c = m.channels;
  stem_conv = register_module(
      "stem_conv",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(m.input_channels, c, 3).padding(1).bias(false)));
  stem_bn = register_module("stem_bn", torch::nn::BatchNorm2d(c));
  body.clear();
  for (int stage = 0; stage < 3; ++stage) {
    if (stage > 0) {
      auto block = register_module("reduce" + std::to_string(stage),
                                   Nb201ResidualBlock(Nb201ResidualBlockOptions(c, 2 * c)));
      body.emplace_back(block);
      c *= 2;
    }
    for (int i = 0; i < m.cells_per_stage; ++i) {
      auto cell = register_module("stage" + std::to_string(stage) + "_cell" + std::to_string(i),
                                  Nb201FixedCell(Nb201FixedCellOptions(options.cell(), c)));
      body.emplace_back(cell);
    }
  }
  last_bn = register_module("last_bn", torch::nn::BatchNorm2d(c));
  classifier = register_module("classifier", torch::nn::Linear(c, m.num_classes));
}

torch::Tensor Nb201NetworkImpl::forward(const torch::Tensor& images) {
  const Nb201MacroConfig& m = options.macro();
  if (images.dim() != 4 || images.size(1) != m.input_channels || images.size(2) < 8 ||
      images.size(3) < 8) {
    throw bad_input("NAS-Bench-201 network expects images [B, " + std::to_string(m.input_channels) +
                    ", H >= 8, W >= 8], got " + c10::str(images.sizes()));
  }
  torch::Tensor x = folded_stem_.defined() ? folded_stem_.forward(images, is_training(), 1, 1)
                                           : batch_norm(stem_bn, stem_conv(images));
  for (auto& layer : body) x = layer.forward(x);
  x = torch::relu(batch_norm(last_bn, x));
  x = x.mean({2, 3});  // global average pool: [B, 4C, h, w] -> [B, 4C]
  return classifier(x);
}

void Nb201NetworkImpl::fold_batch_norms() {
  if (is_training()) throw std::logic_error("Nb201Network: fold the BNs in eval mode");
  folded_stem_ = fold_batch_norm(stem_conv, stem_bn);
  for (const auto& module : modules(/*include_self=*/false)) {
    if (auto* unit = module->as<ReluConvBnImpl>()) unit->fold_batch_norm();
  }
}

std::int64_t Nb201NetworkImpl::num_parameters() const {
  std::int64_t n = 0;
  for (const auto& p : parameters()) {
    if (p.requires_grad()) n += p.numel();
  }
  return n;
}

}  // namespace d2a
