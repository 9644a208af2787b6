#include "d2a/space/nb201_graph.h"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/reverse_graph.hpp>
#include <boost/graph/topological_sort.hpp>
#include <map>

namespace d2a {
namespace {

struct EdgeInfo {
  int index;   // edge position in the canonical string
  Nb201Op op;
};
using CellGraph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, boost::no_property,
                          EdgeInfo>;

// The DAG of nodes 0..3 with one graph edge per cell edge whose op is not `none`.
CellGraph build_graph(const Nb201Cell& cell) {
  CellGraph g(kNb201NumNodes);
  for (int e = 0; e < kNb201NumEdges; ++e) {
    if (cell.op(e) == Nb201Op::kNone) continue;
    boost::add_edge(kNb201Edges[e].from, kNb201Edges[e].to, EdgeInfo{e, cell.op(e)}, g);
  }
  return g;
}

template <typename Graph>
std::array<bool, kNb201NumNodes> reachable_from(const Graph& g, int source) {
  std::array<bool, kNb201NumNodes> seen{};
  seen[source] = true;
  struct Visitor : boost::default_bfs_visitor {
    std::array<bool, kNb201NumNodes>* seen;
    void discover_vertex(typename boost::graph_traits<Graph>::vertex_descriptor v,
                         const Graph&) const {
      (*seen)[v] = true;
    }
  } visitor;
  visitor.seen = &seen;
  boost::breadth_first_search(g, boost::vertex(source, g), boost::visitor(visitor));
  return seen;
}

}  // namespace

std::array<bool, kNb201NumEdges> nb201_live_edges(const Nb201Cell& cell) {
  const CellGraph g = build_graph(cell);
  const auto from_input = reachable_from(g, 0);
  const auto to_output = reachable_from(boost::make_reverse_graph(g), kNb201NumNodes - 1);
  std::array<bool, kNb201NumEdges> live{};
  for (auto [it, end] = boost::edges(g); it != end; ++it) {
    const auto src = boost::source(*it, g);
    const auto dst = boost::target(*it, g);
    live[g[*it].index] = from_input[src] && to_output[dst];
  }
  return live;
}

bool nb201_is_disconnected(const Nb201Cell& cell) {
  const auto live = nb201_live_edges(cell);
  return std::none_of(live.begin(), live.end(), [](bool b) { return b; });
}

std::string nb201_equivalence_key(const Nb201Cell& cell) {
  // Each node's value is a symbolic expression of the input "0": an op applied to a source
  // writes "(src)@op", a skip connection passes the source's expression through, and the
  // node sums its terms (sorted, so summand order does not matter). A `none` edge, or any edge
  // whose source expression is exactly the zero "#", contributes "#". Like the benchmark, a
  // node that sums several zeros ("#+#") is not folded back to "#": that is what makes the
  // partition the table's 6,466 classes rather than a coarser one, so it is kept on purpose.
  // Zero terms come from `none` edges, which have no graph edge; every node j has j terms.
  const CellGraph g = build_graph(cell);
  std::vector<CellGraph::vertex_descriptor> order;
  boost::topological_sort(g, std::back_inserter(order));
  std::reverse(order.begin(), order.end());

  std::array<std::string, kNb201NumNodes> expr;
  expr[0] = "0";
  for (auto node : order) {
    if (node == 0) continue;
    std::vector<std::string> terms;
    for (auto [it, end] = boost::in_edges(node, g); it != end; ++it) {
      const std::string& src = expr[boost::source(*it, g)];
      const Nb201Op op = g[*it].op;
      if (src == "#") {
        terms.push_back("#");
      } else if (op == Nb201Op::kSkipConnect) {
        terms.push_back(src);
      } else {
        terms.push_back("(" + src + ")@" + std::string(nb201_op_name(op)));
      }
    }
    terms.resize(node, "#");  // the `none` inputs
    std::sort(terms.begin(), terms.end());
    std::string joined;
    for (const auto& t : terms) joined += (joined.empty() ? "" : "+") + t;
    expr[node] = joined;
  }
  return expr[kNb201NumNodes - 1];
}

const Nb201Equivalence& Nb201Equivalence::instance() {
  static const Nb201Equivalence partition;
  return partition;
}

Nb201Equivalence::Nb201Equivalence() : class_of_dense_(kNb201NumCells, -1) {
  std::map<std::string, int> id_of_key;
  for (int i = 0; i < kNb201NumCells; ++i) {
    const Nb201Cell cell = Nb201Cell::from_dense_index(i);
    std::string key = nb201_equivalence_key(cell);
    auto [it, inserted] = id_of_key.emplace(key, static_cast<int>(representatives_.size()));
    if (inserted) {
      representatives_.push_back(cell);
      keys_.push_back(std::move(key));
    }
    class_of_dense_[i] = it->second;
  }
}

std::vector<Nb201Cell> Nb201Equivalence::members(int class_id) const {
  std::vector<Nb201Cell> out;
  for (int i = 0; i < kNb201NumCells; ++i) {
    if (class_of_dense_[i] == class_id) out.push_back(Nb201Cell::from_dense_index(i));
  }
  return out;
}

}  // namespace d2a
