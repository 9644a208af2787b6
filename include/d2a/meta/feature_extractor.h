#pragma once
// Per-image features for the set encoder: a fixed network maps each image to a D-dim vector.
// Two kinds behind one type:
//  - d2a's own CNN (a directory: config.json + weights.pt, as save_feature_extractor writes;
//    the default one is trained by d2a on allowed data and ships in models/);
//  - any TorchScript module file (e.g. an ImageNet ResNet18 a user exported with
//    torch.jit.trace), whose forward maps [N, 3, 32, 32] float images normalised with the
//    ImageNet mean/std to [N, D] (or [N, D, 1, 1]).
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "d2a/data/image_set.h"
#include "d2a/meta/feature_cnn.h"

namespace d2a {

inline constexpr const char* kFeatureExtractorKind = "feature-extractor";

// How images are prepared for a d2a CNN: resized to image_size x image_size, converted to grey
// (luma) when `grey` and replicated to the CNN's input channels, scaled to [0, 1], then
// normalised with mean/std (one value per channel after conversion, or one for all).
struct FeatureInput {
  int image_size = 32;
  bool grey = true;
  std::vector<float> mean{0.5f};
  std::vector<float> std{0.25f};
};
nlohmann::json to_json(const FeatureInput& input);
FeatureInput feature_input_from_json(const nlohmann::json& json, const std::string& where);

class FeatureExtractor {
 public:
  // Loads a directory (d2a CNN) or a file (TorchScript). Throws d2a::Error (bad input) naming
  // the path when it is missing, corrupt, of another format version, or its forward does not
  // return [N, D].
  static FeatureExtractor load(const std::string& path);

  // A d2a CNN with random weights: a real (poor) extractor, for tests and as an ablation.
  // Draws the weights from its own generator (He-normal convolutions and linear, zero biases),
  // so torch's global generator is left alone.
  static FeatureExtractor random_cnn(int dim, std::uint64_t seed);
  // Wraps a (trained) CNN; it is put in eval mode and must not be modified afterwards.
  static FeatureExtractor from_cnn(FeatureCnn cnn, const FeatureInput& input);

  // Writes a d2a CNN extractor as a model directory (meta/model_dir.h, kind
  // "feature-extractor"): config.json holds "options", "input", "id" and every key of `extra`
  // (an object or null: training provenance). Throws d2a::Error (bad input) for a TorchScript
  // extractor, which is a user's file and is referred to by path instead.
  void save(const std::string& dir, const nlohmann::json& extra = nullptr) const;

  // Features of images[indices] (all images when `indices` is empty): [n, dim()] float32 on
  // CPU. Converts size/channels/normalisation to what the network expects; runs in eval mode
  // without gradients, in batches.
  torch::Tensor extract(const ImageSet& images, const std::vector<std::size_t>& indices = {}) const;

  int dim() const;
  // The side images are resized to before extraction.
  int image_size() const;
  // Stable identifier recorded with every task and model that used it, e.g.
  // "d2a-cnn-v1:<hash of the weights>" or "torchscript:<file name>:<hash>".
  const std::string& id() const;
  bool is_torchscript() const;
  // The directory or file it was loaded from ("" when built in memory).
  const std::string& path() const;
  // config.json of a d2a CNN as save() writes it (without "extra" keys); null for TorchScript.
  nlohmann::json config() const;

  // Opaque implementation (CNN module or TorchScript module, input spec, id).
  struct Impl;
  explicit FeatureExtractor(std::shared_ptr<const Impl> impl);

 private:
  std::shared_ptr<const Impl> impl_;
};

}  // namespace d2a
