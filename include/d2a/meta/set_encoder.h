#pragma once
// The dataset encoder of MetaD2A: a two-level Set Transformer. Images of one class are a set,
// pooled to one class vector; the class vectors are a set, pooled to one dataset vector. Both
// levels are SAB, SAB, PMA(1 seed), Linear. The result does not depend on the order of the
// images within a class nor on the order of the classes.
#include <nlohmann/json_fwd.hpp>
#include <torch/torch.h>

#include <string>

#include "d2a/meta/set_attention.h"

namespace d2a {

struct SetEncoderOptions {
  explicit SetEncoderOptions(int64_t input_dim) : input_dim_(input_dim) {}
  TORCH_ARG(int64_t, input_dim);        // D, the per-image feature size
  TORCH_ARG(int64_t, hidden_dim) = 56;  // width of the SABs and PMAs
  TORCH_ARG(int64_t, output_dim) = 56;  // class vector and dataset vector size
  TORCH_ARG(int64_t, heads) = 4;        // must divide hidden_dim
  TORCH_ARG(bool, layer_norm) = false;
};

// Every field, by name (config.json of a model directory).
nlohmann::json to_json(const SetEncoderOptions& options);
// Inverse of to_json; throws d2a::Error (bad input) naming `where` and the missing or mistyped
// field.
SetEncoderOptions set_encoder_options_from_json(const nlohmann::json& json,
                                                const std::string& where);

class SetEncoderImpl : public torch::nn::Cloneable<SetEncoderImpl> {
 public:
  explicit SetEncoderImpl(const SetEncoderOptions& options);
  void reset() override;

  // features: [B, K, n, D] (B tasks, K >= 1 classes, n >= 1 images per class, D = input_dim)
  // -> dataset vectors [B, output_dim].
  torch::Tensor forward(const torch::Tensor& features);
  // The first level alone: [B, K, n, D] -> class vectors [B, K, output_dim].
  torch::Tensor encode_classes(const torch::Tensor& features);

  SetEncoderOptions options;

 private:
  // One level: [S, N, in] -> [S, output_dim].
  torch::Tensor pool(const torch::Tensor& sets, SetAttentionBlock& first, SetAttentionBlock& second,
                     PoolingByMultiheadAttention& pooling, torch::nn::Linear& project);

  SetAttentionBlock class_sab1_{nullptr}, class_sab2_{nullptr};
  PoolingByMultiheadAttention class_pool_{nullptr};
  torch::nn::Linear class_out_{nullptr};
  SetAttentionBlock dataset_sab1_{nullptr}, dataset_sab2_{nullptr};
  PoolingByMultiheadAttention dataset_pool_{nullptr};
  torch::nn::Linear dataset_out_{nullptr};
};
TORCH_MODULE(SetEncoder);

}  // namespace d2a
