#include "d2a/meta/pareto.h"

#include <algorithm>
#include <numeric>

#include "d2a/error.h"

namespace d2a {

std::vector<bool> pareto_set(const std::vector<double>& quality,
                             const std::vector<std::optional<double>>& cost) {
  if (quality.size() != cost.size()) {
    throw runtime_failure("pareto_set: " + std::to_string(quality.size()) + " qualities but " +
                          std::to_string(cost.size()) + " costs");
  }
  // Sweep by cost ascending (then quality descending): a candidate is on the front when its
  // quality beats every cheaper one's, or ties the best at the same cost.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < cost.size(); ++i) {
    if (cost[i]) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (*cost[a] != *cost[b]) return *cost[a] < *cost[b];
    return quality[a] > quality[b];
  });
  std::vector<bool> on_front(quality.size(), false);
  bool any = false;
  double best_cheaper = 0;     // best quality among strictly cheaper candidates
  std::size_t i = 0;
  while (i < order.size()) {
    std::size_t j = i;  // the group of equal cost
    while (j < order.size() && *cost[order[j]] == *cost[order[i]]) ++j;
    const double top = quality[order[i]];  // the group's best (sorted first)
    for (std::size_t k = i; k < j; ++k) {
      const double q = quality[order[k]];
      if (q == top && (!any || q > best_cheaper)) on_front[order[k]] = true;
    }
    if (!any || top > best_cheaper) best_cheaper = top;
    any = true;
    i = j;
  }
  return on_front;
}

}  // namespace d2a
