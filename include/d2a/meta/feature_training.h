#pragma once
// Training d2a's default feature extractor: a supervised classifier over the union of the
// classes of several allowed image sources (Fashion-MNIST, digits, glyphs; never CIFAR-10, see
// shared/data/README.md). The CNN's penultimate layer (FeatureCnn's output) is the feature;
// the linear classifier on top is thrown away.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "d2a/data/image_set.h"
#include "d2a/meta/feature_extractor.h"

namespace d2a {

struct FeatureTrainOptions {
  int epochs = 4;
  int batch_size = 128;
  double learning_rate = 0.05;  // SGD, Nesterov momentum 0.9, cosine per iteration
  double weight_decay = 5e-4;
  double validation_fraction = 0.1;  // images per class held out to report accuracy
  FeatureCnnOptions cnn;             // feature_dim is D
  FeatureInput input;                // grey, image_size; mean/std are measured on the data
  std::uint64_t seed = 0;
};

struct FeatureTrainEpoch {
  int epoch = 0;  // 0-based
  int epochs = 0;
  double train_loss = 0;
  double train_accuracy = 0;       // percent, augmented batches
  double validation_accuracy = 0;  // percent on the held-out images
  double seconds = 0;              // since training started
};

struct FeatureTrainResult {
  FeatureExtractor extractor;
  std::vector<FeatureTrainEpoch> epochs;
  std::int64_t classes = 0;
  std::int64_t train_images = 0;
  std::int64_t validation_images = 0;
  std::vector<std::string> class_names;  // "<source>/<class>"
};

// Trains on every image of `sources` (each source's classes become distinct classes). Seeds
// torch's global generator with options.seed; deterministic for a seed and thread count on
// CPU. Calls `progress` after every epoch. Throws d2a::Error (bad input) for no sources, a
// source without images, or invalid options.
FeatureTrainResult train_feature_extractor(
    const std::vector<ImageSet>& sources, const FeatureTrainOptions& options,
    const std::function<void(const FeatureTrainEpoch&)>& progress = {});

}  // namespace d2a
