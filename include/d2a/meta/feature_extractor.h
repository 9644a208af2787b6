#pragma once
// Per-image features for the set encoder: a fixed network maps each image to a D-dim vector.
// Two kinds behind one type:
//  - d2a's own CNN (a directory: config.json + weights.pt, as save_feature_extractor writes;
//    the default one is trained by d2a on allowed data and ships in models/);
//  - any TorchScript module file (e.g. an ImageNet ResNet18 a user exported with
//    torch.jit.trace), whose forward maps [N, 3, 32, 32] float images normalised with the
//    ImageNet mean/std to [N, D] (or [N, D, 1, 1]).
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "d2a/data/image_set.h"

namespace d2a {

class FeatureExtractor {
 public:
  // Loads a directory (d2a CNN) or a file (TorchScript). Throws d2a::Error (bad input) naming
  // the path when it is missing, corrupt, of another format version, or its forward does not
  // return [N, D].
  static FeatureExtractor load(const std::string& path);

  // A d2a CNN with random weights: a real (poor) extractor, for tests and as an ablation.
  static FeatureExtractor random_cnn(int dim, std::uint64_t seed);

  // Features of images[indices] (all images when `indices` is empty): [n, dim()] float32 on
  // CPU. Converts size/channels/normalisation to what the network expects; runs in eval mode
  // without gradients, in batches.
  torch::Tensor extract(const ImageSet& images, const std::vector<std::size_t>& indices = {}) const;

  int dim() const;
  // Stable identifier recorded with every task and model that used it, e.g.
  // "d2a-cnn-v1:<hash of the weights>" or "torchscript:<file name>:<hash>".
  const std::string& id() const;

  // Opaque implementation (CNN module or TorchScript module, input spec, id).
  struct Impl;
  explicit FeatureExtractor(std::shared_ptr<const Impl> impl);

 private:
  std::shared_ptr<const Impl> impl_;
};

}  // namespace d2a
