#include "d2a/train/recipe.h"

#include <gtest/gtest.h>

#include <cmath>

#include "d2a/error.h"

namespace d2a {
namespace {

TEST(TrainRecipe, DefaultsAreTheBenchmarkRecipe) {
  const TrainRecipe r;
  EXPECT_EQ(r.epochs, 200);
  EXPECT_EQ(r.batch_size, 256);
  EXPECT_DOUBLE_EQ(r.learning_rate, 0.1);
  EXPECT_DOUBLE_EQ(r.min_learning_rate, 0.0);
  EXPECT_DOUBLE_EQ(r.momentum, 0.9);
  EXPECT_TRUE(r.nesterov);
  EXPECT_DOUBLE_EQ(r.weight_decay, 5e-4);
  EXPECT_EQ(r.effective_crop_padding(32), 4);
  EXPECT_EQ(r.effective_crop_padding(16), 2);
  EXPECT_TRUE(r.horizontal_flip);
  TrainRecipe no_crop;
  no_crop.random_crop = false;
  EXPECT_EQ(no_crop.effective_crop_padding(32), 0);
  TrainRecipe fixed;
  fixed.crop_padding = 3;
  EXPECT_EQ(fixed.effective_crop_padding(32), 3);
}

TEST(TrainRecipe, CosineScheduleAtKnownSteps) {
  TrainRecipe r;
  const std::int64_t total = 1000;
  EXPECT_DOUBLE_EQ(cosine_learning_rate(r, 0, total), 0.1);
  EXPECT_NEAR(cosine_learning_rate(r, 250, total), 0.1 * (1 + std::sqrt(0.5)) / 2, 1e-12);
  EXPECT_NEAR(cosine_learning_rate(r, 500, total), 0.05, 1e-12);
  EXPECT_NEAR(cosine_learning_rate(r, 750, total), 0.1 * (1 - std::sqrt(0.5)) / 2, 1e-12);
  EXPECT_NEAR(cosine_learning_rate(r, total, total), 0.0, 1e-12);
  // Strictly decreasing over the run, and positive on the last iteration.
  for (std::int64_t s = 1; s < total; ++s) {
    ASSERT_LT(cosine_learning_rate(r, s, total), cosine_learning_rate(r, s - 1, total)) << s;
  }
  EXPECT_GT(cosine_learning_rate(r, total - 1, total), 0.0);
  r.min_learning_rate = 0.001;
  EXPECT_NEAR(cosine_learning_rate(r, total, total), 0.001, 1e-12);
  EXPECT_NEAR(cosine_learning_rate(r, 500, total), 0.0505, 1e-12);
}

TEST(TrainRecipe, JsonRoundTripAndStrictReading) {
  TrainRecipe r;
  r.epochs = 7;
  r.batch_size = 32;
  r.learning_rate = 0.025;
  r.horizontal_flip = false;
  r.crop_padding = 1;
  const nlohmann::json j = r.to_json();
  EXPECT_EQ(j.at("schedule"), "cosine-per-iteration");
  const TrainRecipe back = TrainRecipe::from_json(j);
  EXPECT_EQ(back.to_json(), j);
  EXPECT_EQ(back.epochs, 7);
  EXPECT_FALSE(back.horizontal_flip);
  // Missing fields default; unknown fields, wrong types and bad values are rejected.
  EXPECT_EQ(TrainRecipe::from_json({{"epochs", 3}}).batch_size, 256);
  EXPECT_THROW(TrainRecipe::from_json({{"epoch", 3}}), Error);
  EXPECT_THROW(TrainRecipe::from_json({{"epochs", "three"}}), Error);
  EXPECT_THROW(TrainRecipe::from_json({{"epochs", 0}}), Error);
  EXPECT_THROW(TrainRecipe::from_json({{"schedule", "step"}}), Error);
  EXPECT_THROW(TrainRecipe::from_json({{"learning_rate", 0.1}, {"min_learning_rate", 0.2}}), Error);
  EXPECT_THROW(TrainRecipe::from_json(nlohmann::json::array()), Error);
}

TEST(TrainRecipe, DartsExtrasAreOffByDefaultAndWrittenOnlyWhenOn) {
  const TrainRecipe plain;
  const nlohmann::json j = plain.to_json();
  // The text of recipes stored before the extras existed does not change.
  for (const char* key : {"cutout", "auxiliary_weight", "drop_path", "grad_clip"}) {
    EXPECT_FALSE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.size(), 11u);
  TrainRecipe darts;
  darts.cutout = 16;
  darts.auxiliary_weight = 0.4;
  darts.drop_path = 0.2;
  darts.grad_clip = 5;
  const nlohmann::json dj = darts.to_json();
  EXPECT_EQ(dj.at("cutout"), 16);
  EXPECT_DOUBLE_EQ(dj.at("drop_path").get<double>(), 0.2);
  const TrainRecipe back = TrainRecipe::from_json(dj);
  EXPECT_EQ(back.cutout, 16);
  EXPECT_DOUBLE_EQ(back.auxiliary_weight, 0.4);
  EXPECT_DOUBLE_EQ(back.drop_path, 0.2);
  EXPECT_DOUBLE_EQ(back.grad_clip, 5.0);
  EXPECT_EQ(back.to_json(), dj);
  EXPECT_THROW(TrainRecipe::from_json({{"cutout", -1}}), Error);
  EXPECT_THROW(TrainRecipe::from_json({{"drop_path", 1.0}}), Error);
  EXPECT_THROW(TrainRecipe::from_json({{"auxiliary_weight", -0.4}}), Error);
  EXPECT_THROW(TrainRecipe::from_json({{"grad_clip", -5}}), Error);
}

}  // namespace
}  // namespace d2a
