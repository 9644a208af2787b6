#include "d2a/db/task_images.h"

#include "d2a/error.h"

namespace d2a {

TaskSplit to_task_split(const ImageSet& set, int classes, const std::string& source_split) {
  TaskSplit split;
  split.source_split = source_split;
  split.per_class = static_cast<std::int32_t>(set.size() / classes);
  split.height = set.height;
  split.width = set.width;
  split.channels = set.channels;
  split.images.reserve(set.pixels.size());
  for (int c = 0; c < classes; ++c) {
    for (std::size_t i = 0; i < set.size(); ++i) {
      if (set.labels[i] == c) {
        split.images.insert(split.images.end(), set.image(i), set.image(i) + set.image_bytes());
      }
    }
  }
  return split;
}

ImageSet task_images(const DbTask& task, const std::string& split_name) {
  const auto found = task.splits.find(split_name);
  if (found == task.splits.end()) {
    throw bad_input("task '" + task.id + "': no '" + split_name + "' split");
  }
  const TaskSplit& split = found->second;
  if (split.images.empty() || split.per_class <= 0) {
    throw bad_input("task '" + task.id + "': split '" + split_name + "' keeps no images");
  }
  ImageSet set;
  set.pixels = split.images;
  set.class_names = task.classes;
  set.channels = split.channels;
  set.height = split.height;
  set.width = split.width;
  set.source = task.source;
  set.split = split.source_split;
  for (std::size_t k = 0; k < task.classes.size(); ++k) {
    set.labels.insert(set.labels.end(), split.per_class, static_cast<std::int32_t>(k));
  }
  return set;
}

}  // namespace d2a
