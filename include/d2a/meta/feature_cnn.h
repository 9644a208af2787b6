#pragma once
// d2a's own per-image feature network (the default FeatureExtractor): a small VGG-style CNN.
// Blocks of Conv3x3-BN-ReLU at widths[0..], each but the last followed by a 2x2 max-pool, then
// a global average pool and Linear(widths.back() -> feature_dim) + ReLU. At 32x32 input and the
// default widths that is 32x32 -> 16x16 -> 8x8 -> 4x4, about 15 M multiply-adds per image.
// The classifier used to train it (meta/feature_training.h) sits outside this module, so the
// saved extractor is only what extraction needs.
#include <nlohmann/json_fwd.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace d2a {

struct FeatureCnnOptions {
  // Throws d2a::Error (bad input) naming the first field out of range.
  void validate() const;

  TORCH_ARG(int64_t, in_channels) = 3;
  TORCH_ARG(std::vector<int64_t>, widths) = std::vector<int64_t>{32, 64, 128, 256};
  TORCH_ARG(int64_t, feature_dim) = 128;  // D
};

nlohmann::json to_json(const FeatureCnnOptions& options);
// Inverse of to_json; throws d2a::Error (bad input) naming `where` and the field.
FeatureCnnOptions feature_cnn_options_from_json(const nlohmann::json& json,
                                                const std::string& where);

class FeatureCnnImpl : public torch::nn::Cloneable<FeatureCnnImpl> {
 public:
  explicit FeatureCnnImpl(const FeatureCnnOptions& options = {});
  void reset() override;

  // images [N, in_channels, H, W] (H, W >= 2^(blocks-1)) -> features [N, feature_dim] (>= 0).
  torch::Tensor forward(const torch::Tensor& images);

  FeatureCnnOptions options;

 private:
  torch::nn::Sequential body_{nullptr};
  torch::nn::Linear project_{nullptr};
};
TORCH_MODULE(FeatureCnn);

}  // namespace d2a
