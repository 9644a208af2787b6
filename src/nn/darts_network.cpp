#include "d2a/nn/darts_network.h"

#include <torch/torch.h>

#include <string>

#include "d2a/error.h"
#include "d2a/nn/batch_norm.h"

namespace d2a {
namespace {

void check_drop_prob(double p) {
  if (!(p >= 0.0 && p < 1.0)) {
    throw bad_input("DARTS network: drop path probability " + std::to_string(p) +
                    " (must be in [0, 1))");
  }
}

bool is_identity(const DartsGenotypeEdge& edge, bool reduction) {
  return edge.op == DartsOp::kSkipConnect && !(reduction && edge.input < kDartsNumCellInputs);
}

}  // namespace

torch::Tensor drop_path(const torch::Tensor& x, double drop_prob) {
  check_drop_prob(drop_prob);
  if (drop_prob == 0.0) return x;
  const double keep = 1.0 - drop_prob;
  std::vector<std::int64_t> mask_shape(x.dim(), 1);
  mask_shape[0] = x.size(0);
  const torch::Tensor mask = torch::empty(mask_shape, x.options()).bernoulli_(keep);
  return x * (mask / keep);
}

DartsCellImpl::DartsCellImpl(const DartsCellOptions& options_) : options(options_) { reset(); }

void DartsCellImpl::reset() {
  const std::int64_t c = options.channels();
  if (options.reduction_prev()) {
    preprocess0 = torch::nn::AnyModule(
        FactorizedReduce(FactorizedReduceOptions(options.prev_prev_channels(), c)));
  } else {
    preprocess0 =
        torch::nn::AnyModule(ReluConvBn(ReluConvBnOptions(options.prev_prev_channels(), c, 1)));
  }
  register_module("preprocess0", preprocess0.ptr());
  preprocess1 =
      register_module("preprocess1", ReluConvBn(ReluConvBnOptions(options.prev_channels(), c, 1)));
  edges.clear();
  const auto& genotype_edges = options.genotype().edges;
  for (std::size_t i = 0; i < genotype_edges.size(); ++i) {
    const DartsGenotypeEdge& edge = genotype_edges[i];
    const std::int64_t stride =
        options.reduction() && edge.input < kDartsNumCellInputs ? 2 : 1;
    torch::nn::AnyModule op = edge.op == DartsOp::kNone
                                  ? torch::nn::AnyModule(Zero(ZeroOptions().stride(stride)))
                                  : make_darts_op(edge.op, c, stride, /*affine=*/true);
    register_module("edge" + std::to_string(i), op.ptr());
    edges.push_back(std::move(op));
  }
}

torch::Tensor DartsCellImpl::forward(const torch::Tensor& s0, const torch::Tensor& s1,
                                     double drop_prob) {
  const bool drop = is_training() && drop_prob > 0;
  const auto& genotype_edges = options.genotype().edges;
  std::vector<torch::Tensor> states = {preprocess0.forward(s0), preprocess1(s1)};
  for (std::size_t node = 0; node < genotype_edges.size() / kDartsInputsPerNode; ++node) {
    torch::Tensor sum;
    for (int j = 0; j < kDartsInputsPerNode; ++j) {
      const std::size_t i = node * kDartsInputsPerNode + j;
      torch::Tensor h = edges[i].forward(states[genotype_edges[i].input]);
      if (drop && !is_identity(genotype_edges[i], options.reduction())) {
        h = drop_path(h, drop_prob);
      }
      sum = sum.defined() ? sum + h : h;
    }
    states.push_back(sum);
  }
  std::vector<torch::Tensor> out;
  for (int state : options.genotype().concat) out.push_back(states[state]);
  return torch::cat(out, 1);
}

std::int64_t DartsCellImpl::out_channels() const {
  return static_cast<std::int64_t>(options.genotype().concat.size()) * options.channels();
}

DartsAuxiliaryHeadImpl::DartsAuxiliaryHeadImpl(const DartsAuxiliaryHeadOptions& options_)
    : options(options_) {
  reset();
}

void DartsAuxiliaryHeadImpl::reset() {
  conv1 = register_module(
      "conv1",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(options.in_channels(), 128, 1).bias(false)));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(128));
  conv2 = register_module("conv2",
                          torch::nn::Conv2d(torch::nn::Conv2dOptions(128, 768, 2).bias(false)));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(768));
  classifier = register_module("classifier", torch::nn::Linear(768, options.num_classes()));
}

torch::Tensor DartsAuxiliaryHeadImpl::forward(const torch::Tensor& x) {
  const torch::Tensor r = torch::relu(x);
  auto published_size = [](std::int64_t side) { return side >= 6 && side <= 8; };
  const torch::Tensor pooled =
      published_size(r.size(2)) && published_size(r.size(3))
          ? torch::avg_pool2d(r, {5, 5}, {3, 3}, {0, 0}, /*ceil_mode=*/true,
                              /*count_include_pad=*/false)
          : torch::adaptive_avg_pool2d(r, {2, 2});
  const torch::Tensor h = torch::relu(batch_norm(bn1, conv1(pooled)));
  const torch::Tensor features = torch::relu(batch_norm(bn2, conv2(h)));  // [B, 768, 1, 1]
  return classifier(features.flatten(1));
}

DartsNetworkImpl::DartsNetworkImpl(const DartsNetworkOptions& options_) : options(options_) {
  reset();
}

void DartsNetworkImpl::reset() {
  const auto& o = options;
  if (o.channels() <= 0 || o.layers() <= 0 || o.input_channels() <= 0 || o.num_classes() < 2) {
    throw bad_input("invalid DARTS network: channels " + std::to_string(o.channels()) +
                    ", layers " + std::to_string(o.layers()) + ", input channels " +
                    std::to_string(o.input_channels()) + ", classes " +
                    std::to_string(o.num_classes()) +
                    " (need positive sizes and at least 2 classes)");
  }
  check_drop_prob(o.drop_path_prob());
  const std::int64_t stem_channels = 3 * o.channels();
  stem_conv = register_module(
      "stem_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.input_channels(), stem_channels, 3)
                                         .padding(1)
                                         .bias(false)));
  stem_bn = register_module("stem_bn", torch::nn::BatchNorm2d(stem_channels));

  std::int64_t prev_prev = stem_channels;
  std::int64_t prev = stem_channels;
  std::int64_t c = o.channels();
  std::int64_t auxiliary_channels = 0;
  bool reduction_prev = false;
  cells.clear();
  for (std::int64_t i = 0; i < o.layers(); ++i) {
    const bool reduction = i == o.layers() / 3 || i == 2 * o.layers() / 3;
    if (reduction) c *= 2;
    const DartsCellGenotype& genotype = reduction ? o.genotype().reduce() : o.genotype().normal();
    auto cell = register_module("cell" + std::to_string(i),
                                DartsCell(DartsCellOptions(genotype, prev_prev, prev, c)
                                              .reduction(reduction)
                                              .reduction_prev(reduction_prev)));
    cells.push_back(cell);
    reduction_prev = reduction;
    prev_prev = prev;
    prev = cell->out_channels();
    if (i == auxiliary_cell()) auxiliary_channels = prev;
  }
  auxiliary_head = nullptr;
  if (o.auxiliary()) {
    auxiliary_head = register_module(
        "auxiliary_head",
        DartsAuxiliaryHead(DartsAuxiliaryHeadOptions(auxiliary_channels, o.num_classes())));
  }
  classifier = register_module("classifier", torch::nn::Linear(prev, o.num_classes()));
}

DartsNetworkOutput DartsNetworkImpl::forward(const torch::Tensor& images) {
  if (images.dim() != 4 || images.size(1) != options.input_channels() || images.size(2) < 8 ||
      images.size(3) < 8) {
    throw bad_input("DARTS network expects images [B, " +
                    std::to_string(options.input_channels()) + ", H >= 8, W >= 8], got " +
                    c10::str(images.sizes()));
  }
  const double drop_prob = is_training() ? options.drop_path_prob() : 0.0;
  DartsNetworkOutput out;
  torch::Tensor s0 = batch_norm(stem_bn, stem_conv(images));
  torch::Tensor s1 = s0;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    torch::Tensor next = cells[i]->forward(s0, s1, drop_prob);
    s0 = std::move(s1);
    s1 = std::move(next);
    if (static_cast<std::int64_t>(i) == auxiliary_cell() && auxiliary_head && is_training()) {
      out.aux_logits = auxiliary_head->forward(s1);
    }
  }
  out.logits = classifier(s1.mean({2, 3}));  // global average pool: [B, C', h, w] -> [B, C']
  return out;
}

void DartsNetworkImpl::set_drop_path_prob(double p) {
  check_drop_prob(p);
  options.drop_path_prob(p);
}

std::int64_t DartsNetworkImpl::num_parameters() const {
  std::int64_t n = 0;
  for (const auto& item : named_parameters()) {
    if (item.value().requires_grad() && item.key().rfind("auxiliary_head.", 0) != 0) {
      n += item.value().numel();
    }
  }
  return n;
}

std::int64_t DartsNetworkImpl::num_parameters_with_auxiliary() const {
  std::int64_t n = 0;
  for (const auto& p : parameters()) {
    if (p.requires_grad()) n += p.numel();
  }
  return n;
}

}  // namespace d2a
