#include "d2a/meta/feature_cnn.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "d2a/error.h"
#include "json_fields.h"

namespace d2a {

void FeatureCnnOptions::validate() const {
  if (in_channels_ != 1 && in_channels_ != 3) {
    throw bad_input("feature CNN: in_channels must be 1 or 3, got " + std::to_string(in_channels_));
  }
  if (widths_.empty() || widths_.size() > 6) {
    throw bad_input("feature CNN: widths must list 1 to 6 block widths");
  }
  for (int64_t w : widths_) {
    if (w < 1 || w > 4096) throw bad_input("feature CNN: block width out of range: " + std::to_string(w));
  }
  if (feature_dim_ < 1 || feature_dim_ > 4096) {
    throw bad_input("feature CNN: feature_dim out of range: " + std::to_string(feature_dim_));
  }
}

nlohmann::json to_json(const FeatureCnnOptions& options) {
  return {{"in_channels", options.in_channels()},
          {"widths", options.widths()},
          {"feature_dim", options.feature_dim()}};
}

FeatureCnnOptions feature_cnn_options_from_json(const nlohmann::json& json,
                                                const std::string& where) {
  FeatureCnnOptions options;
  options.in_channels(meta_json::integer(json, "in_channels", where));
  options.feature_dim(meta_json::integer(json, "feature_dim", where));
  const auto& widths = meta_json::field(json, "widths", where);
  if (!widths.is_array()) throw bad_input(where + ": field 'widths' must be an array of integers");
  std::vector<int64_t> values;
  for (const auto& w : widths) {
    if (!w.is_number_integer()) throw bad_input(where + ": field 'widths' must hold integers");
    values.push_back(w.get<int64_t>());
  }
  options.widths(values);
  try {
    options.validate();
  } catch (const Error& e) {
    throw bad_input(where + ": " + e.what());
  }
  return options;
}

FeatureCnnImpl::FeatureCnnImpl(const FeatureCnnOptions& options_) : options(options_) { reset(); }

void FeatureCnnImpl::reset() {
  options.validate();
  body_ = torch::nn::Sequential();
  int64_t in = options.in_channels();
  const auto& widths = options.widths();
  for (std::size_t b = 0; b < widths.size(); ++b) {
    body_->push_back(torch::nn::Conv2d(
        torch::nn::Conv2dOptions(in, widths[b], 3).padding(1).bias(false)));
    body_->push_back(torch::nn::BatchNorm2d(widths[b]));
    body_->push_back(torch::nn::ReLU());
    if (b + 1 < widths.size()) body_->push_back(torch::nn::MaxPool2d(2));
    in = widths[b];
  }
  body_ = register_module("body", body_);
  project_ = register_module("project", torch::nn::Linear(in, options.feature_dim()));
}

torch::Tensor FeatureCnnImpl::forward(const torch::Tensor& images) {
  torch::Tensor x = body_->forward(images);
  x = x.mean({2, 3});
  return torch::relu(project_->forward(x));
}

}  // namespace d2a
