// Faithfulness of d2a's cell network and trainer to the benchmark, on real data: under one
// budget, the best CIFAR-10 cell of NAS-Bench-201 (index 6111) must train clearly better on
// Fashion-MNIST than an all-avg_pool_3x3 cell and an all-skip_connect cell.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "d2a/data/open_image_set.h"
#include "d2a/data/task_sampler.h"
#include "d2a/train/budget.h"
#include "d2a/train/trainer.h"

namespace d2a {
namespace {

TEST(Faithfulness, BestBenchmarkCellBeatsAllPoolAndAllSkipOnFashionMnist) {
  if (!std::filesystem::exists(kFashionMnistPath)) {
    GTEST_SKIP() << "not installed: " << kFashionMnistPath << " (dataset-fashion-mnist)";
  }
  // cpu-fast (C8, 16x16, 50 images per class) with N=3 cells per stage and 6 epochs. At N=1 the
  // four convolutions of the residual blocks dominate the network and the cell barely matters:
  // measured 77.5 / 72.2 / 75.6% (6111 / all-pool / all-skip) even under cpu-fast-4x. With
  // three cells per stage the cell is most of the network: measured 62.4 / 24.0 / 35.2%.
  Budget budget = find_budget("cpu-fast");
  budget.cells_per_stage = 3;
  budget.recipe.epochs = 6;
  budget.test_per_class = 100;  // 1,000 test images
  DataOptions options;
  options.max_per_class = budget.train_per_class + budget.test_per_class;
  const ImageSet fashion = open_image_set("fashion-mnist", options);
  TaskShape shape;
  shape.num_classes = 10;
  shape.train_per_class = budget.train_per_class;
  shape.test_per_class = budget.test_per_class;
  const Task task = TaskSampler(fashion).sample(shape, 3);
  const TrainTestData data = make_train_test_data(task.train, task.test, budget.image_size);

  torch::set_num_threads(1);  // results are deterministic per thread count
  auto accuracy = [&](const char* cell) {
    return train_and_evaluate(Nb201Cell::parse(cell), data.train, data.test, budget, 1).test_accuracy;
  };
  const double best = accuracy(
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
      "nor_conv_1x1~2|");
  const double pool = accuracy(
      "|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|avg_pool_3x3~0|avg_pool_3x3~1|"
      "avg_pool_3x3~2|");
  const double skip = accuracy(
      "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|"
      "skip_connect~2|");
  std::cout << "[ info ] Fashion-MNIST, cpu-fast at N=3, 6 epochs: index 6111 " << best << "%, all-pool "
            << pool << "%, all-skip " << skip << "%" << std::endl;
  EXPECT_GT(best, pool + 10.0);
  EXPECT_GT(best, skip + 10.0);
}

}  // namespace
}  // namespace d2a
