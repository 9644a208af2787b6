#include "d2a/meta/feature_extractor.h"

#include <nlohmann/json.hpp>
#include <torch/script.h>
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "d2a/data/tensor.h"
#include "d2a/error.h"
#include "d2a/meta/model_dir.h"
#include "fnv1a.h"
#include "json_fields.h"

namespace d2a {
namespace fs = std::filesystem;

struct FeatureExtractor::Impl {
  // Exactly one of the two is set. Modules are mutable because forward() is not const in
  // LibTorch; extraction never changes them (eval mode, no gradients).
  mutable FeatureCnn cnn{nullptr};
  mutable std::shared_ptr<torch::jit::script::Module> script;
  TensorSpec spec;             // what images_to_tensor produces
  int replicate_to = 0;        // > 0: repeat the (grey) channel to this many channels
  FeatureInput input;          // d2a CNN only
  int dim = 0;
  std::string id;
  std::string path;
};

namespace {

constexpr const char* kCnnIdPrefix = "d2a-cnn-v1:";
constexpr int kScriptImageSize = 32;
constexpr std::int64_t kBatch = 256;

// Hash of every parameter and buffer (name, shape, bytes) and of the input preparation: two
// extractors with the same id compute the same function.
std::string cnn_id(const torch::nn::Module& module, const FeatureInput& input) {
  Fnv1a hash;
  auto add_tensor = [&](const std::string& name, const torch::Tensor& value) {
    hash.add(name);
    const torch::Tensor t = value.detach().to(torch::kCPU).contiguous();
    for (int64_t s : t.sizes()) hash.add(&s, sizeof s);
    hash.add(t.data_ptr(), t.numel() * t.element_size());
  };
  for (const auto& item : module.named_parameters()) add_tensor(item.key(), item.value());
  for (const auto& item : module.named_buffers()) add_tensor(item.key(), item.value());
  hash.add(to_json(input).dump());
  return kCnnIdPrefix + hash.hex();
}

std::string file_hash(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw bad_input(path.string() + ": cannot open");
  Fnv1a hash;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) hash.add(buffer, in.gcount());
  return hash.hex();
}

TensorSpec cnn_spec(const FeatureInput& input) {
  TensorSpec spec;
  spec.height = spec.width = input.image_size;
  spec.channels = input.grey ? 1 : 3;
  spec.mean = input.mean;
  spec.std = input.std;
  return spec;
}

void validate_input(const FeatureInput& input, const std::string& where) {
  if (input.image_size < 8 || input.image_size > 512) {
    throw bad_input(where + ": input image_size must be in [8, 512], got " +
                    std::to_string(input.image_size));
  }
  const std::size_t channels = input.grey ? 1 : 3;
  for (const auto* values : {&input.mean, &input.std}) {
    if (values->size() != 1 && values->size() != channels) {
      throw bad_input(where + ": input mean/std need 1 or " + std::to_string(channels) + " values");
    }
  }
  for (float s : input.std) {
    if (!(s > 0)) throw bad_input(where + ": input std must be positive");
  }
}

std::shared_ptr<FeatureExtractor::Impl> cnn_impl(FeatureCnn cnn, const FeatureInput& input,
                                                  std::string path) {
  validate_input(input, "feature extractor");
  if (!input.grey && cnn->options.in_channels() != 3) {
    throw bad_input("feature extractor: a colour input needs a 3-channel CNN");
  }
  cnn->eval();
  auto impl = std::make_shared<FeatureExtractor::Impl>();
  impl->spec = cnn_spec(input);
  impl->replicate_to = input.grey && cnn->options.in_channels() > 1 ? cnn->options.in_channels() : 0;
  impl->input = input;
  impl->dim = static_cast<int>(cnn->options.feature_dim());
  impl->id = cnn_id(*cnn, input);
  impl->path = std::move(path);
  impl->cnn = std::move(cnn);
  return impl;
}

// Runs a TorchScript module and brings its output to [N, D]; throws (bad input, naming `path`)
// when it fails or returns anything else.
torch::Tensor run_script(torch::jit::script::Module& module, const torch::Tensor& images,
                         const std::string& path) {
  torch::jit::IValue output;
  try {
    output = module.forward({images});
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    throw bad_input(path + ": forward failed on [N, 3, 32, 32] images (" +
                    what.substr(0, what.find('\n')) + ")");
  }
  if (!output.isTensor()) throw bad_input(path + ": forward must return a tensor [N, D]");
  torch::Tensor features = output.toTensor();
  if (features.dim() == 4 && features.size(2) == 1 && features.size(3) == 1) {
    features = features.flatten(1);
  }
  if (features.dim() != 2 || features.size(0) != images.size(0) || features.size(1) < 1) {
    throw bad_input(path + ": forward must return [N, D] (or [N, D, 1, 1]) for N images, got " +
                    c10::str(features.sizes()));
  }
  return features.to(torch::kFloat32);
}

FeatureExtractor load_script(const fs::path& path) {
  auto impl = std::make_shared<FeatureExtractor::Impl>();
  try {
    impl->script = std::make_shared<torch::jit::script::Module>(
        torch::jit::load(path.string(), torch::kCPU));
  } catch (const std::exception& e) {
    // c10::Error, or the TorchScript parser's std::runtime_error on a damaged archive; the first
    // line is the message (c10 appends its backtrace after it).
    const std::string what = e.what();
    throw bad_input(path.string() + ": not a TorchScript module (" + what.substr(0, what.find('\n')) +
                    ")");
  }
  impl->script->eval();
  impl->spec.height = impl->spec.width = kScriptImageSize;
  impl->spec.channels = 3;
  impl->spec.mean = {0.485f, 0.456f, 0.406f};  // ImageNet statistics, as the header promises
  impl->spec.std = {0.229f, 0.224f, 0.225f};
  torch::NoGradGuard no_grad;
  const torch::Tensor probe = run_script(
      *impl->script, torch::zeros({2, 3, kScriptImageSize, kScriptImageSize}), path.string());
  impl->dim = static_cast<int>(probe.size(1));
  impl->id = "torchscript:" + path.filename().string() + ":" + file_hash(path);
  impl->path = path.string();
  return FeatureExtractor(std::move(impl));
}

FeatureExtractor load_cnn_dir(const fs::path& dir) {
  const nlohmann::json config = read_model_config(dir, kFeatureExtractorKind);
  const std::string where = (dir / kModelConfigFile).string();
  const FeatureCnnOptions options = feature_cnn_options_from_json(model_options(config, dir), where);
  const FeatureInput input = feature_input_from_json(meta_json::field(config, "input", where), where);
  validate_input(input, where);
  FeatureCnn cnn = build_from_config(dir, [&] { return FeatureCnn(options); });
  load_model_weights(dir, *cnn);
  auto impl = cnn_impl(cnn, input, dir.string());
  const auto stored = config.find("id");
  if (stored != config.end() && (!stored->is_string() || stored->get<std::string>() != impl->id)) {
    throw bad_input(where + ": id " + stored->dump() + " does not match the weights (" + impl->id +
                    "); the directory mixes files of two extractors");
  }
  return FeatureExtractor(std::move(impl));
}

}  // namespace

nlohmann::json to_json(const FeatureInput& input) {
  return {{"image_size", input.image_size},
          {"grey", input.grey},
          {"mean", input.mean},
          {"std", input.std}};
}

FeatureInput feature_input_from_json(const nlohmann::json& json, const std::string& where) {
  FeatureInput input;
  input.image_size = static_cast<int>(meta_json::integer(json, "image_size", where));
  input.grey = meta_json::boolean(json, "grey", where);
  for (auto [name, target] : {std::pair{"mean", &input.mean}, std::pair{"std", &input.std}}) {
    const auto& values = meta_json::field(json, name, where);
    if (!values.is_array() || values.empty()) {
      throw bad_input(where + ": input '" + name + "' must be a non-empty array of numbers");
    }
    target->clear();
    for (const auto& v : values) {
      if (!v.is_number()) throw bad_input(where + ": input '" + name + "' must hold numbers");
      target->push_back(v.get<float>());
    }
  }
  return input;
}

FeatureExtractor::FeatureExtractor(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

FeatureExtractor FeatureExtractor::load(const std::string& path) {
  const fs::path p(path);
  if (fs::is_directory(p)) return load_cnn_dir(p);
  if (fs::is_regular_file(p)) return load_script(p);
  throw bad_input(path + ": no such feature extractor (a d2a extractor directory or a TorchScript file)");
}

FeatureExtractor FeatureExtractor::random_cnn(int dim, std::uint64_t seed) {
  FeatureCnnOptions options;
  options.feature_dim(dim);
  // The modules' own initialisation draws from torch's global generator; put its state back so
  // that random_cnn has no side effect on the caller's random stream.
  at::Generator global = at::detail::getDefaultCPUGenerator();
  const torch::Tensor global_state = global.get_state();
  FeatureCnn cnn(options);
  global.set_state(global_state);
  at::Generator generator = at::detail::createCPUGenerator(seed);
  torch::NoGradGuard no_grad;
  for (auto& item : cnn->named_parameters()) {
    torch::Tensor& p = item.value();
    const std::string& name = item.key();
    const bool is_weight = name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0;
    if (p.dim() > 1) {
      const double fan_in = static_cast<double>(p.numel() / p.size(0));
      p.copy_(at::normal(0.0, std::sqrt(2.0 / fan_in), p.sizes(), generator));
    } else if (is_weight) {  // the only 1-d weights are BatchNorm scales
      p.fill_(1.0);
    } else {
      p.zero_();
    }
  }
  return FeatureExtractor(cnn_impl(cnn, FeatureInput{}, ""));
}

FeatureExtractor FeatureExtractor::from_cnn(FeatureCnn cnn, const FeatureInput& input) {
  return FeatureExtractor(cnn_impl(std::move(cnn), input, ""));
}

void FeatureExtractor::save(const std::string& dir, const nlohmann::json& extra) const {
  if (!impl_->cnn) {
    throw bad_input(impl_->path + ": a TorchScript extractor is not saved as a directory; refer to its file");
  }
  nlohmann::json keys = extra.is_null() ? nlohmann::json::object() : extra;
  keys["input"] = to_json(impl_->input);
  keys["id"] = impl_->id;
  save_model_dir(dir, *impl_->cnn, make_model_config(kFeatureExtractorKind, to_json(impl_->cnn->options), keys));
}

torch::Tensor FeatureExtractor::extract(const ImageSet& images,
                                        const std::vector<std::size_t>& indices) const {
  std::vector<std::size_t> all;
  const std::vector<std::size_t>* which = &indices;
  if (indices.empty()) {
    all.resize(images.size());
    std::iota(all.begin(), all.end(), std::size_t{0});
    which = &all;
  }
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (std::size_t start = 0; start < which->size(); start += kBatch) {
    const std::size_t end = std::min(which->size(), start + static_cast<std::size_t>(kBatch));
    const std::vector<std::size_t> batch(which->begin() + start, which->begin() + end);
    torch::Tensor x = images_to_tensor(images, batch, impl_->spec);
    if (impl_->replicate_to > 0 && x.size(1) == 1) x = x.expand({-1, impl_->replicate_to, -1, -1});
    parts.push_back(impl_->cnn ? impl_->cnn->forward(x.contiguous())
                               : run_script(*impl_->script, x.contiguous(), impl_->path));
  }
  if (parts.empty()) return torch::zeros({0, impl_->dim});
  return torch::cat(parts).contiguous();
}

int FeatureExtractor::dim() const { return impl_->dim; }
int FeatureExtractor::image_size() const { return impl_->spec.height; }
const std::string& FeatureExtractor::id() const { return impl_->id; }
bool FeatureExtractor::is_torchscript() const { return impl_->script != nullptr; }
const std::string& FeatureExtractor::path() const { return impl_->path; }

nlohmann::json FeatureExtractor::config() const {
  if (!impl_->cnn) return nullptr;
  return {{"kind", kFeatureExtractorKind},
          {"options", to_json(impl_->cnn->options)},
          {"input", to_json(impl_->input)},
          {"id", impl_->id}};
}

}  // namespace d2a
