#pragma once
// A tiny meta-model with random weights, saved where a test wants it, and a tiny image folder:
// enough for behavioural tests of `suggest` (valid, distinct, sorted, limits, determinism), not
// for its quality.
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "d2a/meta/meta_model.h"

namespace d2a::test {

inline constexpr int kTinyFeatureDim = 16;

inline MetaModel tiny_meta_model(std::uint64_t seed = 3, bool prior = false,
                                 bool task_stats = false) {
  torch::manual_seed(seed);
  MetaModel model{FeatureExtractor::random_cnn(kTinyFeatureDim, seed), nullptr, nullptr, 0, 1, 20,
                  {}, std::nullopt, {}};
  GeneratorOptions generator_options(kTinyFeatureDim);
  generator_options.set_encoder().hidden_dim(16).output_dim(16);
  generator_options.decoder().latent_dim(8).hidden_dim(32);
  model.generator = Generator(generator_options);
  PredictorOptions predictor_options(kTinyFeatureDim);
  predictor_options.set_encoder().hidden_dim(16).output_dim(16);
  predictor_options.graph_encoder().hidden_dim(32).output_dim(16);
  predictor_options.mlp_hidden(32);
  predictor_options.prior(prior);
  predictor_options.task_stats(task_stats);
  model.predictor = Predictor(predictor_options);
  model.generator->eval();
  model.predictor->eval();
  model.accuracy_mean = 70;
  model.accuracy_std = 10;
  model.images_per_class = 5;
  model.info = {{"training", {{"note", "random weights, written by a test"}}}};
  return model;
}

// Saves tiny_meta_model() to `dir` and returns it.
inline MetaModel save_tiny_meta_model(const std::filesystem::path& dir, std::uint64_t seed = 3) {
  MetaModel model = tiny_meta_model(seed);
  save_meta_model(dir.string(), model, "# Tiny test model\n\nRandom weights.\n");
  return model;
}

// An image folder <root>/<class>/<i>.png: `classes` classes x `per_class` RGB noise images of
// side `side`, each class with its own mean colour (so classes differ), seeded.
inline void write_noise_image_folder(const std::filesystem::path& root, int classes, int per_class,
                                     int side = 16, unsigned seed = 5) {
  std::mt19937 rng(seed);
  for (int c = 0; c < classes; ++c) {
    const auto dir = root / ("class" + std::to_string(c));
    std::filesystem::create_directories(dir);
    for (int i = 0; i < per_class; ++i) {
      std::vector<std::uint8_t> pixels(static_cast<std::size_t>(side) * side * 3);
      for (std::size_t p = 0; p < pixels.size(); ++p) {
        pixels[p] = static_cast<std::uint8_t>((c * 70 + (p % 3) * 30 + rng() % 96) % 256);
      }
      const auto path = dir / (std::to_string(i) + ".png");
      ASSERT_NE(stbi_write_png(path.string().c_str(), side, side, 3, pixels.data(), side * 3), 0)
          << path;
    }
  }
}

}  // namespace d2a::test
