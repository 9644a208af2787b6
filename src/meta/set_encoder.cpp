#include "d2a/meta/set_encoder.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "d2a/error.h"
#include "json_fields.h"

namespace d2a {

nlohmann::json to_json(const SetEncoderOptions& options) {
  return {{"input_dim", options.input_dim()},
          {"hidden_dim", options.hidden_dim()},
          {"output_dim", options.output_dim()},
          {"heads", options.heads()},
          {"layer_norm", options.layer_norm()}};
}

SetEncoderOptions set_encoder_options_from_json(const nlohmann::json& json,
                                                const std::string& where) {
  return SetEncoderOptions(meta_json::integer(json, "input_dim", where))
      .hidden_dim(meta_json::integer(json, "hidden_dim", where))
      .output_dim(meta_json::integer(json, "output_dim", where))
      .heads(meta_json::integer(json, "heads", where))
      .layer_norm(meta_json::boolean(json, "layer_norm", where));
}

SetEncoderImpl::SetEncoderImpl(const SetEncoderOptions& options_) : options(options_) { reset(); }

void SetEncoderImpl::reset() {
  const int64_t hidden = options.hidden_dim();
  const auto sab = [&](int64_t in) {
    return SetAttentionBlock(SetAttentionBlockOptions(in, hidden)
                                 .heads(options.heads())
                                 .layer_norm(options.layer_norm()));
  };
  const auto pma = [&] {
    return PoolingByMultiheadAttention(PoolingByMultiheadAttentionOptions(hidden, 1)
                                           .heads(options.heads())
                                           .layer_norm(options.layer_norm()));
  };
  class_sab1_ = register_module("class_sab1", sab(options.input_dim()));
  class_sab2_ = register_module("class_sab2", sab(hidden));
  class_pool_ = register_module("class_pool", pma());
  class_out_ = register_module("class_out", torch::nn::Linear(hidden, options.output_dim()));
  dataset_sab1_ = register_module("dataset_sab1", sab(options.output_dim()));
  dataset_sab2_ = register_module("dataset_sab2", sab(hidden));
  dataset_pool_ = register_module("dataset_pool", pma());
  dataset_out_ = register_module("dataset_out", torch::nn::Linear(hidden, options.output_dim()));
}

torch::Tensor SetEncoderImpl::pool(const torch::Tensor& sets, SetAttentionBlock& first,
                                   SetAttentionBlock& second,
                                   PoolingByMultiheadAttention& pooling,
                                   torch::nn::Linear& project) {
  return project(pooling(second(first(sets))).squeeze(1));
}

torch::Tensor SetEncoderImpl::encode_classes(const torch::Tensor& features) {
  if (features.dim() != 4 || features.size(1) < 1 || features.size(2) < 1 ||
      features.size(3) != options.input_dim()) {
    throw bad_input("set encoder: features must be [B, K >= 1, n >= 1, " +
                    std::to_string(options.input_dim()) + "], got " + c10::str(features.sizes()));
  }
  const int64_t tasks = features.size(0), classes = features.size(1);
  // All classes of all tasks are independent sets at this level: one batch of B*K sets.
  const torch::Tensor sets =
      features.reshape({tasks * classes, features.size(2), features.size(3)});
  return pool(sets, class_sab1_, class_sab2_, class_pool_, class_out_)
      .view({tasks, classes, options.output_dim()});
}

torch::Tensor SetEncoderImpl::forward(const torch::Tensor& features) {
  return pool(encode_classes(features), dataset_sab1_, dataset_sab2_, dataset_pool_, dataset_out_);
}

}  // namespace d2a
