#pragma once
// A task's images between the two forms they take: an ImageSet (what the trainer and the feature
// extractor read) and a TaskSplit (how the database stores them: [classes, per_class, H, W, C],
// class-major). `db build` writes with to_task_split, meta-training reads with task_images.
#include <string>

#include "d2a/data/image_set.h"
#include "d2a/db/meta_database.h"

namespace d2a {

// The images of `set` grouped by class 0..classes-1, in their order within each class. Every
// class must hold set.size() / classes images (what TaskSampler draws).
TaskSplit to_task_split(const ImageSet& set, int classes, const std::string& source_split);

// The split `split` of a task as an ImageSet (label = class position). Throws d2a::Error (bad
// input) naming the task when the split is missing or holds no images.
ImageSet task_images(const DbTask& task, const std::string& split);

}  // namespace d2a
