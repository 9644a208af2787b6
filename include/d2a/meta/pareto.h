#pragma once
// The Pareto set of candidates over (a quality to maximise, a cost to minimise). No torch.
#include <optional>
#include <vector>

namespace d2a {

// result[i] is true when no other candidate is at least as good in quality and at most as costly
// with one of the two strictly better. Candidates without a cost (nullopt) are never in the set
// and dominate nothing. Equal (quality, cost) pairs are all kept.
std::vector<bool> pareto_set(const std::vector<double>& quality,
                             const std::vector<std::optional<double>>& cost);

}  // namespace d2a
