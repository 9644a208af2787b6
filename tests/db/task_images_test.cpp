// to_task_split and task_images: the two directions between an ImageSet and a stored split.
#include "d2a/db/task_images.h"

#include <gtest/gtest.h>

#include "d2a/error.h"

namespace d2a {
namespace {

// 3 classes x 2 images of 2x2x1, interleaved by class; image i holds the value 10 * i + pixel.
ImageSet interleaved() {
  ImageSet set;
  set.channels = 1;
  set.height = set.width = 2;
  set.class_names = {"a", "b", "c"};
  set.source = "toy";
  set.split = "train";
  for (int i = 0; i < 6; ++i) {
    set.labels.push_back(i % 3);
    for (int p = 0; p < 4; ++p) set.pixels.push_back(static_cast<std::uint8_t>(10 * i + p));
  }
  return set;
}

TEST(TaskImages, StoredClassMajorAndReadBackWithTheSameImagesPerClass) {
  const ImageSet set = interleaved();
  const TaskSplit split = to_task_split(set, 3, "train");
  EXPECT_EQ(split.per_class, 2);
  EXPECT_EQ(split.height, 2);
  EXPECT_EQ(split.channels, 1);
  // Class 0 holds images 0 and 3, class 1 images 1 and 4, class 2 images 2 and 5.
  const std::vector<int> order = {0, 3, 1, 4, 2, 5};
  ASSERT_EQ(split.images.size(), 24u);
  for (std::size_t k = 0; k < order.size(); ++k) {
    EXPECT_EQ(split.images[4 * k], 10 * order[k]) << k;
  }

  DbTask task;
  task.id = "t0";
  task.source = "toy";
  task.classes = set.class_names;
  task.splits["train"] = split;
  const ImageSet back = task_images(task, "train");
  EXPECT_EQ(back.labels, (std::vector<std::int32_t>{0, 0, 1, 1, 2, 2}));
  EXPECT_EQ(back.pixels, split.images);
  EXPECT_EQ(back.class_names, set.class_names);
  EXPECT_EQ(back.split, "train");
  for (std::size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(set.labels[static_cast<std::size_t>(order[i])], back.labels[i]);
  }
}

TEST(TaskImages, MissingOrEmptySplitIsBadInputNamingTheTask) {
  DbTask task;
  task.id = "t7";
  task.classes = {"a", "b"};
  try {
    task_images(task, "test");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("t7"), std::string::npos);
    EXPECT_EQ(e.exit_status(), 2);
  }
  task.splits["test"] = TaskSplit{};
  EXPECT_THROW(task_images(task, "test"), Error);
}

}  // namespace
}  // namespace d2a
