#include "d2a/train/precision.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>

#include "d2a/error.h"
#include "d2a/train/budget.h"
#include "d2a/train/trainer.h"
#include "train_test_support.h"

namespace d2a {
namespace {

TEST(Precision, Bf16ScopeRunsConvolutionsInBfloat16AndEndsWithTheScope) {
  const torch::Tensor x = torch::randn({2, 3, 8, 8});
  const torch::Tensor w = torch::randn({4, 3, 3, 3});
  {
    const PrecisionScope scope("bf16", torch::kCPU);
    EXPECT_EQ(torch::conv2d(x, w).scalar_type(), torch::kBFloat16);
    EXPECT_EQ(torch::matmul(x, x).scalar_type(), torch::kBFloat16);
  }
  EXPECT_EQ(torch::conv2d(x, w).scalar_type(), torch::kFloat);
  {
    const PrecisionScope scope("fp32", torch::kCPU);
    EXPECT_EQ(torch::conv2d(x, w).scalar_type(), torch::kFloat);
  }
  EXPECT_THROW(PrecisionScope("fp16", torch::kCPU), Error);
}

TEST(Precision, RecipeKeepsFp32OutOfItsJsonAndRoundTripsBf16) {
  TrainRecipe r;
  EXPECT_FALSE(r.to_json().contains("precision"));  // the database's stored recipes keep their text
  r.precision = "bf16";
  EXPECT_EQ(r.to_json().at("precision"), "bf16");
  EXPECT_EQ(TrainRecipe::from_json(r.to_json()).precision, "bf16");
  r.precision = "half";
  EXPECT_THROW(r.validate(), Error);

  BudgetOverrides o;
  o.precision = "bf16";
  const Budget b = apply_overrides(find_budget("cpu-fast"), o);
  EXPECT_EQ(b.name, "cpu-fast[bf16]");
  EXPECT_EQ(b.recipe.precision, "bf16");
  o.precision = "fp32";  // the budget's own: no change, no new name
  EXPECT_EQ(apply_overrides(find_budget("cpu-fast"), o).name, "cpu-fast");
}

TEST(Precision, Bf16TrainingLearnsAsFp32DoesWithFloat32Weights) {
  const TrainData train = test::synthetic(64, 1);
  const TrainData test = test::synthetic(30, 2);
  Budget b = find_budget("cpu-fast");
  b.channels = 4;
  b.recipe.epochs = 4;
  b.recipe.batch_size = 32;
  b.recipe.learning_rate = 0.05;
  const Nb201Cell cell = Nb201Cell::parse(
      "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|");
  const TrainResult fp32 = train_and_evaluate(cell, train, test, b, 11);
  b.recipe.precision = "bf16";
  const TrainResult bf16 = train_and_evaluate(cell, train, test, b, 11);
  std::cout << "[ info ] synthetic task: fp32 " << fp32.test_accuracy << "% (train loss "
            << fp32.train_loss << "), bf16 " << bf16.test_accuracy << "% (train loss "
            << bf16.train_loss << ")" << std::endl;
  EXPECT_GT(bf16.test_accuracy, 75.0);  // as Trainer.TinyRunBeatsChanceClearly asks of fp32
  EXPECT_NEAR(bf16.train_loss, fp32.train_loss, 0.1);
  EXPECT_NE(bf16.train_loss, fp32.train_loss);  // autocast did change the arithmetic
  for (const torch::Tensor& p : bf16.network->parameters()) EXPECT_EQ(p.scalar_type(), torch::kFloat);
}

}  // namespace
}  // namespace d2a
