#include "d2a/data/task_sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "data_test_support.h"

namespace d2a {
namespace {

// 6 classes; class c has 10 + c one-pixel images whose value encodes (class, index).
ImageSet toy_set() {
  ImageSet set;
  set.source = "toy";
  set.channels = 1;
  set.height = 1;
  set.width = 1;
  for (int c = 0; c < 6; ++c) {
    set.class_names.push_back("class" + std::to_string(c));
    for (int i = 0; i < 10 + c; ++i) {
      set.labels.push_back(c);
      set.pixels.push_back(static_cast<std::uint8_t>(c * 20 + i));
    }
  }
  return set;
}

TEST(TaskSampler, UniformIntegersAreStableAcrossPlatforms) {
  // mt19937_64 is fully specified; its 10000th output from the default seed is in the standard.
  std::mt19937_64 reference;
  reference.discard(9999);
  EXPECT_EQ(reference(), 9981545732273789042ull);
  std::mt19937_64 rng(42);
  std::vector<std::uint64_t> draws;
  for (int i = 0; i < 2000; ++i) draws.push_back(uniform_below(rng, 7));
  std::vector<int> histogram(7, 0);
  for (const auto d : draws) ++histogram.at(d);
  for (const int h : histogram) EXPECT_NEAR(h, 2000 / 7, 60);
  const auto perm = sample_without_replacement(rng, 9, 9);
  EXPECT_EQ(std::set<std::size_t>(perm.begin(), perm.end()).size(), 9u);
}

TEST(TaskSampler, DrawsExactDisjointRelabelledTasks) {
  const ImageSet set = toy_set();
  const TaskSampler sampler(set);
  const Task task = sampler.sample({4, 3, 2}, 7);
  EXPECT_EQ(task.seed, 7u);
  ASSERT_EQ(task.source_classes.size(), 4u);
  ASSERT_EQ(task.train.size(), 12u);
  ASSERT_EQ(task.test.size(), 8u);
  EXPECT_EQ(task.train.class_names, task.class_names);
  EXPECT_EQ(task.test.class_names, task.class_names);
  EXPECT_EQ(std::set<std::int32_t>(task.source_classes.begin(), task.source_classes.end()).size(),
            4u);
  std::set<std::size_t> train_ids(task.train_indices.begin(), task.train_indices.end());
  std::set<std::size_t> test_ids(task.test_indices.begin(), task.test_indices.end());
  EXPECT_EQ(train_ids.size(), 12u);
  EXPECT_EQ(test_ids.size(), 8u);
  for (const auto i : test_ids) EXPECT_EQ(train_ids.count(i), 0u) << "image " << i;
  for (std::size_t j = 0; j < task.train.size(); ++j) {
    const std::int32_t label = task.train.labels[j];
    EXPECT_EQ(label, static_cast<std::int32_t>(j / 3));
    // The pixel encodes the original class: it must be the chosen class of this label.
    EXPECT_EQ(task.train.image(j)[0] / 20, task.source_classes[label]);
    EXPECT_EQ(set.labels[task.train_indices[j]], task.source_classes[label]);
    EXPECT_EQ(task.class_names[label], "class" + std::to_string(task.source_classes[label]));
  }
  for (std::size_t j = 0; j < task.test.size(); ++j) {
    EXPECT_EQ(task.test.labels[j], static_cast<std::int32_t>(j / 2));
    EXPECT_EQ(task.test.image(j)[0] / 20, task.source_classes[task.test.labels[j]]);
  }
}

TEST(TaskSampler, IsReproducibleBySeed) {
  const ImageSet set = toy_set();
  const TaskSampler sampler(set);
  const Task a = sampler.sample({3, 5, 1}, 123);
  const Task b = sampler.sample({3, 5, 1}, 123);
  EXPECT_EQ(a.source_classes, b.source_classes);
  EXPECT_EQ(a.train_indices, b.train_indices);
  EXPECT_EQ(a.test_indices, b.test_indices);
  EXPECT_EQ(a.train.pixels, b.train.pixels);
  int differing = 0;
  for (std::uint64_t seed = 124; seed < 134; ++seed) {
    differing += sampler.sample({3, 5, 1}, seed).train_indices != a.train_indices;
  }
  EXPECT_GE(differing, 9);
  // Pinned draw (recorded once): the same on every platform and standard library, because
  // the engine is fully specified and the integers and shuffles are d2a's own.
  const Task pinned = sampler.sample({2, 2, 1}, 2024);
  EXPECT_EQ(pinned.source_classes, (std::vector<std::int32_t>{4, 5}));
  EXPECT_EQ(pinned.train_indices, (std::vector<std::size_t>{57, 49, 72, 69}));
  EXPECT_EQ(pinned.test_indices, (std::vector<std::size_t>{52, 67}));
}

TEST(TaskSampler, RejectsImpossibleShapes) {
  const ImageSet set = toy_set();
  const TaskSampler sampler(set);
  test::expect_bad_input([&] { sampler.sample({1, 3, 0}, 1); }, "at least 2 classes");
  test::expect_bad_input([&] { sampler.sample({7, 3, 0}, 1); }, "set has 6");
  test::expect_bad_input([&] { sampler.sample({2, 0, 0}, 1); }, "at least 1 train image");
  // class0 holds 10 images: 8 + 3 is too many, whichever classes the seed picks.
  test::expect_bad_input([&] { sampler.sample({2, 8, 3}, 1); }, "class 'class0' has 10 images");
  EXPECT_NO_THROW(sampler.sample({6, 8, 2}, 1));
}

// The same classes by name in another order, with other pixel values (100 + 20 c + i), 4 images
// each, and one class ("extra") the train set does not have.
ImageSet toy_test_set() {
  ImageSet set;
  set.source = "toy-test";
  set.split = "test";
  set.channels = set.height = set.width = 1;
  for (int c : {5, 3, 1, 0, 2, 4}) {
    set.class_names.push_back("class" + std::to_string(c));
    for (int i = 0; i < 4; ++i) {
      set.labels.push_back(static_cast<std::int32_t>(set.class_names.size() - 1));
      set.pixels.push_back(static_cast<std::uint8_t>(100 + c * 20 + i));
    }
  }
  set.class_names.push_back("extra");
  set.labels.push_back(6);
  set.pixels.push_back(0);
  return set;
}

TEST(TaskSampler, TestImagesFromATestSplitMatchClassesByName) {
  const ImageSet set = toy_set();
  const ImageSet test_set = toy_test_set();
  const TaskSampler sampler(set);
  const Task plain = sampler.sample({3, 5, 0}, 99);
  const Task task = sampler.sample({3, 5, 3}, 99, test_set);
  // The train draw is the one sample() makes without test images.
  EXPECT_EQ(task.source_classes, plain.source_classes);
  EXPECT_EQ(task.train_indices, plain.train_indices);
  ASSERT_EQ(task.test.size(), 9u);
  EXPECT_EQ(task.test.split, "test");
  EXPECT_EQ(task.test.class_names, task.class_names);
  for (std::size_t j = 0; j < task.test.size(); ++j) {
    const std::int32_t label = task.test.labels[j];
    EXPECT_EQ(label, static_cast<std::int32_t>(j / 3));
    // The pixel says the image came from the test set, and from the class of that name.
    const int pixel = task.test.image(j)[0];
    EXPECT_GE(pixel, 100);
    EXPECT_EQ((pixel - 100) / 20, task.source_classes[label]);
  }
  // m = 0: as many as the smallest chosen class has in the test set (4 each here).
  EXPECT_EQ(sampler.sample({3, 5, 0}, 99, test_set).test.size(), 12u);
  test::expect_bad_input([&] { sampler.sample({3, 5, 5}, 99, test_set); }, "4 test images");
  ImageSet missing = test_set;
  missing.class_names[0] = "renamed";  // class5 is gone
  bool hit = false;
  for (std::uint64_t seed = 0; seed < 40 && !hit; ++seed) {
    const Task t = sampler.sample({2, 1, 0}, seed);
    if (std::find(t.class_names.begin(), t.class_names.end(), "class5") == t.class_names.end()) {
      continue;
    }
    hit = true;
    test::expect_bad_input([&] { sampler.sample({2, 1, 0}, seed, missing); }, "no class 'class5'");
  }
  EXPECT_TRUE(hit);
}

}  // namespace
}  // namespace d2a
