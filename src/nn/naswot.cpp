#include "d2a/nn/naswot.h"

#include <torch/torch.h>

#include <array>
#include <cmath>
#include <string>

#include "d2a/error.h"
#include "d2a/meta/graph_decoder.h"
#include "d2a/nn/nb201_network.h"
#include "d2a/nn/nb201_ops.h"

namespace d2a {
namespace {

// Sums each ReLU's agreement kernel while it runs the network's forward pass. The network's
// modules apply torch::relu inside their forward, so the walk below mirrors
// Nb201NetworkImpl::forward and Nb201FixedCellImpl::forward, observing every ReLU input.
class ReluKernel {
 public:
  explicit ReluKernel(int64_t batch) : kernel_(torch::zeros({batch, batch}, torch::kFloat64)) {}

  // Records the ReLU codes of `x` [B, ...].
  void observe(const torch::Tensor& x) {
    // With signs s = 2c - 1, s s^T = agreements - disagreements = 2 agreements - units, so one
    // product gives c c^T + (1 - c)(1 - c)^T. Integer counts: float32 is exact below 2^24 units.
    const torch::Tensor signs = (x > 0).reshape({x.size(0), -1}).to(torch::kFloat32) * 2 - 1;
    const auto units = static_cast<double>(signs.size(1));
    kernel_ += (signs.mm(signs.t()).to(torch::kFloat64) + units) / 2;
  }
  torch::Tensor relu_conv_bn(ReluConvBnImpl& op, const torch::Tensor& x) {
    observe(x);
    return op.bn(op.conv(torch::relu(x)));
  }
  torch::Tensor cell(Nb201FixedCellImpl& cell, const torch::Tensor& x);
  const torch::Tensor& kernel() const { return kernel_; }

 private:
  torch::Tensor kernel_;
};

torch::Tensor ReluKernel::cell(Nb201FixedCellImpl& cell, const torch::Tensor& x) {
  // As Nb201FixedCellImpl::forward: an undefined node is all zeros; convolutions still read it.
  std::array<torch::Tensor, kNb201NumNodes> nodes;
  nodes[0] = x;
  for (int e = 0; e < kNb201NumEdges; ++e) {
    torch::nn::AnyModule& edge = cell.edges[e];
    if (edge.is_empty()) continue;
    const auto [from, to] = kNb201Edges[e];
    torch::Tensor input = nodes[from];
    auto* conv = edge.ptr()->as<ReluConvBnImpl>();
    if (!input.defined()) {
      if (conv == nullptr) continue;  // identity and average pooling map zeros to zeros
      input = torch::zeros_like(x);
    }
    torch::Tensor out = conv != nullptr ? relu_conv_bn(*conv, input) : edge.forward(input);
    nodes[to] = nodes[to].defined() ? nodes[to] + out : out;
  }
  return nodes[3].defined() ? nodes[3] : torch::zeros_like(x);
}

bool is_batch_norm_weight(const std::string& name) {
  const std::string suffix = "bn.weight";
  return name.size() >= suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Kaiming-normal convolutions and linear layers from one seeded generator, so that a score does
// not depend on torch's global random state; BN starts as the identity.
void initialise(Nb201Network& network, std::uint64_t seed) {
  at::Generator gen = make_sampler(seed);
  torch::NoGradGuard no_grad;
  for (auto& item : network->named_parameters()) {
    torch::Tensor& p = item.value();
    if (p.dim() > 1) {
      const double fan_in = static_cast<double>(p.numel() / p.size(0));
      p.normal_(0.0, std::sqrt(2.0 / fan_in), gen);
    } else if (is_batch_norm_weight(item.key())) {
      p.fill_(1.0);
    } else {
      p.zero_();
    }
  }
}

}  // namespace

torch::Tensor naswot_kernel(const Nb201Cell& cell, const torch::Tensor& images,
                            const NaswotOptions& options) {
  if (images.dim() != 4 || images.size(0) < 2 || images.size(2) < 8 || images.size(3) < 8) {
    throw bad_input("NASWOT: expected images [B >= 2, C, H >= 8, W >= 8], got " +
                    c10::str(images.sizes()));
  }
  Nb201MacroConfig macro;
  macro.channels = options.channels;
  macro.cells_per_stage = options.cells_per_stage;
  macro.input_channels = static_cast<int>(images.size(1));
  macro.num_classes = 2;  // the classifier follows the last ReLU and never enters the kernel
  macro.image_size = static_cast<int>(images.size(2));
  Nb201Network network(Nb201NetworkOptions(cell, macro));
  initialise(network, options.seed);
  network->train();  // batch statistics in every BN

  torch::NoGradGuard no_grad;
  ReluKernel kernel(images.size(0));
  torch::Tensor x = network->stem_bn(network->stem_conv(images.to(torch::kFloat32)));
  for (auto& layer : network->body) {
    if (auto* c = layer.ptr()->as<Nb201FixedCellImpl>()) {
      x = kernel.cell(*c, x);
    } else if (auto* block = layer.ptr()->as<Nb201ResidualBlockImpl>()) {
      x = kernel.relu_conv_bn(*block->conv_b, kernel.relu_conv_bn(*block->conv_a, x)) +
          block->shortcut_conv(block->shortcut_pool(x));
    } else {
      throw runtime_failure("NASWOT: unexpected layer in the NAS-Bench-201 network body");
    }
  }
  kernel.observe(network->last_bn(x));
  return kernel.kernel();
}

double naswot_score(const Nb201Cell& cell, const torch::Tensor& images,
                    const NaswotOptions& options) {
  // at::linalg_slogdet: the same op in LibTorch 1.13 and 2.x (torch::linalg::slogdet is 1.13's).
  const auto slogdet = at::linalg_slogdet(naswot_kernel(cell, images, options));
  return std::get<1>(slogdet).item<double>();
}

}  // namespace d2a
