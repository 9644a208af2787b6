// TEMPORARY (branch `suggest` only): a stand-in for the real FeatureExtractor so that `d2a
// suggest` compiles and runs before the extractor branch lands. A small random-init CNN
// (conv-relu-pool x3, global average pool, linear to D) whose weights are a function of
// (dim, seed); directories only, no TorchScript.
// Drop this file, feature_extractor_tmp.h and meta_model_tmp.cpp when the real ones merge.
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <filesystem>

#include "d2a/data/tensor.h"
#include "d2a/error.h"
#include "d2a/meta/feature_extractor.h"
#include "d2a/meta/graph_decoder.h"
#include "d2a/meta/model_dir.h"
#include "feature_extractor_tmp.h"
#include "json_fields.h"

namespace d2a {
namespace {

constexpr const char* kKind = "feature-extractor-tmp";
constexpr const char* kIdPrefix = "d2a-cnn-tmp:";

torch::nn::Sequential make_cnn(int dim) {
  torch::nn::Sequential net;
  int64_t in = 3;
  for (int64_t out : {32, 64, 128}) {
    net->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1)));
    net->push_back(torch::nn::ReLU());
    net->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
    in = out;
  }
  net->push_back(torch::nn::AdaptiveAvgPool2d(torch::nn::AdaptiveAvgPool2dOptions(1)));
  net->push_back(torch::nn::Flatten());
  net->push_back(torch::nn::Linear(in, dim));
  return net;
}

}  // namespace

struct FeatureExtractor::Impl {
  mutable torch::nn::Sequential net{nullptr};  // forward is non-const; extract() is const
  int dim = 0;
  std::string id;
};

FeatureExtractor::FeatureExtractor(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

FeatureExtractor FeatureExtractor::random_cnn(int dim, std::uint64_t seed) {
  if (dim <= 0) throw bad_input("feature extractor: dim must be positive, got " + std::to_string(dim));
  auto impl = std::make_shared<Impl>();
  impl->net = make_cnn(dim);
  impl->dim = dim;
  at::Generator gen = make_sampler(seed);
  torch::NoGradGuard no_grad;
  for (auto& p : impl->net->parameters()) {
    if (p.dim() > 1) {
      const double fan_in = static_cast<double>(p.numel() / p.size(0));
      p.normal_(0.0, std::sqrt(2.0 / fan_in), gen);
    } else {
      p.zero_();
    }
  }
  impl->net->eval();
  impl->id = kIdPrefix + std::to_string(dim) + ":" + std::to_string(seed);
  return FeatureExtractor(impl);
}

// The weights are a pure function of (dim, seed), so the directory stores only those two.
FeatureExtractor FeatureExtractor::load(const std::string& path) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(path)) {
    throw bad_input(path + ": not a feature-extractor directory (the temporary extractor reads "
                    "directories only)");
  }
  const nlohmann::json config = read_model_config(path, kKind);
  const std::string where = (fs::path(path) / kModelConfigFile).string();
  const nlohmann::json& options = model_options(config, path);
  const int64_t dim = meta_json::integer(options, "dim", where);
  const int64_t seed = meta_json::integer(options, "seed", where);
  if (dim <= 0 || dim > 65536) throw bad_input(where + ": dim must be in [1, 65536]");
  return random_cnn(static_cast<int>(dim), static_cast<std::uint64_t>(seed));
}

torch::Tensor FeatureExtractor::extract(const ImageSet& images,
                                        const std::vector<std::size_t>& indices) const {
  std::vector<std::size_t> all = indices;
  if (all.empty()) {
    all.resize(images.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  }
  TensorSpec spec;
  spec.height = spec.width = 32;
  spec.channels = 3;
  spec.mean = {0.485f, 0.456f, 0.406f};
  spec.std = {0.229f, 0.224f, 0.225f};
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  constexpr std::size_t kBatch = 256;
  for (std::size_t start = 0; start < all.size(); start += kBatch) {
    const std::vector<std::size_t> batch(all.begin() + start,
                                         all.begin() + std::min(all.size(), start + kBatch));
    parts.push_back(impl_->net->forward(images_to_tensor(images, batch, spec)));
  }
  if (parts.empty()) return torch::zeros({0, impl_->dim});
  return torch::cat(parts, 0);
}

int FeatureExtractor::dim() const { return impl_->dim; }
const std::string& FeatureExtractor::id() const { return impl_->id; }

void save_feature_extractor_tmp(const std::filesystem::path& dir,
                                const FeatureExtractor& extractor) {
  // id = "d2a-cnn-tmp:<dim>:<seed>"
  const std::string& id = extractor.id();
  const auto colon = id.rfind(':');
  const std::uint64_t seed = std::stoull(id.substr(colon + 1));
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  nlohmann::json config = {{"format_version", kModelFormatVersion},
                           {"kind", kKind},
                           {"options", {{"dim", extractor.dim()}, {"seed", seed}}}};
  std::ofstream(dir / kModelConfigFile) << config.dump(2) << "\n";
}

}  // namespace d2a
