#pragma once
// How much a meta-model trusts its dataset-conditioned term for a new dataset: fully for data
// like the meta-database's tasks, not at all for data unlike any of them, where the residual was
// never fitted and the dataset-agnostic prior is the safer ranking. No torch here.
//
// A dataset is summarised by the mean of its images' feature vectors (the meta-model's
// extractor). Its distance d to the meta-database is the distance to the nearest task summary.
// The scale comes from the database itself: for every task, the distance to the nearest task of
// another source ("how far a new source lies"); `near` is their median and `far` their maximum.
//   weight(d) = max_weight                                   for d <= near
//             = max_weight * (far - d) / (far - near)        for near < d < far
//             = 0                                            for d >= far
#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace d2a {

struct DatasetGate {
  std::vector<std::vector<float>> references;  // one summary per database task, [T][D]
  std::vector<std::string> sources;            // the task's source, [T]
  double near = 0;
  double far = 0;
  double max_weight = 1;

  // Fits near and far to the references (at least two sources). Throws d2a::Error (bad input)
  // for references of mixed dimensions or fewer than two sources.
  static DatasetGate fit(std::vector<std::vector<float>> references,
                         std::vector<std::string> sources, double max_weight);

  // Distance of a summary to the nearest reference. Throws d2a::Error (bad input) for a summary
  // of another dimension.
  double distance(const std::vector<float>& summary) const;
  // The residual weight for a dataset at that distance (formula above).
  double weight_at(double distance) const;

  nlohmann::json to_json() const;
  // Throws d2a::Error (bad input) naming `where` and the field for a malformed gate.
  static DatasetGate from_json(const nlohmann::json& json, const std::string& where);
};

}  // namespace d2a
